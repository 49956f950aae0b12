/**
 * The threaded COPY reader (worker threads parse and bin) gives exactly the histogram of the
 * single-thread reader and of the SQL reader on a real window: several ~1 MB buffers over 1 and 2
 * workers, with escaped and non-ASCII strings in the COPY text.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { sqlWindowHistogram, streamWindowHistogram } from '../../src/feature-store/window-histogram';
import { binSpecOf, type BinSpec } from '../../src/shared/drift';
import { FEATURES, daysWindow, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

let pool: Pool;
const featureSet = uniqueName('drift-threads');
const window = daysWindow(1, 2);
let specs: Record<string, BinSpec>;

beforeAll(async () => {
  pool = testPool();
  await writeRows(pool, featureSet, window, 40_000, { seed: 11, prefix: 'w' }); // ~2.5 MB of COPY text
  const reference = await buildReferenceProfile(pool, { featureSet, window }, FEATURES, {
    bins: 10,
    maxCategories: 50,
  });
  specs = Object.fromEntries(Object.entries(reference.features).map(([f, r]) => [f, binSpecOf(r)]));
  // then rows the reference never saw: doubled backslashes, quotes, multi-byte characters, nulls
  await pool.query(
    `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
     SELECT $1, 'odd' || g, $2::timestamptz, jsonb_build_object('tenure', CASE WHEN g % 2 = 0 THEN NULL ELSE g END, 'spend', 'n/a', 'plan', (ARRAY['ba\\sic', 'pl"us', 'prö€', 'basic'])[1 + g % 4]), 'drift-test'
       FROM generate_series(1, 500) g`,
    [featureSet, window.start],
  );
});

afterAll(async () => {
  await pool?.end();
});
// registered after the afterAll that ends the pool, so it runs before it
useFeatureSet(() => pool, featureSet);

it('threaded reader = single-thread reader = SQL reader', async () => {
  const query = { featureSet, window };
  const single = await streamWindowHistogram(pool, query, specs, { threads: 0 });
  const sql = await sqlWindowHistogram(pool, query, specs);
  const progress: number[] = [];
  const one = await streamWindowHistogram(pool, query, specs, {
    threads: 1,
    progressEvery: 10_000,
    onProgress: (rows) => progress.push(rows),
  });
  const two = await streamWindowHistogram(pool, query, specs, { threads: 2 });
  expect(single.rows).toBe(40_500);
  expect(single.features.plan!.unseen).toBeGreaterThan(0);
  expect(single.features.tenure!.nulls).toBe(250);
  expect(single.features.spend!.nulls).toBe(500);
  expect(sql).toEqual(single);
  expect(one).toEqual(single);
  expect(two).toEqual(single);
  expect(progress.length).toBeGreaterThanOrEqual(3);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
});
