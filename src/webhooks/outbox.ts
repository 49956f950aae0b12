/**
 * The outbox (webhooks.events): one row per change worth announcing, its id derived from the change,
 * so recording it again (a retried activity, two sensors on one window) adds nothing. Registry stage
 * events are recorded inside the registry's own transaction; a drift report and a failed retrain by
 * their ids. Delivery is src/webhooks/dispatch.ts's job.
 */
import type { PoolClient } from 'pg';
import { stageEventType } from '../shared/webhooks';

type Queryable = Pick<PoolClient, 'query'>;

export interface StageEventRecord {
  id: number;
  model: string;
  version: number;
  from: string | null;
  to: string;
  reason: string;
  workflowId?: string;
  /** a rollback's source version */
  rolledBackFrom?: number;
}

/** The webhook event of a registry stage event; call it in the transaction that inserted the stage event. */
export async function recordStageEvent(client: Queryable, e: StageEventRecord): Promise<void> {
  const payload = {
    model: e.model,
    version: e.version,
    fromStage: e.from,
    toStage: e.to,
    reason: e.reason,
    workflowId: e.workflowId ?? null,
    stageEventId: e.id,
    ...(e.rolledBackFrom !== undefined ? { rolledBackFrom: e.rolledBackFrom } : {}),
  };
  await client.query(
    `INSERT INTO webhooks.events (id, type, model_name, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
    [`stage_event:${e.id}`, stageEventType(e.from, e.to), e.model, JSON.stringify(payload)],
  );
}

/** drift.detected for a stored report whose verdict is drift (the stored one: the first evaluation of a window stands). */
export async function recordDriftEvent(db: Queryable, reportId: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO webhooks.events (id, type, model_name, payload)
     SELECT 'drift_report:' || r.id, 'drift.detected', r.model_name,
            jsonb_build_object('model', r.model_name, 'version', r.model_version, 'reportId', r.id, 'maxPsi', r.max_psi, 'verdict', r.verdict,
                               'currentWindow', jsonb_build_object('start', r.current_start, 'end', r.current_end),
                               'currentRows', r.current_rows, 'referenceRows', r.reference_rows,
                               'driftedFeatures', (SELECT coalesce(jsonb_agg(f.key ORDER BY (f.value->>'psi')::float8 DESC), '[]'::jsonb)
                                                     FROM jsonb_each(r.feature_stats) f WHERE f.value->>'verdict' = 'drift'),
                               'sensorWorkflowId', r.sensor_workflow_id)
       FROM monitoring.drift_reports r WHERE r.id = $1 AND r.verdict = 'drift'
     ON CONFLICT (id) DO NOTHING`,
    [reportId],
  );
  return (rowCount ?? 0) > 0;
}

export interface RetrainFailure {
  model: string;
  workflowId: string;
  runId: string;
  /** the failure's message (never a secret: failures carry none) */
  error: string;
  phase?: string;
}

/** retrain.failed, keyed by the failed run. */
export async function recordRetrainFailed(db: Queryable, f: RetrainFailure): Promise<void> {
  await db.query(
    `INSERT INTO webhooks.events (id, type, model_name, payload) VALUES ($1, 'retrain.failed', $2, $3) ON CONFLICT (id) DO NOTHING`,
    [
      `retrain_failed:${f.runId}`,
      f.model,
      JSON.stringify({
        model: f.model,
        workflowId: f.workflowId,
        runId: f.runId,
        error: f.error.slice(0, 2000),
        ...(f.phase ? { phase: f.phase } : {}),
      }),
    ],
  );
}
