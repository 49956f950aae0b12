/**
 * `version-check` against the running stack: ok on the pinned H2O and a new-enough Temporal (exit 0),
 * a mismatch or a MOJO-gated pin (exit 1), an unreachable service (exit 2), as CI reads them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '../../src/config';
import {
  checkTemporalVersion,
  compareServerVersions,
  EXIT_MISMATCH,
  EXIT_OK,
  EXIT_UNREACHABLE,
  versionCheck,
} from '../../src/cli/version-check';

const env = (overrides: Record<string, string>) => loadConfig({ ...process.env, ...overrides });

describe('version-check against the local stack', () => {
  it('passes on the stack as started: H2O matches the pin, Temporal is new enough', async () => {
    const summary = await versionCheck(loadConfig());
    expect(summary.exitCode).toBe(EXIT_OK);
    const h2o = summary.checks.find((c) => c.component === 'h2o')!;
    const temporal = summary.checks.find((c) => c.component === 'temporal')!;
    expect(h2o).toMatchObject({ verdict: 'match', actual: '3.46.0.11', ok: true });
    expect(temporal).toMatchObject({ verdict: 'ok', ok: true });
    // and its H2O is one complete, locked node (H2O_NODES=1)
    expect(summary.checks.find((c) => c.component === 'h2o-cloud')).toMatchObject({
      verdict: 'ok',
      ok: true,
      actual: '1',
      expected: '1',
    });
    expect(temporal.actual).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 1 when the cluster differs from the pin, and names both versions', async () => {
    const summary = await versionCheck(env({ H2O_VERSION: '3.46.0.10' }));
    expect(summary.exitCode).toBe(EXIT_MISMATCH);
    const h2o = summary.checks.find((c) => c.component === 'h2o')!;
    expect(h2o.verdict).toBe('newer');
    expect(h2o.message).toContain('3.46.0.11');
    expect(h2o.message).toContain('3.46.0.10');
  });

  it('exits 1 when the server is older than TEMPORAL_MIN_SERVER_VERSION', async () => {
    const summary = await versionCheck(env({ TEMPORAL_MIN_SERVER_VERSION: '99.0.0' }));
    expect(summary.exitCode).toBe(EXIT_MISMATCH);
    expect(summary.checks.find((c) => c.component === 'temporal')).toMatchObject({ verdict: 'too-old', ok: false });
  });

  it('exits 2 when a service is unreachable, even if the other one mismatches', async () => {
    const summary = await versionCheck(env({ H2O_URL: 'http://127.0.0.1:9', H2O_VERSION: '3.46.0.10' }));
    expect(summary.exitCode).toBe(EXIT_UNREACHABLE);
    expect(summary.checks.find((c) => c.component === 'h2o')).toMatchObject({ verdict: 'unreachable', ok: false });
  });

  it('the npm script prints one line per component and returns the exit code to the shell', () => {
    const run = (extra: Record<string, string>, args: string[] = []) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'index.ts'), 'version-check', ...args],
        {
          cwd: projectRoot,
          encoding: 'utf8',
          env: { ...process.env, ...extra },
        },
      );
    const ok = run({});
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok +h2o +H2O 3\.46\.0\.11 matches/m);
    expect(ok.stdout).toMatch(/^ok +temporal +Temporal server/m);
    expect(ok.stdout).toMatch(/^ok +h2o-cloud +H2O cloud \S+: 1 of 1 node \(H2O_NODES=1\), locked/m);
    const down = run({ TEMPORAL_ADDRESS: '127.0.0.1:9' }, ['--json']);
    expect(down.status).toBe(EXIT_UNREACHABLE);
    expect((JSON.parse(down.stdout) as { exitCode: number }).exitCode).toBe(EXIT_UNREACHABLE);
    const bad = run({}, ['--verbose']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('version-check argument="--verbose"');
  });
});

describe('Temporal server version comparison', () => {
  it('compares numerically and ignores prerelease tails', () => {
    expect(compareServerVersions('1.32.0', '1.27.0')).toBeGreaterThan(0);
    expect(compareServerVersions('1.9.0', '1.27.0')).toBeLessThan(0);
    expect(compareServerVersions('1.32.0-162.0', '1.32.0')).toBe(0);
    expect(compareServerVersions('dev', '1.27.0')).toBeUndefined();
    expect(checkTemporalVersion('', '1.27.0', 'x:1').verdict).toBe('unparseable');
  });
});
