/**
 * The worker's least-privilege database role (warehouse/roles.sql), on the local stack: the worker
 * connects as DATABASE_URL's role, which owns nothing; under it an ingest (closed-partition GIN
 * included, through the owner's SECURITY DEFINER function) and a retrain that trains on H2O, registers
 * and promotes a version run end to end, and every kind of DDL is refused. The compose init script
 * (docker/postgres-init.sh) builds the same roles on a fresh database, for real, with psql.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '../../src/config';
import { startSyntheticSource, type SyntheticSource } from '../../src/demo/synthetic-source';
import { listVersions } from '../../src/registry';
import { stackContext } from '../../src/stack/cli';
import { superuserConnection } from '../../src/stack/postgres';
import { migrate } from '../../src/warehouse/migrate';
import { retrainModel } from '../../src/workflows/retrain-model';
import { daysWindow, writeModelsConfig, writeRows } from './drift.dataset';
import { deleteFeatureSets, deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, runIngest, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const model = uniqueName('roles').replace(/-/g, '_');
const trainingSet = uniqueName('roles-fs');
const modelsConfig = writeModelsConfig({ [model]: { featureSet: trainingSet } });
const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: modelsConfig }) });
const cfg = loadConfig();
/** a closed day long ago, made empty by the test so the indexer has exactly one partition to build */
const oldPartition = `features.feature_values_p${new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 3000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')}`;

let workerPool: Pool;
let source: SyntheticSource;

beforeAll(async () => {
  workerPool = new Pool({ connectionString: cfg.postgres.url, max: 2 });
  workerPool.on('error', () => {});
  source = await startSyntheticSource({
    records: 600,
    entities: 200,
    anchor: Date.now() - 86_400_000,
    spanDays: 1,
    seed: 5,
  });
  await writeRows(suite.pool, trainingSet, daysWindow(2, 7), 2000, { seed: 3 });
  const day = oldPartition.slice(-8).replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3');
  await suite.pool.query(
    `CREATE TABLE IF NOT EXISTS ${oldPartition} PARTITION OF features.feature_values FOR VALUES FROM ('${day}') TO ('${day}'::date + 1)`,
  );
});

afterAll(async () => {
  await suite.pool.query(`DROP TABLE IF EXISTS ${oldPartition}`);
  await deleteFeatureSets(suite.pool, trainingSet);
  await workerPool?.end();
  await source?.close();
});

describe("the worker's database role", () => {
  it("is DATABASE_URL's role: not the owner, no superuser, no CREATEROLE or CREATEDB, owns nothing", async () => {
    expect(cfg.postgres.user).not.toBe(cfg.postgres.ownerUser);
    const { rows } = await workerPool.query<{
      current_user: string;
      rolsuper: boolean;
      rolcreaterole: boolean;
      rolcreatedb: boolean;
      owned: number;
    }>(
      `SELECT current_user, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
              (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) + (SELECT count(*)::int FROM pg_namespace n WHERE n.nspowner = r.oid) AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      current_user: cfg.postgres.user,
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      owned: 0,
    });
  });

  it('runs an ingest end to end under it, the closed-partition GIN included', async () => {
    const definition = testSource(source, 'offset');
    try {
      const out = await runIngest(suite.client, suite.worker.taskQueue, {
        source: definition.name,
        definition,
        indexClosedPartitions: true,
      });
      expect(out.reconciled).toBe(true);
      expect(out.recordsWritten).toBeGreaterThan(500);
      expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(out.recordsWritten);
      expect(out.indexedPartitions).toContain(oldPartition);
      const { rows } = await suite.pool.query<{ has_gin: boolean }>(
        'SELECT has_gin FROM features.feature_value_partitions WHERE partition = $1',
        [oldPartition],
      );
      expect(rows[0]?.has_gin).toBe(true);
    } finally {
      await deleteIngested(suite.pool, definition.mapping.featureSet, definition.name);
    }
  });

  it('runs a retrain under it: trains on H2O, registers and promotes a version', async () => {
    const result = await suite.client.workflow.execute(retrainModel, {
      taskQueue: suite.worker.taskQueue,
      workflowId: `retrain-${model}`,
      args: [{ model, reason: 'manual' }],
    });
    expect(result.outcome).toBe('promoted');
    const versions = await listVersions(suite.pool, model);
    expect(versions.map((v) => [v.version, v.stage])).toEqual([[result.version, 'production']]);
  });

  it('refuses every kind of DDL under it', async () => {
    const ddl = [
      'CREATE TABLE features.not_allowed (id int)',
      'CREATE TABLE public.not_allowed (id int)',
      'CREATE SCHEMA not_allowed',
      'ALTER TABLE registry.model_versions ADD COLUMN not_allowed int',
      'DROP TABLE monitoring.drift_reports',
      'TRUNCATE features.feature_values',
      `CREATE INDEX not_allowed ON ${oldPartition} (entity_id)`,
      "CREATE FUNCTION features.not_allowed() RETURNS int LANGUAGE sql AS 'SELECT 1'",
      'CREATE ROLE not_allowed',
      `ALTER TABLE registry.models OWNER TO ${cfg.postgres.user}`,
    ];
    for (const statement of ddl) {
      const err = await workerPool.query(statement).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(err, statement).toBeDefined();
      expect(err!.code, `${statement}: ${err!.message}`).toBe('42501'); // insufficient_privilege
    }
    // and the one schema change it may make is only the indexer's: a table that is not a closed partition is refused
    const { rows } = await workerPool.query<{ built: boolean }>(
      "SELECT features.index_closed_partition(2, 'registry.models') AS built",
    );
    expect(rows[0]!.built).toBe(false);
  });
});

describe('docker/postgres-init.sh (compose first start) with psql', () => {
  const suffix = randomBytes(3).toString('hex');
  const database = `roles_${suffix}`;
  const owner = `owner_${suffix}`;
  const worker = `worker_${suffix}`;
  const ownerPassword = `o'${suffix} "quoted" $x`;
  const workerPassword = `w ${suffix}\\;`;
  const ctx = stackContext(() => {});
  const admin = () => new Client(superuserConnection(ctx));

  afterAll(async () => {
    const c = admin();
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const role of [worker, owner]) await c.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await c.end();
    }
  });

  it('creates the owner and the worker role from the passwords; migrations run as the owner; the worker gets rows, not DDL', async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${database}`);
    await c.end();
    const socket = superuserConnection(ctx);
    const missing = spawnSync('sh', [join(projectRoot, 'docker', 'postgres-init.sh')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, MLOPS_WORKER_DB_PASSWORD: 'x' },
    });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('MLOPS_OWNER_DB_PASSWORD');

    const run = spawnSync('sh', [join(projectRoot, 'docker', 'postgres-init.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `/usr/lib/postgresql/15/bin:${process.env.PATH}`,
        PGHOST: socket.host,
        PGPORT: String(socket.port),
        POSTGRES_USER: 'postgres',
        POSTGRES_DB: database,
        MLOPS_OWNER_ROLE: owner,
        MLOPS_WORKER_ROLE: worker,
        MLOPS_OWNER_DB_PASSWORD: ownerPassword,
        MLOPS_WORKER_DB_PASSWORD: workerPassword,
        MLOPS_ROLES_SQL: join(projectRoot, 'warehouse', 'roles.sql'),
      },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(suffix); // no password in the log

    const url = (role: string, password: string) =>
      `postgresql://${role}:${encodeURIComponent(password)}@${cfg.postgres.host}:${cfg.postgres.port}/${database}`;
    expect(await migrate(url(owner, ownerPassword))).toContain('000_init');
    const w = new Client({ connectionString: url(worker, workerPassword) });
    await w.connect();
    try {
      await w.query("INSERT INTO registry.models (name) VALUES ('m')");
      expect((await w.query('SELECT count(*)::int AS n FROM registry.models')).rows[0].n).toBe(1);
      const err = await w.query('ALTER TABLE registry.models ADD COLUMN x int').then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(err?.code).toBe('42501');
    } finally {
      await w.end();
    }
  });
});
