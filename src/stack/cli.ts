/**
 * `npm run stack:up | stack:down | stack:status`: the local stack without Docker.
 * up installs what is missing, starts each component on loopback and waits until it is healthy;
 * it is a no-op for components already running.
 */
import { config } from '../config';
import { ConfigError, StackError } from '../shared/errors';
import type { StackComponent, StackContext } from './component';
import { h2oComponent } from './h2o';
import { postgresComponent } from './postgres';
import { stackPaths } from './process';
import { aptInstall } from './install';
import { redisComponent } from './redis';
import { temporalComponent } from './temporal';
import { migrate } from '../warehouse/migrate';
import { stopWorkerDaemon, workerPid } from './worker';
import { ensureServiceDaemon, servicePid, serviceUrl, stopServiceDaemon } from './service';

/** All components; `up` starts them concurrently so installs and health waits overlap. */
export const COMPONENTS: StackComponent[] = [postgresComponent, redisComponent, temporalComponent, h2oComponent];

export function stackContext(log: (line: string) => void = (l) => console.log(`[stack] ${l}`)): StackContext {
  const cfg = config();
  return { config: cfg, paths: stackPaths(cfg.stack.stateDir), log };
}

export async function stackUp(ctx: StackContext): Promise<void> {
  const started = Date.now();
  aptInstall([...new Set(COMPONENTS.flatMap((c) => c.missingPackages(ctx)))], ctx.log);
  // Components start concurrently: their installs and health waits overlap.
  const results = await Promise.allSettled(COMPONENTS.map((c) => c.up(ctx)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${COMPONENTS[i]!.name}: ${(r.reason as Error).message}`] : [],
  );
  if (failures.length) throw new StackError(failures.join('\n'));
  const applied = await migrate(ctx.config.postgres.migrateUrl);
  ctx.log(`migrations: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  const service = await ensureServiceDaemon(ctx);
  ctx.log(`inference service ${service.started ? 'started' : 'running'} on ${serviceUrl(ctx)} (pid ${service.pid})`);
  ctx.log(
    `stack is up (${((Date.now() - started) / 1000).toFixed(1)}s); Temporal Web UI: http://${ctx.config.temporal.host}:${ctx.config.temporal.uiPort}`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (rest.length)
    throw new StackError(`unknown arguments: ${rest.join(' ')}`, 'npm run stack:up | stack:down | stack:status');
  const ctx = stackContext();
  switch (command) {
    case 'up':
      await stackUp(ctx);
      break;
    case 'down':
      if (await stopWorkerDaemon(ctx)) ctx.log('worker stopped');
      if (await stopServiceDaemon(ctx)) ctx.log('inference service stopped');
      for (const c of [...COMPONENTS].reverse()) await c.down(ctx);
      ctx.log('stack is down (state kept in ' + ctx.config.stack.stateDir + ')');
      break;
    case 'status': {
      for (const c of COMPONENTS) {
        const s = await c.status(ctx);
        console.log(
          `${s.name.padEnd(9)} ${s.state.padEnd(10)} ${s.address}${s.version ? `  version ${s.version}` : ''}${s.detail ? `  ${s.detail}` : ''}`,
        );
      }
      const service = servicePid(ctx);
      console.log(
        `${'serve'.padEnd(9)} ${(service ? 'running' : 'stopped').padEnd(10)} ${serviceUrl(ctx)}${service ? `  pid ${service}  (/readyz, /metrics)` : '  (npm run stack:up or npm run serve starts it)'}`,
      );
      const worker = workerPid(ctx);
      console.log(
        `${'worker'.padEnd(9)} ${(worker ? 'running' : 'stopped').padEnd(10)} task queue ${ctx.config.temporal.taskQueue}${worker ? `  pid ${worker}` : '  (npm run demo or npm run worker starts one)'}`,
      );
      break;
    }
    default:
      throw new StackError(
        `unknown command ${JSON.stringify(command)}`,
        'npm run stack:up | stack:down | stack:status',
      );
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const known = err instanceof StackError || err instanceof ConfigError;
    console.error(`[stack] error: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
    process.exit(1);
  });
}
