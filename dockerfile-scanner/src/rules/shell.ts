/** Rules about what RUN does in its shell: pipes, downloads piped into shells, sudo, cd, permissions. */
import { Add, Copy } from 'dockerfile-ast';
import { pipeText, programName, type ShellCommand } from '../shell';
import { knownSecretFormat } from '../secrets';
import { at, type Rule, type RunStep, type ScanContext } from '../types';

const allRuns = (ctx: ScanContext): RunStep[] => ctx.stages.flatMap((s) => s.runs);

/** Commands grouped by pipeline, keeping only real pipelines (two or more commands). */
function pipelines(run: RunStep): ShellCommand[][] {
  const groups = new Map<number, ShellCommand[]>();
  for (const c of run.commands) groups.set(c.pipeline, [...(groups.get(c.pipeline) ?? []), c]);
  return [...groups.values()].filter((g) => g.length > 1);
}

/** true when the SHELL or the script itself turns on pipefail before the first pipe. */
function hasPipefail(run: RunStep): boolean {
  const shellOn =
    run.shell.some((w, i) => w === 'pipefail' && run.shell[i - 1] === '-o') ||
    run.shell.some((w) => /^-[a-z]*o$/.test(w) && run.shell.includes('pipefail'));
  if (shellOn) return true;
  const firstPipe = run.commands.findIndex((c) => c.joinedBy === '|');
  return run.commands
    .slice(0, Math.max(firstPipe, 0))
    .some((c) => programName(c) === 'set' && c.argv.includes('pipefail'));
}

const pipeWithoutPipefail: Rule = {
  id: 'pipe-without-pipefail',
  severity: 'warning',
  aliases: ['DL4006'],
  title: 'A pipe without pipefail',
  fix: 'Add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN (or start it with `set -o pipefail &&` in a shell that has it), so a failing left side fails the build.',
  check: (ctx) =>
    allRuns(ctx)
      .filter((run) => !run.execForm || run.commands.length > 1)
      .filter((run) => pipelines(run).length > 0 && !hasPipefail(run))
      .map((run) => {
        const pipe = pipeText(pipelines(run)[0]!);
        return at(
          run.instruction,
          `\`${pipe}\` succeeds when ${pipe.split(' | ')[0]} fails, because only the last command's status counts`,
        );
      }),
};

const DOWNLOADERS = new Set(['curl', 'wget', 'fetch']);
const INTERPRETERS = /^(sh|bash|dash|zsh|ash|ksh|python[\d.]*|perl|ruby|node|php)$/;

const curlPipeShell: Rule = {
  id: 'curl-pipe-shell',
  severity: 'error',
  aliases: [],
  title: 'A download piped into a shell',
  fix: 'Download to a file, verify its checksum (`echo "<sha256>  file" | sha256sum -c -`), then run it; better, install from a package.',
  check: (ctx) =>
    allRuns(ctx).flatMap((run) =>
      pipelines(run)
        .filter((p) => {
          const names = p.map(programName);
          const d = names.findIndex((n) => DOWNLOADERS.has(n));
          return d !== -1 && names.slice(d + 1).some((n) => INTERPRETERS.test(n));
        })
        .map((p) => at(run.instruction, `\`${pipeText(p)}\` runs whatever the server sends, unverified`)),
    ),
};

const sudo: Rule = {
  id: 'sudo',
  severity: 'error',
  aliases: ['DL3004', 'DS010', 'CKV2_DOCKER_1'],
  title: 'sudo in a RUN',
  fix: 'Run the step as root before switching USER (or use `USER root` around it); sudo adds a setuid binary and a TTY-dependent behaviour.',
  check: (ctx) =>
    allRuns(ctx)
      .filter((run) => run.commands.some((c) => programName(c) === 'sudo' || c.wrappers.includes('sudo')))
      .map((run) => at(run.instruction, 'RUN uses sudo')),
};

const runCd: Rule = {
  id: 'run-cd',
  severity: 'warning',
  aliases: ['DL3003', 'DS013'],
  title: 'cd in a RUN',
  fix: 'Use WORKDIR to change directory; it applies to the following instructions and is visible in the image.',
  check: (ctx) =>
    allRuns(ctx)
      .filter((run) => run.commands.some((c) => programName(c) === 'cd'))
      .map((run) => at(run.instruction, 'RUN changes directory with cd')),
};

/** A mode that lets every user write: octal with the others' write bit, or `o+w` / `a+w` / `+w`. */
const WORLD_WRITABLE = (mode: string) =>
  /^[0-7]?[0-7][0-7][2367]$/.test(mode) || /(^|,)(a|o|[ugo]*o[ugo]*)?\+[rxXst]*w/.test(mode);

const worldWritable: Rule = {
  id: 'world-writable',
  severity: 'warning',
  aliases: [],
  title: 'chmod or COPY --chmod makes files world-writable',
  fix: 'Give the files to the runtime user (`COPY --chown=app:app` or chown) instead of opening them to everyone.',
  check: (ctx) => [
    ...allRuns(ctx)
      .filter((run) =>
        run.commands.some(
          (c) => programName(c) === 'chmod' && c.argv.slice(1).some((a) => !a.startsWith('-') && WORLD_WRITABLE(a)),
        ),
      )
      .map((run) => at(run.instruction, 'chmod grants write access to every user in the container')),
    ...ctx.stages
      .flatMap((s) => s.instructions)
      .filter(
        (i) =>
          (i instanceof Copy || i instanceof Add) &&
          i.getFlags().some((f) => f.getName() === 'chmod' && WORLD_WRITABLE(f.getValue() ?? '')),
      )
      .map((i) =>
        at(
          i,
          `${i.getKeyword()} --chmod=${(i as Copy)
            .getFlags()
            .find((f) => f.getName() === 'chmod')!
            .getValue()} grants write access to every user in the container`,
        ),
      ),
  ],
};

/** wget options that keep its progress output short. */
const WGET_QUIET =
  /^(-nv|--quiet|--no-verbose|--progress(=.*)?|--output-file(=.*)?|--append-output(=.*)?|-[a-zA-Z]*[qoa].*)$/;

const wgetProgress: Rule = {
  id: 'wget-progress',
  severity: 'info',
  aliases: ['DL3047'],
  title: 'wget without a progress option',
  fix: 'Use `wget --progress=dot:giga <url>`, or `-q` / `-nv`, so a download does not fill the build log with its progress bar.',
  check: (ctx) =>
    allRuns(ctx)
      .filter((run) =>
        run.commands.some((c) => programName(c) === 'wget' && !c.argv.slice(1).some((a) => WGET_QUIET.test(a))),
      )
      .map((run) => at(run.instruction, 'wget prints a progress bar line by line into the build log')),
};

/** Commands that manage a running system, which a build step is not. */
const POINTLESS = new Set(['free', 'kill', 'mount', 'ps', 'service', 'shutdown', 'ssh', 'top', 'vim']);

const pointlessCommand: Rule = {
  id: 'pointless-command',
  severity: 'info',
  aliases: ['DL3001'],
  title: 'A command that makes no sense in a build',
  fix: 'Remove it: a RUN step has no running services, terminal or other processes (start services from CMD/ENTRYPOINT; edit files with sed or COPY).',
  check: (ctx) =>
    allRuns(ctx).flatMap((run) => {
      const found = [...new Set(run.commands.map(programName).filter((n) => POINTLESS.has(n)))];
      return found.length
        ? [at(run.instruction, `RUN calls ${found.join(', ')}, which acts on a running system, not on the image`)]
        : [];
    }),
};

const secretInRun: Rule = {
  id: 'secret-in-run',
  severity: 'error',
  aliases: ['DS031'],
  title: 'A credential written into a RUN',
  fix: 'Pass credentials with `RUN --mount=type=secret,id=name` and read /run/secrets/name; a RUN line is stored in the image history.',
  check: (ctx) =>
    allRuns(ctx).flatMap((run) => {
      const format = knownSecretFormat(run.text);
      return format
        ? [
            at(
              run.instruction,
              `the RUN text contains a credential (${format}), which stays readable in \`docker history\``,
            ),
          ]
        : [];
    }),
};

export const shellRules: Rule[] = [
  pipeWithoutPipefail,
  curlPipeShell,
  sudo,
  runCd,
  worldWritable,
  wgetProgress,
  pointlessCommand,
  secretInRun,
];
