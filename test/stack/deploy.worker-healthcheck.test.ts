/**
 * The worker image's HEALTHCHECK (src/deploy/worker-healthcheck.ts) against the real server: healthy
 * while a worker of this host polls the task queue (and its training queue, for activities), unhealthy
 * for a queue nobody polls and for pollers of other hosts, and a non-zero exit when the server is unreachable.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '../../src/config';
import { checkWorkerHealth } from '../../src/deploy/worker-healthcheck';
import { killWorkerProcess, spawnWorkerProcess, trainingQueueOf, uniqueName } from '../helpers/temporal';

const { temporal } = loadConfig();
const script = join(projectRoot, 'src', 'deploy', 'worker-healthcheck.ts');
const runScript = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

describe('worker healthcheck', () => {
  it('is healthy while this host polls the queue, unhealthy otherwise', async () => {
    const taskQueue = uniqueName('tq-health');
    const child = await spawnWorkerProcess(taskQueue);
    try {
      const health = await checkWorkerHealth({ temporal, taskQueue });
      expect(health.healthy, health.message).toBe(true);
      expect(health.message).toContain(hostname());

      const otherHost = await checkWorkerHealth({ temporal, taskQueue, host: 'another-container' });
      expect(otherHost.healthy).toBe(false);
      expect(otherHost.message).toContain('1 poller(s) from other hosts');

      // the training worker polls its queue for activities only
      const training = await checkWorkerHealth({ temporal, taskQueue: trainingQueueOf(taskQueue), tasks: 'activity' });
      expect(training.healthy, training.message).toBe(true);

      // the container's check covers both queues: healthy, and unhealthy naming a training queue nobody polls
      const ok = runScript({ TEMPORAL_TASK_QUEUE: taskQueue, TRAINING_TASK_QUEUE: trainingQueueOf(taskQueue) });
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toContain(trainingQueueOf(taskQueue));
      const idleTraining = uniqueName('tq-idle-training');
      const stale = runScript({ TEMPORAL_TASK_QUEUE: taskQueue, TRAINING_TASK_QUEUE: idleTraining });
      expect(stale.status).toBe(1);
      expect(stale.stdout).toContain(`no worker on ${hostname()} polls task queue ${idleTraining}`);
    } finally {
      await killWorkerProcess(child);
    }
  });

  it('is unhealthy for a queue nobody polls, and when the server is unreachable (exit 1)', async () => {
    const idle = await checkWorkerHealth({ temporal, taskQueue: uniqueName('tq-idle') });
    expect(idle.healthy).toBe(false);
    expect(idle.message).toContain('no worker');
    const down = runScript({ TEMPORAL_ADDRESS: '127.0.0.1:9' });
    expect(down.status).toBe(1);
    expect(down.stdout).toMatch(/^unhealthy:/);
  });
});
