/**
 * A model with many versions, stage events and drift reports, written straight into the registry in
 * a few set-based INSERTs (generated in SQL): what the model pages must stay fast for. Used by
 * bench:ui and the bounded-queries test. Artifacts do not exist: the pages never open them.
 */
import type { Pool } from 'pg';
import type { FeatureDrift } from '../../src/shared/drift';

/** Per-feature statistics shaped like the sensor's: `features` numeric features of 10 bins + null, and a categorical one. */
export function seedFeatureStats(features = 10): Record<string, FeatureDrift> {
  const stats: Record<string, FeatureDrift> = {};
  const numericBins = [
    '(-inf, 1]',
    ...Array.from({ length: 9 }, (_, i) => `(${i + 1}, ${i + 2}]`),
    '(10, +inf)',
    '__null__',
  ];
  for (let f = 0; f < features; f++) {
    const expected = numericBins.map((_, i) => (i < numericBins.length - 1 ? 1 / (numericBins.length - 1) : 0));
    stats[`feature_${f}`] = {
      kind: 'numeric',
      psi: f / 100,
      verdict: 'ok',
      bins: numericBins,
      expected,
      actual: expected.map((e, i) => Math.max(0, e + (i % 2 ? 0.01 : -0.01))),
      warnThreshold: 0.1,
      driftThreshold: 0.25,
    };
  }
  stats.plan = {
    kind: 'categorical',
    psi: 0.02,
    verdict: 'ok',
    bins: ['basic', 'plus', 'pro', '__unseen__', '__null__'],
    expected: [0.3, 0.3, 0.4, 0, 0],
    actual: [0.32, 0.29, 0.39, 0, 0],
    warnThreshold: 0.1,
    driftThreshold: 0.25,
  };
  return stats;
}

/** Writes `model` with `versions` versions (the newest in production, 3 stage events each) and `reports` hourly drift reports. */
export async function seedModel(pool: Pool, model: string, versions: number, reports: number): Promise<void> {
  await pool.query('INSERT INTO registry.models (name) VALUES ($1)', [model]);
  await pool.query(
    `INSERT INTO registry.model_versions (model_name, version, stage, algorithm, metrics, artifact_path, artifact_sha256, h2o_version, feature_set, target,
       window_start, window_end, workflow_id, run_id, created_at, promoted_at, archived_at)
     SELECT $1, v, CASE WHEN v = $2 THEN 'production' ELSE 'archived' END, 'gbm', jsonb_build_object('auc', 0.7 + (v % 100) / 1000.0, 'logloss', 0.5),
            '/nonexistent/seed.zip', repeat('a', 64), '3.46.0.11', 'seed-fs', 'churned', now() - interval '30 days', now(), 'retrain-' || $1, 'seed-run-' || v,
            now() - make_interval(hours => $2 - v), now() - make_interval(hours => $2 - v), CASE WHEN v = $2 THEN NULL ELSE now() END
       FROM generate_series(1, $2) v`,
    [model, versions],
  );
  await pool.query(
    `INSERT INTO registry.stage_events (model_name, version, from_stage, to_stage, reason, workflow_id, at)
     SELECT $1, v, s.from_stage, s.to_stage, s.reason || ' (seeded)', 'retrain-' || $1, now() - make_interval(hours => $2 - v)
       FROM generate_series(1, $2) v,
            (VALUES (1, NULL, 'staging', 'registered'), (2, 'staging', 'production', 'promoted'), (3, 'production', 'archived', 'superseded')) s(n, from_stage, to_stage, reason)
      WHERE s.n < 3 OR v < $2
      ORDER BY v, s.n`,
    [model, versions],
  );
  await pool.query(
    `INSERT INTO monitoring.drift_reports (model_name, model_version, reference_start, reference_end, current_start, current_end, reference_rows, current_rows,
       feature_stats, max_psi, verdict, sensor_workflow_id, sensor_run_id, created_at)
     SELECT $1, 1 + (r % $2), now() - interval '60 days', now() - interval '30 days', now() - make_interval(hours => r + 1), now() - make_interval(hours => r),
            3000, 1500, $4::jsonb, (r % 40) / 100.0, CASE WHEN r % 40 >= 25 THEN 'drift' WHEN r % 40 >= 10 THEN 'warn' ELSE 'ok' END,
            'sensor-' || $1, 'seed-sensor-run-' || r, now() - make_interval(hours => r)
       FROM generate_series(1, $3) r`,
    [model, versions, reports, JSON.stringify(seedFeatureStats())],
  );
  await pool.query('ANALYZE registry.model_versions, registry.stage_events, monitoring.drift_reports');
}

/** Removes everything seedModel wrote. */
export async function removeSeededModel(pool: Pool, model: string): Promise<void> {
  await pool.query('DELETE FROM monitoring.drift_reports WHERE model_name = $1', [model]);
  await pool.query('DELETE FROM registry.stage_events WHERE model_name = $1', [model]);
  await pool.query('DELETE FROM registry.model_versions WHERE model_name = $1', [model]);
  await pool.query('DELETE FROM registry.models WHERE name = $1', [model]);
}
