/**
 * The worker as a background process of the local stack, so Schedules keep firing after
 * `npm run demo` returns. Started by the demo, stopped by `stack:down`, shown by `stack:status`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config';
import type { StackContext } from './component';
import { daemonPid, startDaemon, stopDaemon, waitUntil } from './process';

const NAME = 'worker';

/**
 * The local stack is a developer's machine: its worker may reach the demo's synthetic source on
 * loopback and run the demo's inline definition, which a deployed worker refuses by default
 * (docs/SECURITY.md, "Secrets and destinations"). Values set in the shell win.
 */
export const LOCAL_WORKER_ENV = {
  INGEST_ALLOW_DESTINATIONS: '127.0.0.0/8,::1',
  INGEST_ALLOW_INLINE_DEFINITIONS: 'true',
} as const;

export function workerPid(ctx: StackContext): number | undefined {
  return daemonPid(NAME, ctx.paths);
}

/** Starts `src/worker.ts` on TEMPORAL_TASK_QUEUE unless one is already running; waits until it polls. */
export async function ensureWorkerDaemon(ctx: StackContext): Promise<{ pid: number; started: boolean }> {
  const running = workerPid(ctx);
  if (running !== undefined) return { pid: running, started: false };
  const logFile = join(ctx.paths.logs, `${NAME}.log`);
  const logStart = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
  ctx.log(
    `starting a worker on task queue ${ctx.config.temporal.taskQueue} (log ${logFile}), allowing loopback sources and inline definitions (${Object.entries(
      LOCAL_WORKER_ENV,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')})`,
  );
  const pid = startDaemon({
    name: NAME,
    command: process.execPath,
    args: ['--import', 'tsx', join(projectRoot, 'src', 'worker.ts')],
    cwd: projectRoot,
    env: { ...LOCAL_WORKER_ENV, ...process.env },
    paths: ctx.paths,
  });
  // The worker prints this line once its workflows are bundled and it polls the task queue.
  await waitUntil(
    NAME,
    async () => readFileSync(logFile, 'utf8').slice(logStart).includes('polling task queue'),
    ctx.config.stack.startTimeoutS,
    logFile,
  );
  return { pid, started: true };
}

export async function stopWorkerDaemon(ctx: StackContext): Promise<boolean> {
  // SIGTERM lets the worker drain: in-flight activities get WORKER_SHUTDOWN_GRACE_S to finish.
  return stopDaemon(NAME, ctx.paths, (ctx.config.worker.shutdownGraceS + 10) * 1000);
}
