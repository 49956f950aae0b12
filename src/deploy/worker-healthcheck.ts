/**
 * The worker container's HEALTHCHECK: healthy when a worker in THIS container (Temporal's default
 * identity is `<pid>@<hostname>`, and a container's hostname is its own) polled its task queue within
 * the last two minutes. A worker that crashed, hung or lost the server stops polling and turns
 * unhealthy, which a live-process check would miss.
 *
 * Exit codes (Docker's): 0 healthy, 1 unhealthy. Run: `node src/deploy/worker-healthcheck.js`.
 */
import { temporal } from '@temporalio/proto';
import { hostname } from 'node:os';
import { loadConfig, type TemporalConfig } from '../config';
import { connectClientConnection } from '../temporal-connection';
import { exitWithHealth } from './health-exit';

/** Long polls last up to ~70 s; a poller not seen for longer than this has stopped. */
const MAX_POLL_AGE_MS = 120_000;

export interface WorkerHealth {
  healthy: boolean;
  message: string;
}

/** Checks that a poller whose identity ends in `@<host>` polled the configured task queue (or `taskQueue`) recently. */
export async function checkWorkerHealth(options: { temporal: TemporalConfig; taskQueue?: string; host?: string; now?: number }): Promise<WorkerHealth> {
  const host = options.host ?? hostname();
  const taskQueue = options.taskQueue ?? options.temporal.taskQueue;
  const connection = await connectClientConnection(options.temporal, { connectTimeoutMs: 5000 });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: options.temporal.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const now = options.now ?? Date.now();
    const ours = (pollers ?? []).filter((p) => (p.identity ?? '').endsWith(`@${host}`));
    const ages = ours.map((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000);
    const freshest = ages.length ? Math.min(...ages) : undefined;
    if (freshest !== undefined && freshest <= MAX_POLL_AGE_MS) {
      return { healthy: true, message: `worker on ${host} polled task queue ${taskQueue} ${Math.round(freshest / 1000)}s ago` };
    }
    return {
      healthy: false,
      message: freshest === undefined
        ? `no worker on ${host} polls task queue ${taskQueue} (${(pollers ?? []).length} poller(s) from other hosts)`
        : `the worker on ${host} last polled task queue ${taskQueue} ${Math.round(freshest / 1000)}s ago`,
    };
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  exitWithHealth(checkWorkerHealth({ temporal: loadConfig().temporal }));
}
