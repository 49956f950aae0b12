/**
 * The platform from the outside: the Temporal connection and the starters every caller uses (the CLI,
 * the demo, the drift activity, webhook dispatch, tests). Each starter names the workflow type with
 * its contract's function type as the generic (src/shared/contracts/), so its input is type-checked
 * without importing src/workflows/, and sets the workflow id, search attributes and summary the Web UI shows.
 */
import {
  Client,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleUpdateOptions,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { config as loadConfig, type Config } from './config';
import { parseDuration } from './shared/duration';
import { connectClientConnection } from './temporal-connection';
import {
  deliveryWorkflowId,
  ingestWorkflowId,
  retrainWorkflowId,
  sensorScheduleId,
  WEBHOOK_SWEEP_SCHEDULE_ID,
} from './shared/ids';
import { sensorJitterMs, type ModelDeclaration } from './shared/model-declaration';
import { DriftPSI, ModelName, RecordsWritten, SourceName, Trigger } from './shared/search-attributes';
import {
  DELIVER_WEBHOOK,
  type DeliverWebhookInput,
  type DeliverWebhookWorkflow,
} from './shared/contracts/deliver-webhook';
import { DRIFT_SENSOR, type DriftSensorWorkflow } from './shared/contracts/drift-sensor';
import { INGEST_SOURCE, type IngestSourceInput, type IngestSourceWorkflow } from './shared/contracts/ingest-source';
import {
  RETRAIN_MODEL,
  triggerOf,
  type RetrainModelInput,
  type RetrainModelWorkflow,
} from './shared/contracts/retrain-model';
import { STACK_HEALTH, type StackHealthInput, type StackHealthWorkflow } from './shared/contracts/stack-health';
import { SWEEP_WEBHOOKS, type SweepWebhooksWorkflow } from './shared/contracts/sweep-webhooks';
import type { WebhookEventType } from './shared/webhooks';

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
export async function startIngest(
  client: Client,
  input: IngestSourceInput,
  options: StartIngestOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<IngestSourceWorkflow>> {
  const cfg = options.config ?? loadConfig();
  const featureSet = input.definition?.mapping.featureSet;
  return client.workflow.start<IngestSourceWorkflow>(INGEST_SOURCE, {
    taskQueue: options.taskQueue ?? cfg.temporal.taskQueue,
    workflowId: options.workflowId ?? ingestWorkflowId(input.source, new Date()),
    args: [{ historyEventLimit: cfg.ingest.historyEventLimit, ...input }],
    typedSearchAttributes: [
      { key: SourceName, value: input.source },
      { key: RecordsWritten, value: 0 },
    ],
    staticSummary: `Ingest source ${input.source}${featureSet ? ` into feature set ${featureSet}` : ''}${input.window ? ` for [${input.window.start}, ${input.window.end})` : ''}`,
    staticDetails:
      'Fetches every page of the source and upserts its records into features.feature_values; query `progress` for pages, records written, dead letters and the cursor.',
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
 * one retrain (docs/ARCHITECTURE.md, "Rules that keep it correct", rule 4: one retrain per model at a time).
 */
export async function startRetrain(
  client: Client,
  input: RetrainModelInput,
  options: StartRetrainOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<RetrainModelWorkflow>> {
  return client.workflow.start<RetrainModelWorkflow>(RETRAIN_MODEL, {
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

// --- stackHealth -------------------------------------------------------------------------------------

export interface StartStackHealthOptions {
  taskQueue: string;
  workflowId: string;
}

/** Starts `stackHealth`: one check per component, run by the worker (the demo's first step). */
export async function startStackHealth(
  client: Client,
  input: StackHealthInput,
  options: StartStackHealthOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<StackHealthWorkflow>> {
  return client.workflow.start<StackHealthWorkflow>(STACK_HEALTH, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId,
    args: [input],
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
    spec: {
      ...(drift.cron
        ? { cronExpressions: [drift.cron] }
        : { intervals: [{ every: parseDuration('drift.every', drift.every) }] }),
      jitter: sensorJitterMs(drift),
    },
    action: {
      type: 'startWorkflow',
      workflowType: DRIFT_SENSOR,
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
    } satisfies ScheduleOptionsStartWorkflowAction<DriftSensorWorkflow>,
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
export async function applySchedules(
  client: Client,
  models: ModelDeclaration[],
  taskQueue: string,
  options: ApplySchedulesOptions = {},
): Promise<AppliedSchedule[]> {
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
      applied[i] = {
        scheduleId: schedule.scheduleId,
        model: model.name,
        outcome: await applySchedule(client, schedule),
      };
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
export async function applyWebhookSweepSchedule(
  client: Client,
  taskQueue: string,
  everyS: number,
): Promise<'created' | 'updated'> {
  const options: ScheduleOptions = {
    scheduleId: WEBHOOK_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: everyS * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: SWEEP_WEBHOOKS,
      workflowId: WEBHOOK_SWEEP_SCHEDULE_ID,
      taskQueue,
      workflowRunTimeout: '10 minutes',
      args: [],
      staticSummary: 'webhooks sweep: start lost deliveries',
    } satisfies ScheduleOptionsStartWorkflowAction<SweepWebhooksWorkflow>,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everyS * 1000, pauseOnFailure: false },
    state: { note: `WEBHOOK_SWEEP_INTERVAL_S=${everyS}` },
  };
  return applySchedule(client, options);
}

// --- deliverWebhook ----------------------------------------------------------------------------------

export interface StartWebhookDeliveryOptions {
  taskQueue: string;
  /** the subscription's name, for the summary */
  subscription: string;
  event: { id: string; type: WebhookEventType };
  /**
   * 'first': a run with the delivery's workflow id that exists already (running or closed) is the
   * delivery, and nothing is started. 'again' (redeliver): a new run of the same workflow id, refused
   * (WorkflowExecutionAlreadyStartedError) while one is running.
   */
  mode: 'first' | 'again';
}

/** Starts a delivery's `deliverWebhook` run, workflow id webhook-<delivery id> (src/webhooks/dispatch.ts decides when). */
export async function startWebhookDelivery(
  client: Client,
  input: DeliverWebhookInput,
  options: StartWebhookDeliveryOptions,
): Promise<{ started: boolean; runId?: string }> {
  const { mode, subscription, event } = options;
  try {
    const handle = await client.workflow.start<DeliverWebhookWorkflow>(DELIVER_WEBHOOK, {
      workflowId: deliveryWorkflowId(input.deliveryId),
      taskQueue: options.taskQueue,
      args: [input],
      workflowIdReusePolicy: mode === 'first' ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: mode === 'first' ? 'USE_EXISTING' : 'FAIL',
      // no URL here: history is readable by everyone with Web UI access, and some receivers put a token in the path
      staticSummary: `webhook ${subscription}: ${event.type} (${event.id})${mode === 'again' ? ', redelivery' : ''}`,
    });
    return { started: true, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (mode === 'first' && err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
    throw err;
  }
}

async function applySchedule(client: Client, options: ScheduleOptions): Promise<AppliedSchedule['outcome']> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous): ScheduleUpdateOptions => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
    state: { ...previous.state, paused: options.state?.paused ?? previous.state.paused, note: options.state?.note },
  }));
  return 'updated';
}
