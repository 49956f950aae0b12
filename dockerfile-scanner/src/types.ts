/**
 * Vocabulary of the Dockerfile scanner: a rule inspects a parsed Dockerfile and reports findings;
 * each finding carries the rule's id, a severity, a message naming what it saw, and the fix.
 * Severities and the JSON shape follow hadolint, so CI setups that read hadolint output read ours.
 */
import type { Dockerfile, From, Instruction } from 'dockerfile-ast';
import type { ShellCommand } from './shell';

/** hadolint's levels, most severe first. */
export const SEVERITIES = ['error', 'warning', 'info', 'style'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** true when `severity` is at or above `threshold` (error > warning > info > style). */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/** One problem found in one file. Lines and columns are 1-based, as editors and SARIF count them. */
export interface Finding {
  /** the rule id, e.g. `apt-unpinned` */
  rule: string;
  severity: Severity;
  line: number;
  column: number;
  message: string;
  /** how to fix it */
  fix: string;
}

/** A RUN instruction with its shell body split into commands (exec-form RUNs have one command). */
export interface RunStep {
  /** the RUN (for `ONBUILD RUN`, the trigger) */
  instruction: Instruction;
  /** the instruction in the stage's list: the RUN, or the ONBUILD that holds it */
  placed: Instruction;
  /** true for `ONBUILD RUN`: it runs in the images built FROM this one (hadolint checks those too) */
  onbuild: boolean;
  /** the shell text as Docker runs it (comment lines dropped, continuations joined), or the exec-form argv joined by spaces */
  text: string;
  /** the script a shell runs (shell form, or exec form `["sh", "-c", script]`); undefined when no shell is involved */
  script: string | undefined;
  commands: ShellCommand[];
  /** true when written as a JSON array (no shell involved) */
  execForm: boolean;
  /** the SHELL in force for this RUN (Docker's default is ["/bin/sh", "-c"]) */
  shell: string[];
  /** `--mount=...` flag values of this RUN */
  mounts: string[];
}

/** A build stage: its FROM and the instructions up to the next FROM. */
export interface Stage {
  from: From;
  /** the FROM image with the global ARGs substituted (variables without a default left as written) */
  image: string;
  /** the earlier stage this one builds on (`FROM build`, or `FROM ${BASE}` with ARG BASE=build) */
  parent: Stage | undefined;
  /** the `AS name` alias, lower-cased, when given */
  alias: string | undefined;
  instructions: Instruction[];
  runs: RunStep[];
  /** true for the last stage: the image that ships */
  final: boolean;
}

/** What every rule receives. */
export interface ScanContext {
  file: string;
  dockerfile: Dockerfile;
  stages: Stage[];
  /** ARGs declared before the first FROM, with their defaults (null when none) */
  globalArgs: Map<string, string | null>;
}

/** A finding before the scanner adds the rule's id, severity and fix. */
export interface RawFinding {
  line: number;
  column: number;
  message: string;
  /** overrides the rule's severity (ShellCheck's findings carry their own level) */
  severity?: Severity;
  /** more ids an ignore comment may name for this finding alone (ShellCheck's `SC2086`) */
  codes?: string[];
}

export interface Rule {
  /** stable kebab-case id: what `# scan ignore=` and `--ignore` name, and the SARIF ruleId */
  id: string;
  severity: Severity;
  /** one line: what the rule guards */
  title: string;
  /** how to fix a finding */
  fix: string;
  /** the same rule in hadolint (DLxxxx) and Trivy (DSxxx), so `# hadolint ignore=DL3008` also works */
  aliases: string[];
  check(ctx: ScanContext): RawFinding[] | Promise<RawFinding[]>;
}

/** Position of an instruction for a finding (dockerfile-ast counts from 0). */
export function at(instruction: Instruction, message: string): RawFinding {
  const start = instruction.getRange().start;
  return { line: start.line + 1, column: start.character + 1, message };
}

/** The final stage and the stages it builds on, oldest first: the image that ships. */
export function shippedStages(ctx: ScanContext): Stage[] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = ctx.stages[ctx.stages.length - 1]; s && !chain.includes(s); s = s.parent)
    chain.unshift(s);
  return chain;
}
