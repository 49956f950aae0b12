/**
 * Drift reports (monitoring.drift_reports): one per model, version and current window (a backfill
 * run twice, or sensors racing on one window, share it), the lineage a retrained version points
 * back to (model_versions.drift_report_id), and the retrain each report started.
 */
import type { Pool } from 'pg';
import type { DriftEvaluation, WindowRead } from '../shared/drift';
import type { TimeWindow } from '../shared/time-window';

export interface WriteDriftReportInput {
  model: string;
  version: number;
  referenceWindow: TimeWindow | null;
  currentWindow: TimeWindow;
  evaluation: DriftEvaluation;
  /** the sensor run that wrote the report first (a later run of the same window finds it) */
  sensorWorkflowId: string;
  sensorRunId: string;
  /** how the window was read (profiles or the exact reader); absent from older sensors */
  read?: WindowRead;
}

/**
 * Writes the report of a model version's window, or finds the one already written for that window
 * (the first evaluation stands: a re-run reads the same rows); returns its id. A retried activity of
 * the same run finds its own report the same way.
 */
export async function writeDriftReport(pool: Pick<Pool, 'query'>, input: WriteDriftReportInput): Promise<number> {
  const e = input.evaluation;
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO monitoring.drift_reports (model_name, model_version, reference_start, reference_end, current_start, current_end,
       reference_rows, current_rows, feature_stats, max_psi, verdict, sensor_workflow_id, sensor_run_id, read_method, read_stats)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (model_name, model_version, current_start, current_end) DO UPDATE SET model_name = EXCLUDED.model_name
     RETURNING id`,
    [
      input.model,
      input.version,
      input.referenceWindow?.start ?? null,
      input.referenceWindow?.end ?? null,
      input.currentWindow.start,
      input.currentWindow.end,
      e.referenceRows,
      e.currentRows,
      JSON.stringify(e.features),
      e.maxPsi,
      e.verdict,
      input.sensorWorkflowId,
      input.sensorRunId,
      input.read?.method ?? null,
      input.read ? JSON.stringify(input.read) : null,
    ],
  );
  return rows[0]!.id;
}

/** The retrain a report started, or null. */
export async function reportRetrain(pool: Pick<Pool, 'query'>, reportId: number): Promise<string | null> {
  const { rows } = await pool.query<{ retrain_workflow_id: string | null }>(
    'SELECT retrain_workflow_id FROM monitoring.drift_reports WHERE id = $1',
    [reportId],
  );
  return rows[0]?.retrain_workflow_id ?? null;
}

/** Records the retrain a report started. */
export async function recordReportRetrain(
  pool: Pick<Pool, 'query'>,
  reportId: number,
  workflowId: string,
): Promise<void> {
  await pool.query('UPDATE monitoring.drift_reports SET retrain_workflow_id = $2 WHERE id = $1', [
    reportId,
    workflowId,
  ]);
}
