/**
 * scanDockerfile: parses one Dockerfile, runs every rule, and drops findings that an inline comment
 * ignores. A comment block directly above an instruction may say `# scan ignore=rule-id[,rule-id]`
 * or, as hadolint spells it, `# hadolint ignore=DL3008,DL3015`; either names our ids or the aliases
 * (so one hadolint comment satisfies both tools). `# hadolint global ignore=...` (or `# scan global
 * ignore=...`) anywhere in the file ignores the rules for the whole file, as hadolint does.
 */
import { buildContext } from './model';
import { RULES } from './rules';
import type { Finding, RawFinding, Rule } from './types';

export interface ScanOptions {
  /** rule ids or aliases to skip everywhere. @default [] */
  ignore?: string[];
  /** the rules to run. @default RULES */
  rules?: Rule[];
}

interface Ignores {
  /** ids/aliases ignored per 1-based instruction line */
  byLine: Map<number, Set<string>>;
  /** ids/aliases ignored in the whole file */
  file: Set<string>;
}

const PRAGMA = /^#\s*(?:scan|hadolint)\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)/i;

/** Reads the ignore comments: the block directly above an instruction applies to it. */
function inlineIgnores(content: string): Ignores {
  const lines = content.split(/\r?\n/);
  const byLine = new Map<number, Set<string>>();
  const file = new Set<string>();
  let pending = new Set<string>();
  let continued = false;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#')) {
      // a comment inside a continued RUN is part of nothing (Docker drops it)
      const m = continued ? null : PRAGMA.exec(line);
      if (m) for (const id of m[2]!.split(',')) (m[1] ? file : pending).add(id.trim().toLowerCase());
      return;
    }
    if (line === '') {
      if (!continued) pending = new Set();
      return;
    }
    // a continuation line belongs to the instruction that started above it
    if (!continued && pending.size) byLine.set(index + 1, pending);
    if (!continued) pending = new Set();
    continued = /\\\s*$/.test(line);
  });
  return { byLine, file };
}

function ignored(ids: string[], set: Set<string> | undefined): boolean {
  return !!set && ids.some((id) => set.has(id.toLowerCase()));
}

/** One line of readable text: whitespace runs collapsed, no trailing colon, long text cut. */
export function cleanMessage(message: string): string {
  const text = message
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s:]+$/, '');
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}

/** Lints `content` (the text of the Dockerfile named `file`). Findings are sorted by line. */
export async function scanDockerfile(file: string, content: string, options: ScanOptions = {}): Promise<Finding[]> {
  const ctx = await buildContext(file, content);
  const { byLine, file: fileIgnores } = inlineIgnores(content);
  const global = new Set([...(options.ignore ?? []).map((id) => id.toLowerCase()), ...fileIgnores]);
  const findings: Finding[] = [];
  if (ctx.stages.length === 0) {
    findings.push({
      rule: 'no-from',
      severity: 'error',
      line: 1,
      column: 1,
      message: `${file} has no FROM instruction: it is not a Dockerfile`,
      fix: 'Start the file with FROM <image>:<tag>.',
    });
  }
  const seen = new Map<string, Finding>();
  for (const rule of options.rules ?? RULES) {
    if (ignored([rule.id, ...rule.aliases], global)) continue;
    const raws: RawFinding[] = await rule.check(ctx);
    for (const raw of raws) {
      const ids = [rule.id, ...rule.aliases, ...(raw.codes ?? [])];
      if (ignored(raw.codes ?? [], global) || ignored(ids, byLine.get(raw.line))) continue;
      const message = cleanMessage(raw.message);
      // one finding per rule and line: a second apt-get install in the same RUN adds to the message
      const key = `${rule.id}:${raw.codes?.join(',') ?? ''}:${raw.line}`;
      const earlier = seen.get(key);
      if (earlier) {
        if (!earlier.message.includes(message)) earlier.message = cleanMessage(`${earlier.message}; ${message}`);
        continue;
      }
      const finding: Finding = {
        rule: rule.id,
        severity: raw.severity ?? rule.severity,
        line: raw.line,
        column: raw.column,
        message,
        fix: rule.fix,
      };
      seen.set(key, finding);
      findings.push(finding);
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}
