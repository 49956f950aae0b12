/**
 * Drift activities: reference profiles of training windows, histograms of current windows, drift
 * reports, and starting the retrain a drift calls for. Everything reads rows where they live and
 * returns bins and ids, never rows.
 */
import { ApplicationFailure, getClient, heartbeat } from '@temporalio/activity';
import { FailureType, ValidationError } from '../errors';
import { buildReferenceProfile } from '../monitoring/reference-profile';
import { streamWindowHistogram } from '../monitoring/window-histogram';
import { DriftPSI, ModelName, Trigger } from '../search-attributes';
import type { BinSpec, DriftEvaluation, WindowHistogram } from '../sensors';
import type { ReferenceProfile, TimeWindow } from '../types';
import type { ActivityDeps } from './deps';

export interface ComputeReferenceProfileInput {
  featureSet: string;
  /** the training window [start, end) */
  window: TimeWindow;
  /** the features to profile (the model's inputs, not the target) */
  features: string[];
  /** equal-frequency bins per numeric feature. @default DRIFT_BINS (10, deciles) */
  bins?: number;
}

export interface ComputeWindowHistogramInput {
  featureSet: string;
  window: TimeWindow;
  /** the bins of each feature, from the production version's reference */
  specs: Record<string, BinSpec>;
}

export interface WriteDriftReportInput {
  model: string;
  version: number;
  referenceWindow: TimeWindow | null;
  currentWindow: TimeWindow;
  evaluation: DriftEvaluation;
  /** the sensor run: one report per run, so a retry finds the report it wrote */
  sensorWorkflowId: string;
  sensorRunId: string;
}

export interface StartRetrainInput {
  model: string;
  /** the drift report that calls for it; its retrain_workflow_id records the retrain */
  driftReportId: number;
  maxPsi: number;
  /** task queue of the retrain (the sensor's own) */
  taskQueue: string;
}

export interface StartRetrainOutput {
  workflowId: string;
  runId: string;
}

/** The workflow id of a model's retrain: one retrain per model at a time (DESIGN.md rule 4). */
export function retrainWorkflowId(model: string): string {
  return `retrain-${model}`;
}

/** Throws ValidationError unless `window` is two ISO timestamps with start < end. */
export function validateWindow(field: string, window: TimeWindow | undefined): void {
  if (!window || typeof window !== 'object') throw new ValidationError(field, window, 'a window { start, end } of ISO-8601 timestamps');
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (typeof window.start !== 'string' || Number.isNaN(start)) throw new ValidationError(`${field}.start`, window.start, 'an ISO-8601 timestamp');
  if (typeof window.end !== 'string' || Number.isNaN(end)) throw new ValidationError(`${field}.end`, window.end, 'an ISO-8601 timestamp');
  if (start >= end) throw new ValidationError(`${field}.end`, window.end, `a time after ${field}.start (${window.start})`);
}

function validateFeatures(features: unknown): asserts features is string[] {
  if (!Array.isArray(features) || features.length === 0) throw new ValidationError('features', features, 'a non-empty list of feature names');
  const seen = new Set<string>();
  for (const f of features) {
    if (typeof f !== 'string' || f.length === 0) throw new ValidationError('features', f, 'feature names are non-empty strings');
    if (seen.has(f)) throw new ValidationError('features', f, 'feature names must be unique');
    seen.add(f);
  }
}

/** Bad input will fail on every retry: turn ValidationError into a non-retryable failure. */
async function nonRetryableOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Validation);
    throw err;
  }
}

export function createDriftActivities({ config, pool }: ActivityDeps) {
  return {
    /** Reference histograms of a training window, stored with the model version it trains. */
    async computeReferenceProfile(input: ComputeReferenceProfileInput): Promise<ReferenceProfile> {
      return nonRetryableOnBadInput(async () => {
        if (typeof input?.featureSet !== 'string' || input.featureSet.length === 0) throw new ValidationError('featureSet', input?.featureSet, 'a non-empty feature set name');
        validateWindow('window', input.window);
        validateFeatures(input.features);
        const bins = input.bins ?? config.drift.bins;
        if (!Number.isInteger(bins) || bins < 2 || bins > 100) throw new ValidationError('bins', input.bins, 'an integer from 2 to 100');
        return buildReferenceProfile(pool, { featureSet: input.featureSet, window: input.window }, input.features, {
          bins,
          maxCategories: config.drift.maxCategories,
          onProgress: (rows) => heartbeat({ rows }),
        });
      });
    },

    /** Bin counts of a current window under a reference's bins, in constant memory. */
    async computeWindowHistogram(input: ComputeWindowHistogramInput): Promise<WindowHistogram> {
      return nonRetryableOnBadInput(async () => {
        validateWindow('window', input.window);
        if (!input.specs || Object.keys(input.specs).length === 0) throw new ValidationError('specs', input.specs, 'the bins of at least one feature');
        return streamWindowHistogram(pool, { featureSet: input.featureSet, window: input.window }, input.specs, { onProgress: (rows) => heartbeat({ rows }) });
      });
    },

    /** Writes the sensor run's drift report (idempotent per sensor run); returns its id. */
    async writeDriftReport(input: WriteDriftReportInput): Promise<{ reportId: number }> {
      const e = input.evaluation;
      const { rows } = await pool.query<{ id: number }>(
        `INSERT INTO monitoring.drift_reports (model_name, model_version, reference_start, reference_end, current_start, current_end,
           reference_rows, current_rows, feature_stats, max_psi, verdict, sensor_workflow_id, sensor_run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (sensor_workflow_id, sensor_run_id) DO UPDATE SET sensor_workflow_id = EXCLUDED.sensor_workflow_id
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
        ],
      );
      return { reportId: rows[0]!.id };
    },

    /**
     * Starts `retrainModel` for a drifted model, or joins the one already running: the workflow id is
     * derived from the model and the conflict policy is USE_EXISTING, so ten sensors racing on one
     * drift start one retrain. The retrain is recorded in the report; a retried activity whose report
     * already names a retrain returns it instead of starting another after that one finished.
     */
    async startRetrain(input: StartRetrainInput): Promise<StartRetrainOutput> {
      const recorded = await pool.query<{ retrain_workflow_id: string | null }>('SELECT retrain_workflow_id FROM monitoring.drift_reports WHERE id = $1', [input.driftReportId]);
      const workflowId = retrainWorkflowId(input.model);
      const client = getClient();
      if (recorded.rows[0]?.retrain_workflow_id) {
        const description = await client.workflow.getHandle(recorded.rows[0].retrain_workflow_id).describe();
        return { workflowId: description.workflowId, runId: description.runId };
      }
      const psi = Math.round(input.maxPsi * 1000) / 1000;
      const handle = await client.workflow.start('retrainModel', {
        workflowId,
        taskQueue: input.taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [{ model: input.model, reason: `drift: max PSI ${psi} (report ${input.driftReportId})`, trigger: 'drift', driftReportId: input.driftReportId, driftPsi: input.maxPsi }],
        typedSearchAttributes: [
          { key: ModelName, value: input.model },
          { key: Trigger, value: 'drift' },
          { key: DriftPSI, value: input.maxPsi },
        ],
        staticSummary: `retrain ${input.model}: drift, max PSI ${psi}, report ${input.driftReportId}`,
      });
      await pool.query('UPDATE monitoring.drift_reports SET retrain_workflow_id = $2 WHERE id = $1', [input.driftReportId, handle.workflowId]);
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },
  };
}
