/**
 * The page writer is idempotent whatever the method: a page written twice (a retry after a crash)
 * leaves the same rows and the same dead letters; COPY escaping survives awkward entity ids. The
 * direct COPY writes into the day partitions and counts its writes as the triggers count others'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { loadConfig } from '../../src/config';
import { writePage, type PageWrite, type WriteMethod } from '../../src/feature-store/page-writer';
import type { FeatureRow } from '../../src/feature-store/rows';
import { createPool } from '../../src/postgres';
import { deleteIngested, deleteProfiles } from '../helpers/feature-store-cleanup';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

describe('writePage', () => {
  let pool: Pool;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    for (const w of written) await deleteIngested(pool, w.featureSet, w.source);
    await pool.end();
  });

  function page(featureSet: string, source: string, rows: FeatureRow[]): PageWrite {
    return {
      source,
      featureSet,
      workflowId: 'wf-test',
      runId: 'run-1',
      page: 'offset=0',
      rows,
      deadLetters: [{ index: 3, raw: { id: null }, reason: 'id: missing' }],
    };
  }

  const now = Date.now();
  const rows: FeatureRow[] = [
    { entityId: 'plain', eventTime: new Date(now - 3600_000).toISOString(), features: { a: 1, b: 'x' } },
    { entityId: 'tab\there', eventTime: new Date(now - 7200_000).toISOString(), features: { a: 2, b: 'back\\slash' } },
    {
      entityId: 'line\nbreak \\N',
      eventTime: new Date(now - 9000_000).toISOString(),
      features: { a: null, b: 'quote " and \t tab' },
    },
  ];

  it.each<WriteMethod>(['copy-direct', 'copy', 'unnest'])(
    '%s: writing the same page twice leaves one row per key and one dead letter',
    async (method) => {
      const featureSet = uniqueName('fs-write');
      const source = uniqueName('src-write');
      written.push({ featureSet, source });
      const client = await pool.connect();
      try {
        const first = await writePage(client, page(featureSet, source, rows), method);
        const second = await writePage(client, page(featureSet, source, rows), method);
        expect(first).toBe(method);
        // the direct COPY finds the rows already there and falls back to the upsert
        expect(second).toBe(method === 'copy-direct' ? 'copy' : method);
      } finally {
        client.release();
      }
      const { rows: stored } = await pool.query<{ entity_id: string; features: unknown }>(
        'SELECT entity_id, features FROM features.feature_values WHERE feature_set = $1 ORDER BY entity_id',
        [featureSet],
      );
      expect(stored).toEqual(
        [...rows]
          .sort((a, b) => (a.entityId < b.entityId ? -1 : 1))
          .map((r) => ({ entity_id: r.entityId, features: r.features })),
      );
      const { rows: letters } = await pool.query(
        'SELECT count(*)::int AS n FROM features.dead_letters WHERE source = $1',
        [source],
      );
      expect(letters[0].n).toBe(1);
    },
  );

  it('an updated row replaces the old features (re-ingest of changed data)', async () => {
    const featureSet = uniqueName('fs-write');
    const source = uniqueName('src-write');
    written.push({ featureSet, source });
    const client = await pool.connect();
    try {
      await writePage(client, page(featureSet, source, rows));
      await writePage(
        client,
        page(
          featureSet,
          source,
          rows.map((r) => ({ ...r, features: { ...r.features, a: 99 } })),
        ),
      );
    } finally {
      client.release();
    }
    const { rows: stored } = await pool.query<{ a: number }>(
      "SELECT (features->>'a')::int AS a FROM features.feature_values WHERE feature_set = $1",
      [featureSet],
    );
    expect(stored.map((r) => r.a)).toEqual([99, 99, 99]);
  });

  it('a page that rolled back (its staging table with it) does not break the next page on the same connection (42P01)', async () => {
    const featureSet = uniqueName('fs-write');
    const source = uniqueName('src-write');
    written.push({ featureSet, source });
    // a connection of its own: the failing page is the one that creates its staging table
    const fresh = testPool();
    const client = await fresh.connect();
    try {
      const broken: FeatureRow[] = [{ entityId: 'x', eventTime: 'not-a-time', features: { a: 1 } }];
      await expect(
        writePage(client, { ...page(featureSet, source, broken), page: 'offset=100' }, 'copy'),
      ).rejects.toThrow(/timestamp|time zone|invalid input/i);
      await writePage(client, page(featureSet, source, rows), 'copy');
      const { rows: stored } = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM features.feature_values WHERE feature_set = $1',
        [featureSet],
      );
      expect(stored[0]!.n).toBe(rows.length);
    } finally {
      client.release();
      await fresh.end();
    }
  });

  it('dead letters whose record PostgreSQL cannot store as jsonb, and a whole page of text with a NUL, are stored', async () => {
    const featureSet = uniqueName('fs-write');
    const source = uniqueName('src-write');
    written.push({ featureSet, source });
    const client = await pool.connect();
    try {
      const deadLetters = [
        { index: 0, raw: { id: 'a', plan: 'bas\u0000ic', 'k\u0000ey': 1 }, reason: 'record: holds a NUL' },
        { index: 1, raw: { id: 'b', plan: 'x\ud800y' }, reason: 'lone surrogate \ud800 and NUL \u0000 in the reason' },
        { index: -1, raw: '<html>\u0000</html>', reason: 'page: not JSON' },
      ];
      await writePage(client, {
        source,
        featureSet,
        workflowId: 'wf-test',
        runId: 'run-1',
        page: 'cursor=\u0000',
        rows: [],
        deadLetters,
      });
      const { rows: stored } = await pool.query<{ record_index: number; raw: unknown; reason: string; page: string }>(
        'SELECT record_index, raw, reason, page FROM features.dead_letters WHERE source = $1 ORDER BY record_index',
        [source],
      );
      expect(stored.map((r) => r.record_index)).toEqual([-1, 0, 1]);
      expect(stored[0]!.raw).toBe('<html>\\u0000</html>');
      expect(JSON.parse(stored[1]!.raw as string)).toEqual(deadLetters[0]!.raw);
      expect(JSON.parse(stored[2]!.raw as string)).toEqual({ id: 'b', plan: 'x\ud800y' });
      expect(stored[2]!.reason).toContain('\\u0000');
      expect(stored[0]!.page).toBe('cursor=\\u0000');
    } finally {
      client.release();
    }
  });

  it('copy-direct puts new rows in their day partitions and counts them per hour (a profiled closed day goes stale), as the triggers count what goes through the parent', async () => {
    const featureSet = uniqueName('fs-write');
    const source = uniqueName('src-write');
    written.push({ featureSet, source });
    const HOUR = 3_600_000;
    const DAY = 24 * HOUR;
    const closedDay = Math.floor(now / DAY) * DAY - 5 * DAY;
    const openHour = Math.floor(now / HOUR) * HOUR - HOUR;
    const far = Date.parse('2100-01-01T00:00:00Z'); // no partition: the default one, through the parent
    const at = (ms: number) => new Date(ms).toISOString();
    const {
      rows: [closed],
    } = await pool.query<{ partition: string; oid: number }>(
      'SELECT partition, partition::regclass::oid AS oid FROM features.feature_value_partitions WHERE range_start = $1',
      [at(closedDay)],
    );
    await pool.query(
      'INSERT INTO features.partition_profile_sets (feature_set, range_start, range_end, partition_oid, rows, writes_seen) VALUES ($1, $2, $3, $4, 0, 0)',
      [featureSet, at(closedDay), at(closedDay + DAY), closed!.oid],
    );
    const pageRows: FeatureRow[] = [
      { entityId: 'c1', eventTime: at(closedDay + HOUR), features: { a: 1 } },
      { entityId: 'c2', eventTime: at(closedDay + HOUR + 59 * 60_000), features: { a: 2 } },
      { entityId: 'c3', eventTime: at(closedDay + 5 * HOUR), features: { a: 3 } },
      { entityId: 'o1', eventTime: at(openHour + 1), features: { a: 4 } },
      { entityId: 'f1', eventTime: at(far), features: { a: 5 } },
    ];
    const worker = createPool(loadConfig().postgres, 'mlops-test-worker'); // the worker's login: rows only, on the leaves too
    try {
      const client = await worker.connect();
      try {
        expect(await writePage(client, page(featureSet, source, pageRows), 'copy-direct')).toBe('copy-direct');
      } finally {
        client.release();
      }
      const { rows: placed } = await pool.query<{ entity_id: string; part: string }>(
        'SELECT entity_id, tableoid::regclass::text AS part FROM features.feature_values WHERE feature_set = $1 ORDER BY entity_id',
        [featureSet],
      );
      const {
        rows: [open],
      } = await pool.query<{ partition: string }>(
        'SELECT partition FROM features.feature_value_partitions WHERE range_start <= $1 AND range_end > $1',
        [at(openHour)],
      );
      expect(placed).toEqual([
        { entity_id: 'c1', part: closed!.partition },
        { entity_id: 'c2', part: closed!.partition },
        { entity_id: 'c3', part: closed!.partition },
        { entity_id: 'f1', part: 'features.feature_values_default' },
        { entity_id: 'o1', part: open!.partition },
      ]);
      const { rows: counted } = await pool.query<{ hour: Date; writes: string }>(
        'SELECT hour, writes FROM features.feature_writes WHERE feature_set = $1 ORDER BY hour',
        [featureSet],
      );
      expect(counted.map((r) => [r.hour.toISOString(), Number(r.writes)])).toEqual([
        [at(closedDay + HOUR), 2],
        [at(closedDay + 5 * HOUR), 1],
        [at(openHour), 1],
        [at(far), 1],
      ]);
      const {
        rows: [set],
      } = await pool.query<{ stale: boolean }>(
        'SELECT stale FROM features.partition_profile_sets WHERE feature_set = $1',
        [featureSet],
      );
      expect(set!.stale).toBe(true);
    } finally {
      await worker.end();
      await deleteProfiles(pool, featureSet);
    }
  });
});
