/**
 * driftSensor: compares a current window of the feature store with the reference histograms of the
 * model's production version, writes a drift report, and on drift starts (or joins) the model's
 * retrain. Run by a Temporal Schedule per monitored model (sensorScheduleOptions in src/client.ts), or
 * by hand. A scheduled run's window ends at its scheduled time, so `temporal schedule backfill`
 * evaluates the past windows it names; a past window's drift is recorded without a retrain unless
 * the input asks for one. Bad input or a stored reference the sensor cannot use fails the run
 * (non-retryable), so the schedule's next run still starts.
 */
import { log, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createDriftActivities } from '../activities/drift';
import type { createRegistryActivities } from '../activities/registry';
import type { DriftSensorWorkflow } from '../shared/contracts/drift-sensor';
import {
  binSpecOf,
  checkPolicy,
  checkReference,
  driftPolicyOverrides,
  evaluateDrift,
  type BinSpec,
} from '../shared/drift';
import { ValidationError } from '../shared/errors';
import { failing } from '../shared/failure';
import { modelName } from '../shared/names';
import { DriftPSI, ModelName, ModelVersion, TemporalScheduledStartTime, Trigger } from '../shared/search-attributes';
import { timeWindow } from '../shared/time-window';
import { flag, parse, strict } from '../shared/validation';

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

const sensorInput = strict({
  model: modelName,
  window: timeWindow.optional(),
  policy: driftPolicyOverrides.optional(),
  retrainOnDrift: flag().optional(),
  exact: flag().optional(),
});

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** The run's scheduled time (set by a Schedule, backfills included), or undefined for a run started by hand. */
function scheduledTime(): number | undefined {
  const at: unknown = workflowInfo().typedSearchAttributes.get(TemporalScheduledStartTime);
  if (at instanceof Date) return at.getTime();
  return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? Date.parse(at) : undefined;
}

export const driftSensor = async function driftSensor(raw) {
  // bad input fails the run once, naming the field (src/shared/failure.ts), instead of retrying its task
  const input = failing(() => parse(sensorInput, raw ?? {}));
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
  // a version registered without a usable reference (no `features`, bins without shares) cannot be compared
  const reference = failing(() => {
    try {
      return checkReference(production.reference, 'reference');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      throw new ValidationError(
        err.field,
        err.value,
        `${err.expected} (the stored reference of ${input.model} version ${production.version}; promote a version with a reference)`,
      );
    }
  });
  const resolved = await resolveModelConfig({ model: input.model });
  const policy = failing(() => checkPolicy({ ...resolved.driftPolicy, ...input.policy }, 'policy'));
  const now = Date.now(); // the workflow clock: deterministic on replay
  const end = scheduledTime() ?? now;
  const window = input.window ?? {
    start: new Date(end - resolved.driftWindowMs).toISOString(),
    end: new Date(end).toISOString(),
  };
  const pastWindow = Date.parse(window.end) <= now - (Date.parse(window.end) - Date.parse(window.start));

  const specs: Record<string, BinSpec> = {};
  for (const [name, feature] of Object.entries(reference.features)) specs[name] = binSpecOf(feature);
  const { read, ...current } = await computeWindowHistogram({
    featureSet: production.featureSet,
    window,
    specs,
    exact: input.exact,
  });
  const evaluation = evaluateDrift(reference, current, policy);
  const { reportId } = await writeDriftReport({
    model: input.model,
    version: production.version,
    referenceWindow: production.window,
    currentWindow: window,
    evaluation,
    sensorWorkflowId: info.workflowId,
    sensorRunId: info.runId,
    read,
  });
  upsertSearchAttributes([
    { key: ModelVersion, value: production.version },
    { key: DriftPSI, value: evaluation.maxPsi },
  ]);

  let retrainWorkflowId: string | undefined;
  if (evaluation.verdict === 'drift' && (input.retrainOnDrift ?? !pastWindow)) {
    retrainWorkflowId = (
      await startRetrain({
        model: input.model,
        driftReportId: reportId,
        maxPsi: evaluation.maxPsi,
        taskQueue: info.taskQueue,
      })
    ).workflowId;
  }
  const summary = `${input.model} v${production.version}: ${evaluation.verdict}, max PSI ${round(evaluation.maxPsi)} over ${evaluation.currentRows} rows (${read?.method ?? 'exact'} read, report ${reportId}, window ${window.start} … ${window.end})${retrainWorkflowId ? `, retrain ${retrainWorkflowId}` : evaluation.verdict === 'drift' ? ', no retrain (past window or retrainOnDrift false)' : ''}`;
  setCurrentDetails(summary);
  log.info(summary);
  return {
    model: input.model,
    verdict: evaluation.verdict,
    version: production.version,
    maxPsi: evaluation.maxPsi,
    reportId,
    window,
    pastWindow,
    retrainWorkflowId,
    psi: Object.fromEntries(Object.entries(evaluation.features).map(([f, d]) => [f, round(d.psi)])),
    readMethod: read?.method,
  };
} satisfies DriftSensorWorkflow;
