/**
 * docker-compose.yml against what is installed and running: Debian's `docker-compose config` when it
 * can be installed, and image versions equal to the local stack's (the pure checks are
 * test/unit/deploy.compose.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '../../src/config';
import { COMPONENTS, stackContext } from '../../src/stack/cli';
import { aptInstall } from '../../src/stack/install';
import { connectClientConnection } from '../../src/temporal-connection';
import { which } from '../../src/stack/process';
import { requiredEnv, services, imageTag, dockerfileFrom } from '../helpers/compose';

describe('docker-compose.yml against the compose specification', () => {
  describe('Debian docker-compose (v1.29) `config`', () => {
    let binary: string | undefined;
    beforeAll(() => {
      binary = which('docker-compose');
      if (!binary && process.getuid?.() === 0) {
        try {
          aptInstall(['docker-compose'], () => {});
          binary = which('docker-compose');
        } catch {
          /* no apt access: the schema check above still ran */
        }
      }
    }, 240_000);

    for (const args of [
      ['config', '-q'],
      ['--profile', 'production', 'config', '-q'],
      ['-f', 'docker-compose.yml', '-f', 'docker-compose.dev.yml', 'config', '-q'],
    ]) {
      it(`docker-compose ${args.join(' ')} accepts the file`, (ctx) => {
        if (!binary) ctx.skip();
        const result = spawnSync(binary!, args, {
          cwd: projectRoot,
          encoding: 'utf8',
          env: { ...process.env, ...requiredEnv, COMPOSE_PROJECT_NAME: 'mlops' },
        });
        expect(result.status, result.stderr).toBe(0);
      });
    }

    it('docker-compose config refuses to start without a password, and names it', (ctx) => {
      if (!binary) ctx.skip();
      for (const name of Object.keys(requiredEnv)) {
        const { [name]: _dropped, ...rest } = requiredEnv;
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in requiredEnv)));
        const result = spawnSync(binary!, ['config', '-q'], {
          cwd: projectRoot,
          encoding: 'utf8',
          env: { ...env, ...rest, COMPOSE_PROJECT_NAME: 'mlops' },
        });
        expect(result.status, name).not.toBe(0);
        expect(result.stderr, name).toContain(name);
      }
    });
  });
});

describe('versions equal the local stack', () => {
  it('PostgreSQL 15, Redis 7.0, Temporal server and UI: the same releases the local stack runs', async () => {
    const ctx = stackContext(() => {});
    const status = Object.fromEntries(
      await Promise.all(COMPONENTS.map(async (c) => [c.name, await c.status(ctx)] as const)),
    );
    const pgLocal = /^(\d+\.\d+)/.exec(status.postgres!.version ?? '')![1]!;
    expect(pgLocal.startsWith('15.')).toBe(true);
    expect(dockerfileFrom('Dockerfile.postgres')[0]).toBe(`postgres:${pgLocal}-bookworm`);
    expect(services['temporal-postgresql']!.image).toBe(`postgres:${pgLocal}-bookworm`);
    expect(status.redis!.version).toMatch(/^7\.0\./);
    expect(services.redis!.image).toBe(`redis:${status.redis!.version}-bookworm`);

    const connection = await connectClientConnection(loadConfig().temporal);
    try {
      const { serverVersion } = await connection.workflowService.getSystemInfo({});
      expect(imageTag(services.temporal!.image!)).toBe(serverVersion);
      expect(imageTag(services['temporal-schema']!.image!)).toBe(serverVersion);
      expect(imageTag(services['temporal-setup']!.image!)).toBe(serverVersion);
    } finally {
      await connection.close();
    }
    const ui = /UI (\d+\.\d+\.\d+)/.exec(status.temporal!.version ?? '')?.[1];
    expect(ui, status.temporal!.version).toBeDefined();
    expect(imageTag(services['temporal-ui']!.image!)).toBe(ui);
  });
});

describe("docker/h2o-entrypoint.sh --healthcheck (the H2O nodes' healthcheck) against the local H2O on 54321", () => {
  const check = (nodes: string) =>
    spawnSync('bash', [join(projectRoot, 'docker', 'h2o-entrypoint.sh'), '--healthcheck'], {
      env: { PATH: process.env.PATH, H2O_NODES: nodes },
      encoding: 'utf8',
    }).status;
  it('passes for the size the cloud has and fails for any other', () => {
    expect(check('1')).toBe(0);
    expect(check('2')).not.toBe(0);
  });
});
