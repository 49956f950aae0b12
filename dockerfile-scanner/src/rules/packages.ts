/** Rules about package managers in RUN: apt-get, apk, pip, npm. */
import type { ShellCommand } from '../shell';
import { programName } from '../shell';
import { at, type RawFinding, type Rule, type RunStep, type ScanContext } from '../types';

const allRuns = (ctx: ScanContext): RunStep[] => ctx.stages.flatMap((s) => s.runs);

/** `apt-get ... install ...` (also apt), with the arguments after the subcommand. */
function aptCall(command: ShellCommand, subcommands: string[]): { tool: string; sub: string; args: string[]; options: string[] } | undefined {
  const tool = programName(command);
  if (tool !== 'apt-get' && tool !== 'apt') return undefined;
  const rest = command.argv.slice(1);
  const index = rest.findIndex((w) => !w.startsWith('-'));
  const sub = rest[index];
  if (index === -1 || !sub || !subcommands.includes(sub)) return undefined;
  const words = rest.slice(index + 1);
  // `-o Dpkg::Options::=...` and `-t bookworm-backports` take a value that is not a package
  const isValue = (i: number) => ['-o', '-t', '--option', '--target-release', '-c', '--config-file'].includes(words[i - 1] ?? '');
  return { tool, sub, args: words.filter((w, i) => !w.startsWith('-') && !isValue(i)), options: [...rest.slice(0, index), ...words.filter((w) => w.startsWith('-'))] };
}

function perCommand(ctx: ScanContext, test: (command: ShellCommand, run: RunStep) => string | undefined): RawFinding[] {
  return allRuns(ctx).flatMap((run) => run.commands.map((c) => test(c, run)).filter((m): m is string => m !== undefined).map((m) => at(run.instruction, m)));
}

const aptUnpinned: Rule = {
  id: 'apt-unpinned', severity: 'warning', aliases: ['DL3008'],
  title: 'apt-get install without pinned versions',
  fix: 'Pin each package (`curl=7.88.1-10+deb12u12`), so a rebuild installs what was tested.',
  check: (ctx) => perCommand(ctx, (c) => {
    const call = aptCall(c, ['install']);
    const loose = call?.args.filter((p) => !p.includes('=') && !p.endsWith('.deb') && !p.startsWith('$'));
    return loose?.length ? `${call!.tool} install ${loose.join(' ')} without versions` : undefined;
  }),
};

const aptListsKept: Rule = {
  id: 'apt-lists-kept', severity: 'info', aliases: ['DL3009'],
  title: 'apt lists left in the layer',
  fix: 'End the same RUN with `rm -rf /var/lib/apt/lists/*` (or use a cache mount for /var/lib/apt).',
  check: (ctx) => allRuns(ctx)
    .filter((run) => run.commands.some((c) => aptCall(c, ['install', 'update'])))
    .filter((run) => !run.mounts.some((m) => /target=\/var\/lib\/apt/.test(m)))
    .filter((run) => !run.commands.some((c) => programName(c) === 'rm' && c.argv.some((a) => /^\/var\/lib\/apt\/lists(\/\*?)?$/.test(a))))
    .map((run) => at(run.instruction, 'apt package lists stay in this layer (tens of MB) because the RUN does not remove /var/lib/apt/lists/*')),
};

const aptRecommends: Rule = {
  id: 'apt-recommends', severity: 'info', aliases: ['DL3015', 'DS029'],
  title: 'apt-get install without --no-install-recommends',
  fix: 'Add `--no-install-recommends` so only the packages you named (and their dependencies) are installed.',
  check: (ctx) => perCommand(ctx, (c) => {
    const call = aptCall(c, ['install']);
    return call && !call.options.includes('--no-install-recommends') ? `${call.tool} install pulls in recommended packages` : undefined;
  }),
};

const aptNoYes: Rule = {
  id: 'apt-no-yes', severity: 'warning', aliases: ['DL3014', 'DS021'],
  title: 'apt-get install without -y',
  fix: 'Add `-y` so the build does not stop at a prompt.',
  check: (ctx) => perCommand(ctx, (c) => {
    const call = aptCall(c, ['install']);
    const yes = call?.options.some((o) => o === '-y' || o === '--yes' || o === '--assume-yes' || o === '-qq' || /^-[a-z]*y[a-z]*$/.test(o));
    return call && !yes ? `${call.tool} install without -y waits for an answer` : undefined;
  }),
};

const aptNotAptGet: Rule = {
  id: 'apt-not-apt-get', severity: 'warning', aliases: ['DL3027', 'CKV_DOCKER_9'],
  title: 'apt used in a script',
  fix: 'Use apt-get (or apt-cache): apt\'s command line is meant for people and may change.',
  check: (ctx) => perCommand(ctx, (c) => (programName(c) === 'apt' ? 'apt has no stable command-line interface for scripts' : undefined)),
};

const aptUpgrade: Rule = {
  id: 'apt-upgrade', severity: 'warning', aliases: ['DS024'],
  title: 'apt-get upgrade in a Dockerfile',
  fix: 'Update the base image tag instead of upgrading packages inside the build.',
  check: (ctx) => perCommand(ctx, (c) => {
    const call = aptCall(c, ['upgrade', 'dist-upgrade', 'full-upgrade']);
    return call ? `${call.tool} ${call.sub} makes the image depend on the day it was built` : undefined;
  }),
};

const updateAlone: Rule = {
  id: 'update-alone', severity: 'warning', aliases: ['DS017', 'CKV_DOCKER_5'],
  title: 'Package index update in a RUN of its own',
  fix: 'Run `apt-get update && apt-get install ...` in one RUN, so a cached update layer is never used with a new install.',
  check: (ctx) => allRuns(ctx)
    .filter((run) => run.commands.some((c) => aptCall(c, ['update']) || (programName(c) === 'apk' && c.argv[1] === 'update')))
    .filter((run) => !run.commands.some((c) => aptCall(c, ['install']) || (programName(c) === 'apk' && c.argv.includes('add'))))
    .map((run) => at(run.instruction, 'the index update is cached separately from the install that needs it')),
};

const apkNoCache: Rule = {
  id: 'apk-no-cache', severity: 'info', aliases: ['DL3019', 'DS025'],
  title: 'apk add without --no-cache',
  fix: 'Use `apk add --no-cache ...` so the index is not kept in the layer.',
  check: (ctx) => perCommand(ctx, (c) => (programName(c) === 'apk' && c.argv.includes('add') && !c.argv.includes('--no-cache') ? 'apk add keeps its index cache in the layer' : undefined)),
};

/** `pip install` / `python -m pip install`: the words after `install`. */
function pipInstall(c: ShellCommand): string[] | undefined {
  const argv = c.argv.map((w) => w.replace(/^.*\//, ''));
  let i = 0;
  if (/^python[\d.]*$/.test(argv[0]!) && argv[1] === '-m') i = 2;
  if (!/^pip[\d.]*$/.test(argv[i] ?? '') || argv[i + 1] !== 'install') return undefined;
  return c.argv.slice(i + 2);
}

const pipNoCache: Rule = {
  id: 'pip-no-cache', severity: 'info', aliases: ['DL3042'],
  title: 'pip install without --no-cache-dir',
  fix: 'Add `--no-cache-dir` (or set PIP_NO_CACHE_DIR=1) so pip\'s download cache is not kept in the layer.',
  check: (ctx) => perCommand(ctx, (c, run) => {
    const args = pipInstall(c);
    if (!args || args.includes('--no-cache-dir') || run.mounts.some((m) => /target=[^,]*pip/.test(m))) return undefined;
    return 'pip install keeps its download cache in the layer';
  }),
};

const pipUnpinned: Rule = {
  id: 'pip-unpinned', severity: 'warning', aliases: ['DL3013'],
  title: 'pip install without pinned versions',
  fix: 'Pin versions (`h2o==3.46.0.11`) or install from a requirements file with pins.',
  check: (ctx) => perCommand(ctx, (c) => {
    const args = pipInstall(c);
    if (!args) return undefined;
    const takesValue = new Set(['-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url', '-t', '--target', '--prefix', '--root', '-f', '--find-links']);
    const packages = args.filter((w, i) => !w.startsWith('-') && !takesValue.has(args[i - 1] ?? ''));
    const loose = packages.filter((p) => !/[=<>~@]/.test(p) && !/^[./]/.test(p) && !/\.(whl|tar\.gz|zip)$/.test(p) && !p.startsWith('$'));
    return loose.length ? `pip install ${loose.join(' ')} without versions` : undefined;
  }),
};

const npmInstall: Rule = {
  id: 'npm-install', severity: 'info', aliases: [],
  title: 'npm install instead of npm ci',
  fix: 'Use `npm ci` (with the lock file copied in): it installs exactly the locked versions and fails when package.json and the lock disagree.',
  check: (ctx) => perCommand(ctx, (c) => {
    if (programName(c) !== 'npm' || !['install', 'i'].includes(c.argv[1] ?? '')) return undefined;
    const packages = c.argv.slice(2).filter((w) => !w.startsWith('-'));
    return packages.length === 0 ? 'npm install may resolve versions other than the lock file\'s' : undefined;
  }),
};

export const packageRules: Rule[] = [aptUnpinned, aptListsKept, aptRecommends, aptNoYes, aptNotAptGet, aptUpgrade, updateAlone, apkNoCache, pipNoCache, pipUnpinned, npmInstall];
