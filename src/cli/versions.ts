/** `versions <model> [--json]`: a model's versions, newest first, with stage, metrics and lineage. */
import { config } from '../config';
import { ValidationError } from '../shared/errors';
import { createPool } from '../postgres';
import { CHAMPION_METRICS } from '../shared/metrics';
import { listVersions, type ModelVersionSummary } from '../registry';

/** Champion metrics first (the ones a reader compares versions by), then the rest. */
function formatMetrics(metrics: Record<string, number>): string {
  const order: readonly string[] = CHAMPION_METRICS;
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return Object.entries(metrics)
    .filter(([, v]) => typeof v === 'number')
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .slice(0, 3)
    .map(([k, v]) => `${k}=${Math.round(v * 10000) / 10000}`)
    .join(' ');
}

export function formatVersions(versions: ModelVersionSummary[]): string {
  const lines = versions.map((v) => {
    const lineage = [
      `workflow ${v.workflowId}`,
      v.window ? `window ${v.window.start.slice(0, 16)}..${v.window.end.slice(0, 16)}` : undefined,
      v.driftReportId !== null ? `drift report ${v.driftReportId}` : undefined,
      v.rolledBackFrom !== null ? `rollback of v${v.rolledBackFrom}` : undefined,
    ].filter(Boolean);
    return `${`v${v.version}`.padEnd(7)} ${v.stage.padEnd(10)} ${String(v.algorithm).padEnd(8)} ${formatMetrics(v.metrics).padEnd(44)} ${v.createdAt.slice(0, 19)}  ${lineage.join(', ')}`;
  });
  return [
    `${'version'.padEnd(7)} ${'stage'.padEnd(10)} ${'algo'.padEnd(8)} ${'metrics'.padEnd(44)} ${'created'.padEnd(19)}  lineage`,
    ...lines,
  ].join('\n');
}

export async function versionsCommand(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  const unknown = rest.find((a) => a.startsWith('-'));
  if (unknown) throw new ValidationError('versions option', unknown, 'only --json');
  if (rest.length !== 1)
    throw new ValidationError(
      'versions arguments',
      rest.join(' '),
      'exactly one model name: versions <model> [--json]',
    );
  const model = rest[0]!;
  const pool = createPool(config().postgres, 'mlops-cli');
  try {
    const versions = await listVersions(pool, model);
    if (versions.length === 0) throw new ValidationError('model', model, 'has no versions in the registry');
    console.log(json ? JSON.stringify(versions, null, 2) : formatVersions(versions));
    return 0;
  } finally {
    await pool.end();
  }
}
