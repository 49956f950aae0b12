/** Redis: Debian's redis-server on loopback, a cache only, so no persistence. */
import { join } from 'node:path';
import { createConnection } from 'node:net';
import type { StackComponent, StackContext } from './component';
import { isDebInstalled } from './install';
import { assertPortFree, awaitIfRunning, daemonPid, ensureDir, isPortOpen, startDaemon, stopDaemon, waitUntil } from './process';

const NAME = 'redis';

/** Sends one inline command and returns the raw reply (enough for PING and INFO without a client). */
function redisCommand(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const bulk = /^\$(\d+)\r\n/.exec(data);
      if (!bulk || data.length >= bulk[0].length + Number(bulk[1])) {
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
}

async function healthy(ctx: StackContext): Promise<boolean> {
  const { host, port } = ctx.config.redis;
  return (await redisCommand(host, port, 'PING').catch(() => '')).startsWith('+PONG');
}

export const redisComponent: StackComponent = {
  name: NAME,
  missingPackages: () => (isDebInstalled('redis-server') ? [] : ['redis-server']),

  async up(ctx) {
    const { host, port } = ctx.config.redis;
    if (await awaitIfRunning(NAME, ctx.paths, () => healthy(ctx), ctx.config.stack.startTimeoutS)) return;
    await assertPortFree(NAME, host, port, 'REDIS_URL');
    const dir = ensureDir(join(ctx.config.stack.stateDir, 'redis'));
    ctx.log(`starting redis on ${host}:${port}`);
    startDaemon({
      name: NAME,
      command: 'redis-server',
      // A look-aside cache is rebuilt from PostgreSQL, so snapshots and the AOF are off.
      args: ['--bind', host, '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--maxmemory', '512mb', '--maxmemory-policy', 'allkeys-lru'],
      paths: ctx.paths,
    });
    await waitUntil(NAME, () => healthy(ctx), ctx.config.stack.startTimeoutS, join(ctx.paths.logs, `${NAME}.log`));
  },

  async down(ctx) {
    await stopDaemon(NAME, ctx.paths);
  },

  async status(ctx) {
    const { host, port } = ctx.config.redis;
    const ours = daemonPid(NAME, ctx.paths) !== undefined;
    const info = ours ? await redisCommand(host, port, 'INFO server').catch(() => '') : '';
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1];
    const open = await isPortOpen(host, port);
    return { name: NAME, state: ours ? (version ? 'running' : 'unhealthy') : open ? 'foreign' : 'stopped', address: `${host}:${port}`, version };
  },
};
