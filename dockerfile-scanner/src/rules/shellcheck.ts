/**
 * ShellCheck on every RUN script, as hadolint runs it: the script gets a shebang for the SHELL in force
 * and `export NAME=1` for each ARG and ENV declared so far (so their use is not "unassigned"); SC1090,
 * SC1091 (sourced files) and SC2187 (ash) are excluded. Runs only where Debian's `shellcheck` (or any
 * `shellcheck` on PATH) is installed; without it the rule reports nothing. `--ignore shellcheck` turns it off.
 */
import { Arg, Env } from 'dockerfile-ast';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { at, type RawFinding, type Rule, type RunStep, type ScanContext, type Severity, type Stage } from '../types';

let available: boolean | undefined;

/** true when a `shellcheck` binary answers on PATH (checked once). */
export function shellcheckAvailable(): boolean {
  available ??= spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

interface Comment {
  line: number;
  level: string;
  code: number;
  message: string;
}

const LEVELS: Record<string, Severity> = { error: 'error', warning: 'warning', info: 'info', style: 'style' };
const POSIX_SHELL = /(^|\/)(sh|bash|dash|ash|ksh|mksh|busybox)$/;

interface FileComment extends Comment {
  file: string;
}

/** Checks the scripts in one shellcheck process (its start-up costs more than the checking). */
async function checkAll(scripts: string[]): Promise<Comment[][]> {
  if (scripts.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'scan-shellcheck-'));
  try {
    const files = await Promise.all(
      scripts.map(async (script, n) => {
        const file = join(dir, `run-${n}.sh`);
        await writeFile(file, script);
        return file;
      }),
    );
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'shellcheck',
        ['--format=json1', '--exclude=SC1090,SC1091,SC2187', ...files],
        { maxBuffer: 64 << 20 },
        (err, out) => {
          // exit 1 means "found something"; output that is not JSON is a real failure
          if (out.startsWith('{')) resolve(out);
          else reject(new Error(`shellcheck failed: ${err?.message ?? out.slice(0, 200)}`));
        },
      );
    });
    const comments = (JSON.parse(stdout) as { comments: FileComment[] }).comments;
    return files.map((file) => comments.filter((c) => c.file === file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** ARG and ENV names declared before `run` (global ARGs, then the stage's), as hadolint passes them. */
function declared(ctx: ScanContext, run: RunStep): string[] {
  const names = new Set([
    'HTTP_PROXY',
    'http_proxy',
    'HTTPS_PROXY',
    'https_proxy',
    'FTP_PROXY',
    'ftp_proxy',
    'NO_PROXY',
    'no_proxy',
    ...ctx.globalArgs.keys(),
  ]);
  const stage = ctx.stages.find((s) => s.runs.includes(run))!;
  const lineage: Stage[] = [];
  for (let s: Stage | undefined = stage; s && !lineage.includes(s); s = s.parent) lineage.unshift(s);
  for (const s of lineage) {
    const upTo = s === stage ? s.instructions.indexOf(run.placed) : s.instructions.length;
    for (const i of s.instructions.slice(0, upTo)) {
      if (i instanceof Arg || i instanceof Env) for (const p of i.getProperties()) names.add(p.getName());
    }
  }
  return [...names].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
}

export const shellcheck: Rule = {
  id: 'shellcheck',
  severity: 'warning',
  aliases: [],
  title: "ShellCheck's findings in a RUN script (when shellcheck is installed)",
  fix: 'Fix what ShellCheck names (https://www.shellcheck.net/wiki/SC<code> explains each code), or ignore that code: `# hadolint ignore=SC2086`.',
  async check(ctx) {
    if (!shellcheckAvailable()) return [];
    const runs = ctx.stages
      .flatMap((s) => s.runs)
      .filter(
        (r) =>
          r.script !== undefined &&
          r.script.trim() !== '' &&
          POSIX_SHELL.test(r.execForm ? r.text.split(' ')[0]! : (r.shell[0] ?? '')),
      );
    const headers = runs.map((run) => [
      `#!${run.execForm ? run.text.split(' ')[0]! : run.shell[0]!}`,
      ...declared(ctx, run).map((n) => `export ${n}=1`),
    ]);
    const results = await checkAll(runs.map((run, n) => `${headers[n]!.join('\n')}\n${run.script}\n`));
    return runs.flatMap((run, n) =>
      results[n]!.filter((c) => c.line > headers[n]!.length).map((c): RawFinding => ({
        ...at(run.instruction, `SC${c.code}: ${c.message}`),
        severity: LEVELS[c.level] ?? 'info',
        codes: [`SC${c.code}`],
      })),
    );
  },
};
