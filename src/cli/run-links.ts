/**
 * Where a started run can be found again, as the CLI prints it: the Web UI page, the `temporal`
 * command (in the project's runnable form, src/cli/temporal.ts) and the command that follows it again.
 * Values are shell-quoted, so each printed command works when pasted.
 */
import type { Config } from '../config';
import { temporalHint } from './temporal';

export interface RunRef {
  workflowId: string;
  runId: string;
}

/** Single-quotes a value for sh unless it is plainly safe (ids and names usually are). */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The run's page in the Temporal Web UI (the dev server's, TEMPORAL_UI_PORT). */
export function webUiUrl(cfg: Config, run: RunRef): string {
  const { host, uiPort, namespace } = cfg.temporal;
  return `http://${host}:${uiPort}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(run.workflowId)}/${encodeURIComponent(run.runId)}/history`;
}

/** `npm run temporal -- workflow describe …`: with the run id for a retrain (its workflow id is reused by every retrain of the model). */
export function describeHint(run: RunRef, withRunId: boolean): string {
  return temporalHint(
    `workflow describe --workflow-id ${shellQuote(run.workflowId)}${withRunId ? ` --run-id ${shellQuote(run.runId)}` : ''}`,
  );
}

export function cliHint(args: string): string {
  return `npx tsx src/cli/index.ts ${args}`;
}

/** The lines printed once a run is started (or joined). */
export function runLines(cfg: Config, run: RunRef, describe: string): string[] {
  return [
    `  workflow id  ${run.workflowId}`,
    `  run id       ${run.runId}`,
    `  Web UI       ${webUiUrl(cfg, run)}`,
    `  describe     ${describe}`,
  ];
}
