/**
 * Drift from partition profiles on the real PostgreSQL: the histogram read from profiles gives the
 * PSI of the exact check (exactly for integer and categorical features, within 0.01 for a
 * continuous one) on a dataset with ties at bin edges, nulls, non-numbers and unseen levels;
 * `exact: true` scans; a missing profile falls back to the exact reader and says so; a backfill into
 * a closed day marks its profile stale and the next check rebuilds it (then matches the exact check);
 * open days are read from one shared scan; profiles go when retention drops their partition.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPartitionProfile, profileClosedPartitions } from '../../src/feature-store/partition-profiles';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { streamWindowHistogram } from '../../src/feature-store/window-histogram';
import { clearProfileCaches, windowHistograms } from '../../src/feature-store/window-profiles';
import { binSpecOf, evaluateDrift, type BinSpec } from '../../src/shared/drift';
import type { TimeWindow } from '../../src/shared/time-window';
import type { ReferenceProfile } from '../../src/shared/types';
import { useFeatureSet } from '../helpers/feature-sets';
import { deleteProfiles } from '../helpers/feature-store-cleanup';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';
import { FEATURES, writeRows } from './drift.dataset';

const DAY = 86_400_000;
const featureSet = uniqueName('drift-profiles');
/** Four whole closed days, 10 to 6 days ago (UTC midnight bounds, like the partitions). */
const today = Math.floor(Date.now() / DAY) * DAY;
const closed: TimeWindow = {
  start: new Date(today - 10 * DAY).toISOString(),
  end: new Date(today - 6 * DAY).toISOString(),
};
let pool: Pool;
let reference: ReferenceProfile;
let specs: Record<string, BinSpec>;

async function psiBoth(window: TimeWindow) {
  const exact = await streamWindowHistogram(pool, { featureSet, window }, specs, { threads: 0 });
  const fromProfiles = await windowHistograms(pool, featureSet, window, specs);
  return {
    exact,
    profiles: fromProfiles,
    e: evaluateDrift(reference, exact),
    p: evaluateDrift(reference, fromProfiles.histogram),
  };
}

beforeAll(async () => {
  pool = testPool();
  await writeRows(pool, featureSet, closed, 30_000, { seed: 3, prefix: 'a' });
  // the reference: the first day only; the last two days drift (spend up, plan towards basic)
  await writeRows(pool, featureSet, { start: new Date(today - 8 * DAY).toISOString(), end: closed.end }, 20_000, {
    seed: 4,
    prefix: 'b',
    shift: 0.6,
  });
  // nulls, non-numbers, unseen levels and booleans
  await pool.query(
    `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
     SELECT $1, 'odd' || g, $2::timestamptz + g * interval '30 seconds',
            jsonb_build_object('tenure', CASE WHEN g % 3 = 0 THEN NULL ELSE g % 80 END, 'spend', CASE WHEN g % 5 = 0 THEN '"n/a"'::jsonb ELSE to_jsonb(g) END,
                               'plan', (ARRAY['enterprise', 'pl"us', 'basic', 'true'])[1 + g % 4]), 'drift-test'
       FROM generate_series(1, 2000) g`,
    [featureSet, new Date(today - 7 * DAY).toISOString()],
  );
  reference = await buildReferenceProfile(
    pool,
    { featureSet, window: { start: closed.start, end: new Date(today - 9 * DAY).toISOString() } },
    FEATURES,
    { bins: 10, maxCategories: 50 },
  );
  specs = Object.fromEntries(Object.entries(reference.features).map(([f, r]) => [f, binSpecOf(r)]));
  await profileClosedPartitions(pool, 2, () => {}, featureSet);
});

afterAll(async () => {
  await pool?.end();
});
// registered after the afterAll that ends the pool, so it runs before it
useFeatureSet(() => pool, featureSet, { profiles: true });

describe('drift from partition profiles', () => {
  it('stores one profile per closed day and feature, with the rows of the day', async () => {
    const { rows } = await pool.query<{ n: number; rows: number; stale: boolean }>(
      `SELECT count(*)::int AS n, sum(s.rows)::int AS rows, bool_or(s.stale) AS stale FROM features.partition_profile_sets s WHERE feature_set = $1 AND range_start >= $2 AND range_end <= $3`,
      [featureSet, closed.start, closed.end],
    );
    expect(rows[0]).toEqual({ n: 4, rows: 52_000, stale: false });
    const { rows: f } = await pool.query<{ feature: string }>(
      'SELECT DISTINCT feature FROM features.partition_profiles WHERE feature_set = $1 ORDER BY 1',
      [featureSet],
    );
    expect(f.map((r) => r.feature)).toEqual(['churned', 'plan', 'spend', 'tenure']);
  });

  it('gives the PSI of the exact check: exactly for tenure and plan, within 0.01 for spend', async () => {
    clearProfileCaches();
    const { exact, profiles, e, p } = await psiBoth(closed);
    expect(profiles.read).toMatchObject({ method: 'profiles', partitionsFromProfiles: 4, scanned: [], rowsScanned: 0 });
    expect(profiles.histogram.rows).toBe(exact.rows);
    expect(profiles.histogram.features.tenure).toEqual(exact.features.tenure);
    expect(profiles.histogram.features.plan).toEqual(exact.features.plan);
    expect(exact.features.plan!.unseen).toBeGreaterThan(0);
    expect(exact.features.tenure!.nulls).toBeGreaterThan(0);
    expect(exact.features.spend!.nulls).toBeGreaterThan(0);
    expect(profiles.histogram.features.spend!.nulls).toBe(exact.features.spend!.nulls);
    expect(e.features.spend!.psi).toBeGreaterThan(0.1); // drifted: the comparison is not of zeros
    for (const f of Object.keys(specs))
      expect(Math.abs(p.features[f]!.psi - e.features[f]!.psi), f).toBeLessThanOrEqual(0.01);
    expect(p.features.tenure!.psi).toBe(e.features.tenure!.psi);
    expect(p.features.plan!.psi).toBe(e.features.plan!.psi);
  });

  it('scans the whole window when asked for exact: true', async () => {
    const { histogram, read } = await windowHistograms(pool, featureSet, closed, specs, { exact: true });
    expect(read.method).toBe('exact');
    expect(read.scanned).toEqual([{ ...closed, reason: 'exact' }]);
    expect(read.rowsScanned).toBe(52_000);
    expect(histogram).toEqual(await streamWindowHistogram(pool, { featureSet, window: closed }, specs));
  });

  it('scans a closed day without a profile exactly, and records it', async () => {
    const day = { start: new Date(today - 9 * DAY).toISOString(), end: new Date(today - 8 * DAY).toISOString() };
    await pool.query('DELETE FROM features.partition_profile_sets WHERE feature_set = $1 AND range_start = $2', [
      featureSet,
      day.start,
    ]);
    const { exact, profiles } = await psiBoth(closed);
    expect(profiles.read.method).toBe('profiles');
    expect(profiles.read.partitionsFromProfiles).toBe(3);
    expect(profiles.read.scanned).toEqual([{ ...day, reason: 'missing' }]);
    expect(profiles.histogram.features.tenure).toEqual(exact.features.tenure);
    await profileClosedPartitions(pool, 2, () => {}, featureSet); // the profiler fills the gap
    expect((await windowHistograms(pool, featureSet, closed, specs)).read.partitionsFromProfiles).toBe(4);
  });

  it('marks a closed day stale on a backfill, and the next check rebuilds it and matches the exact check', async () => {
    const day = { start: new Date(today - 7 * DAY).toISOString(), end: new Date(today - 6 * DAY).toISOString() };
    await writeRows(pool, featureSet, day, 3_000, { seed: 9, prefix: 'late', shift: 1.5 });
    const { rows } = await pool.query<{ stale: boolean }>(
      'SELECT stale FROM features.partition_profile_sets WHERE feature_set = $1 AND range_start = $2',
      [featureSet, day.start],
    );
    expect(rows[0]!.stale).toBe(true);
    const { exact, profiles, e, p } = await psiBoth(closed);
    expect(profiles.read.partitionsRebuilt).toBe(1);
    expect(profiles.read.partitionsFromProfiles).toBe(4);
    expect(profiles.histogram.rows).toBe(55_000);
    expect(profiles.histogram.features.tenure).toEqual(exact.features.tenure);
    for (const f of Object.keys(specs))
      expect(Math.abs(p.features[f]!.psi - e.features[f]!.psi), f).toBeLessThanOrEqual(0.01);
    const { rows: after } = await pool.query<{ stale: boolean }>(
      'SELECT stale FROM features.partition_profile_sets WHERE feature_set = $1 AND range_start = $2',
      [featureSet, day.start],
    );
    expect(after[0]!.stale).toBe(false);
  });

  it('reads open and partly covered days from one shared scan per day, edges exactly', async () => {
    const open = {
      start: new Date(today - DAY - 5.5 * 3_600_000).toISOString(),
      end: new Date(today + 3_600_000 + 120_000).toISOString(),
    };
    await writeRows(
      pool,
      featureSet,
      { start: new Date(today - 2 * DAY).toISOString(), end: new Date(today + 2 * 3_600_000).toISOString() },
      8_000,
      { seed: 21, prefix: 'o' },
    );
    clearProfileCaches();
    const first = await psiBoth(open);
    expect(first.profiles.read.method).toBe('profiles');
    expect(first.profiles.read.partitionsFromOpenProfiles).toBe(3);
    expect(first.profiles.read.scanned.map((s) => s.reason)).toEqual(['edge', 'edge']);
    expect(first.profiles.histogram.features.tenure).toEqual(first.exact.features.tenure);
    expect(first.profiles.histogram.features.plan).toEqual(first.exact.features.plan);
    expect(first.profiles.histogram.rows).toBe(first.exact.rows);
    // a second check (another model's bins would do the same) reuses the day scans: only the edges
    const second = await windowHistograms(pool, featureSet, open, specs);
    expect(second.read.rowsScanned).toBeLessThan(first.profiles.read.rowsScanned);
    expect(second.histogram).toEqual(first.profiles.histogram);
    // a write moves the counters: the next check sees it
    await writeRows(
      pool,
      featureSet,
      { start: new Date(today - 3_600_000).toISOString(), end: new Date(today).toISOString() },
      500,
      { seed: 22, prefix: 'o2' },
    );
    const third = await psiBoth(open);
    expect(third.profiles.histogram.rows).toBe(third.exact.rows);
    expect(third.profiles.histogram.rows).toBe(first.exact.rows + 500);
  });
});

describe('retention', () => {
  // a daily partition far older than the 400-day retention, dropped by pg_partman's own retention call
  const oldSet = uniqueName('drift-profiles-old');
  const partition = 'features.feature_values_p2020_01_01';
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${partition}`);
    await deleteProfiles(pool, oldSet);
  });

  it('drops the profiles with the partition', async () => {
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${partition} PARTITION OF features.feature_values FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00')`,
    );
    await writeRows(pool, oldSet, { start: '2020-01-01T00:00:00.000Z', end: '2020-01-02T00:00:00.000Z' }, 500, {
      seed: 5,
    });
    const { rows: oid } = await pool.query<{ oid: number }>(`SELECT '${partition}'::regclass::oid AS oid`);
    await buildPartitionProfile(pool, oldSet, {
      partition,
      oid: Number(oid[0]!.oid),
      rangeStart: '2020-01-01T00:00:00.000Z',
      rangeEnd: '2020-01-02T00:00:00.000Z',
    });
    const count = async () =>
      Number(
        (await pool.query('SELECT count(*) AS n FROM features.partition_profiles WHERE feature_set = $1', [oldSet]))
          .rows[0].n,
      );
    expect(await count()).toBe(4);
    await pool.query("SELECT partman.drop_partition_time('features.feature_values')");
    expect((await pool.query(`SELECT to_regclass('${partition}') AS t`)).rows[0].t).toBeNull();
    await profileClosedPartitions(pool, 2, () => {}, oldSet);
    expect(await count()).toBe(0);
    expect(
      Number(
        (await pool.query('SELECT count(*) AS n FROM features.feature_writes WHERE feature_set = $1', [oldSet])).rows[0]
          .n,
      ),
    ).toBe(0);
  });
});
