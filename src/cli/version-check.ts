/**
 * `npm run version-check`: is the running stack the one the workflows were written for?
 * - H2O: the cluster's version against the pinned H2O_VERSION; 3.46.0.12+ are MOJO-gated builds.
 * - H2O cloud: complete (H2O_NODES nodes, every one healthy), agreed and locked (src/h2o/cloud.ts); a
 *   complete cloud that is not locked yet is locked here, as the first training would.
 * - Temporal: the server's version (GetSystemInfo) against TEMPORAL_MIN_SERVER_VERSION.
 *
 * Exit codes, for CI: 0 all ok; 1 a version mismatches or is gated; 2 a service is unreachable
 * (2 wins over 1: a check that could not run is not a pass). `--json` prints one JSON object.
 */
import type { Connection } from '@temporalio/client';
import { config as loadConfig, type Config } from '../config';
import { ValidationError } from '../shared/errors';
import { H2OClient } from '../h2o/client';
import { checkH2OVersion, type H2OVersionVerdict } from '../h2o/version';
import { readAndLockCloud, type CloudVerdict } from '../h2o/cloud';
import { connectClientConnection, TemporalConnectionError } from '../temporal-connection';

export const EXIT_OK = 0;
export const EXIT_MISMATCH = 1;
export const EXIT_UNREACHABLE = 2;

export interface ComponentVersionCheck {
  component: 'h2o' | 'h2o-cloud' | 'temporal';
  address: string;
  /**
   * match/older/newer/gated/unparseable for H2O; ok/forming/lost/oversized for its cloud (actual and
   * expected: node counts); ok/too-old/unparseable for Temporal; unreachable for all
   */
  verdict: H2OVersionVerdict | CloudVerdict | 'ok' | 'too-old' | 'unreachable';
  actual: string | undefined;
  expected: string;
  ok: boolean;
  message: string;
}

export interface VersionCheckSummary {
  checks: ComponentVersionCheck[];
  exitCode: number;
}

/** Compares dotted versions by their leading numeric parts (`1.32.0` vs `1.27.0`); prerelease tails are ignored. */
export function compareServerVersions(a: string, b: string): number | undefined {
  const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim())?.slice(1).map(Number);
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return undefined;
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

export function checkTemporalVersion(actual: string, minimum: string, address: string): ComponentVersionCheck {
  const order = compareServerVersions(actual, minimum);
  const base = { component: 'temporal' as const, address, actual, expected: `>= ${minimum}` };
  if (order === undefined)
    return {
      ...base,
      verdict: 'unparseable',
      ok: false,
      message: `Temporal at ${address} reports server version ${JSON.stringify(actual)}, which is not a version; expected >= ${minimum}`,
    };
  if (order < 0)
    return {
      ...base,
      verdict: 'too-old',
      ok: false,
      message: `Temporal server ${actual} at ${address} is older than ${minimum}, the oldest the workflows support (TEMPORAL_MIN_SERVER_VERSION); upgrade the server`,
    };
  return {
    ...base,
    verdict: 'ok',
    ok: true,
    message: `Temporal server ${actual} at ${address} is at least ${minimum}`,
  };
}

async function h2oCheck(cfg: Config): Promise<ComponentVersionCheck> {
  const { url, version } = cfg.h2o;
  try {
    const cloud = await new H2OClient(url, { timeoutMs: 10_000 }).cloud();
    const check = checkH2OVersion(cloud.version, version);
    return {
      component: 'h2o',
      address: url,
      verdict: check.verdict,
      actual: cloud.version,
      expected: version,
      ok: check.ok,
      message: check.message,
    };
  } catch (err) {
    return {
      component: 'h2o',
      address: url,
      verdict: 'unreachable',
      actual: undefined,
      expected: version,
      ok: false,
      message: (err as Error).message,
    };
  }
}

async function h2oCloudCheck(cfg: Config): Promise<ComponentVersionCheck> {
  const { url, nodes, members } = cfg.h2o;
  const base = { component: 'h2o-cloud' as const, address: url, expected: String(nodes) };
  try {
    const check = await readAndLockCloud(new H2OClient(url, { timeoutMs: 10_000 }), { nodes, members });
    return { ...base, verdict: check.verdict, actual: String(check.size), ok: check.ok, message: check.message };
  } catch (err) {
    return { ...base, verdict: 'unreachable', actual: undefined, ok: false, message: (err as Error).message };
  }
}

async function temporalCheck(cfg: Config): Promise<ComponentVersionCheck> {
  const { address, minServerVersion } = cfg.temporal;
  let connection: Connection | undefined;
  try {
    connection = await connectClientConnection(cfg.temporal, { connectTimeoutMs: 10_000 });
    const info = await connection.workflowService.getSystemInfo({});
    return checkTemporalVersion(info.serverVersion ?? '', minServerVersion, address);
  } catch (err) {
    return {
      component: 'temporal',
      address,
      verdict: 'unreachable',
      actual: undefined,
      expected: `>= ${minServerVersion}`,
      ok: false,
      message:
        err instanceof TemporalConnectionError
          ? err.message
          : `Temporal at ${address} is unreachable: ${(err as Error).message}`,
    };
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Runs every check; the exit code is the worst outcome. */
export async function versionCheck(cfg: Config = loadConfig()): Promise<VersionCheckSummary> {
  const checks = await Promise.all([h2oCheck(cfg), h2oCloudCheck(cfg), temporalCheck(cfg)]);
  const exitCode = checks.some((c) => c.verdict === 'unreachable')
    ? EXIT_UNREACHABLE
    : checks.some((c) => !c.ok)
      ? EXIT_MISMATCH
      : EXIT_OK;
  return { checks, exitCode };
}

export async function versionCheckCommand(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const unknown = args.find((a) => a !== '--json');
  if (unknown) throw new ValidationError('version-check argument', unknown, 'version-check takes only --json');
  const summary = await versionCheck();
  if (json) console.log(JSON.stringify(summary, null, 2));
  else for (const c of summary.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.component.padEnd(9)} ${c.message}`);
  return summary.exitCode;
}
