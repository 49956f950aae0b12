/**
 * The local stack's Redis requires REDIS_URL's password: the component is started here on a free port
 * with its own state folder (the shared stack's Redis is left alone), and refuses a client without
 * the password or with a wrong one, serves the worker's client (src/redis.ts) with it, and does not
 * show the password in its command line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createRedis } from '../../src/redis';
import type { StackContext } from '../../src/stack/component';
import { daemonPid, stackPaths } from '../../src/stack/process';
import { redisCommand, redisComponent } from '../../src/stack/redis';
import { freePort } from '../helpers/tls-proxy';

const password = 'a local "redis" pass\\word';
let ctx: StackContext;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'mlops-redis-auth-'));
  const port = await freePort();
  const config = loadConfig({
    ...process.env,
    MLOPS_STATE_DIR: stateDir,
    REDIS_URL: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
  });
  ctx = { config, paths: stackPaths(stateDir), log: () => {} };
  await redisComponent.up(ctx);
}, 120_000);

afterAll(async () => {
  if (ctx) await redisComponent.down(ctx);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('the local stack Redis with a password', () => {
  it('refuses a client without the password, and with a wrong one', async () => {
    const { host, port } = ctx.config.redis;
    expect(await redisCommand(host, port, 'PING')).toMatch(/^-NOAUTH/);
    expect(await redisCommand(host, port, 'PING', 'wrong')).toMatch(/^-NOAUTH/);
    expect(await redisCommand(host, port, 'PING', password)).toMatch(/^\+PONG/);
  });

  it("serves the worker's client with REDIS_URL's password, and reports running", async () => {
    const redis = createRedis(ctx.config.redis);
    try {
      await redis.set('mlops:auth-test', 'ok');
      expect(await redis.get('mlops:auth-test')).toBe('ok');
    } finally {
      redis.disconnect();
    }
    const status = await redisComponent.status(ctx);
    expect(status.state).toBe('running');
    expect(status.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('keeps the password out of its command line', () => {
    const pid = daemonPid('redis', ctx.paths)!;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    expect(cmdline).toContain('redis-server');
    expect(cmdline).not.toContain('pass');
  });
});
