/** Helpers for the ingestion tests: run ingestSource on a test worker and read back what landed. */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SourceDefinition } from '../../src/shared/source-definition';
import { syntheticSourceDefinition, type SyntheticSource, type SyntheticStyle } from '../../src/demo/synthetic-source';
import { ingestSource } from '../../src/workflows/ingest-source';
import type { IngestSourceInput, IngestSourceOutput } from '../../src/shared/contracts/ingest-source';
import { uniqueName } from './temporal';

/** A fresh source name and feature set, and the synthetic definition for `style`. */
export function testSource(
  source: SyntheticSource,
  style: SyntheticStyle,
  overrides: Partial<SourceDefinition> = {},
): SourceDefinition {
  const name = uniqueName(`src-${style}`);
  return syntheticSourceDefinition(source, style, { name, featureSet: uniqueName('fs'), ...overrides });
}

export async function runIngest(
  client: Client,
  taskQueue: string,
  input: IngestSourceInput,
  workflowId = uniqueName(`ingest-${input.source}`),
): Promise<IngestSourceOutput> {
  return client.workflow.execute(ingestSource, {
    taskQueue,
    workflowId,
    args: [{ indexClosedPartitions: false, ...input }],
  });
}

export interface Landed {
  rows: number;
  distinctKeys: number;
  entities: Set<string>;
}

/** What is in the feature store for a feature set. */
export async function landed(pool: Pool, featureSet: string): Promise<Landed> {
  const { rows } = await pool.query<{ entity_id: string; event_time: Date }>(
    'SELECT entity_id, event_time FROM features.feature_values WHERE feature_set = $1',
    [featureSet],
  );
  const keys = new Set(rows.map((r) => `${r.entity_id}|${r.event_time.toISOString()}`));
  return { rows: rows.length, distinctKeys: keys.size, entities: new Set(rows.map((r) => r.entity_id)) };
}

export async function deadLetters(
  pool: Pool,
  source: string,
): Promise<Array<{ reason: string; page: string; record_index: number; raw: unknown }>> {
  const { rows } = await pool.query<{ reason: string; page: string; record_index: number; raw: unknown }>(
    'SELECT reason, page, record_index, raw FROM features.dead_letters WHERE source = $1 ORDER BY page, record_index',
    [source],
  );
  return rows;
}
