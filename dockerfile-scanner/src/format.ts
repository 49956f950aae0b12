/**
 * Report formats: text for people, hadolint-style JSON ({file, line, column, level, code, message})
 * for tools that already read hadolint, and SARIF 2.1.0 for code-scanning UIs.
 */
import { RULES } from './rules';
import type { Finding, Severity } from './types';

export const FORMATS = ['text', 'json', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

export interface FileReport {
  file: string;
  findings: Finding[];
}

export function formatText(reports: FileReport[]): string {
  const lines: string[] = [];
  for (const { file, findings } of reports) {
    for (const f of findings)
      lines.push(`${file}:${f.line}:${f.column} ${f.rule} ${f.severity}: ${f.message}\n    fix: ${f.fix}`);
  }
  const total = reports.reduce((n, r) => n + r.findings.length, 0);
  lines.push(
    total === 0
      ? `${reports.length} Dockerfile(s) scanned, no findings`
      : `${reports.length} Dockerfile(s) scanned, ${total} finding(s)`,
  );
  return lines.join('\n');
}

/** hadolint's JSON: one array of findings over all files. */
export function formatJson(reports: FileReport[]): string {
  return JSON.stringify(
    reports.flatMap(({ file, findings }) =>
      findings.map((f) => ({
        file,
        line: f.line,
        column: f.column,
        level: f.severity,
        code: f.rule,
        message: f.message,
        fix: f.fix,
      })),
    ),
    null,
    2,
  );
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
  style: 'note',
};

export function formatSarif(reports: FileReport[]): string {
  const rules = [
    ...RULES.map((r) => ({ id: r.id, title: r.title, fix: r.fix, severity: r.severity, aliases: r.aliases })),
    {
      id: 'no-from',
      title: 'Not a Dockerfile',
      fix: 'Start the file with FROM <image>:<tag>.',
      severity: 'error' as Severity,
      aliases: [],
    },
  ];
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mlops-dockerfile-scan',
            version: '1.0.0',
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.title },
              help: { text: r.fix },
              defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
              properties: { aliases: r.aliases },
            })),
          },
        },
        results: reports.flatMap(({ file, findings }) =>
          findings.map((f) => ({
            ruleId: f.rule,
            ruleIndex: rules.findIndex((r) => r.id === f.rule),
            level: SARIF_LEVEL[f.severity],
            message: { text: `${f.message}. Fix: ${f.fix}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: file.replace(/\\/g, '/') },
                  region: { startLine: f.line, startColumn: f.column },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}

export function formatReports(format: Format, reports: FileReport[]): string {
  return format === 'json' ? formatJson(reports) : format === 'sarif' ? formatSarif(reports) : formatText(reports);
}
