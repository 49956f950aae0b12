/**
 * The worker process: builds each client once (PostgreSQL pool, Redis, config) and runs two Workers on
 * one connection until SIGINT/SIGTERM: every workflow and activity on TEMPORAL_TASK_QUEUE, and the H2O
 * training jobs on TRAINING_TASK_QUEUE with TRAINING_SLOTS activity slots, so the cluster trains at most
 * that many jobs per process however many retrains are due (docs/TRAINING.md).
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { config as loadConfig, type Config } from './config';
import { createActivities } from './activities';
import { createPool } from './postgres';
import { createRedis } from './redis';
import { FailureType } from './shared/errors';
import { connectNativeConnection, describeTemporal } from './temporal-connection';

/**
 * What the workflows run with, live and in replay alike (`replay`, src/cli/replay.ts): their code (a
 * prebuilt bundle, or this checkout's src/workflows/) and how an error escaping workflow code fails a run.
 */
export function workflowOptions(
  bundlePath: string | undefined,
): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle' | 'workflowFailureErrorTypes'> {
  return {
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: require.resolve('./workflows') }),
    // A ValidationError escaping workflow code is bad input: fail the run instead of retrying its task
    // forever (workflows convert their own with failing(); this catches any they miss).
    workflowFailureErrorTypes: { '*': [FailureType.Validation] },
  };
}

export interface WorkerHandle {
  /** workflows and activities on the task queue */
  worker: Worker;
  /** the training slots on TRAINING_TASK_QUEUE; undefined when TRAINING_SLOTS is 0 */
  trainingWorker?: Worker;
  /** runs both workers until both stop; one failing shuts the other down */
  run(): Promise<void>;
  /** asks both workers to stop (in-flight activities get WORKER_SHUTDOWN_GRACE_S) */
  shutdown(): void;
  /** closes the clients after the workers stopped */
  close(): Promise<void>;
}

/**
 * Creates the workers on `taskQueue` (default TEMPORAL_TASK_QUEUE) and TRAINING_TASK_QUEUE. Tests pass
 * their own queues (the config's) and bundle.
 */
export async function createWorker(
  options: { config?: Config; taskQueue?: string; connection?: NativeConnection; workflowBundlePath?: string } = {},
): Promise<WorkerHandle> {
  const cfg = options.config ?? loadConfig();
  const connection = options.connection ?? (await connectNativeConnection(cfg.temporal));
  const pool = createPool(cfg.postgres);
  const redis = createRedis(cfg.redis);
  const activities = createActivities({ config: cfg, pool, redis });
  const worker = await Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: options.taskQueue ?? cfg.temporal.taskQueue,
    ...workflowOptions(options.workflowBundlePath ?? cfg.worker.workflowBundlePath),
    activities,
    maxCachedWorkflows: cfg.worker.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: cfg.worker.maxConcurrentActivities,
    shutdownGraceTime: `${cfg.worker.shutdownGraceS}s`,
  });
  // Temporal's throttle: a task queue whose workers take at most N of its activities at once; the rest
  // wait in the server's queue (durably, visible), not in the cluster or in memory here.
  const trainingWorker =
    cfg.training.slots > 0
      ? await Worker.create({
          connection,
          namespace: cfg.temporal.namespace,
          taskQueue: cfg.training.taskQueue,
          activities: { trainSpecOnSlot: activities.trainSpecOnSlot },
          maxConcurrentActivityTaskExecutions: cfg.training.slots,
          shutdownGraceTime: `${cfg.worker.shutdownGraceS}s`,
        })
      : undefined;
  const workers = trainingWorker ? [worker, trainingWorker] : [worker];
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    worker,
    trainingWorker,
    shutdown,
    async run() {
      const ran = await Promise.allSettled(workers.map((w) => w.run().finally(shutdown)));
      const failed = ran.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async close() {
      await pool.end().catch(() => {});
      redis.disconnect();
      if (!options.connection) await connection.close();
    },
  };
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  const handle = await createWorker({ config: cfg });
  const training = handle.trainingWorker
    ? `, training queue ${cfg.training.taskQueue} with ${cfg.training.slots} slots`
    : ', no training slots (TRAINING_SLOTS=0)';
  console.log(
    `[worker] polling task queue ${handle.worker.options.taskQueue}${training} on ${describeTemporal(cfg.temporal)}`,
  );
  try {
    await handle.run();
  } finally {
    await handle.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('[worker] error:', err);
    process.exit(1);
  });
}
