/**
 * The worker: builds each client once (PostgreSQL pool, Redis, config), registers every activity and
 * workflow on the task queue, and runs until SIGINT/SIGTERM.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { config as loadConfig, type Config } from './config';
import { createActivities } from './activities';
import { createPool } from './postgres';
import { createRedis } from './redis';
import { FailureType } from './shared/errors';
import { connectNativeConnection, describeTemporal } from './temporal-connection';

export interface WorkerHandle {
  worker: Worker;
  /** closes the clients after the worker stopped */
  close(): Promise<void>;
}

/** Creates a worker on `taskQueue` (default TEMPORAL_TASK_QUEUE). Tests pass their own queue and bundle. */
export async function createWorker(options: { config?: Config; taskQueue?: string; connection?: NativeConnection; workflowBundlePath?: string } = {}): Promise<WorkerHandle> {
  const cfg = options.config ?? loadConfig();
  const connection = options.connection ?? (await connectNativeConnection(cfg.temporal));
  const pool = createPool(cfg.postgres);
  const redis = createRedis(cfg.redis);
  const bundlePath = options.workflowBundlePath ?? cfg.worker.workflowBundlePath;
  const workflowSource: Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('./workflows') };
  const worker = await Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: options.taskQueue ?? cfg.temporal.taskQueue,
    ...workflowSource,
    activities: createActivities({ config: cfg, pool, redis }),
    // A ValidationError escaping workflow code is bad input: fail the run instead of retrying its task
    // forever (workflows convert their own with failing(); this catches any they miss).
    workflowFailureErrorTypes: { '*': [FailureType.Validation] },
    maxCachedWorkflows: cfg.worker.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: cfg.worker.maxConcurrentActivities,
    shutdownGraceTime: `${cfg.worker.shutdownGraceS}s`,
  });
  return {
    worker,
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
  console.log(`[worker] polling task queue ${handle.worker.options.taskQueue} on ${describeTemporal(cfg.temporal)}`);
  try {
    await handle.worker.run();
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
