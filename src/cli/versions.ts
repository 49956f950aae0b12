/** `versions <model> [--json]`: a model's versions, newest first, with stage, metrics and lineage. */
import { config } from '../config';
import { ValidationError } from '../errors';
import { createPool } from '../postgres';
import { listVersions, type ModelVersionSummary } from '../registry';

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .filter(([, v]) => typeof v === 'number')
    .slice(0, 4)
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
    return `v${String(v.version).padEnd(4)} ${v.stage.padEnd(10)} ${String(v.algorithm).padEnd(8)} ${formatMetrics(v.metrics).padEnd(40)} ${v.createdAt.slice(0, 19)}  ${lineage.join(', ')}`;
  });
  return ['version stage      algo     metrics                                  created              lineage', ...lines].join('\n');
}

export async function versionsCommand(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  const unknown = rest.find((a) => a.startsWith('-'));
  if (unknown) throw new ValidationError('versions option', unknown, 'only --json');
  if (rest.length !== 1) throw new ValidationError('versions arguments', rest.join(' '), 'exactly one model name: versions <model> [--json]');
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
