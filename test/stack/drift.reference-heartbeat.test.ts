/**
 * computeReferenceProfile keeps heartbeating while its aggregate queries run, before any row streams:
 * the training window's partition is locked for real (ACCESS EXCLUSIVE in another session), so the
 * activity's first query waits on PostgreSQL, as a large window's aggregates do; heartbeats keep
 * coming on the timer all the same. The activity runs in @temporalio/testing's activity environment,
 * against the real database.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriftActivities } from '../../src/activities/drift';
import { HEARTBEAT_EVERY_MS } from '../../src/activities/heartbeat';
import { loadConfig } from '../../src/config';
import type { ReferenceProfile } from '../../src/shared/types';
import { FEATURES, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

const DAY = 86_400_000;
const pool = testPool();
const featureSet = uniqueName('hb-fs');
// one day a week back: inside a daily partition of its own
const dayStart = Math.floor(Date.now() / DAY) * DAY - 7 * DAY;
const window = {
  start: new Date(dayStart + 3_600_000).toISOString(),
  end: new Date(dayStart + 23 * 3_600_000).toISOString(),
};

beforeAll(async () => {
  await writeRows(pool, featureSet, window, 2000, { seed: 5 });
});
afterAll(async () => {
  await pool.end();
});
// registered after the afterAll that ends the pool, so it runs before it
useFeatureSet(() => pool, featureSet);

describe('computeReferenceProfile', () => {
  it('heartbeats on a timer while its queries wait, then returns the profile', async () => {
    const { rows } = await pool.query<{ partition: string }>(
      'SELECT partition FROM features.feature_value_partitions WHERE range_start <= $1::timestamptz AND range_end > $1::timestamptz',
      [window.start],
    );
    expect(rows).toHaveLength(1);
    const locker = await pool.connect();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    let blocked = true;
    let beatsWhileBlocked = 0;
    env.on('heartbeat', (d: unknown) => {
      beats.push(d);
      if (blocked) beatsWhileBlocked++;
    });
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${rows[0]!.partition} IN ACCESS EXCLUSIVE MODE`);
      const activities = createDriftActivities({ config: loadConfig(), pool } as Parameters<
        typeof createDriftActivities
      >[0]);
      const profile = env.run(activities.computeReferenceProfile, { featureSet, window, features: FEATURES });
      // hold the lock for more than two heartbeat intervals: the activity is stuck in its first query
      let done = false;
      void profile.then(
        () => (done = true),
        () => (done = true),
      );
      await new Promise((r) => setTimeout(r, 2.5 * HEARTBEAT_EVERY_MS));
      expect(done).toBe(false); // really waiting on the lock
      blocked = false;
      await locker.query('COMMIT');
      const result = (await profile) as ReferenceProfile;
      expect(result.rows).toBe(2000);
      expect(Object.keys(result.features).sort()).toEqual([...FEATURES].sort());
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      locker.release();
    }
    // the one at the start, then the timer's while PostgreSQL held the query
    expect(beatsWhileBlocked).toBeGreaterThanOrEqual(3);
    expect(beats[0]).toEqual({ stage: 'aggregates', rows: 0 });
  });
});
