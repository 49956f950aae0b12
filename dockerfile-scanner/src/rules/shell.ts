/** Rules about what RUN does in its shell: pipes, downloads piped into shells, sudo, cd, permissions. */
import { programName, type ShellCommand } from '../shell';
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
  const shellOn = run.shell.some((w, i) => w === 'pipefail' && run.shell[i - 1] === '-o') || run.shell.some((w) => /^-[a-z]*o$/.test(w) && run.shell.includes('pipefail'));
  if (shellOn) return true;
  const firstPipe = run.commands.findIndex((c) => c.joinedBy === '|');
  return run.commands.slice(0, Math.max(firstPipe, 0)).some((c) => programName(c) === 'set' && c.argv.includes('pipefail'));
}

const pipeWithoutPipefail: Rule = {
  id: 'pipe-without-pipefail', severity: 'warning', aliases: ['DL4006'],
  title: 'A pipe without pipefail',
  fix: 'Add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN (or start it with `set -o pipefail &&` in a shell that has it), so a failing left side fails the build.',
  check: (ctx) => allRuns(ctx)
    .filter((run) => !run.execForm || run.commands.length > 1)
    .filter((run) => pipelines(run).length > 0 && !hasPipefail(run))
    .map((run) => {
      const pipe = pipelines(run)[0]!.map(programName).join(' | ');
      return at(run.instruction, `\`${pipe}\` succeeds when ${pipe.split(' | ')[0]} fails, because only the last command's status counts`);
    }),
};

const DOWNLOADERS = new Set(['curl', 'wget', 'fetch']);
const INTERPRETERS = /^(sh|bash|dash|zsh|ash|ksh|python[\d.]*|perl|ruby|node|php)$/;

const curlPipeShell: Rule = {
  id: 'curl-pipe-shell', severity: 'error', aliases: [],
  title: 'A download piped into a shell',
  fix: 'Download to a file, verify its checksum (`echo "<sha256>  file" | sha256sum -c -`), then run it; better, install from a package.',
  check: (ctx) => allRuns(ctx).flatMap((run) => pipelines(run)
    .filter((p) => { const names = p.map(programName); const d = names.findIndex((n) => DOWNLOADERS.has(n)); return d !== -1 && names.slice(d + 1).some((n) => INTERPRETERS.test(n)); })
    .map((p) => at(run.instruction, `\`${p.map(programName).join(' | ')}\` runs whatever the server sends, unverified`))),
};

const sudo: Rule = {
  id: 'sudo', severity: 'error', aliases: ['DL3004', 'DS010', 'CKV2_DOCKER_1'],
  title: 'sudo in a RUN',
  fix: 'Run the step as root before switching USER (or use `USER root` around it); sudo adds a setuid binary and a TTY-dependent behaviour.',
  check: (ctx) => allRuns(ctx).filter((run) => run.commands.some((c) => programName(c) === 'sudo' || c.wrappers.includes('sudo'))).map((run) => at(run.instruction, 'RUN uses sudo')),
};

const runCd: Rule = {
  id: 'run-cd', severity: 'warning', aliases: ['DL3003', 'DS013'],
  title: 'cd in a RUN',
  fix: 'Use WORKDIR to change directory; it applies to the following instructions and is visible in the image.',
  check: (ctx) => allRuns(ctx).filter((run) => run.commands.some((c) => programName(c) === 'cd')).map((run) => at(run.instruction, 'RUN changes directory with cd')),
};

const worldWritable: Rule = {
  id: 'world-writable', severity: 'warning', aliases: [],
  title: 'chmod makes files world-writable',
  fix: 'Give the files to the runtime user (`COPY --chown=app:app` or chown) instead of opening them to everyone.',
  check: (ctx) => allRuns(ctx)
    .filter((run) => run.commands.some((c) => programName(c) === 'chmod' && c.argv.slice(1).some((a) => /^[0-7]?[0-7][0-7][2367]$/.test(a) || /^(a|o|[ugo]*o[ugo]*)\+[rx]*w/.test(a))))
    .map((run) => at(run.instruction, 'chmod grants write access to every user in the container')),
};

const secretInRun: Rule = {
  id: 'secret-in-run', severity: 'error', aliases: ['DS031'],
  title: 'A credential written into a RUN',
  fix: 'Pass credentials with `RUN --mount=type=secret,id=name` and read /run/secrets/name; a RUN line is stored in the image history.',
  check: (ctx) => allRuns(ctx).flatMap((run) => {
    const format = knownSecretFormat(run.text);
    return format ? [at(run.instruction, `the RUN text contains a credential (${format}), which stays readable in \`docker history\``)] : [];
  }),
};

export const shellRules: Rule[] = [pipeWithoutPipefail, curlPipeShell, sudo, runCd, worldWritable, secretInRun];
