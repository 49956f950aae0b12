/**
 * Builds the scanner's view of a Dockerfile from dockerfile-ast's parse tree: build stages, the SHELL
 * in force for each RUN, and each RUN's body split into shell commands.
 */
import { DockerfileParser, Run, Shell, type Dockerfile, type Instruction } from 'dockerfile-ast';
import type { Range } from 'vscode-languageserver-types';
import { parseShell } from './shell';
import type { RunStep, ScanContext, Stage } from './types';

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** The text of an instruction's arguments with line continuations joined (comments inside are dropped by the parser). */
function argumentText(instruction: Instruction): string {
  return instruction.getArgumentsContent() ?? '';
}

function jsonArgv(instruction: Run | Shell): string[] {
  return instruction.getJSONStrings().map((s) => s.getJSONValue());
}

/** The source text inside a range (heredoc bodies are not exposed as text by the parser). */
function textOf(lines: string[], range: Range | null): string {
  if (!range) return '';
  const { start, end } = range;
  if (start.line === end.line) return (lines[start.line] ?? '').slice(start.character, end.character);
  return [(lines[start.line] ?? '').slice(start.character), ...lines.slice(start.line + 1, end.line), (lines[end.line] ?? '').slice(0, end.character)].join('\n');
}

function runStep(run: Run, shell: string[], lines: string[]): RunStep {
  const execForm = run.getJSONStrings().length > 0;
  const mounts = run.getFlags().filter((f) => f.getName() === 'mount').map((f) => f.getValue() ?? '');
  if (execForm) {
    const argv = jsonArgv(run);
    // ["sh", "-c", "..."] runs a shell after all: lex its script
    const script = argv.length >= 3 && /(^|\/)(ba|da|z)?sh$/.test(argv[0]!) && argv[1] === '-c' ? argv[2]! : undefined;
    return {
      instruction: run, execForm: true, shell, mounts,
      text: argv.join(' '),
      commands: script !== undefined ? parseShell(script) : [{ argv, wrappers: [], joinedBy: '', pipeline: 0 }],
    };
  }
  const heredocs = run.getHeredocs().map((h) => textOf(lines, h.getContentRange())).join('\n');
  const text = heredocs ? `${argumentText(run)}\n${heredocs}` : argumentText(run);
  return { instruction: run, execForm: false, shell, mounts, text, commands: parseShell(text) };
}

export function buildContext(file: string, content: string): ScanContext {
  const dockerfile: Dockerfile = DockerfileParser.parse(content);
  const lines = content.split(/\r?\n/);
  const globalArgs = new Map<string, string | null>();
  for (const arg of dockerfile.getInitialARGs()) {
    for (const p of arg.getProperties()) globalArgs.set(p.getName(), p.getValue());
  }
  const stages: Stage[] = [];
  let shell = DEFAULT_SHELL;
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line)!;
      stages.push({ from, alias: from.getBuildStage()?.toLowerCase() ?? undefined, instructions: [], runs: [], final: false });
      shell = DEFAULT_SHELL;
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) continue; // ARGs before the first FROM
    stage.instructions.push(instruction);
    if (instruction instanceof Shell) shell = jsonArgv(instruction);
    if (instruction instanceof Run) stage.runs.push(runStep(instruction, shell, lines));
  }
  if (stages.length) stages[stages.length - 1]!.final = true;
  return { file, dockerfile, stages, globalArgs };
}
