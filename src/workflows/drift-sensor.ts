/**
 * driftSensor: compares a current window of the feature store with the reference histograms of the
 * model's production version, writes a drift report, and on drift starts (or joins) the model's
 * retrain. Run by a Temporal Schedule per monitored model (src/schedules), or by hand.
 */
import { log, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createDriftActivities } from '../activities/drift';
import type { createRegistryActivities } from '../activities/registry';
import { binSpecOf, evaluateDrift, type BinSpec, type DriftVerdict, type DriftPolicy } from '../shared/drift';
import { failing } from '../shared/failure';
import { modelName } from '../shared/names';
import { DriftPSI, ModelName, ModelVersion, Trigger } from '../shared/search-attributes';
import type { TimeWindow } from '../shared/types';
import { parse } from '../shared/validation';

const { resolveModelConfig, getProductionVersion } = proxyActivities<ReturnType<typeof createRegistryActivities>>({
  startToCloseTimeout: '30 seconds',
});
const { computeWindowHistogram } = proxyActivities<ReturnType<typeof createDriftActivities>>({
  // A window of millions of rows streams for a minute or two; the heartbeat proves it is alive.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
});
const { writeDriftReport, startRetrain } = proxyActivities<ReturnType<typeof createDriftActivities>>({
  startToCloseTimeout: '1 minute',
});

export interface DriftSensorInput {
  model: string;
  /** the current window; default [now − drift.window, now) of the model's declaration (1 day) */
  window?: TimeWindow;
  /** overrides of the policy (thresholds, minRows); default DRIFT_* and the declaration */
  policy?: Partial<DriftPolicy>;
  /** start a retrain on drift. @default true */
  retrainOnDrift?: boolean;
}

export interface DriftSensorOutput {
  model: string;
  /** 'no_production_version' when the model has nothing to compare with (no report written) */
  verdict: DriftVerdict | 'no_production_version';
  version?: number;
  maxPsi?: number;
  reportId?: number;
  /** the retrain started or joined on drift */
  retrainWorkflowId?: string;
  psi?: Record<string, number>;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

export async function driftSensor(input: DriftSensorInput): Promise<DriftSensorOutput> {
  failing(() => parse(modelName, input?.model, 'model'));
  const info = workflowInfo();
  // The schedule's action sets Trigger=schedule when it starts a run; anything else was started by hand.
  upsertSearchAttributes([
    { key: ModelName, value: input.model },
    { key: Trigger, value: info.typedSearchAttributes.get(Trigger) ?? 'manual' },
  ]);
  log.info('drift sensor', { model: input.model });

  const production = await getProductionVersion({ model: input.model });
  if (!production) {
    setCurrentDetails(`${input.model}: no production version, nothing to compare`);
    return { model: input.model, verdict: 'no_production_version' };
  }
  const resolved = await resolveModelConfig({ model: input.model });
  const policy: DriftPolicy = { ...resolved.driftPolicy, ...input.policy };
  const now = Date.now(); // the workflow clock: deterministic on replay
  const window = input.window ?? { start: new Date(now - resolved.driftWindowMs).toISOString(), end: new Date(now).toISOString() };

  const specs: Record<string, BinSpec> = {};
  for (const [name, reference] of Object.entries(production.reference.features)) specs[name] = binSpecOf(reference);
  const current = await computeWindowHistogram({ featureSet: production.featureSet, window, specs });
  const evaluation = evaluateDrift(production.reference, current, policy);
  const { reportId } = await writeDriftReport({
    model: input.model,
    version: production.version,
    referenceWindow: production.window,
    currentWindow: window,
    evaluation,
    sensorWorkflowId: info.workflowId,
    sensorRunId: info.runId,
  });
  upsertSearchAttributes([
    { key: ModelVersion, value: production.version },
    { key: DriftPSI, value: evaluation.maxPsi },
  ]);

  let retrainWorkflowId: string | undefined;
  if (evaluation.verdict === 'drift' && input.retrainOnDrift !== false) {
    retrainWorkflowId = (await startRetrain({ model: input.model, driftReportId: reportId, maxPsi: evaluation.maxPsi, taskQueue: info.taskQueue })).workflowId;
  }
  const summary = `${input.model} v${production.version}: ${evaluation.verdict}, max PSI ${round(evaluation.maxPsi)} over ${evaluation.currentRows} rows (report ${reportId})${retrainWorkflowId ? `, retrain ${retrainWorkflowId}` : ''}`;
  setCurrentDetails(summary);
  log.info(summary);
  return {
    model: input.model,
    verdict: evaluation.verdict,
    version: production.version,
    maxPsi: evaluation.maxPsi,
    reportId,
    retrainWorkflowId,
    psi: Object.fromEntries(Object.entries(evaluation.features).map(([f, d]) => [f, round(d.psi)])),
  };
}
