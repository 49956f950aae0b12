/** Redis: Debian's redis-server on loopback, a cache only, so no persistence; it requires REDIS_URL's password. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import type { StackComponent, StackContext } from './component';
import { isDebInstalled } from './install';
import {
  assertPortFree,
  awaitIfRunning,
  daemonPid,
  ensureDir,
  isPortOpen,
  startDaemon,
  stopDaemon,
  waitUntil,
} from './process';

const NAME = 'redis';

/**
 * Sends one command (after AUTH when a password is given) and returns its raw reply: enough for PING
 * and INFO without a client. The AUTH reply (+OK, or an error from a server without a password) is
 * skipped.
 */
export function redisCommand(host: string, port: number, command: string, password = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let data = '';
    let authReply = password !== '';
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')));
    // RESP bulk strings: the password may hold any byte, spaces included
    const auth = `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`;
    socket.on('connect', () => socket.write(`${password ? auth : ''}${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (authReply) {
        const end = data.indexOf('\r\n');
        if (end < 0) return;
        data = data.slice(end + 2);
        authReply = false;
        if (!data) return;
      }
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
  const { host, port, password } = ctx.config.redis;
  return (await redisCommand(host, port, 'PING', password).catch(() => '')).startsWith('+PONG');
}

export const redisComponent: StackComponent = {
  name: NAME,
  missingPackages: () => (isDebInstalled('redis-server') ? [] : ['redis-server']),

  async up(ctx) {
    const { host, port, password } = ctx.config.redis;
    if (await awaitIfRunning(NAME, ctx.paths, () => healthy(ctx), ctx.config.stack.startTimeoutS)) return;
    await assertPortFree(NAME, host, port, 'REDIS_URL');
    const dir = ensureDir(join(ctx.config.stack.stateDir, 'redis'));
    // The password goes in a config file readable by us only, not argv, so `ps` does not show it.
    const conf = join(dir, 'auth.conf');
    writeFileSync(
      conf,
      password ? `requirepass "${password.replace(/["\\]/g, (c) => `\\${c}`)}"\n` : '# REDIS_URL has no password\n',
      { mode: 0o600 },
    );
    chmodSync(conf, 0o600);
    ctx.log(`starting redis on ${host}:${port}`);
    startDaemon({
      name: NAME,
      command: 'redis-server',
      // A look-aside cache is rebuilt from PostgreSQL, so snapshots and the AOF are off.
      args: [
        conf,
        '--bind',
        host,
        '--port',
        String(port),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--maxmemory',
        '512mb',
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      paths: ctx.paths,
    });
    await waitUntil(NAME, () => healthy(ctx), ctx.config.stack.startTimeoutS, join(ctx.paths.logs, `${NAME}.log`));
  },

  async down(ctx) {
    await stopDaemon(NAME, ctx.paths);
  },

  async status(ctx) {
    const { host, port, password } = ctx.config.redis;
    const ours = daemonPid(NAME, ctx.paths) !== undefined;
    const info = ours ? await redisCommand(host, port, 'INFO server', password).catch(() => '') : '';
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1];
    const open = await isPortOpen(host, port);
    return {
      name: NAME,
      state: ours ? (version ? 'running' : 'unhealthy') : open ? 'foreign' : 'stopped',
      address: `${host}:${port}`,
      version,
    };
  },
};
