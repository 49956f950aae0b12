/**
 * A command in a real terminal, as a person would see it: a detached tmux session of a fixed size on a
 * private socket (so it never touches anyone's sessions), whose screen a test reads with capture-pane
 * and types into with send-keys. The pane stays after the command exits, so its last screen and its
 * exit status can still be read.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { aptInstall } from '../../src/stack/install';
import { uniqueName } from './temporal';

const run = promisify(execFile);

export interface Terminal {
  /** the screen now, one string per line (a line the terminal wrapped is joined again; trailing blanks trimmed) */
  screen(): Promise<string[]>;
  /** tmux key names, e.g. 'C-c' */
  sendKeys(...keys: string[]): Promise<void>;
  /** the command's exit status once it exited (minus the signal's number when one killed it), else undefined */
  exitStatus(): Promise<number | undefined>;
  /** waits for the command to exit and returns its status; throws after `timeoutMs` */
  exited(timeoutMs: number): Promise<number>;
  /** polls the screen until `found` matches it (every screen seen goes to `seen`); throws after `timeoutMs` with the last screen */
  waitFor(found: (screen: string[]) => boolean, timeoutMs: number, seen?: string[][]): Promise<string[]>;
  close(): void;
}

/** tmux from Debian, installed on first use like the browser tests' Chromium: a missing tmux fails the test, never skips it. */
export function ensureTmux(): void {
  aptInstall(['tmux'], (line) => console.log(`[tmux] ${line}`));
}

/** Starts `command` (a shell command line) in a `width`×`height` terminal, in `cwd`. */
export async function openTerminal(
  command: string,
  options: { cwd: string; width?: number; height?: number },
): Promise<Terminal> {
  const name = uniqueName('tty');
  const dir = mkdtempSync(join(tmpdir(), 'tmux-'));
  const conf = join(dir, 'tmux.conf');
  // no user config; the pane outlives the command, with its status
  writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 2000\n');
  const tmux = (...args: string[]) => run('tmux', ['-L', name, '-f', conf, ...args], { encoding: 'utf8' });
  // how the command ended, written by a small wrapper (tmux's own pane status is not always filled in)
  const statusFile = join(dir, 'status');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const wrapped = `exec node --import tsx ${quote(join(__dirname, 'exit-status.ts'))} ${quote(statusFile)} ${quote(command)}`;
  await tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    String(options.width ?? 100),
    '-y',
    String(options.height ?? 30),
    '-c',
    options.cwd,
    wrapped,
  );
  const screen = async () =>
    (await tmux('capture-pane', '-p', '-J', '-t', name)).stdout.split('\n').map((l) => l.trimEnd());
  const exitStatus = async () => {
    try {
      return Number(readFileSync(statusFile, 'utf8'));
    } catch {
      return undefined;
    }
  };
  return {
    screen,
    exitStatus,
    async sendKeys(...keys) {
      await tmux('send-keys', '-t', name, ...keys);
    },
    async exited(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await exitStatus();
        if (status !== undefined) return status;
        if (Date.now() > deadline)
          throw new Error(
            `the command in the terminal did not exit within ${timeoutMs} ms; its screen:\n${(await screen()).join('\n')}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async waitFor(found, timeoutMs, seen) {
      const deadline = Date.now() + timeoutMs;
      let last: string[] = [];
      for (;;) {
        last = await screen();
        seen?.push(last);
        if (found(last)) return last;
        if (Date.now() > deadline)
          throw new Error(`the terminal never showed what the test waits for; its screen:\n${last.join('\n')}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    close() {
      try {
        execFileSync('tmux', ['-L', name, 'kill-server'], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Keeps what the terminal showed with the test's output (.stack/test-output/<name>.txt, next to
 * test-results.json): each distinct screen once, in order, so a reader sees what a person saw.
 */
export function saveScreens(projectRoot: string, name: string, screens: string[][]): string {
  const dir = join(projectRoot, '.stack', 'test-output', 'cli-follow');
  mkdirSync(dir, { recursive: true });
  const distinct = screens.map((s) => s.join('\n').trimEnd()).filter((s, i, all) => i === 0 || s !== all[i - 1]);
  const path = join(dir, `${name}.txt`);
  writeFileSync(path, distinct.map((s, i) => `--- screen ${i + 1} of ${distinct.length} ---\n${s}\n`).join('\n'));
  return path;
}
