/**
 * scanDockerfile: parses one Dockerfile, runs every rule, and drops findings that an inline comment
 * ignores. A comment block directly above an instruction may say `# scan ignore=rule-id[,rule-id]`
 * or, as hadolint spells it, `# hadolint ignore=DL3008,DL3015`; either names our ids or the aliases.
 */
import { buildContext } from './model';
import { RULES } from './rules';
import type { Finding, Rule } from './types';

export interface ScanOptions {
  /** rule ids or aliases to skip everywhere. @default [] */
  ignore?: string[];
  /** the rules to run. @default RULES */
  rules?: Rule[];
}

/** Rule ids/aliases ignored per 1-based instruction line, read from the comments above it. */
function inlineIgnores(content: string): Map<number, Set<string>> {
  const lines = content.split(/\r?\n/);
  const byLine = new Map<number, Set<string>>();
  let pending = new Set<string>();
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#')) {
      const m = /^#\s*(?:scan|hadolint)\s+ignore\s*=\s*([A-Za-z0-9_,\s-]+)$/i.exec(line);
      if (m) for (const id of m[1]!.split(',')) if (id.trim()) pending.add(id.trim().toLowerCase());
      return;
    }
    if (line === '') {
      pending = new Set();
      return;
    }
    if (pending.size) byLine.set(index + 1, pending);
    pending = new Set();
  });
  return byLine;
}

function ignored(rule: Rule, set: Set<string> | undefined): boolean {
  return !!set && [rule.id, ...rule.aliases].some((id) => set.has(id.toLowerCase()));
}

/** Lints `content` (the text of the Dockerfile named `file`). Findings are sorted by line. */
export function scanDockerfile(file: string, content: string, options: ScanOptions = {}): Finding[] {
  const ctx = buildContext(file, content);
  const perLine = inlineIgnores(content);
  const global = new Set((options.ignore ?? []).map((id) => id.toLowerCase()));
  const findings: Finding[] = [];
  if (ctx.stages.length === 0) {
    findings.push({ rule: 'no-from', severity: 'error', line: 1, column: 1, message: `${file} has no FROM instruction: it is not a Dockerfile`, fix: 'Start the file with FROM <image>:<tag>.' });
  }
  for (const rule of options.rules ?? RULES) {
    if (ignored(rule, global)) continue;
    for (const raw of rule.check(ctx)) {
      if (ignored(rule, perLine.get(raw.line))) continue;
      findings.push({ rule: rule.id, severity: rule.severity, line: raw.line, column: raw.column, message: raw.message, fix: rule.fix });
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}
