/** Rules about package managers in RUN: apt-get, apk, yum/dnf, pip, pipx, npm. */
import { Env } from 'dockerfile-ast';
import type { ShellCommand } from '../shell';
import { programName } from '../shell';
import { at, shippedStages, type RawFinding, type Rule, type RunStep, type ScanContext, type Stage } from '../types';

const allRuns = (ctx: ScanContext): RunStep[] => ctx.stages.flatMap((s) => s.runs);

/** The value an ENV in this stage (or one it builds on) gives `name` before `run`, if any. */
function envBefore(stage: Stage, run: RunStep | undefined, name: string): string | undefined {
  const upTo = run ? stage.instructions.indexOf(run.placed) : stage.instructions.length;
  let value = stage.parent ? envBefore(stage.parent, undefined, name) : undefined;
  for (const i of stage.instructions.slice(0, upTo)) {
    if (!(i instanceof Env)) continue;
    for (const p of i.getProperties()) if (p.getName() === name) value = p.getValue() ?? '';
  }
  return value;
}

/** Words after the subcommand that are not options nor the values of `valued` options. */
function operands(words: string[], valued: string[]): string[] {
  return words.filter((w, i) => !w.startsWith('-') && !valued.includes(words[i - 1] ?? ''));
}

/** Names the redirects that cut a requirement short: `pkg>=1` unquoted is `pkg` written to a file `=1`. */
function redirectNote(c: ShellCommand): string {
  const cut = c.redirects.filter((r) => /^[<>]=?[\w.*]/.test(r) && !/^>\s*\/|^[<>]&/.test(r));
  return cut.length ? ` (unquoted \`${cut.join(' ')}\` is a shell redirect, not a version: quote the requirement)` : '';
}

/** `apt-get ... install ...` (also apt), with the arguments after the subcommand. */
function aptCall(
  command: ShellCommand,
  subcommands: string[],
): { tool: string; sub: string; args: string[]; options: string[] } | undefined {
  const tool = programName(command);
  if (tool !== 'apt-get' && tool !== 'apt') return undefined;
  const rest = command.argv.slice(1);
  const index = rest.findIndex((w) => !w.startsWith('-'));
  const sub = rest[index];
  if (index === -1 || !sub || !subcommands.includes(sub)) return undefined;
  const words = rest.slice(index + 1);
  // `-o Dpkg::Options::=...` and `-t bookworm-backports` take a value that is not a package
  const isValue = (i: number) =>
    ['-o', '-t', '--option', '--target-release', '-c', '--config-file'].includes(words[i - 1] ?? '');
  return {
    tool,
    sub,
    args: words.filter((w, i) => !w.startsWith('-') && !isValue(i)),
    options: [...rest.slice(0, index), ...words.filter((w) => w.startsWith('-'))],
  };
}

function perCommand(
  ctx: ScanContext,
  test: (command: ShellCommand, run: RunStep, stage: Stage) => string | undefined,
): RawFinding[] {
  return ctx.stages.flatMap((stage) =>
    stage.runs.flatMap((run) =>
      run.commands
        .map((c) => test(c, run, stage))
        .filter((m): m is string => m !== undefined)
        .map((m) => at(run.instruction, m)),
    ),
  );
}

const aptUnpinned: Rule = {
  id: 'apt-unpinned',
  severity: 'warning',
  aliases: ['DL3008'],
  title: 'apt-get install without pinned versions',
  fix: 'Pin each package (`curl=7.88.1-10+deb12u12`), so a rebuild installs what was tested.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const call = aptCall(c, ['install']);
      const loose = call?.args.filter((p) => !p.includes('=') && !p.endsWith('.deb') && !p.startsWith('$'));
      return loose?.length ? `${call!.tool} install ${loose.join(' ')} without versions` : undefined;
    }),
};

const aptListsKept: Rule = {
  id: 'apt-lists-kept',
  severity: 'info',
  aliases: ['DL3009'],
  title: 'apt lists left in the layer',
  fix: 'End the same RUN with `rm -rf /var/lib/apt/lists/*` (or use a cache mount for /var/lib/apt).',
  // only the layers of the shipped image count: a build stage's lists are thrown away with it
  check: (ctx) =>
    shippedStages(ctx)
      .flatMap((s) => s.runs)
      // the lists are written by `apt-get update`; a RUN that only installs adds none
      .filter((run) => run.commands.some((c) => aptCall(c, ['update'])))
      .filter((run) => !run.mounts.some((m) => /target=\/var\/lib\/apt/.test(m)))
      .filter(
        (run) =>
          !run.commands.some(
            (c) => programName(c) === 'rm' && c.argv.some((a) => /^\/var\/lib\/apt\/lists(\/\*?)?$/.test(a)),
          ),
      )
      .map((run) =>
        at(
          run.instruction,
          'apt package lists stay in this layer (tens of MB) because the RUN does not remove /var/lib/apt/lists/*',
        ),
      ),
};

const aptRecommends: Rule = {
  id: 'apt-recommends',
  severity: 'info',
  aliases: ['DL3015', 'DS029'],
  title: 'apt-get install without --no-install-recommends',
  fix: 'Add `--no-install-recommends` so only the packages you named (and their dependencies) are installed.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const call = aptCall(c, ['install']);
      return call && !call.options.includes('--no-install-recommends')
        ? `${call.tool} install pulls in recommended packages`
        : undefined;
    }),
};

const aptNoYes: Rule = {
  id: 'apt-no-yes',
  severity: 'warning',
  aliases: ['DL3014', 'DS021'],
  title: 'apt-get install without -y',
  fix: 'Add `-y` so the build does not stop at a prompt.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const call = aptCall(c, ['install']);
      const yes = call?.options.some(
        (o) => o === '-y' || o === '--yes' || o === '--assume-yes' || o === '-qq' || /^-[a-z]*y[a-z]*$/.test(o),
      );
      return call && !yes ? `${call.tool} install without -y waits for an answer` : undefined;
    }),
};

const aptNotAptGet: Rule = {
  id: 'apt-not-apt-get',
  severity: 'warning',
  aliases: ['DL3027', 'CKV_DOCKER_9'],
  title: 'apt used in a script',
  fix: "Use apt-get (or apt-cache): apt's command line is meant for people and may change.",
  check: (ctx) =>
    perCommand(ctx, (c) =>
      programName(c) === 'apt' ? 'apt has no stable command-line interface for scripts' : undefined,
    ),
};

const aptUpgrade: Rule = {
  id: 'apt-upgrade',
  severity: 'warning',
  aliases: ['DS024'],
  title: 'apt-get upgrade in a Dockerfile',
  fix: 'Update the base image tag instead of upgrading packages inside the build.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const call = aptCall(c, ['upgrade', 'dist-upgrade', 'full-upgrade']);
      return call ? `${call.tool} ${call.sub} makes the image depend on the day it was built` : undefined;
    }),
};

const updateAlone: Rule = {
  id: 'update-alone',
  severity: 'warning',
  aliases: ['DS017', 'CKV_DOCKER_5'],
  title: 'Package index update in a RUN of its own',
  fix: 'Run `apt-get update && apt-get install ...` in one RUN, so a cached update layer is never used with a new install.',
  check: (ctx) =>
    allRuns(ctx)
      .filter((run) =>
        run.commands.some((c) => aptCall(c, ['update']) || (programName(c) === 'apk' && c.argv[1] === 'update')),
      )
      .filter(
        (run) =>
          !run.commands.some((c) => aptCall(c, ['install']) || (programName(c) === 'apk' && c.argv.includes('add'))),
      )
      .map((run) => at(run.instruction, 'the index update is cached separately from the install that needs it')),
};

const apkNoCache: Rule = {
  id: 'apk-no-cache',
  severity: 'info',
  aliases: ['DL3019', 'DS025'],
  title: 'apk add without --no-cache',
  fix: 'Use `apk add --no-cache ...` so the index is not kept in the layer.',
  check: (ctx) =>
    perCommand(ctx, (c) =>
      programName(c) === 'apk' && c.argv.includes('add') && !c.argv.includes('--no-cache')
        ? 'apk add keeps its index cache in the layer'
        : undefined,
    ),
};

/** `pip install` / `python -m pip install` (also `uv pip install`): the words after `install`. */
function pipInstall(c: ShellCommand): string[] | undefined {
  const argv = c.argv.map((w) => w.replace(/^.*\//, ''));
  let i = 0;
  if (/^python[\d.]*$/.test(argv[0]!) && argv[1] === '-m') i = 2;
  if (!/^pip[\d.]*$/.test(argv[i] ?? '') || argv[i + 1] !== 'install') return undefined;
  return c.argv.slice(i + 2);
}

/** pip takes any unambiguous prefix of a long option: `--no-cache` is `--no-cache-dir` (`--no-c` is not: --no-color). */
const isNoCacheDir = (w: string) => w.length >= '--no-ca'.length && '--no-cache-dir'.startsWith(w);
/** pip reads PIP_NO_CACHE_DIR as a boolean; any of these switches the cache off. */
const TRUTHY = /^(1|true|yes|on)$/i;

const pipNoCache: Rule = {
  id: 'pip-no-cache',
  severity: 'info',
  aliases: ['DL3042'],
  title: 'pip install without --no-cache-dir',
  fix: "Add `--no-cache-dir` (or set `ENV PIP_NO_CACHE_DIR=1`, or use a cache mount for /root/.cache/pip) so pip's download cache is not kept in the layer.",
  check: (ctx) =>
    perCommand(ctx, (c, run, stage) => {
      const args = pipInstall(c);
      if (!args || args.some(isNoCacheDir) || run.mounts.some((m) => /target=[^,]*pip/.test(m))) return undefined;
      const inline = c.assignments.find((a) => a.startsWith('PIP_NO_CACHE_DIR='))?.slice('PIP_NO_CACHE_DIR='.length);
      if (TRUTHY.test(inline ?? envBefore(stage, run, 'PIP_NO_CACHE_DIR') ?? '')) return undefined;
      return 'pip install keeps its download cache in the layer';
    }),
};

/** pip options whose next word is a value, not a requirement. */
const PIP_VALUED = [
  '-r',
  '--requirement',
  '-c',
  '--constraint',
  '-e',
  '--editable',
  '-i',
  '--index-url',
  '--extra-index-url',
  '-t',
  '--target',
  '--prefix',
  '--root',
  '-f',
  '--find-links',
  '--trusted-host',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--progress-bar',
  '--src',
  '--cache-dir',
  '--log',
  '--proxy',
  '--timeout',
  '--retries',
  '--upgrade-strategy',
  '--only-binary',
  '--no-binary',
  '--config-settings',
  '-C',
  '--report',
  '--python',
];

/** Requirements that leave the version open: no specifier, not a path, file, URL or variable. */
function looseRequirements(words: string[]): string[] {
  return operands(words, PIP_VALUED).filter(
    (p) =>
      !/[=<>~@]/.test(p) &&
      !/^[./~]/.test(p) &&
      !/\.(whl|tar\.gz|zip)$/.test(p) &&
      !p.startsWith('$') &&
      !/^[a-z+]+:\/\//i.test(p),
  );
}

const pipUnpinned: Rule = {
  id: 'pip-unpinned',
  severity: 'warning',
  aliases: ['DL3013'],
  title: 'pip or pipx install without pinned versions',
  fix: 'Pin versions (`h2o==3.46.0.11`, `pipx install "black==24.10.0"`) or install from a requirements file with pins.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const args = pipInstall(c);
      if (args) {
        const loose = looseRequirements(args);
        return loose.length ? `pip install ${loose.join(' ')} without versions${redirectNote(c)}` : undefined;
      }
      // pipx installs an application into a venv of its own; the same pins apply
      if (programName(c) === 'pipx' && c.argv[1] === 'install') {
        const loose = looseRequirements(c.argv.slice(2).filter((w) => !w.startsWith('--pip-args')));
        return loose.length ? `pipx install ${loose.join(' ')} without versions${redirectNote(c)}` : undefined;
      }
      return undefined;
    }),
};

/** `npm install <pkg>...` / `npm i` / `npm add`: the packages named (none = install from package.json). */
function npmPackages(c: ShellCommand): string[] | undefined {
  if (programName(c) !== 'npm' || !['install', 'i', 'add'].includes(c.argv[1] ?? '')) return undefined;
  return operands(c.argv.slice(2), [
    '--prefix',
    '--registry',
    '--cache',
    '-w',
    '--workspace',
    '--omit',
    '--include',
    '--userconfig',
    '--tag',
  ]);
}

const npmUnpinned: Rule = {
  id: 'npm-unpinned',
  severity: 'warning',
  aliases: ['DL3016'],
  title: 'npm install <package> without a version',
  fix: 'Name the version (`npm install -g pnpm@9.15.0`), or add the package to package.json and install with `npm ci`.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const loose = npmPackages(c)?.filter((p) => {
        if (/^(git(\+[a-z]+)?:|github:|https?:)/.test(p)) return !p.includes('#');
        if (/\.(tgz|tar\.gz|tar)$/.test(p) || /^[./~]/.test(p) || p.startsWith('$')) return false;
        return !p.slice(1).includes('@'); // `@scope/name` needs a second @ for its version
      });
      return loose?.length ? `npm install ${loose.join(' ')} without versions` : undefined;
    }),
};

/** `apk add` packages (the value of --virtual/-t and --repository/-X is not a package). */
function apkPackages(c: ShellCommand): string[] | undefined {
  if (programName(c) !== 'apk') return undefined;
  const sub = c.argv.findIndex((w, i) => i > 0 && !w.startsWith('-'));
  if (c.argv[sub] !== 'add') return undefined;
  return operands(c.argv.slice(sub + 1), [
    '-t',
    '--virtual',
    '-X',
    '--repository',
    '--root',
    '-p',
    '--arch',
    '--repositories-file',
    '--keys-dir',
    '--cache-dir',
  ]);
}

const apkUnpinned: Rule = {
  id: 'apk-unpinned',
  severity: 'warning',
  aliases: ['DL3018'],
  title: 'apk add without pinned versions',
  fix: 'Pin each package (`curl=8.11.1-r0`, or `curl~8.11` for the patch releases of one version).',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      const loose = apkPackages(c)?.filter((p) => !/[=~<>]/.test(p) && !p.endsWith('.apk') && !p.startsWith('$'));
      return loose?.length ? `apk add ${loose.join(' ')} without versions` : undefined;
    }),
};

/** `yum`/`dnf`/`microdnf` with the subcommand and its operands. */
function rpmCall(
  c: ShellCommand,
  tools: string[],
): { tool: string; sub: string; args: string[]; options: string[] } | undefined {
  const tool = programName(c);
  if (!tools.includes(tool)) return undefined;
  const rest = c.argv.slice(1);
  const valued = [
    '--setopt',
    '--enablerepo',
    '--disablerepo',
    '--installroot',
    '--releasever',
    '-c',
    '--config',
    '--repo',
    '--nodocs',
  ];
  const index = rest.findIndex((w, i) => !w.startsWith('-') && !valued.includes(rest[i - 1] ?? ''));
  if (index === -1) return undefined;
  return {
    tool,
    sub: rest[index]!,
    args: operands(rest.slice(index + 1), valued),
    options: rest.filter((w) => w.startsWith('-')),
  };
}

const RPM_INSTALL = ['install', 'in', 'reinstall', 'groupinstall', 'localinstall'];
/** `name-1.2.3`: a dash-separated part after the first that starts with a digit (or a variable). */
const rpmPinned = (p: string) =>
  p.endsWith('.rpm') ||
  p.startsWith('$') ||
  p.startsWith('@') ||
  p
    .split('-')
    .slice(1)
    .some((part) => /^(\d|\$)/.test(part));

function rpmRules(
  family: 'yum' | 'dnf',
  tools: string[],
  aliases: { yes: string; clean: string; pin: string },
): Rule[] {
  const cleaned = (run: RunStep, after: number) =>
    run.commands.slice(after).some((c) => {
      const call = rpmCall(c, tools);
      if (call?.sub === 'clean' && call.args.includes('all')) return true;
      return programName(c) === 'rm' && c.argv.some((a) => /^\/var\/cache\/(yum|dnf|libdnf5)/.test(a));
    }) || run.mounts.some((m) => /target=\/var\/cache\/(yum|dnf|libdnf5)/.test(m));
  return [
    {
      id: `${family}-no-yes`,
      severity: 'warning',
      aliases: [aliases.yes],
      title: `${family} install without -y`,
      fix: `Add \`-y\` so the build does not stop at a prompt.`,
      check: (ctx) =>
        perCommand(ctx, (c) => {
          const call = rpmCall(c, tools);
          const yes = call?.options.some((o) => o === '-y' || o === '--assumeyes' || /^-[a-z]*y[a-z]*$/.test(o));
          // microdnf never prompts
          return call && RPM_INSTALL.includes(call.sub) && call.tool !== 'microdnf' && !yes
            ? `${call.tool} ${call.sub} without -y waits for an answer`
            : undefined;
        }),
    },
    {
      id: `${family}-no-clean`,
      severity: 'warning',
      aliases: [aliases.clean],
      title: `${family} install without \`${family} clean all\``,
      fix: `End the same RUN with \`${family} clean all\` (or \`rm -rf /var/cache/${family}\`) so the package cache is not kept in the layer.`,
      check: (ctx) =>
        allRuns(ctx).flatMap((run) => {
          const index = run.commands.findIndex((c) => {
            const call = rpmCall(c, tools);
            return call && [...RPM_INSTALL, 'upgrade', 'update', 'up'].includes(call.sub);
          });
          return index === -1 || cleaned(run, index + 1)
            ? []
            : [
                at(
                  run.instruction,
                  `${programName(run.commands[index]!)} ${rpmCall(run.commands[index]!, tools)!.sub} leaves its package cache in the layer`,
                ),
              ];
        }),
    },
    {
      id: `${family}-unpinned`,
      severity: 'warning',
      aliases: [aliases.pin],
      title: `${family} install without pinned versions`,
      fix: `Pin each package (\`httpd-2.4.62\`), so a rebuild installs what was tested.`,
      check: (ctx) =>
        perCommand(ctx, (c) => {
          const call = rpmCall(c, tools);
          const loose = call && RPM_INSTALL.includes(call.sub) ? call.args.filter((p) => !rpmPinned(p)) : [];
          return loose.length ? `${call!.tool} ${call!.sub} ${loose.join(' ')} without versions` : undefined;
        }),
    },
  ];
}

const npmInstall: Rule = {
  id: 'npm-install',
  severity: 'info',
  aliases: [],
  title: 'npm install instead of npm ci',
  fix: 'Use `npm ci` (with the lock file copied in): it installs exactly the locked versions and fails when package.json and the lock disagree.',
  check: (ctx) =>
    perCommand(ctx, (c) => {
      if (programName(c) !== 'npm' || !['install', 'i'].includes(c.argv[1] ?? '')) return undefined;
      const packages = c.argv.slice(2).filter((w) => !w.startsWith('-'));
      return packages.length === 0 ? "npm install may resolve versions other than the lock file's" : undefined;
    }),
};

export const packageRules: Rule[] = [
  aptUnpinned,
  aptListsKept,
  aptRecommends,
  aptNoYes,
  aptNotAptGet,
  aptUpgrade,
  updateAlone,
  apkNoCache,
  apkUnpinned,
  ...rpmRules('yum', ['yum'], { yes: 'DL3030', clean: 'DL3032', pin: 'DL3033' }),
  ...rpmRules('dnf', ['dnf', 'microdnf'], { yes: 'DL3038', clean: 'DL3040', pin: 'DL3041' }),
  pipNoCache,
  pipUnpinned,
  npmInstall,
  npmUnpinned,
];
