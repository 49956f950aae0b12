/**
 * Builds the scanner's view of a Dockerfile from dockerfile-ast's parse tree: build stages, the SHELL
 * in force for each RUN, and each RUN's body, read the way Docker hands it to the shell, split into
 * shell commands.
 */
import { DockerfileParser, Onbuild, Run, Shell, type Dockerfile, type Instruction } from 'dockerfile-ast';
import type { Parser } from 'web-tree-sitter';
import type { Range } from 'vscode-languageserver-types';
import { substitute } from './args';
import { flattenShell, shellParser } from './shell';
import type { RunStep, ScanContext, Stage } from './types';

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/**
 * The shell script of a shell-form instruction as Docker builds it: comment lines and empty lines inside
 * the continuation are removed (even a comment that ends in the escape character), escaped newlines are
 * joined, and the keyword and its `--flags` are cut off. dockerfile-ast keeps such comments in the
 * arguments, which split a command in two or swallowed the next line.
 */
export function shellText(lines: string[], first: number, last: number, escape: string, column = 0): string {
  const continued = new RegExp(`${escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}[ \t]*$`);
  let text = '';
  for (let n = first; n <= last; n++) {
    const line = (lines[n] ?? '').slice(n === first ? column : 0).replace(/\r$/, '');
    if (n > first && (/^\s*#/.test(line) || /^\s*$/.test(line))) continue;
    if (continued.test(line)) text += line.replace(continued, '');
    else {
      text += line;
      break;
    }
  }
  return text
    .replace(/^\s*\S+\s*/, '')
    .replace(/^(--\S+\s+)+/, '')
    .trim();
}

function jsonArgv(instruction: Run | Shell): string[] {
  return instruction.getJSONStrings().map((s) => s.getJSONValue());
}

/** The source text inside a range (heredoc bodies are not exposed as text by the parser). */
function textOf(lines: string[], range: Range | null): string {
  if (!range) return '';
  const { start, end } = range;
  if (start.line === end.line) return (lines[start.line] ?? '').slice(start.character, end.character);
  return [
    (lines[start.line] ?? '').slice(start.character),
    ...lines.slice(start.line + 1, end.line),
    (lines[end.line] ?? '').slice(0, end.character),
  ].join('\n');
}

function runStep(
  run: Run,
  placed: Instruction,
  shell: string[],
  lines: string[],
  escape: string,
  parser: Parser,
): RunStep {
  const onbuild = placed !== run;
  const execForm = run.getJSONStrings().length > 0;
  const mounts = run
    .getFlags()
    .filter((f) => f.getName() === 'mount')
    .map((f) => f.getValue() ?? '');
  if (execForm) {
    const argv = jsonArgv(run);
    // ["sh", "-c", "..."] runs a shell after all: lex its script
    const script = argv.length >= 3 && /(^|\/)(ba|da|z)?sh$/.test(argv[0]!) && argv[1] === '-c' ? argv[2]! : undefined;
    return {
      instruction: run,
      placed,
      onbuild,
      execForm: true,
      shell,
      mounts,
      text: argv.join(' '),
      script,
      commands:
        script !== undefined
          ? flattenShell(parser, script)
          : [{ argv, wrappers: [], joinedBy: '', pipeline: 0, pipePart: 0, assignments: [], redirects: [] }],
    };
  }
  const { start, end } = run.getRange();
  const heredocs = run.getHeredocs();
  // with here-documents the instruction line ends where the first body starts
  const line = shellText(
    lines,
    start.line,
    heredocs.length ? heredocs[0]!.getContentRange()!.start.line - 1 : end.line,
    escape,
    start.character,
  );
  let text = line;
  if (heredocs.length) {
    const bodies = heredocs.map((h) => ({ name: h.getName(), body: textOf(lines, h.getContentRange()) }));
    // `RUN <<EOF` alone runs the body as the script; `RUN python3 <<EOF` feeds it to the command
    text = /^<<-?["']?[A-Za-z_][\w-]*["']?$/.test(line)
      ? bodies.map((b) => b.body).join('\n')
      : `${line}\n${bodies.map((b) => `${b.body}\n${b.name}`).join('\n')}`;
  }
  return {
    instruction: run,
    placed,
    onbuild,
    execForm: false,
    shell,
    mounts,
    text,
    script: text,
    commands: flattenShell(parser, text),
  };
}

/** Builds the scanner's view of `content` (loads the shell parser on first use). */
export async function buildContext(file: string, content: string): Promise<ScanContext> {
  const parser = await shellParser();
  const dockerfile: Dockerfile = DockerfileParser.parse(content);
  const lines = content.split(/\r?\n/);
  const escape = dockerfile.getEscapeCharacter();
  const globalArgs = new Map<string, string | null>();
  for (const arg of dockerfile.getInitialARGs()) {
    for (const p of arg.getProperties()) globalArgs.set(p.getName(), p.getValue());
  }
  const stages: Stage[] = [];
  let shell = DEFAULT_SHELL;
  const lastShell = new Map<Stage, string[]>();
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line)!;
      // ARGs are substituted before the stage name is looked up, as Docker does
      const image = substitute(from.getImage() ?? '', globalArgs).text;
      const parent = stages.find((s) => s.alias !== undefined && s.alias === image.toLowerCase());
      // SHELL is image config: a stage built on an earlier one keeps its shell
      const previous = stages[stages.length - 1];
      if (previous) lastShell.set(previous, shell);
      shell = (parent && lastShell.get(parent)) ?? DEFAULT_SHELL;
      stages.push({
        from,
        image,
        parent,
        alias: from.getBuildStage()?.toLowerCase() ?? undefined,
        instructions: [],
        runs: [],
        final: false,
      });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) continue; // ARGs before the first FROM
    stage.instructions.push(instruction);
    if (instruction instanceof Shell) shell = jsonArgv(instruction);
    if (instruction instanceof Run) stage.runs.push(runStep(instruction, instruction, shell, lines, escape, parser));
    const trigger = instruction instanceof Onbuild ? instruction.getTriggerInstruction() : null;
    if (trigger instanceof Run) stage.runs.push(runStep(trigger, instruction, shell, lines, escape, parser));
  }
  if (stages.length) stages[stages.length - 1]!.final = true;
  return { file, dockerfile, stages, globalArgs };
}
