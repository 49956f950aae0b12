/**
 * Process and port helpers for the local stack: detached daemons with pid files, port probes,
 * and waiting for health. Each component module builds on these.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { StackError } from '../shared/errors';

export interface StackPaths {
  /** pid files of the daemons the stack started */
  run: string;
  /** one log file per component */
  logs: string;
}

export function stackPaths(stateDir: string): StackPaths {
  return { run: join(stateDir, 'run'), logs: join(stateDir, 'logs') };
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Who holds a TCP port, as `ss` reports it (best effort, for error messages). */
export function portHolder(port: number): string {
  const out = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(out.stdout ?? '');
  return users ? `${users[1]} (pid ${users[2]})` : 'another process';
}

/** Fails with a clear message when a port we are about to bind is taken by something that is not ours. */
export async function assertPortFree(component: string, host: string, port: number, variable: string): Promise<void> {
  if (await isPortOpen(host, port)) {
    throw new StackError(
      `${component}: port ${port} on ${host} is already taken by ${portHolder(port)}, not by this stack`,
      `stop that process, or set ${variable} to a free port`,
    );
  }
}

export interface DaemonOptions {
  name: string;
  command: string;
  args: string[];
  paths: StackPaths;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** run as this uid/gid (root cannot run postgres) */
  user?: { uid: number; gid: number };
}

/** Starts a detached daemon whose output goes to logs/<name>.log and whose pid goes to run/<name>.pid. */
export function startDaemon(options: DaemonOptions): number {
  mkdirSync(options.paths.run, { recursive: true });
  mkdirSync(options.paths.logs, { recursive: true });
  const logFile = join(options.paths.logs, `${options.name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(options.command, options.args, {
    uid: options.user?.uid,
    gid: options.user?.gid,
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new StackError(`${options.name}: could not start ${options.command}`);
  child.unref();
  writeFileSync(join(options.paths.run, `${options.name}.pid`), String(child.pid));
  return child.pid;
}

/** Stops a daemon by its pid file: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopDaemon(name: string, paths: StackPaths, graceMs = 15000): Promise<boolean> {
  const pidFile = join(paths.run, `${name}.pid`);
  const pid = readPid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return false;
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the daemon leads its own process group (detached)
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The live pid of a daemon this stack started (from its pid file), or undefined. */
export function daemonPid(name: string, paths: StackPaths): number | undefined {
  return readPid(join(paths.run, `${name}.pid`));
}

/**
 * `up` for a daemon this stack already started: waits until it is healthy and returns true.
 * Returns false when the stack has not started it (the caller then checks the port and starts it).
 */
export async function awaitIfRunning(
  name: string,
  paths: StackPaths,
  healthy: () => Promise<boolean>,
  timeoutS: number,
): Promise<boolean> {
  if (daemonPid(name, paths) === undefined) return false;
  await waitUntil(name, healthy, timeoutS, join(paths.logs, `${name}.log`));
  return true;
}

/** Polls `check` until it returns true; fails after `timeoutS` with the tail of the component's log. */
export async function waitUntil(
  name: string,
  check: () => Promise<boolean>,
  timeoutS: number,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(300);
  }
  const tail = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new StackError(
    `${name} did not become healthy within ${timeoutS}s${logFile ? `; last lines of ${logFile}:\n${tail}` : ''}`,
    `look at ${logFile ?? 'its log'}, or raise MLOPS_STACK_TIMEOUT_S`,
  );
}

/** Runs a command synchronously; throws a StackError with its output when it fails. */
export function run(
  command: string,
  args: string[],
  options: SpawnSyncOptions & { what?: string; fix?: string } = {},
): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StackError(
      `${options.what ?? command}: ${missing ? `\`${command}\` is not installed` : result.error.message}`,
      options.fix,
    );
  }
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new StackError(
      `${options.what ?? command}: \`${command} ${args.join(' ')}\` exited with ${result.status}:\n${output}`,
      options.fix,
    );
  }
  return String(result.stdout ?? '');
}

export function which(binary: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * The Go toolchain's `go`: on PATH, or where Go's own tarball installs it (/usr/local/go/bin, often on
 * PATH only through a login shell's profile). For the `go install` routes (the temporal CLI's fallback,
 * the tests' actionlint).
 */
export function goToolchain(): string | undefined {
  return which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
