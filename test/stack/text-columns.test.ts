/**
 * Every text, varchar and json(b) column of the platform's tables, walked from information_schema:
 * each one is classified here, and each one that outside text reaches (a source's records and
 * cursors, an approval's words, a receiver's answer) names the test that feeds it a NUL or a lone
 * surrogate through the public path. A new column fails this test until someone says which it is.
 *
 * The honest scope: this checks that the classification is complete and that every named test
 * exists; the feeding is done by those tests. Columns outside text reaches with no such test yet are
 * `uncovered`, with the reason, so the gap is listed rather than hidden.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';
import { testPool } from '../helpers/postgres';

type Coverage =
  { outside: string; test: { file: string; title: string } } | { uncovered: string } | { internal: string };

const WRITE_PATH = {
  file: 'test/stack/ingest.write-path.test.ts',
  title: 'dead letters whose record PostgreSQL cannot store as jsonb, and a whole page of text with a NUL, are stored',
};
const DIALECTS = {
  file: 'test/stack/ingest.dialects.test.ts',
  title: 'a record with a NUL and a page of HTML are dead letters; the rest lands and the counts say so',
};
const CURSOR = {
  file: 'test/stack/ingest.hostile-text.test.ts',
  title: 'a cursor holding a NUL moves the watermark, and it reads back equal',
};
const APPROVAL = { file: 'test/stack/retrain.approval.test.ts', title: 'promotes only after approve' };
const WEBHOOK_NUL = {
  file: 'test/stack/webhooks.delivery.test.ts',
  title: 'a receiver whose answer holds a NUL',
};

const NAMES = 'names validated by src/shared/names.ts (sources, feature sets, models)';
const IDS = 'Temporal workflow and run ids the platform makes';
const STAGES = 'a stage or status the platform writes from a fixed list';
const DERIVED = 'computed by the platform from rows already stored (feature keys passed the storable-text rule)';
const OPERATOR = 'the operator’s configuration (models.yaml, WEBHOOK_* settings) or the platform’s own H2O cluster';

const COLUMNS: Record<string, Coverage> = {
  'features.dead_letters.page': { outside: 'a source cursor in the page key', test: WRITE_PATH },
  'features.dead_letters.raw': { outside: "a source's record or page text", test: WRITE_PATH },
  'features.dead_letters.reason': { outside: "a source's values quoted in the reason", test: WRITE_PATH },
  'features.dead_letters.run_id': { internal: IDS },
  'features.dead_letters.source': { internal: NAMES },
  'features.dead_letters.workflow_id': { internal: IDS },
  'features.feature_values.entity_id': { outside: "a source record's entity id", test: DIALECTS },
  'features.feature_values.features': { outside: "a source record's values and keys", test: DIALECTS },
  'features.feature_values.feature_set': { internal: NAMES },
  'features.feature_values.ingested_by': { internal: IDS },
  'features.feature_values.source': { internal: NAMES },
  'features.feature_writes.feature_set': { internal: NAMES },
  'features.partition_profile_sets.feature_set': { internal: NAMES },
  'features.partition_profiles.feature': { internal: DERIVED },
  'features.partition_profiles.feature_set': { internal: NAMES },
  'features.partition_profiles.profile': { internal: DERIVED },
  'features.source_watermarks.cursor': { outside: 'the last cursor a source sent', test: CURSOR },
  'features.source_watermarks.source': { internal: NAMES },
  'features.source_watermarks.updated_by': { internal: IDS },
  'monitoring.drift_reports.feature_stats': { internal: DERIVED },
  'monitoring.drift_reports.model_name': { internal: NAMES },
  'monitoring.drift_reports.read_method': { internal: STAGES },
  'monitoring.drift_reports.read_stats': { internal: DERIVED },
  'monitoring.drift_reports.retrain_workflow_id': { internal: IDS },
  'monitoring.drift_reports.sensor_run_id': { internal: IDS },
  'monitoring.drift_reports.sensor_workflow_id': { internal: IDS },
  'monitoring.drift_reports.verdict': { internal: STAGES },
  'public.schema_migrations.name': { internal: 'migration file names of the repository' },
  'public.schema_migrations.sha256': { internal: 'hashes the migrator computes' },
  'registry.model_versions.algorithm': { internal: OPERATOR },
  'registry.model_versions.artifact_path': { internal: 'paths the worker makes under ARTIFACTS_DIR' },
  'registry.model_versions.artifact_sha256': { internal: 'hashes the worker computes' },
  'registry.model_versions.feature_set': { internal: NAMES },
  'registry.model_versions.h2o_model_id': { internal: OPERATOR },
  'registry.model_versions.h2o_version': { internal: OPERATOR },
  'registry.model_versions.metrics': { internal: OPERATOR },
  'registry.model_versions.model_name': { internal: NAMES },
  'registry.model_versions.parameters': { internal: OPERATOR },
  'registry.model_versions.reference': { internal: DERIVED },
  'registry.model_versions.run_id': { internal: IDS },
  'registry.model_versions.serving_problem': {
    uncovered:
      "the MOJO checker's refusal, which may quote a hostile MOJO's own text (an algorithm name); stored through storableText, but no test feeds it a NUL yet",
  },
  'registry.model_versions.stage': { internal: STAGES },
  'registry.model_versions.target': { internal: OPERATOR },
  'registry.model_versions.workflow_id': { internal: IDS },
  'registry.models.description': { internal: 'not written by the platform (NULL)' },
  'registry.models.name': { internal: NAMES },
  'registry.stage_events.from_stage': { internal: STAGES },
  'registry.stage_events.model_name': { internal: NAMES },
  'registry.stage_events.reason': {
    outside: "an approval's by and comment (a retrain input's reason: not yet, see the report)",
    test: APPROVAL,
  },
  'registry.stage_events.to_stage': { internal: STAGES },
  'registry.stage_events.workflow_id': { internal: IDS },
  'webhooks.attempts.delivery_id': { internal: IDS },
  'webhooks.attempts.error': { outside: "an attempt's error, quoting a receiver's answer", test: WEBHOOK_NUL },
  'webhooks.attempts.response_head': {
    outside: "the first bytes of a receiver's answer",
    test: WEBHOOK_NUL,
  },
  'webhooks.attempts.status': { internal: STAGES },
  'webhooks.attempts.url': { internal: OPERATOR },
  'webhooks.attempts.workflow_run_id': { internal: IDS },
  'webhooks.deliveries.error': { outside: "the last attempt's error, quoting a receiver's answer", test: WEBHOOK_NUL },
  'webhooks.deliveries.event_id': { internal: IDS },
  'webhooks.deliveries.id': { internal: IDS },
  'webhooks.deliveries.status': { internal: STAGES },
  'webhooks.deliveries.subscription': { internal: OPERATOR },
  'webhooks.events.id': { internal: IDS },
  'webhooks.events.model_name': { internal: NAMES },
  'webhooks.events.payload': { outside: "a stage event's reason (an approval's words)", test: APPROVAL },
  'webhooks.events.type': { internal: STAGES },
};

const pool = testPool();
afterAll(() => pool.end());

describe('text columns of the platform', () => {
  it('every text, varchar and json column is classified, and no classification is stale', async () => {
    const { rows } = await pool.query<{ name: string }>(
      `SELECT c.table_schema || '.' || c.table_name || '.' || c.column_name AS name
         FROM information_schema.columns c
         JOIN pg_namespace n ON n.nspname = c.table_schema
         JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = c.table_name
        WHERE t.relkind IN ('r', 'p') AND NOT t.relispartition
          AND c.table_schema IN ('features', 'monitoring', 'registry', 'webhooks', 'public')
          AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
        ORDER BY 1`,
    );
    const inDatabase = rows.map((r) => r.name);
    expect(inDatabase.length).toBeGreaterThan(50);
    expect(
      inDatabase.filter((name) => !(name in COLUMNS)),
      'columns to classify in COLUMNS',
    ).toEqual([]);
    expect(
      Object.keys(COLUMNS).filter((name) => !inDatabase.includes(name)),
      'classified columns that no longer exist',
    ).toEqual([]);
  });

  it('each column outside text reaches names a test that exists', () => {
    for (const [column, coverage] of Object.entries(COLUMNS)) {
      if (!('test' in coverage)) continue;
      const source = readFileSync(join(projectRoot, coverage.test.file), 'utf8');
      expect(source.includes(coverage.test.title), `${column}: "${coverage.test.title}" in ${coverage.test.file}`).toBe(
        true,
      );
    }
  });
});
