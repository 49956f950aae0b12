/**
 * The worker container's HEALTHCHECK: healthy when a worker in THIS container (Temporal's default
 * identity is `<pid>@<hostname>`, and a container's hostname is its own) polled its task queue for
 * workflow tasks, and (with TRAINING_SLOTS > 0) the training queue for activity tasks, within the last
 * two minutes. A worker that crashed, hung or lost the server stops polling and turns unhealthy, which
 * a live-process check would miss; so does one whose training worker stopped while the main one runs.
 *
 * Exit codes (Docker's): 0 healthy, 1 unhealthy. Run: `node src/deploy/worker-healthcheck.js`.
 */
import { temporal } from '@temporalio/proto';
import { hostname } from 'node:os';
import { loadConfig, type Config, type TemporalConfig } from '../config';
import { connectClientConnection } from '../temporal-connection';
import { exitWithHealth } from './health-exit';

/** Long polls last up to ~70 s; a poller not seen for longer than this has stopped. */
const MAX_POLL_AGE_MS = 120_000;

export interface WorkerHealth {
  healthy: boolean;
  message: string;
}

/**
 * Checks that a poller whose identity ends in `@<host>` polled the configured task queue (or
 * `taskQueue`) recently, for workflow tasks (or `tasks: 'activity'`: the training queue has no workflows).
 */
export async function checkWorkerHealth(options: {
  temporal: TemporalConfig;
  taskQueue?: string;
  tasks?: 'workflow' | 'activity';
  host?: string;
  now?: number;
}): Promise<WorkerHealth> {
  const host = options.host ?? hostname();
  const taskQueue = options.taskQueue ?? options.temporal.taskQueue;
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  const connection = await connectClientConnection(options.temporal, { connectTimeoutMs: 5000 });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: options.temporal.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: options.tasks === 'activity' ? TASK_QUEUE_TYPE_ACTIVITY : TASK_QUEUE_TYPE_WORKFLOW,
    });
    const now = options.now ?? Date.now();
    const ours = (pollers ?? []).filter((p) => (p.identity ?? '').endsWith(`@${host}`));
    const ages = ours.map((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000);
    const freshest = ages.length ? Math.min(...ages) : undefined;
    if (freshest !== undefined && freshest <= MAX_POLL_AGE_MS) {
      return {
        healthy: true,
        message: `worker on ${host} polled task queue ${taskQueue} ${Math.round(freshest / 1000)}s ago`,
      };
    }
    return {
      healthy: false,
      message:
        freshest === undefined
          ? `no worker on ${host} polls task queue ${taskQueue} (${(pollers ?? []).length} poller(s) from other hosts)`
          : `the worker on ${host} last polled task queue ${taskQueue} ${Math.round(freshest / 1000)}s ago`,
    };
  } finally {
    await connection.close();
  }
}

/** The container's verdict: the main task queue, and the training queue when this worker has training slots. */
export async function checkWorkerContainer(
  cfg: Pick<Config, 'temporal' | 'training'>,
  host?: string,
): Promise<WorkerHealth> {
  const checks = [checkWorkerHealth({ temporal: cfg.temporal, host })];
  if (cfg.training.slots > 0)
    checks.push(
      checkWorkerHealth({ temporal: cfg.temporal, taskQueue: cfg.training.taskQueue, tasks: 'activity', host }),
    );
  const results = await Promise.all(checks);
  return { healthy: results.every((r) => r.healthy), message: results.map((r) => r.message).join('; ') };
}

if (require.main === module) {
  exitWithHealth(checkWorkerContainer(loadConfig()));
}
