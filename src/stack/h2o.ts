/**
 * H2O-3: h2o.jar from the PyPI package `h2o` (pinned; 3.46.0.12+ blocks MOJO export in open source),
 * run with java on loopback. The heap is 70% of H2O_MEMORY: the rest is native memory (XGBoost, threads).
 *
 * H2O_NODES > 1 starts a cloud of that many nodes on loopback: REST ports H2O_URL's port, +2, +4, …
 * (each node also binds its port + 1), one flatfile listing every node, one cloud name, the heap
 * split evenly, one pid file per node (h2o, h2o-2, h2o-3, …). The stack is up when the cloud is
 * complete, agreed and locked. H2O clouds do not heal: when a node is gone, `up` restarts them all.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { H2OClient } from '../h2o/client';
import { readAndLockCloud, readCloud } from '../h2o/cloud';
import type { StackComponent, StackContext } from './component';
import { fileFromWheel } from './install';
import { assertPortFree, daemonPid, ensureDir, isPortOpen, startDaemon, stopDaemon, waitUntil, which } from './process';

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

/** -Xmx of each node: the one heap budget split evenly over the cloud's nodes. */
export function h2oNodeHeapMiB(memoryMiB: number, nodes: number): number {
  return Math.floor(h2oHeapMiB(memoryMiB) / nodes);
}

export interface H2ONode {
  /** pid file and log name: `h2o` for the first node (as with one node), then `h2o-2`, `h2o-3`, … */
  name: string;
  port: number;
  address: string;
}

/** The local cloud's nodes: H2O_URL's host, REST ports +0, +2, … (the internal port is REST + 1). */
export function h2oNodes(ctx: StackContext): H2ONode[] {
  const { host, port, nodes } = ctx.config.h2o;
  return Array.from({ length: nodes }, (_, i) => ({
    name: i === 0 ? NAME : `${NAME}-${i + 1}`,
    port: port + 2 * i,
    address: `${host}:${port + 2 * i}`,
  }));
}

async function healthy(ctx: StackContext): Promise<boolean> {
  const { url, nodes, members } = ctx.config.h2o;
  const client = new H2OClient(url, { timeoutMs: 2000 });
  if (nodes === 1) {
    const cloud = await client.cloud();
    return cloud.cloud_healthy && cloud.consensus;
  }
  return (await readAndLockCloud(client, { nodes, members })).ok;
}

async function lostNode(ctx: StackContext): Promise<boolean> {
  const { url, nodes, members } = ctx.config.h2o;
  const check = await readCloud(new H2OClient(url, { timeoutMs: 2000 }), { nodes, members }).catch(() => undefined);
  return check?.verdict === 'lost';
}

async function stopNodes(ctx: StackContext): Promise<void> {
  await Promise.all(h2oNodes(ctx).map((n) => stopDaemon(n.name, ctx.paths)));
}

export const h2oComponent: StackComponent = {
  name: NAME,
  missingPackages: () => (which('java') ? [] : ['openjdk-17-jre-headless']),

  async up(ctx) {
    const { host, memoryMiB, nthreads } = ctx.config.h2o;
    const nodes = h2oNodes(ctx);
    const logFile = join(ctx.paths.logs, `${NAME}.log`);
    const running = nodes.filter((n) => daemonPid(n.name, ctx.paths) !== undefined);
    // ours and all alive: it is (or soon is) healthy, unless the cloud lost a node whose process lives on
    if (running.length === nodes.length && !(nodes.length > 1 && (await lostNode(ctx)))) {
      await waitUntil(NAME, () => healthy(ctx), ctx.config.stack.startTimeoutS, logFile);
      return;
    }
    if (running.length > 0) {
      // a node died (or the cloud never became whole): H2O clouds do not heal, so every node restarts
      ctx.log(`h2o: ${running.length} of ${nodes.length} nodes running; restarting the whole cloud`);
      await stopNodes(ctx);
    }
    const jar = h2oJar(ctx);
    for (const n of nodes) {
      await assertPortFree(n.name, host, n.port, 'H2O_URL');
      await assertPortFree(`${n.name} internal port`, host, n.port + 1, 'H2O_URL');
    }
    const dir = ensureDir(join(ctx.config.stack.stateDir, 'h2o'));
    // A unique cloud name: same-named local nodes would join each other over multicast.
    const cloudName = `mlops-${randomBytes(4).toString('hex')}`;
    const flatfile = join(dir, 'flatfile.txt');
    if (nodes.length > 1) writeFileSync(flatfile, nodes.map((n) => `${n.address}\n`).join(''));
    const heap = nodes.length > 1 ? h2oNodeHeapMiB(memoryMiB, nodes.length) : h2oHeapMiB(memoryMiB);
    for (const n of nodes) {
      // the first node keeps the single-node paths, so a one-node stack is laid out as before
      const nodeDir = n.name === NAME ? dir : ensureDir(join(dir, n.name));
      ctx.log(
        `starting ${n.name} on ${n.address} (-Xmx${heap}m${nodes.length > 1 ? `, cloud ${cloudName} of ${nodes.length}` : ''})`,
      );
      startDaemon({
        name: n.name,
        command: 'java',
        args: [
          `-Xmx${heap}m`,
          '-jar',
          jar,
          '-ip',
          host,
          '-web_ip',
          host,
          '-port',
          String(n.port),
          '-name',
          cloudName,
          ...(nodes.length > 1 ? ['-flatfile', flatfile] : []),
          '-ice_root',
          ensureDir(join(nodeDir, 'ice')),
          '-log_dir',
          ensureDir(join(nodeDir, 'logs')),
          ...(nthreads > 0 ? ['-nthreads', String(nthreads)] : []),
        ],
        env: { ...process.env, DO_NOT_TRACK: '1' },
        paths: ctx.paths,
      });
    }
    await waitUntil(NAME, () => healthy(ctx), ctx.config.stack.startTimeoutS, logFile);
  },

  async down(ctx) {
    await stopNodes(ctx);
  },

  async status(ctx) {
    const { host, port, url, nodes, members, memoryMiB } = ctx.config.h2o;
    const pids = h2oNodes(ctx).map((n) => daemonPid(n.name, ctx.paths));
    const ours = pids.some((p) => p !== undefined);
    const client = new H2OClient(url, { timeoutMs: 2000 });
    const cloud = ours ? await client.cloud().catch(() => undefined) : undefined;
    const open = await isPortOpen(host, port);
    if (nodes === 1) {
      return {
        name: NAME,
        state: ours ? (cloud?.cloud_healthy ? 'running' : 'unhealthy') : open ? 'foreign' : 'stopped',
        address: url,
        version: cloud?.version,
        detail: `heap ${h2oHeapMiB(memoryMiB)} MiB of H2O_MEMORY ${memoryMiB} MiB`,
      };
    }
    const check = cloud ? await readAndLockCloud(client, { nodes, members }).catch(() => undefined) : undefined;
    const alive = pids.filter((p) => p !== undefined).length;
    return {
      name: NAME,
      state: ours ? (check?.ok && alive === nodes ? 'running' : 'unhealthy') : open ? 'foreign' : 'stopped',
      address: url,
      version: cloud?.version,
      detail: `${alive} of ${nodes} node processes (${h2oNodes(ctx)
        .map((n, i) => `${n.name} ${n.address}${pids[i] ? ` pid ${pids[i]}` : ' stopped'}`)
        .join(
          ', ',
        )}); ${check ? check.message : 'cloud not answering'}; heap ${h2oNodeHeapMiB(memoryMiB, nodes)} MiB per node of H2O_MEMORY ${memoryMiB} MiB`,
    };
  },
};
