/**
 * listDriftReports: a model's drift reports of its latest windows, without their per-feature
 * statistics (the large column): what the model page's PSI chart and report list need.
 */
import type { PoolClient } from 'pg';
import type { DriftVerdict } from '../shared/drift';
import type { TimeWindow } from '../shared/time-window';

export interface DriftReportSummary {
  id: number;
  model: string;
  version: number;
  referenceWindow: TimeWindow | null;
  currentWindow: TimeWindow;
  referenceRows: number;
  currentRows: number;
  maxPsi: number | null;
  verdict: DriftVerdict;
  /** lineage: the sensor run that wrote it, and the retrain it started */
  sensorWorkflowId: string;
  sensorRunId: string | null;
  retrainWorkflowId: string | null;
  createdAt: string;
}

export interface DriftReportRow {
  id: string;
  model_name: string;
  model_version: number;
  reference_start: Date | null;
  reference_end: Date | null;
  current_start: Date;
  current_end: Date;
  reference_rows: string;
  current_rows: string;
  max_psi: number | null;
  verdict: DriftVerdict;
  sensor_workflow_id: string;
  sensor_run_id: string | null;
  retrain_workflow_id: string | null;
  created_at: Date;
}

export const REPORT_SUMMARY_COLUMNS = `id, model_name, model_version, reference_start, reference_end, current_start, current_end,
  reference_rows, current_rows, max_psi, verdict, sensor_workflow_id, sensor_run_id, retrain_workflow_id, created_at`;

export function toReportSummary(r: DriftReportRow): DriftReportSummary {
  return {
    id: Number(r.id),
    model: r.model_name,
    version: r.model_version,
    referenceWindow:
      r.reference_start && r.reference_end
        ? { start: r.reference_start.toISOString(), end: r.reference_end.toISOString() }
        : null,
    currentWindow: { start: r.current_start.toISOString(), end: r.current_end.toISOString() },
    referenceRows: Number(r.reference_rows),
    currentRows: Number(r.current_rows),
    maxPsi: r.max_psi,
    verdict: r.verdict,
    sensorWorkflowId: r.sensor_workflow_id,
    sensorRunId: r.sensor_run_id,
    retrainWorkflowId: r.retrain_workflow_id,
    createdAt: r.created_at.toISOString(),
  };
}

/** The reports of the `limit` latest current windows, latest first (drift_reports_by_model_window, migration 055). */
export async function listDriftReports(
  client: Pick<PoolClient, 'query'>,
  model: string,
  limit: number,
): Promise<DriftReportSummary[]> {
  const { rows } = await client.query<DriftReportRow>(
    `SELECT ${REPORT_SUMMARY_COLUMNS} FROM monitoring.drift_reports WHERE model_name = $1 ORDER BY current_end DESC, id DESC LIMIT $2`,
    [model, limit],
  );
  return rows.map(toReportSummary);
}
