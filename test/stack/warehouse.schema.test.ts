/** The warehouse schema on the real PostgreSQL 15 + pg_partman: partitions, keys, GIN, idempotent migrations. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Pool } from 'pg';
import { loadConfig } from '../../src/config';
import { listMigrations, migrate } from '../../src/warehouse/migrate';
import { stackContext } from '../../src/stack/cli';
import { superuserConnection } from '../../src/stack/postgres';
import { useFeatureSet } from '../helpers/feature-sets';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

describe('warehouse schema', () => {
  let pool: Pool;
  const featureSet = uniqueName('schema-test');

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool.end();
  });
  // registered after the afterAll that ends the pool, so it runs before it
  useFeatureSet(() => pool, featureSet);

  it('has daily partitions made ahead of today', async () => {
    const { rows } = await pool.query<{ ahead: number }>(
      `SELECT count(*)::int AS ahead FROM partman.show_partitions('features.feature_values') p
        WHERE p.partition_tablename > 'feature_values_p' || to_char(now() + interval '1 day', 'YYYY_MM_DD')`,
    );
    expect(rows[0]!.ahead).toBeGreaterThanOrEqual(5);
  });

  it('puts a row in the partition of its event day', async () => {
    await pool.query(
      `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features) VALUES ($1, 'e1', now() - interval '2 days', '{"age": 41}')`,
      [featureSet],
    );
    const { rows } = await pool.query<{ partition: string; expected: string }>(
      `SELECT tableoid::regclass::text AS partition,
              'features.feature_values_p' || to_char((now() - interval '2 days') AT TIME ZONE current_setting('TimeZone'), 'YYYY_MM_DD') AS expected
         FROM features.feature_values WHERE feature_set = $1 AND entity_id = 'e1'`,
      [featureSet],
    );
    expect(rows[0]!.partition).toBe(rows[0]!.expected);
  });

  it('rejects a second row for the same feature set, entity and event time', async () => {
    // An event time inside the premade range (partitions start 30 days back).
    const eventTime = new Date(Date.now() - 3 * 86400_000).toISOString();
    const insert = `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features) VALUES ($1, 'dup', $2, $3)`;
    await pool.query(insert, [featureSet, eventTime, '{"a": 1}']);
    await expect(pool.query(insert, [featureSet, eventTime, '{"a": 2}'])).rejects.toThrow(
      /duplicate key value violates unique constraint "feature_values/,
    );
    const { rows } = await pool.query(
      'SELECT features FROM features.feature_values WHERE feature_set = $1 AND entity_id = $2',
      [featureSet, 'dup'],
    );
    expect(rows).toEqual([{ features: { a: 1 } }]);
  });

  it('answers a containment query on a closed partition through its GIN index', async () => {
    // Ten days back: a closed partition, which carries a GIN (open ones do not: docs/INGESTION.md).
    await pool.query(
      `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features)
       SELECT $1, 'g' || i, now() - interval '10 days', jsonb_build_object('plan', CASE WHEN i % 500 = 0 THEN 'rare' ELSE 'basic' END, 'n', i)
         FROM generate_series(1, 3000) i`,
      [featureSet],
    );
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ANALYZE features.feature_values');
      // The test table is small, so make the planner prove the index can serve @> rather than cost-compare.
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query(
        `EXPLAIN (FORMAT JSON) SELECT entity_id FROM features.feature_values WHERE features @> '{"plan": "rare"}'`,
      );
      const text = JSON.stringify(plan.rows[0]);
      expect(text).toMatch(/Bitmap Index Scan/);
      expect(text).toMatch(/feature_values_p\d{4}_\d{2}_\d{2}_features_idx|features_gin/);
      const hits = await client.query(
        `SELECT count(*)::int AS n FROM features.feature_values WHERE feature_set = $1 AND features @> '{"plan": "rare"}'`,
        [featureSet],
      );
      expect(hits.rows[0].n).toBe(6);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });

  it('re-applying migrations changes nothing', async () => {
    const before = await schemaFingerprint(pool);
    expect(await migrate(loadConfig().postgres.migrateUrl)).toEqual([]);
    expect(await schemaFingerprint(pool)).toEqual(before);
  });

  it('every migration file is idempotent SQL: on a fresh database, running them all again changes nothing', async () => {
    const ctx = stackContext(() => {});
    const scratch = uniqueName('mlops_scratch').replace(/-/g, '_');
    const admin = new Client(superuserConnection(ctx));
    await admin.connect();
    await admin.query(`CREATE DATABASE ${scratch}`);
    try {
      const db = new Pool({ ...superuserConnection(ctx, scratch), max: 1 });
      // DROP DATABASE … WITH (FORCE) below may still find this pool's backend closing and terminate it
      // (57P01); the idle client reports that on the pool, which must not make it an uncaught error.
      db.on('error', () => {});
      try {
        // pg_partman needs a superuser to create; the local stack does this at bootstrap too.
        await db.query('CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman');
        expect(await migrate(superuserConnection(ctx, scratch))).toEqual(listMigrations().map((m) => m.name));
        const applied = await schemaFingerprint(db);
        for (const m of listMigrations()) await db.query(m.sql);
        expect(await schemaFingerprint(db)).toEqual(applied);
      } finally {
        await db.end();
      }
    } finally {
      await admin.query(`DROP DATABASE ${scratch} WITH (FORCE)`);
      await admin.end();
    }
  });
});

/** What a migration could change: relations, indexes (by name), partman config, applied migrations. */
async function schemaFingerprint(db: Pool) {
  return (
    await db.query(`SELECT
      (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('features','registry','monitoring','partman')) AS relations,
      (SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname IN ('features','registry','monitoring')) AS indexes,
      (SELECT string_agg(parent_table || ':' || coalesce(retention, ''), ',') FROM partman.part_config) AS part_configs,
      (SELECT string_agg(name || ':' || sha256, ',' ORDER BY name) FROM public.schema_migrations) AS migrations`)
  ).rows[0];
}
