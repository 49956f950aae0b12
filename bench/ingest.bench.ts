/**
 * Ingestion benchmark (`npm run bench:ingest [-- --records N --page-size N --in-flight N]`).
 *
 * 1,000,000 synthetic customer records (20 numeric + 5 categorical features) served over HTTP by the
 * synthetic source, loaded by `ingestSource` on a worker in a child process. Measured in the same run:
 *  - ingestSource end-to-end rows/s (HTTP, JSON parse, validation, COPY → staging → upsert, cache invalidation);
 *  - raw COPY of the same rows into an unindexed, unpartitioned table of the same shape (the limit);
 *  - a naive loop of one INSERT … ON CONFLICT per record (what a Mage loader does), on a sample,
 *    extrapolated by its rate (the full million would take the better part of an hour);
 *  - the two batch write methods (COPY+upsert vs INSERT … SELECT unnest … upsert) on a sample;
 *  - the worker's RSS, sampled during the run, and its peak (VmHWM).
 * The last line: `ingest: 0.45x COPY, 31x naive, peak RSS 180 MB`.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig, projectRoot } from '../src/config';
import { createPool } from '../src/postgres';
import { writePage, type WriteMethod } from '../src/feature-store/page-writer';
import type { FeatureRow } from '../src/feature-store/rows';
import { createSyntheticRecords, startSyntheticSource, syntheticSourceDefinition } from '../src/demo/synthetic-source';
import { compileMapping } from '../src/ingest/records';
import { validateSourceDefinition } from '../src/shared/source-definition';
import { INGEST_SOURCE, type IngestSourceWorkflow } from '../src/shared/contracts/ingest-source';
import { connectClientConnection } from '../src/temporal-connection';
import { LOCAL_WORKER_ENV } from '../src/stack/worker';

interface Args {
  records: number;
  pageSize: number;
  inFlight: number;
  naiveSample: number;
  writeSample: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { records: 1_000_000, pageSize: 5000, inFlight: 4, naiveSample: 20_000, writeSample: 100_000 };
  const names: Record<string, keyof Args> = {
    '--records': 'records',
    '--page-size': 'pageSize',
    '--in-flight': 'inFlight',
    '--naive-sample': 'naiveSample',
    '--write-sample': 'writeSample',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key) throw new Error(`unknown argument ${argv[i]} (known: ${Object.keys(names).join(', ')})`);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${argv[i]}=${argv[i + 1]} is invalid: a positive integer`);
    args[key] = value;
  }
  return args;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const rate = (rows: number, ms: number) => Math.round((rows / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

/** VmRSS and VmHWM (peak) of a process, in bytes, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function spawnWorker(taskQueue: string, bundlePath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'worker.ts')], {
    cwd: projectRoot,
    // the synthetic source is on loopback and its definition inline: the local stack's worker settings
    env: { ...LOCAL_WORKER_ENV, ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, WORKER_WORKFLOW_BUNDLE: bundlePath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('polling task queue')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  return child;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const id = randomBytes(3).toString('hex');
  // the harness's own pool, as the owner: its baseline tables, ANALYZE and cleanup are DDL the worker's role may not run
  const pool = createPool({ ...config.postgres, url: config.postgres.migrateUrl }, 'mlops-bench');
  const benchDir = join(config.stack.stateDir, 'bench');
  mkdirSync(benchDir, { recursive: true });
  // 1.5 days back from now: the rows land in the open (GIN-less) partitions, the hot path (docs/INGESTION.md).
  const recordOptions = { records: args.records, entityPrefix: `b${id}-`, spanDays: 1.5, label: false } as const;
  const featureSet = `bench_${id}`;
  const sourceName = `bench-${id}`;
  const copyTable = `public.bench_copy_${id}`;
  const copyFile = join(benchDir, `copy-${id}.tsv`);
  console.log(
    `ingest benchmark: ${fmt(args.records)} records x (20 numeric + 5 categorical), page size ${args.pageSize}, ${args.inFlight} pages in flight, offset pagination`,
  );
  console.log(
    'note: the machine (2 cores) is shared with the rest of the stack and other users; figures vary between runs',
  );

  // --- set-up (untimed) -----------------------------------------------------------------------------
  const bundlePath = join(benchDir, 'workflow-bundle.js');
  const noop = () => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) },
  });
  writeFileSync(bundlePath, code);
  const taskQueue = `bench-ingest-${id}`;
  const worker = await spawnWorker(taskQueue, bundlePath);
  // The source's own CPU is not ingestion's: generate every record before the clock starts.
  const source = await startSyntheticSource(recordOptions);
  source.warm();
  const definition = validateSourceDefinition(
    syntheticSourceDefinition(source, 'offset', {
      name: sourceName,
      featureSet,
      pageSize: args.pageSize,
      maxPagesInFlight: args.inFlight,
      incremental: undefined,
      window: undefined,
    }),
  );
  const connection = await connectClientConnection(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });

  try {
    // --- 1. ingestSource end to end -------------------------------------------------------------------
    const rssSamples: Array<{ at: number; rss: number }> = [];
    const sampler = setInterval(() => rssSamples.push({ at: Date.now(), rss: memoryOf(worker.pid!).rss }), 250);
    const startRss = memoryOf(worker.pid!).rss;
    const startCpu = cpuSecondsOf(worker.pid!);
    const benchCpuStart = process.cpuUsage();
    const started = Date.now();
    const out = await client.workflow.execute<IngestSourceWorkflow>(INGEST_SOURCE, {
      taskQueue,
      workflowId: `bench-ingest-${id}`,
      args: [{ source: sourceName, definition, indexClosedPartitions: false }],
      staticSummary: `benchmark: ${fmt(args.records)} records`,
    });
    const ingestMs = Date.now() - started;
    clearInterval(sampler);
    const workerCpu = cpuSecondsOf(worker.pid!) - startCpu;
    const benchCpu = process.cpuUsage(benchCpuStart);
    const { peak } = memoryOf(worker.pid!);
    const ingestRate = rate(out.recordsWritten, ingestMs);
    console.log(
      `ingestSource end-to-end: ${fmt(out.recordsWritten)} rows in ${(ingestMs / 1000).toFixed(1)} s = ${fmt(ingestRate)} rows/s (${out.pages} pages, pagination: ${out.pagination}, reconciled: ${out.reconciled}, dead letters ${out.deadLetters})`,
    );
    const quarter = (q: number) => {
      const at = started + ingestMs * q;
      const sample = rssSamples.find((s) => s.at >= at) ?? rssSamples[rssSamples.length - 1];
      return sample ? mb(sample.rss) : 0;
    };
    console.log(
      `CPU during the run: worker ${workerCpu.toFixed(1)} s, synthetic source (this process) ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s, of ${(ingestMs / 1000).toFixed(1)} s wall on 2 cores (PostgreSQL, Redis, Temporal take the rest)`,
    );
    console.log(
      `worker RSS: idle ${mb(startRss)} MB; at 25% ${quarter(0.25)} MB, 50% ${quarter(0.5)} MB, 75% ${quarter(0.75)} MB, 100% ${quarter(1)} MB; peak (VmHWM) ${mb(peak)} MB`,
    );
    if (!out.reconciled || out.recordsWritten !== args.records)
      throw new Error(`ingest did not land every record: ${JSON.stringify(out)}`);

    // --- 2. raw COPY of the same rows into an unindexed table (the limit) ------------------------------
    const records = createSyntheticRecords(recordOptions);
    const map = compileMapping(definition.mapping);
    const file = createWriteStream(copyFile);
    for (let i = 0; i < args.records; i++) {
      const mapped = map(JSON.parse(records.json(i)));
      if (!mapped.ok) throw new Error(mapped.reason);
      const r = mapped.row;
      if (!file.write(`${featureSet}\t${r.entityId}\t${r.eventTime}\t${JSON.stringify(r.features)}\n`))
        await once(file, 'drain');
    }
    file.end();
    await once(file, 'finish');
    await pool.query(
      `CREATE TABLE ${copyTable} (feature_set text NOT NULL, entity_id text NOT NULL, event_time timestamptz NOT NULL, features jsonb NOT NULL)`,
    );
    const copyClient = await pool.connect();
    let copyMs: number;
    try {
      const t = Date.now();
      await pipeline(
        createReadStream(copyFile, { highWaterMark: 1 << 20 }),
        copyClient.query(copyFrom(`COPY ${copyTable} FROM STDIN`)),
      );
      copyMs = Date.now() - t;
    } finally {
      copyClient.release();
    }
    const copyRate = rate(args.records, copyMs);
    console.log(
      `raw COPY into an unindexed table: ${fmt(args.records)} rows in ${(copyMs / 1000).toFixed(1)} s = ${fmt(copyRate)} rows/s`,
    );

    // --- 3. naive: one INSERT … ON CONFLICT per record, autocommit (sample, extrapolated) --------------
    const naiveSet = `${featureSet}_naive`;
    const naiveRows = sampleRows(records, map, args.naiveSample, 1);
    let t = Date.now();
    for (const r of naiveRows) {
      await pool.query(
        `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (feature_set, entity_id, event_time) DO UPDATE SET features = EXCLUDED.features`,
        [naiveSet, r.entityId, r.eventTime, JSON.stringify(r.features), sourceName],
      );
    }
    const naiveMs = Date.now() - t;
    const naiveRate = rate(naiveRows.length, naiveMs);
    console.log(
      `naive INSERT per record: ${fmt(naiveRows.length)} rows (sample) in ${(naiveMs / 1000).toFixed(1)} s = ${fmt(naiveRate)} rows/s; extrapolated to ${fmt(args.records)} rows: ${Math.round(args.records / naiveRate)} s`,
    );

    // --- 4. the batch write methods, on a sample, pages of the benchmark's size, alternating ----------
    const methods: WriteMethod[] = ['copy-direct', 'copy', 'unnest'];
    const best = new Map<WriteMethod, number>();
    const sample = sampleRows(records, map, args.writeSample, 2);
    for (let round = 0; round < 2; round++) {
      for (const method of methods) {
        const ms = await writeRows(pool, sample, `${featureSet}_${method}${round}`, sourceName, args.pageSize, method);
        best.set(method, Math.max(best.get(method) ?? 0, rate(sample.length, ms)));
      }
    }
    console.log(
      `write path alone (${fmt(sample.length)} new rows, ${args.pageSize}/page, open partitions, best of 2): ${methods.map((m) => `${m} ${fmt(best.get(m)!)} rows/s`).join(', ')}`,
    );

    // --- 5. the GIN trade-off: late rows into closed (GIN-indexed) partitions, and building a GIN ------
    const late = sample.map((r) => ({
      ...r,
      eventTime: new Date(Date.parse(r.eventTime) - 10 * 86_400_000).toISOString(),
    }));
    const lateRate = rate(
      late.length,
      await writeRows(pool, late, `${featureSet}_late`, sourceName, args.pageSize, 'copy-direct'),
    );
    console.log(
      `late data into closed partitions (GIN jsonb_path_ops, fastupdate, 64 MB pending list): ${fmt(lateRate)} rows/s (${(lateRate / best.get('copy-direct')!).toFixed(2)}x the open-partition rate)`,
    );
    t = Date.now();
    await pool.query(`CREATE INDEX ON ${copyTable} USING gin (features jsonb_path_ops)`);
    console.log(
      `building a GIN (jsonb_path_ops) afterwards on the ${fmt(args.records)}-row COPY table: ${((Date.now() - t) / 1000).toFixed(1)} s (what indexClosedPartitions spends per closed day of that size, off the write path)`,
    );

    console.log(
      `ingest: ${(ingestRate / copyRate).toFixed(2)}x COPY, ${Math.round(ingestRate / naiveRate)}x naive, peak RSS ${mb(peak)} MB`,
    );
  } finally {
    worker.kill('SIGTERM');
    await source.close();
    await connection.close();
    rmSync(copyFile, { force: true });
    await pool.query(`DROP TABLE IF EXISTS ${copyTable}`).catch(() => {});
    await pool
      .query('DELETE FROM features.feature_values WHERE feature_set LIKE $1', [`${featureSet}%`])
      .catch(() => {});
    await pool.end();
  }
}

/** Writes rows page by page with writePage; returns the elapsed ms (bench/fleet.bench.ts measures with it too). */
export async function writeRows(
  pool: Pool,
  rows: FeatureRow[],
  featureSet: string,
  source: string,
  pageSize: number,
  method: WriteMethod,
): Promise<number> {
  const client = await pool.connect();
  try {
    const t = Date.now();
    for (let i = 0; i < rows.length; i += pageSize) {
      await writePage(
        client,
        {
          source,
          featureSet,
          workflowId: 'bench',
          runId: 'bench',
          page: String(i),
          rows: rows.slice(i, i + pageSize),
          deadLetters: [],
        },
        method,
      );
    }
    return Date.now() - t;
  } finally {
    client.release();
  }
}

/** `n` rows of the synthetic source, re-keyed (`variant`) so samples never collide with the main run. */
export function sampleRows(
  records: ReturnType<typeof createSyntheticRecords>,
  map: ReturnType<typeof compileMapping>,
  n: number,
  variant: number,
): FeatureRow[] {
  const rows: FeatureRow[] = [];
  for (let i = 0; i < n; i++) {
    const mapped = map(JSON.parse(records.json(i)));
    if (mapped.ok) rows.push({ ...mapped.row, entityId: `${mapped.row.entityId}-s${variant}` });
  }
  return rows;
}

// run as a script, not when bench/fleet.bench.ts imports the measuring functions
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('[bench:ingest] error:', err);
    process.exit(1);
  });
}
