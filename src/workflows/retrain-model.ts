/**
 * retrainModel: optionally ingests the latest data, trains the model's specs (trainModels as a child),
 * registers the champion as the next version in staging and promotes it: in one transaction it
 * becomes production and the previous version is archived. With `requireApproval` the promotion waits
 * for an `approve` update (a `reject` or the timeout leaves production as it was).
 *
 * Started by the drift sensor (workflow id `retrain-<model>`, joining a running retrain), or by hand:
 *   temporal workflow start --type retrainModel --task-queue mlops --workflow-id retrain-churn \
 *     --input '{"model":"churn","reason":"manual"}'
 * The training configuration comes from the model's declaration (MODELS_CONFIG), merged with
 * `input.training`.
 */
import {
  ActivityFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type WorkflowInfo,
} from '@temporalio/workflow';
import type { createH2OActivities } from '../activities/h2o';
import type { createRegistryActivities } from '../activities/registry';
import type { createServingActivities } from '../activities/serving';
import type { createWebhookActivities } from '../activities/webhooks';
import {
  triggerOf,
  type RetrainModelInput,
  type RetrainModelOutput,
  type RetrainModelWorkflow,
  type RetrainTrigger,
} from '../shared/contracts/retrain-model';
import type { TrainModelsInput, TrainModelsOutput } from '../shared/contracts/train-models';
import { parseDuration } from '../shared/duration';
import { ValidationError } from '../shared/errors';
import { failing, toFailure } from '../shared/failure';
import { retrainIngestWorkflowId, retrainTrainingWorkflowId } from '../shared/ids';
import {
  approvalDecision,
  approve,
  reject,
  status,
  type ApprovalDecision,
  type RetrainStatus,
} from '../shared/messages/retrain-model';
import {
  trainingOf,
  validateTraining,
  type ModelDeclaration,
  type TrainingDeclaration,
} from '../shared/model-declaration';
import { modelName } from '../shared/names';
import { Patch } from '../shared/patches';
import { trainingSlotSignal } from '../shared/messages/train-models';
import {
  DriftPSI,
  ModelName,
  ModelVersion,
  RetrainState,
  Trigger,
  type RetrainStateValue,
} from '../shared/search-attributes';
import { timeWindow, type TimeWindow } from '../shared/time-window';
import { parse, text } from '../shared/validation';
import { ingestSource } from './ingest-source';
import { trainModels } from './train-models';

const { resolveModelConfig, registerModelVersion, promoteModelVersion, archiveModelVersion, archiveAbandonedVersions } =
  proxyActivities<ReturnType<typeof createRegistryActivities>>({
    startToCloseTimeout: '1 minute',
    // bounded: a PostgreSQL restart is ridden out (~25 min at the default backoff, 100 s at most between
    // tries), while text the database refuses fails at once (UnstorableTextError, src/shared/failure.ts)
    retry: { maximumAttempts: 20 },
  });
const { recordRetrainFailure } = proxyActivities<ReturnType<typeof createWebhookActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});
const { checkMojoServable } = proxyActivities<ReturnType<typeof createServingActivities>>({
  startToCloseTimeout: '5 minutes',
});

const { pruneH2OModels } = proxyActivities<ReturnType<typeof createH2OActivities>>({
  startToCloseTimeout: '5 minutes',
  // housekeeping: a cluster that stays away is pruned by the next retrain
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 4 },
});

export const retrainModel = async function retrainModel(input) {
  const state: RetrainStatus = { phase: 'resolving' };
  try {
    return await retrain(input, state);
  } catch (err) {
    await announceFailure(input, state, err);
    throw err;
  }
} satisfies RetrainModelWorkflow;

/**
 * retrain.failed (webhooks), keyed by this run: a retried activity records it once. A cancelled
 * retrain did not fail; a terminated or timed-out one runs no workflow code and announces nothing.
 * (patched: retrains running when this shipped replay as before)
 */
async function announceFailure(input: RetrainModelInput, state: RetrainStatus, err: unknown): Promise<void> {
  if (!isCancellation(err) && patched(Patch.webhookRetrainFailed)) {
    const info = workflowInfo();
    const error =
      err instanceof ActivityFailure || err instanceof ChildWorkflowFailure
        ? (err.cause?.message ?? err.message)
        : err instanceof Error
          ? err.message
          : String(err);
    try {
      await recordRetrainFailure({
        model: String(input?.model),
        workflowId: info.workflowId,
        runId: info.runId,
        error,
        phase: state.phase,
      });
    } catch (recordErr) {
      log.warn('could not record retrain.failed', { error: String(recordErr) });
    }
  }
}

/** The phases in order; each patched() site is inside one of them. */
async function retrain(input: RetrainModelInput, state: RetrainStatus): Promise<RetrainModelOutput> {
  const run = listen(input, state);
  const { declared, trigger } = await resolvePhase(run);
  const cleansUp = await cleanupPhase(run);
  const plan = planPhase(run, declared, trigger, cleansUp);
  showRetrainState(run);
  await ingestPhase(run, plan);
  const champion = await trainPhase(run, plan);
  const registered = await registerPhase(run, plan, champion);
  return outcomePhase(run, plan, champion, registered);
}

/** What the phases of one retrain share: its input and run, the `status` query's state, the approval decision, the RetrainState shown. */
interface Retrain {
  input: RetrainModelInput;
  state: RetrainStatus;
  info: WorkflowInfo;
  decision?: { approved: boolean; by: string; comment?: string };
  /** whether RetrainState is set (patched 'training-slots'; runs started before it set none) */
  showsState: boolean;
  retrainState?: RetrainStateValue;
}

/** The retrain's configuration, resolved before any work starts. */
interface Plan {
  declared: ModelDeclaration | null;
  trigger: RetrainTrigger;
  /** the run archives abandoned versions and prunes H2O (patched 'retrain-cleanup') */
  cleansUp: boolean;
  training: TrainingDeclaration;
  approvalMs: number;
  requireApproval: boolean;
  window: TimeWindow;
}

function setRetrainState(run: Retrain, next: RetrainStateValue): void {
  if (!run.showsState || run.retrainState === next) return;
  run.retrainState = next;
  upsertSearchAttributes([{ key: RetrainState, value: next }]);
}

/** The status query, the approval updates and the training-slot signal, registered before the first await. */
function listen(input: RetrainModelInput, state: RetrainStatus): Retrain {
  const run: Retrain = { input, state, info: workflowInfo(), showsState: false };
  setHandler(status, () => state);
  // The argument may be missing (`temporal workflow update execute --name approve` without --input).
  const decide = (approved: boolean) => (d?: ApprovalDecision) => {
    run.decision = { approved, by: d?.by ?? 'unknown', comment: d?.comment };
    return `${approved ? 'approved' : 'rejected'} version ${state.version} of ${input.model}`;
  };
  const validator = (d?: ApprovalDecision) => {
    if (state.phase !== 'awaiting-approval' || run.decision)
      throw new Error(`retrain of ${input.model} is not waiting for approval (phase ${state.phase})`);
    // refused while the caller waits, naming the field (decision.comment=…): nothing is stored
    failing(() => parse(approvalDecision, d, 'decision'));
  };
  setHandler(approve, decide(true), { validator });
  setHandler(reject, decide(false), { validator });
  // RetrainState (patched 'training-slots'; runs started before it set none): queued until the training
  // run's first spec gets a training slot, which its activity signals here
  setHandler(trainingSlotSignal, () => {
    if (run.retrainState === 'queued') setRetrainState(run, 'training');
  });
  return run;
}

/** Checks the input, shows the run's search attributes and reads the model's declaration. */
async function resolvePhase(run: Retrain): Promise<{ declared: ModelDeclaration | null; trigger: RetrainTrigger }> {
  const { input } = run;
  failing(() => {
    parse(modelName, input?.model, 'model');
    parse(text("why the model is retrained, e.g. 'manual'"), input.reason, 'reason');
    if (input.window !== undefined) parse(timeWindow, input.window, 'window');
  });
  const trigger = triggerOf(input);
  upsertSearchAttributes([
    { key: ModelName, value: input.model },
    { key: Trigger, value: trigger },
    ...(input.driftPsi !== undefined ? [{ key: DriftPSI, value: input.driftPsi }] : []),
  ]);
  log.info('retrain', { model: input.model, reason: input.reason, trigger });

  const { declared } = await resolveModelConfig({ model: input.model });
  return { declared, trigger };
}

/**
 * A terminated retrain cannot archive its staging version (terminate runs no workflow code): the
 * next retrain of the model does, for every staging version whose run has ended. Returns whether this
 * run cleans up, which also prunes H2O after the decision.
 * (patched: retrains already waiting for approval when this shipped replay without these steps)
 */
async function cleanupPhase({ input, info }: Retrain): Promise<boolean> {
  const cleansUp = patched(Patch.retrainCleanup);
  if (cleansUp) await archiveAbandonedVersions({ model: input.model, workflowId: info.workflowId, runId: info.runId });
  return cleansUp;
}

/** The training configuration, the approval rule and the window; bad input fails the run here. */
function planPhase(
  { input }: Retrain,
  declared: ModelDeclaration | null,
  trigger: RetrainTrigger,
  cleansUp: boolean,
): Plan {
  let training: TrainingDeclaration;
  let approvalMs: number;
  try {
    // the declaration's training part, overridden field by field by the input's
    training = validateTraining('training', { ...(declared ? trainingOf(declared) : {}), ...(input.training ?? {}) });
    approvalMs = parseDuration('approvalTimeout', input.approvalTimeout ?? declared?.retrain.approvalTimeout ?? '1d');
  } catch (err) {
    const undeclared = err instanceof ValidationError && !declared;
    throw toFailure(
      undeclared
        ? new ValidationError(
            'model',
            input.model,
            `is not declared in MODELS_CONFIG and input.training is incomplete (${err.message})`,
          )
        : err,
    );
  }
  const requireApproval = input.requireApproval ?? declared?.retrain.requireApproval ?? false;
  const now = Date.now();
  const window = input.window ?? {
    start: new Date(now - parseDuration('trainingWindow', training.trainingWindow)).toISOString(),
    end: new Date(now).toISOString(),
  };
  return { declared, trigger, cleansUp, training, approvalMs, requireApproval, window };
}

/** From here on the RetrainState search attribute follows the phases (patched: runs started before the training slots show none). */
function showRetrainState(run: Retrain): void {
  run.showsState = patched(Patch.trainingSlots);
}

/** Ingests the source the input or the declaration names (an ingestSource child), if any. */
async function ingestPhase(run: Retrain, plan: Plan): Promise<void> {
  const { input, state, info } = run;
  const source = input.ingestSource === false ? undefined : (input.ingestSource ?? plan.declared?.retrain.ingestSource);
  if (source) {
    state.phase = 'ingesting';
    state.ingestSource = source;
    setRetrainState(run, 'ingesting');
    setCurrentDetails(`${input.model}: ingesting ${source}`);
    await executeChild(ingestSource, {
      workflowId: retrainIngestWorkflowId(info.workflowId, info.runId, source),
      args: [{ source }],
    });
  }
}

/** Trains the specs (a trainModels child) and returns its champion. */
async function trainPhase(run: Retrain, { training, window }: Plan): Promise<TrainModelsOutput['champion']> {
  const { input, state, info } = run;
  state.phase = 'training';
  setCurrentDetails(`${input.model}: training ${training.specs.length} specs on ${window.start} … ${window.end}`);
  // the declaration's training options are trainModels' own (one schema, src/shared/training-spec.ts)
  const { trainingWindow: _trainingWindow, ...options } = training;
  const trainInput: TrainModelsInput = { model: input.model, window, ...options };
  setRetrainState(run, 'queued');
  let trained: Awaited<ReturnType<typeof trainModels>>;
  try {
    trained = await executeChild(trainModels, {
      workflowId: retrainTrainingWorkflowId(info.workflowId, info.runId),
      args: [trainInput],
    });
  } catch (err) {
    setRetrainState(run, 'failed');
    throw err;
  }
  return trained.champion;
}

/** The version the champion became, and what the scorer said of it. */
interface Registered {
  version: number;
  /** the scorer's verdict on the champion's MOJO; undefined for runs from before the check */
  serving: Awaited<ReturnType<typeof checkMojoServable>> | undefined;
}

/**
 * Registers the champion as the next version, in staging, with the scorer's verdict on its MOJO.
 * (patched: retrains past this point when the check shipped replay without it; their versions stay unchecked, servable NULL)
 */
async function registerPhase(
  run: Retrain,
  { trigger }: Plan,
  champion: TrainModelsOutput['champion'],
): Promise<Registered> {
  const { input, state, info } = run;
  state.phase = 'registering';
  setRetrainState(run, 'registering');
  const serving = patched(Patch.mojoServableCheck)
    ? await checkMojoServable({ artifactPath: champion.artifactPath, artifactSha256: champion.artifactSha256 })
    : undefined;
  const { version } = await registerModelVersion({
    candidate: champion,
    workflowId: info.workflowId,
    runId: info.runId,
    driftReportId: input.driftReportId,
    reason: `${trigger} retrain: ${input.reason}`,
    serving,
  });
  state.version = version;
  upsertSearchAttributes([{ key: ModelVersion, value: version }]);
  return { version, serving };
}

/**
 * Decides and promotes; cancelled before the version reached production (waiting for approval,
 * typically), it archives the version in a scope the cancellation cannot reach, so it does not stay
 * in staging forever.
 */
async function outcomePhase(
  run: Retrain,
  plan: Plan,
  champion: TrainModelsOutput['champion'],
  registered: Registered,
): Promise<RetrainModelOutput> {
  const { input, state, info } = run;
  const { version } = registered;
  try {
    const result = await decideAndPromote(run, plan, champion, registered);
    setRetrainState(run, 'done');
    return result;
  } catch (err) {
    setRetrainState(run, 'failed');
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        try {
          await archiveModelVersion({
            model: input.model,
            version,
            reason: `retrain cancelled before a decision (phase ${state.phase})`,
            workflowId: info.workflowId,
          });
        } catch (archiveErr) {
          log.warn("could not archive the cancelled retrain's version; the next retrain archives it", {
            version,
            error: String(archiveErr),
          });
        }
      });
      state.phase = 'done';
    }
    throw err;
  }
}

async function decideAndPromote(
  run: Retrain,
  plan: Plan,
  champion: TrainModelsOutput['champion'],
  { version, serving }: Registered,
): Promise<RetrainModelOutput> {
  const { input, state, info } = run;
  const { trigger, requireApproval, approvalMs, declared, window } = plan;
  const base = {
    model: input.model,
    version,
    metric: champion.metric,
    metricValue: champion.metricValue,
    specName: champion.specName,
    window,
  };
  if (serving && !serving.servable && !input.allowUnservable) {
    // Never promoted silently: the version is kept (archived, with the reason) and production stays.
    await archiveModelVersion({
      model: input.model,
      version,
      reason: `unservable: ${serving.problem}`,
      workflowId: info.workflowId,
    });
    await pruneH2O(input, plan);
    state.phase = 'done';
    const summary = `${input.model}: version ${version} not promoted: the platform's scorer cannot serve it (${serving.problem})`;
    setCurrentDetails(summary);
    log.warn(summary);
    return { ...base, outcome: 'unservable', production: null };
  }
  let reason = `${trigger} retrain: ${input.reason}`;
  if (requireApproval) {
    state.phase = 'awaiting-approval';
    setRetrainState(run, 'awaiting-approval');
    setCurrentDetails(
      `${input.model}: version ${version} (${champion.metric} ${champion.metricValue}) awaits approve/reject`,
    );
    const decided = await condition(() => run.decision !== undefined, approvalMs);
    const decision = run.decision;
    if (!decided || !decision!.approved) {
      const outcome = decided ? 'rejected' : 'approval-timeout';
      await archiveModelVersion({
        model: input.model,
        version,
        reason: decided
          ? `rejected by ${decision!.by}${decision!.comment ? `: ${decision!.comment}` : ''}`
          : `approval timed out after ${input.approvalTimeout ?? declared?.retrain.approvalTimeout ?? '1d'}`,
        workflowId: info.workflowId,
      });
      await pruneH2O(input, plan);
      state.phase = 'done';
      setCurrentDetails(`${input.model}: version ${version} ${outcome}; production unchanged`);
      return { ...base, outcome, production: null };
    }
    reason += ` (approved by ${decision!.by}${decision!.comment ? `: ${decision!.comment}` : ''})`;
  }

  state.phase = 'promoting';
  const promoted = await promoteModelVersion({
    model: input.model,
    version,
    reason,
    workflowId: info.workflowId,
    allowUnservable: input.allowUnservable,
  });
  await pruneH2O(input, plan);
  state.phase = 'done';
  const outcome = promoted.outcome === 'superseded' ? 'superseded' : 'promoted';
  const summary = `${input.model}: version ${version} ${outcome} (${champion.specName}, ${champion.metric} ${champion.metricValue})${promoted.archived ? `, version ${promoted.archived} archived` : ''}`;
  setCurrentDetails(summary);
  log.info(summary);
  return { ...base, outcome, production: promoted.production };
}

/** The champion's MOJO is on disk: older runs' models and frames leave H2O's memory (TRAINING_KEEP_H2O_MODELS). */
async function pruneH2O(input: RetrainModelInput, { cleansUp }: Plan): Promise<void> {
  if (!cleansUp) return;
  try {
    await pruneH2OModels({ model: input.model });
  } catch (err) {
    log.warn('pruning older models from H2O failed; the next retrain prunes them', { error: String(err) });
  }
}
