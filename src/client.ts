/**
 * The platform from the outside: the Temporal connection and the starters every caller uses (the CLI,
 * the demo, the drift activity, tests). Each starter passes the workflow function, so its input is
 * type-checked, and sets the workflow id, search attributes and summary the Web UI shows.
 */
import {
  Client,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { config as loadConfig, type Config } from './config';
import { parseDuration } from './shared/duration';
import { connectClientConnection } from './temporal-connection';
import { ingestWorkflowId, retrainWorkflowId, sensorScheduleId } from './shared/ids';
import { sensorJitterMs, type ModelDeclaration } from './shared/model-declaration';
import { DriftPSI, ModelName, RecordsWritten, SourceName, Trigger } from './shared/search-attributes';
import { driftSensor } from './workflows/drift-sensor';
import { ingestSource, type IngestSourceInput } from './workflows/ingest-source';
import { retrainModel, triggerOf, type RetrainModelInput } from './workflows/retrain-model';
import { sweepWebhooks } from './workflows/sweep-webhooks';
import { WEBHOOK_SWEEP_SCHEDULE_ID } from './shared/webhooks';

export interface TemporalClient {
  client: Client;
  close(): Promise<void>;
}

/** A client of the configured server and namespace (TEMPORAL_ADDRESS, TLS, API key, profile: src/temporal-connection.ts). */
export async function connectTemporal(cfg: Config = loadConfig()): Promise<TemporalClient> {
  const connection = await connectClientConnection(cfg.temporal);
  return { client: new Client({ connection, namespace: cfg.temporal.namespace }), close: () => connection.close() };
}

// --- ingestSource ------------------------------------------------------------------------------------

export interface StartIngestOptions {
  /** @default TEMPORAL_TASK_QUEUE */
  taskQueue?: string;
  /** @default `ingest-<source>-<timestamp>` */
  workflowId?: string;
  config?: Config;
}

/**
 * Starts an ingest run: a readable workflow id, a static summary for the Web UI, the SourceName search
 * attribute from the first event, and the history limit from INGEST_HISTORY_EVENT_LIMIT (workflows
 * cannot read the environment).
 */
export async function startIngest(client: Client, input: IngestSourceInput, options: StartIngestOptions = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof ingestSource>> {
  const cfg = options.config ?? loadConfig();
  const featureSet = input.definition?.mapping.featureSet;
  return client.workflow.start(ingestSource, {
    taskQueue: options.taskQueue ?? cfg.temporal.taskQueue,
    workflowId: options.workflowId ?? ingestWorkflowId(input.source, new Date()),
    args: [{ historyEventLimit: cfg.ingest.historyEventLimit, ...input }],
    typedSearchAttributes: [
      { key: SourceName, value: input.source },
      { key: RecordsWritten, value: 0 },
    ],
    staticSummary: `Ingest source ${input.source}${featureSet ? ` into feature set ${featureSet}` : ''}${input.window ? ` for [${input.window.start}, ${input.window.end})` : ''}`,
    staticDetails: 'Fetches every page of the source and upserts its records into features.feature_values; query `progress` for pages, records written, dead letters and the cursor.',
  });
}

// --- retrainModel ------------------------------------------------------------------------------------

export interface StartRetrainOptions {
  taskQueue: string;
  /** the Web UI's summary of the run @default `retrain <model>: <reason>` */
  summary?: string;
}

/**
 * Starts `retrainModel` for a model, or joins the one already running: the workflow id is
 * `retrain-<model>` and the conflict policy USE_EXISTING, so ten triggers racing on one model start
 * one retrain (DESIGN.md rule 4).
 */
export async function startRetrain(client: Client, input: RetrainModelInput, options: StartRetrainOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof retrainModel>> {
  return client.workflow.start(retrainModel, {
    workflowId: retrainWorkflowId(input.model),
    taskQueue: options.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [input],
    typedSearchAttributes: [
      { key: ModelName, value: input.model },
      { key: Trigger, value: triggerOf(input) },
      ...(input.driftPsi !== undefined ? [{ key: DriftPSI, value: input.driftPsi }] : []),
    ],
    staticSummary: options.summary ?? `retrain ${input.model}: ${input.reason}`,
  });
}

// --- drift-sensor Schedules --------------------------------------------------------------------------

/** The schedule of a declared model's sensor; undefined when the model declares no drift section. */
export function sensorScheduleOptions(model: ModelDeclaration, taskQueue: string): ScheduleOptions | undefined {
  const drift = model.drift;
  if (!drift) return undefined;
  const every = drift.every ? `every ${drift.every}` : `cron ${drift.cron}`;
  return {
    scheduleId: sensorScheduleId(model.name),
    // jitter: a fleet due in the same minute starts spread over it; the run's TemporalScheduledStartTime
    // (its window's end) stays the nominal time, so windows do not move
    spec: { ...(drift.cron ? { cronExpressions: [drift.cron] } : { intervals: [{ every: parseDuration('drift.every', drift.every) }] }), jitter: sensorJitterMs(drift) },
    action: {
      type: 'startWorkflow',
      workflowType: driftSensor,
      // the server appends each run's scheduled time to this id
      workflowId: sensorScheduleId(model.name),
      taskQueue,
      // a run stuck past this is timed out, so overlap SKIP cannot skip every later run
      workflowRunTimeout: parseDuration('drift.runTimeout', drift.runTimeout),
      args: [{ model: model.name }],
      typedSearchAttributes: [
        { key: ModelName, value: model.name },
        { key: Trigger, value: 'schedule' },
      ],
      staticSummary: `drift sensor for ${model.name}: window ${drift.window}, ${every}`,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // set explicitly: the SDK's JSDoc disagrees with itself about the default
      catchupWindow: parseDuration('drift.catchupWindow', drift.catchupWindow),
      pauseOnFailure: false,
    },
    state: { paused: drift.paused, note: `declared in MODELS_CONFIG (${every})` },
  };
}

export interface AppliedSchedule {
  scheduleId: string;
  model: string;
  outcome: 'created' | 'updated';
}

export interface ApplySchedulesOptions {
  /** schedules created or updated at once (each is one or two RPCs). @default 16 */
  concurrency?: number;
}

/**
 * Creates or updates the sensor schedule of every declared model with a drift section, idempotently,
 * so `npm run schedules:apply` can run on every deploy, `concurrency` at a time (a thousand models
 * apply in seconds, without a thousand RPCs in flight). Overlap SKIP: a sensor still running when
 * the next one is due makes that one skip. Results are in the order of `models`.
 */
export async function applySchedules(client: Client, models: ModelDeclaration[], taskQueue: string, options: ApplySchedulesOptions = {}): Promise<AppliedSchedule[]> {
  const work = models.flatMap((model) => {
    const schedule = sensorScheduleOptions(model, taskQueue);
    return schedule ? [{ model, schedule }] : [];
  });
  const applied: AppliedSchedule[] = new Array(work.length);
  let next = 0;
  const lane = async () => {
    while (next < work.length) {
      const i = next++;
      const { model, schedule } = work[i]!;
      applied[i] = { scheduleId: schedule.scheduleId, model: model.name, outcome: await applySchedule(client, schedule) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, work.length) }, lane));
  return applied;
}

// --- the webhooks sweep ------------------------------------------------------------------------------

/**
 * The `webhooks-sweep` Schedule: every `everyS` seconds sweepWebhooks starts the deliveries of events
 * whose start was lost (src/workflows/sweep-webhooks.ts). Created or updated, idempotently.
 */
export async function applyWebhookSweepSchedule(client: Client, taskQueue: string, everyS: number): Promise<'created' | 'updated'> {
  const options: ScheduleOptions = {
    scheduleId: WEBHOOK_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: everyS * 1000 }] },
    action: { type: 'startWorkflow', workflowType: sweepWebhooks, workflowId: WEBHOOK_SWEEP_SCHEDULE_ID, taskQueue, workflowRunTimeout: '10 minutes', args: [], staticSummary: 'webhooks sweep: start lost deliveries' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everyS * 1000, pauseOnFailure: false },
    state: { note: `WEBHOOK_SWEEP_INTERVAL_S=${everyS}` },
  };
  return applySchedule(client, options);
}

async function applySchedule(client: Client, options: ScheduleOptions): Promise<AppliedSchedule['outcome']> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update(
    (previous): ScheduleUpdateOptions => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: { ...previous.policies, ...options.policies },
      state: { ...previous.state, paused: options.state?.paused ?? previous.state.paused, note: options.state?.note },
    }),
  );
  return 'updated';
}
