/**
 * Generated feature rows for drift and retrain tests: numeric `tenure`, `spend`, categorical `plan`,
 * and a target `churned` ("yes"/"no") drawn from a logistic model, so training learns something.
 * `shift` moves the distribution: spend goes up by shift·40 and plan tilts towards "basic".
 * Seeded: the same arguments give the same rows.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { withClient } from '../../src/postgres';
import { promoteVersion, registerVersion } from '../../src/registry';
import type { TimeWindow } from '../../src/shared/time-window';
import type { CandidateVersion, ReferenceProfile } from '../../src/shared/types';
import { prng } from '../helpers/prng';

/** Writes `rows` rows with event times spread over `window`; entity ids start with `prefix`. */
export async function writeRows(
  pool: Pool,
  featureSet: string,
  window: TimeWindow,
  rows: number,
  options: { shift?: number; seed?: number; prefix?: string } = {},
): Promise<void> {
  const rand = prng(options.seed ?? 7);
  const shift = options.shift ?? 0;
  const start = Date.parse(window.start);
  const span = Date.parse(window.end) - start;
  const ids: string[] = [];
  const times: string[] = [];
  const docs: string[] = [];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(rand() * 72);
    const spend = Math.round((20 + rand() * 100 + shift * 40) * 100) / 100;
    const r = rand();
    const plan = r < 0.33 + shift * 0.4 ? 'basic' : r < 0.66 + shift * 0.2 ? 'plus' : 'pro';
    const logit = -1.2 - 0.04 * tenure + 0.015 * spend + (plan === 'basic' ? 0.8 : plan === 'pro' ? -0.6 : 0);
    const churned = rand() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
    ids.push(`${options.prefix ?? 'e'}${i}`);
    times.push(new Date(start + Math.floor(rand() * span)).toISOString());
    docs.push(JSON.stringify({ tenure, spend, plan, churned }));
  }
  await pool.query(
    `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
     SELECT $1, e, t, f, 'drift-test' FROM unnest($2::text[], $3::timestamptz[], $4::jsonb[]) AS u(e, t, f)
     ON CONFLICT DO NOTHING`,
    [featureSet, ids, times, docs],
  );
}

/** [now − daysAgo − days, now − daysAgo), whole hours. */
export function daysWindow(daysAgo: number, days: number): TimeWindow {
  const hour = 3_600_000;
  const end = Math.floor(Date.now() / hour) * hour - daysAgo * 86_400_000;
  return { start: new Date(end - days * 86_400_000).toISOString(), end: new Date(end).toISOString() };
}

export const FEATURES = ['tenure', 'spend', 'plan'];

/** A MODELS_CONFIG file declaring `models` (name → featureSet) with a small, fast training spec. */
export function writeModelsConfig(
  models: Record<
    string,
    { featureSet: string; requireApproval?: boolean; approvalTimeout?: string; every?: string; jitter?: string }
  >,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'models-'));
  const path = join(dir, 'models.json');
  const declared = Object.fromEntries(
    Object.entries(models).map(([name, m]) => [
      name,
      {
        featureSet: m.featureSet,
        target: 'churned',
        features: FEATURES,
        metric: 'auc',
        trainingWindow: '30d',
        seed: 1,
        specs: [{ name: 'glm', algorithm: 'glm', parameters: { family: 'binomial' } }],
        retrain: { requireApproval: m.requireApproval ?? false, approvalTimeout: m.approvalTimeout ?? '1h' },
        drift: {
          window: '1d',
          every: m.every ?? '1h',
          catchupWindow: '10m',
          ...(m.jitter ? { jitter: m.jitter } : {}),
        },
      },
    ]),
  );
  writeFileSync(path, JSON.stringify({ models: declared }, null, 2));
  return path;
}

/** Registers `candidate` (as a 'setup' run) and promotes it: the production version a test starts from. Returns its number. */
export async function productionVersion(
  pool: Pool,
  candidate: CandidateVersion,
  options: { allowUnservable?: boolean } = {},
): Promise<number> {
  return withClient(pool, async (c) => {
    const { version } = await registerVersion(c, { candidate, workflowId: 'setup', runId: 'setup' });
    await promoteVersion(c, { model: candidate.model, version, reason: 'test setup', ...options });
    return version;
  });
}

/** A champion as trainModels would hand it over (the registry does not open the artifact). */
export function fakeCandidate(model: string, metricValue = 0.8, reference?: ReferenceProfile): CandidateVersion {
  return {
    model,
    specName: 'gbm',
    algorithm: 'gbm',
    parameters: { ntrees: 5 },
    metrics: { auc: metricValue },
    metric: 'auc',
    metricValue,
    artifactPath: `/tmp/${model}-${metricValue}.zip`,
    artifactSha256: 'a'.repeat(64),
    h2oVersion: '3.46.0.11',
    h2oModelId: `${model}-gbm`,
    featureSet: 'fs',
    target: 'y',
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
    reference: reference ?? {
      featureSet: 'fs',
      window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
      rows: 0,
      features: {},
    },
  };
}
