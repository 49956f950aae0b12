/** `npm run stack:up` against the running stack: a second up is a no-op; a taken port is named. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '../../src/config';

function stackCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src', 'stack', 'cli.ts'), ...args],
    {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function pids(): Record<string, string> {
  const run = join(loadConfig().stack.stateDir, 'run');
  return Object.fromEntries(readdirSync(run).map((f) => [f, readFileSync(join(run, f), 'utf8')]));
}

describe('stack:up', () => {
  it('is a no-op when the stack already runs', () => {
    const before = pids();
    const { code, output } = stackCli(['up']);
    expect(code).toBe(0);
    expect(output).not.toMatch(/starting|installing|downloading|initdb/);
    expect(output).toMatch(/migrations: up to date/);
    expect(pids()).toEqual(before);
  });

  it('names a port that something else holds, and the variable that moves it', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // A fresh state folder: this stack has started nothing, so every port it finds open is foreign.
    const stateDir = mkdtempSync(join(tmpdir(), 'mlops-stack-'));
    try {
      const { code, output } = stackCli(['up'], { MLOPS_STATE_DIR: stateDir, REDIS_URL: `redis://127.0.0.1:${port}` });
      expect(code).toBe(1);
      expect(output).toContain(`redis: port ${port} on 127.0.0.1 is already taken`);
      expect(output).toContain('REDIS_URL');
      expect(output).not.toMatch(/at .*\.ts:\d+/); // one-line errors, not stack traces
    } finally {
      server.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('prints every component with state, version, address and the temporal binary', () => {
    const { code, output } = stackCli(['status']);
    expect(code).toBe(0);
    for (const name of ['postgres', 'redis', 'temporal', 'h2o'])
      expect(output).toMatch(new RegExp(`^${name}\\s+running\\s+\\S+`, 'm'));
    expect(output).toMatch(/binary \/\S+\/temporal/);
    expect(output).toMatch(/version 3\.46\.0\.11/);
  });
});
