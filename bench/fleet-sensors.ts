/**
 * A thousand drift sensors due at once on one worker (`npm run bench:fleet`, last line; or alone:
 * `tsx bench/fleet-sensors.ts [--sensors 1000] [--feature-sets 3] [--rows 20000]`).
 *
 * Seeds a few feature sets (a reference window and the current day), declares `sensors` models over
 * them in a generated models file (one anchored template, merge keys), registers a production version
 * per model whose reference histograms the real reference-profile code computed (one per feature set;
 * no H2O model is trained), then starts every model's driftSensor at once on one in-process worker
 * and waits for all of them. Measured: wall time, the rows PostgreSQL read from the feature store's
 * partitions (pg_stat_user_tables seq_tup_read + idx_tup_fetch, a delta), the process's peak RSS;
 * and against it, one exact check per sampled model, measured the same way and scaled to `sensors`.
 * Run it alone on the stack: other clients' scans of the same partitions would count too.
 */
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, type NativeConnection } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { loadConfig, type Config } from '../src/config';
import { buildReferenceProfile } from '../src/feature-store/reference-profile';
import { streamWindowHistogram } from '../src/feature-store/window-histogram';
import { createPool } from '../src/postgres';
import { promoteVersion, registerVersion } from '../src/registry';
import { binSpecOf, type BinSpec } from '../src/shared/drift';
import type { TimeWindow } from '../src/shared/time-window';
import type { ReferenceProfile } from '../src/shared/types';
import { connectClientConnection, connectNativeConnection } from '../src/temporal-connection';
import { createWorker } from '../src/worker';
import { DRIFT_SENSOR, type DriftSensorWorkflow } from '../src/shared/contracts/drift-sensor';
import { intArg } from './args';

export interface MeasureSensorsOptions {
  /** models, one sensor run each. @default 1000 */
  sensors?: number;
  /** feature sets the models share. @default 3 */
  featureSets?: number;
  /** rows per feature set in the current window (the last day). @default 20000 */
  rows?: number;
  /** models whose exact check is measured and scaled. @default 5 */
  exactSample?: number;
  log?: (line: string) => void;
}

export interface MeasureSensorsResult {
  sensors: number;
  /** wall time from the first start to the last completion */
  seconds: number;
  /** rows PostgreSQL read from the feature store while the sensors ran */
  rowsScanned: number;
  /** the rows of one exact check (mean over the sample) × sensors */
  exactRowsScaled: number;
  /** peak RSS of this process (worker, client, pools) while the sensors ran */
  rssMb: number;
  /** rows the sensors' reader says it scanned (drift reports' read_stats.rowsScanned; a shared scan counts once): immune to other clients' scans */
  readerRows: number;
  /** V8 heap still used after every run completed and a full GC (needs --expose-gc; else undefined): what the worker retains */
  retainedHeapMb?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FEATURES = ['tenure', 'spend', 'plan'];

/** Inserts `rows` rows with event times spread over `window` (deterministic per `seed`). */
async function generate(pool: Pool, featureSet: string, window: TimeWindow, rows: number, seed: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT setseed($1)', [(seed % 1000) / 1000]);
    await client.query(
      `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
       SELECT $1, 'e' || g, $2::timestamptz + (g::float8 / $4) * ($3::timestamptz - $2::timestamptz),
              jsonb_build_object('tenure', floor(random() * 72)::int, 'spend', round((20 + random() * 100)::numeric, 2),
                                 'plan', (ARRAY['basic','plus','pro'])[1 + floor(random() * 3)::int]), 'bench-fleet'
         FROM generate_series(0, $4 - 1) g
       ON CONFLICT DO NOTHING`,
      [featureSet, window.start, window.end, rows],
    );
  } finally {
    client.release();
  }
}

/** Rows read from the partitions of features.feature_values so far (sequential reads + index fetches). */
async function rowsRead(pool: Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>(
      `SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0)::text AS n
         FROM pg_stat_user_tables
        WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'features.feature_values'::regclass)
           OR relid = 'features.feature_values'::regclass`,
    );
    return Number(rows[0]!.n);
  } finally {
    client.release();
  }
}

/** Backends report their table counters when they close (or idle ≥ 1 s): let them. */
const settle = () => new Promise((r) => setTimeout(r, 1500));

/** One models file for the fleet: a template anchored once, each model merging it (MODELS_CONFIG). */
export function fleetModelsYaml(models: { name: string; featureSet: string }[]): string {
  const lines = [
    'templates:',
    '  sensor: &sensor',
    '    target: churned',
    `    features: [${FEATURES.join(', ')}]`,
    '    metric: auc',
    '    specs: [{ name: glm, algorithm: glm, parameters: { family: binomial } }]',
    '    drift: { window: 1d, every: 1h, jitter: 5m }',
    'models:',
    ...models.map((m) => `  ${m.name}: { <<: *sensor, featureSet: ${m.featureSet} }`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function measureSensors(opts: MeasureSensorsOptions = {}): Promise<MeasureSensorsResult> {
  const sensors = opts.sensors ?? 1000;
  const setCount = opts.featureSets ?? 3;
  const rows = opts.rows ?? 20_000;
  const sample = Math.min(opts.exactSample ?? 5, sensors);
  const log = opts.log ?? ((line: string) => console.log(`[bench:fleet] ${line}`));
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    /* installed already (bench:fleet runs this after its own parts) */
  }
  const cfg = loadConfig();
  const stamp = randomBytes(3).toString('hex');
  const prefix = `bench_fleet_${stamp}`;
  // the harness's pool, as the owner: seeding and cleanup
  const pool = createPool({ ...cfg.postgres, url: cfg.postgres.migrateUrl, poolMax: 4 }, 'mlops-bench-fleet');
  const featureSets = Array.from({ length: setCount }, (_, i) => `${prefix}_fs${i}`);
  const models = Array.from({ length: sensors }, (_, i) => ({
    name: `${prefix}_m${i}`,
    featureSet: featureSets[i % setCount]!,
  }));
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const current: TimeWindow = { start: new Date(end - DAY).toISOString(), end: new Date(end).toISOString() };
  const referenceWindow: TimeWindow = {
    start: new Date(end - 8 * DAY).toISOString(),
    end: new Date(end - 2 * DAY).toISOString(),
  };
  const dir = join(cfg.stack.stateDir, 'bench');
  mkdirSync(dir, { recursive: true });

  let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
  let native: NativeConnection | undefined;
  let connection: Awaited<ReturnType<typeof connectClientConnection>> | undefined;
  try {
    log(
      `seeding ${setCount} feature sets: ${rows} rows each in the current day, ${Math.round(rows / 2)} in the reference window`,
    );
    const references = new Map<string, ReferenceProfile>();
    for (const [i, fs] of featureSets.entries()) {
      await generate(pool, fs, referenceWindow, Math.round(rows / 2), 10 + i);
      await generate(pool, fs, current, rows, 20 + i);
      references.set(
        fs,
        await buildReferenceProfile(pool, { featureSet: fs, window: referenceWindow }, FEATURES, {
          bins: cfg.drift.bins,
          maxCategories: cfg.drift.maxCategories,
        }),
      );
    }
    await pool.query('ANALYZE features.feature_values');

    log(`registering ${sensors} production versions (no H2O: reference histograms from the reference-profile code)`);
    const register = async (m: { name: string; featureSet: string }) => {
      const client = await pool.connect();
      try {
        const reference = references.get(m.featureSet)!;
        const { version } = await registerVersion(client, {
          candidate: {
            model: m.name,
            specName: 'glm',
            algorithm: 'glm',
            parameters: {},
            metrics: { auc: 0.7 },
            metric: 'auc',
            metricValue: 0.7,
            artifactPath: join(dir, `${m.name}.zip`),
            artifactSha256: '0'.repeat(64),
            h2oVersion: cfg.h2o.version,
            h2oModelId: `${m.name}_glm`,
            featureSet: m.featureSet,
            target: 'churned',
            window: referenceWindow,
            reference,
          },
          workflowId: 'bench-fleet',
          runId: stamp,
          reason: 'bench:fleet',
        });
        await promoteVersion(client, { model: m.name, version, reason: 'bench:fleet', allowUnservable: true });
      } finally {
        client.release();
      }
    };
    await forEachLimited(models, 4, register);
    const modelsConfig = join(dir, `fleet-models-${stamp}.yaml`);
    writeFileSync(modelsConfig, fleetModelsYaml(models));

    // The baseline: one exact check of a sampled model's window, measured alone, scaled to every sensor.
    const exactPool = createPool({ ...cfg.postgres, poolMax: 1 }, 'mlops-bench-fleet-exact');
    await settle();
    const before = await rowsRead(pool);
    for (const m of models.slice(0, sample)) {
      const specs: Record<string, BinSpec> = {};
      for (const [name, feature] of Object.entries(references.get(m.featureSet)!.features))
        specs[name] = binSpecOf(feature);
      await streamWindowHistogram(exactPool, { featureSet: m.featureSet, window: current }, specs);
    }
    await exactPool.end();
    await settle();
    const exactRows = (await rowsRead(pool)) - before;
    const exactRowsScaled = Math.round((exactRows / sample) * sensors);
    log(
      `exact check: ${Math.round(exactRows / sample)} rows read per model (${sample} sampled) → ${exactRowsScaled} for ${sensors}`,
    );

    log('bundling workflows, starting one worker');
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../src/workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    });
    const bundlePath = join(dir, 'fleet-bundle.js');
    writeFileSync(bundlePath, code);
    const taskQueue = `bench-fleet-${stamp}`;
    const workerConfig: Config = {
      ...cfg,
      models: { configPath: modelsConfig },
      training: { ...cfg.training, taskQueue: `${taskQueue}-training` },
    };
    native = await connectNativeConnection(cfg.temporal);
    worker = await createWorker({
      config: workerConfig,
      taskQueue,
      connection: native,
      workflowBundlePath: bundlePath,
    });
    const running = worker.run();
    connection = await connectClientConnection(cfg.temporal);
    const client = new Client({ connection, namespace: cfg.temporal.namespace });

    global.gc?.();
    await settle();
    const scannedBefore = await rowsRead(pool);
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const t0 = performance.now();
    log(`starting ${sensors} sensor runs at once`);
    const handles = await mapLimited(models, 32, (m) =>
      client.workflow.start<DriftSensorWorkflow>(DRIFT_SENSOR, {
        taskQueue,
        workflowId: `${m.name}-sensor`,
        args: [{ model: m.name, window: current, retrainOnDrift: false }],
      }),
    );
    const verdicts = new Map<string, number>();
    await mapLimited(handles, 200, async (h) => {
      const out = await h.result();
      verdicts.set(out.verdict, (verdicts.get(out.verdict) ?? 0) + 1);
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    // what the worker keeps once every run finished (per-model state would show here), before it stops
    let retainedHeapMb: number | undefined;
    if (global.gc) {
      await new Promise((r) => setTimeout(r, 2000)); // finished runs leave the workflow cache
      global.gc();
      retainedHeapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
    }
    worker.shutdown();
    await running;
    await worker.close(); // its pool's backends report their counters as they close
    worker = undefined;
    await settle();
    const rowsScanned = (await rowsRead(pool)) - scannedBefore;
    const reader = await pool.query<{ n: string }>(
      `SELECT coalesce(sum((read_stats->>'rowsScanned')::bigint), 0)::text AS n FROM monitoring.drift_reports WHERE model_name = ANY($1::text[])`,
      [models.map((m) => m.name)],
    );
    const readerRows = Number(reader.rows[0]!.n);
    log(
      `${sensors} sensors in ${seconds.toFixed(1)} s (${[...verdicts].map(([v, n]) => `${n} ${v}`).join(', ')}); ${rowsScanned} rows read by PostgreSQL, ${readerRows} by the sensors' reader; peak RSS ${Math.round(peak / 1e6)} MB, heap after GC ${retainedHeapMb ?? '?'} MB`,
    );
    return {
      sensors,
      seconds,
      rowsScanned,
      exactRowsScaled,
      rssMb: Math.round(peak / 1e6),
      readerRows,
      retainedHeapMb,
    };
  } finally {
    if (worker) {
      worker.shutdown();
      await worker.close();
    }
    await native?.close();
    await connection?.close();
    const names = models.map((m) => m.name);
    await pool
      .query('DELETE FROM monitoring.drift_reports WHERE model_name = ANY($1::text[])', [names])
      .catch((e: Error) => log(`cleanup: ${e.message}`));
    await pool
      .query('DELETE FROM registry.stage_events WHERE model_name = ANY($1::text[])', [names])
      .catch((e: Error) => log(`cleanup: ${e.message}`));
    await pool
      .query('DELETE FROM registry.model_versions WHERE model_name = ANY($1::text[])', [names])
      .catch((e: Error) => log(`cleanup: ${e.message}`));
    await pool
      .query('DELETE FROM registry.models WHERE name = ANY($1::text[])', [names])
      .catch((e: Error) => log(`cleanup: ${e.message}`));
    await pool
      .query('DELETE FROM features.feature_values WHERE feature_set = ANY($1::text[])', [featureSets])
      .catch((e: Error) => log(`cleanup: ${e.message}`));
    await pool.end();
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  await mapLimited(items, limit, fn);
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const sensors = intArg('sensors', 1000);
  const featureSets = intArg('feature-sets', 3);
  const rows = intArg('rows', 20_000);
  // memory must not follow the number of models: a tenth of the fleet first, the same way
  const small = await measureSensors({ sensors: Math.max(1, Math.round(sensors / 10)), featureSets, rows });
  const large = await measureSensors({ sensors, featureSets, rows });
  console.log(
    `[bench:fleet] peak RSS ${small.rssMb} MB at ${small.sensors} sensors, ${large.rssMb} MB at ${large.sensors} (${(large.rssMb / small.rssMb).toFixed(2)}x); heap retained after GC ${small.retainedHeapMb ?? '?'} MB vs ${large.retainedHeapMb ?? '?'} MB`,
  );
  console.log(
    `fleet-sensors: ${large.sensors} sensors in ${Math.round(large.seconds)} s, ${(large.exactRowsScaled / Math.max(1, large.rowsScanned)).toFixed(1)}x fewer rows scanned (${large.rowsScanned} vs ${large.exactRowsScaled} exact), RSS ${large.rssMb} MB`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
