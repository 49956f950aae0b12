/**
 * One numeric/categorical rule (src/shared/feature-kind.ts) for training and drift: over the same
 * rows, a column H2O trains on as Numeric gets numeric bins in the reference profile, and one it
 * trains on as Enum gets categorical bins — including a column of numbers with one stray string,
 * which H2O parses as a factor (the drift reference once binned it by edges).
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { extractTrainingSet } from '../../src/feature-store/training-set';
import { H2OClient } from '../../src/h2o/client';
import { trainingRunIds } from '../../src/h2o/ids';
import { deleteFeatureSets } from '../helpers/feature-store-cleanup';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

const config = loadConfig();
const h2o = new H2OClient(config.h2o.url);
const day = 86_400_000;
const base = Math.floor(Date.now() / day) * day - 3 * day;
const window = { start: new Date(base).toISOString(), end: new Date(base + day).toISOString() };

describe('the feature-kind rule, training and drift alike', () => {
  let pool: Pool;
  const featureSet = uniqueName('fs-kind');
  const workflowId = uniqueName('kind');

  beforeAll(async () => {
    pool = testPool();
    const rows = Array.from({ length: 200 }, (_, i) => ({
      entity: `e${i}`,
      time: new Date(base + i * 60_000).toISOString(),
      features: {
        amount: i * 1.5,
        plan: i % 2 ? 'pro' : 'free',
        mostly_numbers: i === 7 ? 'n/a' : i % 10,
        flag: i % 3 === 0,
        y: i % 4 === 0 ? 'yes' : 'no',
      },
    }));
    await pool.query(
      `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features)
       SELECT $1, e, t, f FROM unnest($2::text[], $3::timestamptz[], $4::jsonb[]) AS u(e, t, f)`,
      [featureSet, rows.map((r) => r.entity), rows.map((r) => r.time), rows.map((r) => JSON.stringify(r.features))],
    );
  });

  afterAll(async () => {
    const ids = trainingRunIds(workflowId);
    await h2o.deleteFrame(ids.trainFrame);
    await h2o.deleteFrame(ids.validationFrame);
    await deleteFeatureSets(pool, featureSet);
    await pool.end();
  });

  it('gives each column the same kind in the H2O frame and in the reference histograms', async () => {
    const set = await extractTrainingSet(
      { config, pool },
      { workflowId, featureSet, target: 'y', window, metric: 'auc', seed: 1 },
    );
    const trained = Object.fromEntries(set.features.map((f) => [f.name, f.type]));
    expect(trained).toEqual({ amount: 'Numeric', flag: 'Enum', mostly_numbers: 'Enum', plan: 'Enum' });

    const reference = await buildReferenceProfile(
      pool,
      { featureSet, window },
      set.features.map((f) => f.name),
      { bins: 10, maxCategories: 50, threads: 0 },
    );
    const drift = Object.fromEntries(Object.entries(reference.features).map(([name, r]) => [name, r.kind]));
    expect(drift).toEqual({
      amount: 'numeric',
      flag: 'categorical',
      mostly_numbers: 'categorical',
      plan: 'categorical',
    });
    // what H2O saw in the frame agrees too
    const frame = await h2o.frame(set.trainFrame);
    const column = Object.fromEntries(frame.columns!.map((c) => [c.label, c.type]));
    expect(column.mostly_numbers).toBe('enum');
    expect(column.amount).toBe('real');
  });
});
