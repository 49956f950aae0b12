/**
 * bench:train: K = 4 specs of about 10 s each, three ways, in the same run:
 *   1. trainModels with maxParallel 4 (the fan-out),
 *   2. trainModels with maxParallel 1 (the same specs one after another),
 *   3. the same calls made directly from this process, 4 at a time, without Temporal (cluster check,
 *      extraction, reference profile beside training, start/poll/evaluate per spec, MOJO download, cleanup).
 * Prints the speedup (2 / 1) and the orchestration overhead: per round, the time outside H2O's
 * training jobs (wall time minus the span from the first job's start to the last job's end) of 1
 * minus that of 3, as a share of 1's wall time; the median over rounds. Subtracting H2O's own span
 * keeps the large run-to-run variance of 4 jobs sharing 2 cores out of the figure, which then says
 * what Temporal adds to the same work. H2O shares one JVM and, here, 2 cores: parallel training speeds up only
 * as far as H2O leaves cores idle while training one model.
 *
 *   npm run bench:train [-- --rows 3000 --rounds 3]
 */
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractTrainingSet } from '../src/feature-store/training-set';
import { loadConfig } from '../src/config';
import { H2OClient } from '../src/h2o/client';
import { trainingRunIds } from '../src/h2o/ids';
import { pollJob } from '../src/h2o/jobs';
import { downloadMojoTo } from '../src/h2o/mojo';
import { cleanupTrainingRun, evaluateTraining, startTraining, type TrainedSpec } from '../src/h2o/training';
import { buildReferenceProfile } from '../src/feature-store/reference-profile';
import { createPool } from '../src/postgres';
import { isBetter } from '../src/shared/metrics';
import type { ModelSpec } from '../src/shared/training-spec';
import { createWorker } from '../src/worker';
import { TRAIN_MODELS, type TrainModelsInput, type TrainModelsWorkflow } from '../src/shared/contracts/train-models';
import { deleteFeatureSets } from '../test/helpers/feature-store-cleanup';
import { generateChurnSet } from '../test/stack/train.dataset';
import { connectClientConnection, connectNativeConnection } from '../src/temporal-connection';
import { intArg } from './args';

// Each about 10 s alone on the 2-core machine this was written on (the run prints H2O's own times;
// GBM time grows slower than its tree count: scoring and setup are a fixed share).
const SPECS: ModelSpec[] = [
  { name: 'gbm_a', algorithm: 'gbm', parameters: { ntrees: 3000, max_depth: 6 } },
  { name: 'gbm_b', algorithm: 'gbm', parameters: { ntrees: 3000, max_depth: 5, learn_rate: 0.05 } },
  { name: 'drf_a', algorithm: 'drf', parameters: { ntrees: 900, max_depth: 12 } },
  { name: 'drf_b', algorithm: 'drf', parameters: { ntrees: 1000, max_depth: 10, mtries: 3 } },
];

// Best of the rounds: the machine is shared, and other load only ever adds time.
const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface RunTiming {
  wallMs: number;
  /** each training job's H2O run time */
  jobMs: number[];
  /** first training job start to last training job end, by H2O's clock */
  spanMs: number;
}

function jobSpan(jobs: Array<{ start_time: number; msec: number }>): number {
  return Math.max(...jobs.map((j) => j.start_time + j.msec)) - Math.min(...jobs.map((j) => j.start_time));
}
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  // Worker logs would bury the figures (and the last line must be the result).
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const rows = intArg('rows', 3000);
  const rounds = intArg('rounds', 3);
  const config = loadConfig();
  // the harness's own pool, as the owner: its baseline tables, ANALYZE and cleanup are DDL the worker's role may not run
  const pool = createPool({ ...config.postgres, url: config.postgres.migrateUrl }, 'mlops-bench');
  const h2o = new H2OClient(config.h2o.url);
  const stamp = Date.now().toString(36);
  const set = await generateChurnSet(pool, `bench-train-${stamp}`, rows);

  console.log(
    `[bench:train] bundling workflows, starting a worker; ${rows} rows, ${SPECS.length} specs, ${rounds} round(s)`,
  );
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const bundlePath = join(config.stack.stateDir, 'bench', 'train-bundle.js');
  mkdirSync(join(bundlePath, '..'), { recursive: true });
  writeFileSync(bundlePath, code);
  const taskQueue = `bench-train-${stamp}`;
  const nativeConnection = await connectNativeConnection(config.temporal);
  // its own training queue, with a slot per spec: the bench measures parallel training, not the throttle
  const workerConfig = {
    ...config,
    training: {
      ...config.training,
      taskQueue: `${taskQueue}-training`,
      slots: Math.max(config.training.slots, SPECS.length),
    },
  };
  const worker = await createWorker({
    config: workerConfig,
    taskQueue,
    connection: nativeConnection,
    workflowBundlePath: bundlePath,
  });
  const running = worker.run();
  const connection = await connectClientConnection(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });

  const input = (maxParallel: number): TrainModelsInput => ({
    model: 'bench_churn',
    featureSet: set.featureSet,
    target: set.target,
    window: set.window,
    metric: 'auc',
    seed: 1,
    specs: SPECS,
    maxParallel,
  });

  /** trainModels end to end; returns wall ms and the H2O run time of each spec's job. */
  async function viaWorkflow(maxParallel: number, label: string): Promise<RunTiming> {
    const workflowId = `bench-train-${label}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
    const t0 = performance.now();
    const handle = await client.workflow.start<TrainModelsWorkflow>(TRAIN_MODELS, {
      taskQueue,
      workflowId,
      args: [input(maxParallel)],
    });
    const out = await handle.result();
    const wallMs = performance.now() - t0;
    const prefix = `${trainingRunIds(workflowId, handle.firstExecutionRunId).prefix}__`;
    const jobs = (await h2o.jobs()).filter((j) => j.dest?.name?.startsWith(prefix) && j.description !== 'Parse');
    await h2o.deleteModel(out.champion.h2oModelId);
    return { wallMs, jobMs: jobs.map((j) => j.msec), spanMs: jobSpan(jobs) };
  }

  /** The same calls, made directly: no Temporal, no heartbeats, same poll interval. */
  async function direct(maxParallel: number): Promise<RunTiming> {
    const workflowId = `bench-direct-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
    const ids = trainingRunIds(workflowId);
    const t0 = performance.now();
    await h2o.cloud();
    const extracted = await extractTrainingSet(
      { config, pool },
      { workflowId, featureSet: set.featureSet, target: set.target, window: set.window, metric: 'auc', seed: 1 },
    );
    const frames = {
      trainFrame: extracted.trainFrame,
      validationFrame: extracted.validationFrame,
      target: extracted.target.name,
    };
    // As in the workflow: the reference histograms are computed while H2O trains.
    const reference = buildReferenceProfile(
      pool,
      { featureSet: set.featureSet, window: set.window },
      extracted.features.map((f) => f.name),
      { bins: config.drift.bins, maxCategories: config.drift.maxCategories },
    );
    const results: TrainedSpec[] = [];
    const jobs: Array<{ start_time: number; msec: number }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: maxParallel }, async () => {
        while (next < SPECS.length) {
          const spec = SPECS[next++]!;
          const started = await startTraining(h2o, { spec, destId: ids.spec(spec.name), frames, seed: 1 });
          const job = await pollJob(h2o, started.jobKey, { intervalMs: config.training.pollIntervalMs });
          jobs.push(job);
          results.push(await evaluateTraining(h2o, started.destId, started.kind, 'auc', spec.name));
        }
      }),
    );
    const champion = results.reduce((best, r) => (isBetter('auc', r.metricValue, best.metricValue) ? r : best));
    await downloadMojoTo(
      h2o,
      champion.h2oModelId,
      join(config.worker.artifactDir, 'bench_churn', workflowId, `${champion.h2oModelId}.zip`),
    );
    await reference;
    await cleanupTrainingRun(h2o, ids.prefix, [champion.h2oModelId]);
    const wallMs = performance.now() - t0;
    await h2o.deleteModel(champion.h2oModelId);
    return { wallMs, jobMs: jobs.map((j) => j.msec), spanMs: jobSpan(jobs) };
  }

  try {
    // Warm-up: JIT in H2O and Node, the worker's first workflow task; not measured.
    await viaWorkflow(SPECS.length, 'warmup');
    const par: number[] = [];
    const seq: number[] = [];
    const dir: number[] = [];
    const overheads: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const d = await direct(SPECS.length);
      dir.push(d.wallMs);
      console.log(
        `[bench:train] round ${r} direct REST, 4 at a time: ${secs(d.wallMs)} (H2O job times ${d.jobMs.map(secs).join(', ')})`,
      );
      const p = await viaWorkflow(SPECS.length, 'parallel');
      par.push(p.wallMs);
      console.log(
        `[bench:train] round ${r} trainModels, maxParallel 4: ${secs(p.wallMs)} (H2O job times ${p.jobMs.map(secs).join(', ')})`,
      );
      overheads.push((p.wallMs - p.spanMs - (d.wallMs - d.spanMs)) / p.wallMs);
      console.log(
        `[bench:train] round ${r} outside H2O's jobs: trainModels ${secs(p.wallMs - p.spanMs)}, direct ${secs(d.wallMs - d.spanMs)}`,
      );
      const s = await viaWorkflow(1, 'sequential');
      seq.push(s.wallMs);
      console.log(
        `[bench:train] round ${r} trainModels, maxParallel 1: ${secs(s.wallMs)} (H2O job times ${s.jobMs.map(secs).join(', ')}; sum ${secs(s.jobMs.reduce((a, b) => a + b, 0))})`,
      );
    }
    const speedup = best(seq) / best(par);
    const overhead = median(overheads);
    console.log(
      `[bench:train] overhead per round: ${overheads.map((o) => `${(o * 100).toFixed(1)}%`).join(', ')} (median reported)`,
    );
    console.log(
      `[bench:train] best of ${rounds}: parallel ${secs(best(par))}, sequential ${secs(best(seq))}, direct ${secs(best(dir))}; ${config.h2o.nthreads === -1 ? 'H2O uses all cores' : `H2O nthreads ${config.h2o.nthreads}`}`,
    );
    console.log(`train: ${speedup.toFixed(1)}x vs sequential, overhead ${(overhead * 100).toFixed(1)}% vs direct REST`);
  } finally {
    worker.shutdown();
    await running.catch(() => {});
    await worker.close();
    await nativeConnection.close();
    await connection.close();
    await deleteFeatureSets(pool, set.featureSet);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('[bench:train] error:', err);
  process.exit(1);
});
