/**
 * H2O-3: h2o.jar from the PyPI package `h2o` (pinned; 3.46.0.12+ blocks MOJO export in open source),
 * run with java on loopback. The heap is 70% of H2O_MEMORY: the rest is native memory (XGBoost, threads).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { H2OClient } from '../h2o/client';
import type { StackComponent, StackContext } from './component';
import { fileFromWheel } from './install';
import { assertPortFree, awaitIfRunning, daemonPid, ensureDir, isPortOpen, startDaemon, stopDaemon, waitUntil, which } from './process';

const NAME = 'h2o';

export function h2oJar(ctx: StackContext): string {
  const { version } = ctx.config.h2o;
  return fileFromWheel({
    requirement: `h2o==${version}`,
    member: /^h2o\/backend\/bin\/h2o\.jar$/,
    target: join(ctx.config.stack.cacheDir, `h2o-${version}`, 'h2o.jar'),
    binaryOnly: false,
    log: ctx.log,
  });
}

/** -Xmx in MiB: 70% of the memory budget. */
export function h2oHeapMiB(memoryMiB: number): number {
  return Math.floor(memoryMiB * 0.7);
}

async function healthy(ctx: StackContext): Promise<boolean> {
  const cloud = await new H2OClient(ctx.config.h2o.url, { timeoutMs: 2000 }).cloud();
  return cloud.cloud_healthy && cloud.consensus;
}

export const h2oComponent: StackComponent = {
  name: NAME,
  missingPackages: () => (which('java') ? [] : ['openjdk-17-jre-headless']),

  async up(ctx) {
    const { host, port, memoryMiB, nthreads } = ctx.config.h2o;
    if (await awaitIfRunning(NAME, ctx.paths, () => healthy(ctx), ctx.config.stack.startTimeoutS)) return;
    const jar = h2oJar(ctx);
    await assertPortFree(NAME, host, port, 'H2O_URL');
    await assertPortFree('h2o internal port', host, port + 1, 'H2O_URL');
    const dir = ensureDir(join(ctx.config.stack.stateDir, 'h2o'));
    ctx.log(`starting h2o on ${host}:${port} (-Xmx${h2oHeapMiB(memoryMiB)}m)`);
    startDaemon({
      name: NAME,
      command: 'java',
      args: [
        `-Xmx${h2oHeapMiB(memoryMiB)}m`, '-jar', jar,
        '-ip', host, '-web_ip', host, '-port', String(port),
        // A unique cloud name: same-named local nodes would join each other over multicast.
        '-name', `mlops-${randomBytes(4).toString('hex')}`,
        '-ice_root', ensureDir(join(dir, 'ice')), '-log_dir', ensureDir(join(dir, 'logs')),
        ...(nthreads > 0 ? ['-nthreads', String(nthreads)] : []),
      ],
      env: { ...process.env, DO_NOT_TRACK: '1' },
      paths: ctx.paths,
    });
    await waitUntil(NAME, () => healthy(ctx), ctx.config.stack.startTimeoutS, join(ctx.paths.logs, `${NAME}.log`));
  },

  async down(ctx) {
    await stopDaemon(NAME, ctx.paths);
  },

  async status(ctx) {
    const { host, port, url } = ctx.config.h2o;
    const ours = daemonPid(NAME, ctx.paths) !== undefined;
    const cloud = ours ? await new H2OClient(url, { timeoutMs: 2000 }).cloud().catch(() => undefined) : undefined;
    const open = await isPortOpen(host, port);
    return {
      name: NAME,
      state: ours ? (cloud?.cloud_healthy ? 'running' : 'unhealthy') : open ? 'foreign' : 'stopped',
      address: url,
      version: cloud?.version,
      detail: `heap ${h2oHeapMiB(ctx.config.h2o.memoryMiB)} MiB of H2O_MEMORY ${ctx.config.h2o.memoryMiB} MiB`,
    };
  },
};
