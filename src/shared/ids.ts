/**
 * Workflow and schedule ids: how a run is found again (`temporal workflow describe -w retrain-churn`),
 * and the rules that make starts idempotent. Derived here only, so a starter, a test and the docs
 * agree on each id. (H2O object ids are src/h2o/ids.ts.)
 */

/** One retrain per model at a time: a second trigger joins the running one (docs/ARCHITECTURE.md, "Rules that keep it correct", rule 4). */
export function retrainWorkflowId(model: string): string {
  return `retrain-${model}`;
}

/** The Schedule of a model's drift sensor; the server appends each run's scheduled time to it as the run's id. */
export function sensorScheduleId(model: string): string {
  return `drift-sensor-${model}`;
}

/** An ingest run started by hand or by a starter: the source and the start time, readable in the Web UI. */
export function ingestWorkflowId(source: string, startedAt: Date): string {
  return `ingest-${source}-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * The ingest child of a retrain. With the retrain's run id: retrains of one model share the workflow
 * id, and an ingest run's dead letters are keyed by its workflow id, so a fixed child id would make
 * every retrain after the first drop its dead letters as "already written".
 */
export function retrainIngestWorkflowId(retrainId: string, retrainRunId: string, source: string): string {
  return `${retrainId}-ingest-${source}-${retrainRunId}`;
}

/**
 * The training child of a retrain. The full run id: retrains of one model share the workflow id, and a
 * UUIDv7 prefix repeats for about a minute.
 */
export function retrainTrainingWorkflowId(retrainId: string, retrainRunId: string): string {
  return `${retrainId}-train-${retrainRunId}`;
}

/** A webhook delivery's workflow: one id per (subscription, event), so a repeated start joins or is refused, never duplicates. */
export function deliveryWorkflowId(deliveryId: string): string {
  return `webhook-${deliveryId}`;
}

/** The Schedule that starts deliveries whose start was lost (a crash between a commit and the start); also its runs' workflow id prefix. */
export const WEBHOOK_SWEEP_SCHEDULE_ID = 'webhooks-sweep';

/** A stackHealth run started by hand (the demo's first step), by its start time in ms. */
export function stackHealthWorkflowId(startedAtMs: number): string {
  return `stack-health-${startedAtMs}`;
}
