/** getDriftReport: one report of a model with its per-feature statistics, or undefined. */
import type { PoolClient } from 'pg';
import type { FeatureDrift } from '../shared/drift';
import {
  REPORT_SUMMARY_COLUMNS,
  toReportSummary,
  type DriftReportRow,
  type DriftReportSummary,
} from './list-drift-reports';

export interface DriftReport extends DriftReportSummary {
  /** per feature: PSI, verdict, thresholds, and the bins with reference (expected) and current (actual) shares */
  features: Record<string, FeatureDrift>;
}

/** By id, within `model` (a report of another model is not found under this one). */
export async function getDriftReport(
  client: Pick<PoolClient, 'query'>,
  model: string,
  id: number,
): Promise<DriftReport | undefined> {
  const { rows } = await client.query<DriftReportRow & { feature_stats: Record<string, FeatureDrift> }>(
    `SELECT ${REPORT_SUMMARY_COLUMNS}, feature_stats FROM monitoring.drift_reports WHERE id = $1 AND model_name = $2`,
    [id, model],
  );
  const row = rows[0];
  return row && { ...toReportSummary(row), features: row.feature_stats };
}
