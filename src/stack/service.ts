/**
 * The inference service as a background process of the local stack: started by `stack:up` (after
 * PostgreSQL and Redis are healthy) and by the demo, stopped by `stack:down`, shown by `stack:status`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config';
import type { StackContext } from './component';
import { assertPortFree, daemonPid, startDaemon, stopDaemon, waitUntil } from './process';

const NAME = 'serve';

export function servicePid(ctx: StackContext): number | undefined {
  return daemonPid(NAME, ctx.paths);
}

export function serviceUrl(ctx: StackContext): string {
  return `http://${ctx.config.serve.host}:${ctx.config.serve.port}`;
}

/** Starts `src/serving/main.ts` unless it runs already; waits until it listens. */
export async function ensureServiceDaemon(ctx: StackContext): Promise<{ pid: number; started: boolean }> {
  const running = servicePid(ctx);
  if (running !== undefined) return { pid: running, started: false };
  await assertPortFree('inference service', ctx.config.serve.host, ctx.config.serve.port, 'SERVE_PORT');
  const logFile = join(ctx.paths.logs, `${NAME}.log`);
  const logStart = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
  ctx.log(`starting the inference service on ${serviceUrl(ctx)} (log ${logFile})`);
  const pid = startDaemon({
    name: NAME,
    command: process.execPath,
    args: ['--import', 'tsx', join(projectRoot, 'src', 'serving', 'main.ts')],
    cwd: projectRoot,
    paths: ctx.paths,
  });
  await waitUntil(
    NAME,
    async () => readFileSync(logFile, 'utf8').slice(logStart).includes('inference service listening'),
    ctx.config.stack.startTimeoutS,
    logFile,
  );
  return { pid, started: true };
}

export async function stopServiceDaemon(ctx: StackContext): Promise<boolean> {
  // SIGTERM: Fastify stops accepting and finishes in-flight requests before the process exits.
  return stopDaemon(NAME, ctx.paths, 15_000);
}
