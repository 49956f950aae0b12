/**
 * trainModels: trains several model specs on H2O in parallel and returns the champion, ready for the
 * registry. Replaces Mage's dynamic training blocks: one branch per spec (bounded by maxParallel),
 * each branch = one activity on TRAINING_TASK_QUEUE that waits there for a training slot, then starts
 * the H2O job and polls it (heartbeating `{ jobKey, progress }`); the job's id derives from the run and
 * the spec, so a worker crash resumes polling the same job instead of training again.
 *
 * A spec H2O rejects fails its branch alone; the run fails only when no branch succeeded. Frames and
 * losing models are deleted from the cluster at the end, also when the run fails or is cancelled.
 *
 * H2O keeps nothing across a restart: a job, frame or model the run created and the cluster no longer
 * has fails its activity as H2OLost, and the run rebuilds (extracts the frames again and trains every
 * spec again, under the same ids) up to MAX_REBUILDS times. Polls heartbeat on a timer, so a cluster
 * that is down for less than TRAINING_H2O_GRACE_S costs nothing but the wait.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createDriftActivities } from '../activities/drift';
import type { createH2OActivities } from '../activities/h2o';
import type { createTrainingSetActivities } from '../activities/training-set';
import type { TrainingFrames } from '../h2o/training';
import type { TrainModelsInput, TrainModelsOutput, TrainModelsWorkflow } from '../shared/contracts/train-models';
import { FailureType } from '../shared/errors';
import { failing } from '../shared/failure';
import {
  progressQuery,
  trainingProgressSignal,
  trainingSlotSignal,
  type TrainModelsProgress,
} from '../shared/messages/train-models';
import { isBetter } from '../shared/metrics';
import { Patch } from '../shared/patches';
import { ModelName } from '../shared/search-attributes';
import { trainingRun } from '../shared/training-spec';
import type { ReferenceProfile } from '../shared/types';
import { parse } from '../shared/validation';

type H2OActivities = ReturnType<typeof createH2OActivities>;

/** H2O calls: an unreachable cluster is retried with backoff (about 30 s in all), then the run fails. */
const H2O_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 6,
} as const;

const { checkTrainingCluster, startTrainingJob } = proxyActivities<H2OActivities>({
  startToCloseTimeout: '2 minutes',
  retry: H2O_RETRY,
});

/** Polling a job: training may take hours; a dead worker is noticed by the missing heartbeat within 15 s. */
const POLLING = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '15 seconds',
  // Worker crashes count as attempts too.
  retry: { ...H2O_RETRY, maximumAttempts: 10 },
} as const;

// runs started before the training slots (patched 'training-slots'): start and poll on the workflow's queue
const { awaitTrainingJob } = proxyActivities<H2OActivities>(POLLING);

/**
 * One spec's H2O job, started and polled by one activity on TRAINING_TASK_QUEUE: its workers' slots
 * (TRAINING_SLOTS) bound the jobs the cluster trains at once, and a spec waits in the queue for one.
 * No schedule-to-start timeout: a busy cluster makes a spec wait, it does not fail it. Slot and H2O
 * job are one activity, so no job runs on the cluster while its poller waits for a slot.
 */
function trainingSlots(taskQueue: string) {
  return proxyActivities<H2OActivities>({ ...POLLING, taskQueue }).trainSpecOnSlot;
}

const { exportChampionMojo, cleanupTrainingRun } = proxyActivities<H2OActivities>({
  startToCloseTimeout: '10 minutes',
  retry: H2O_RETRY,
});

const { extractTrainingSet } = proxyActivities<ReturnType<typeof createTrainingSetActivities>>({
  // Streams the whole training set; heartbeats every few seconds while it does.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: H2O_RETRY,
});

const { computeReferenceProfile } = proxyActivities<ReturnType<typeof createDriftActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

/** Rebuilds after H2O lost the run's frames, jobs or models; one more loss fails the run. */
const MAX_REBUILDS = 3;

/** The failure of an activity whose frame, job or model the cluster no longer has (FailureType.H2OLost). */
function isLost(err: unknown): boolean {
  return (
    err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FailureType.H2OLost
  );
}

/** The failure of an activity that found a node of the cloud dead (FailureType.H2OCloudLost): no rebuild helps. */
function isCloudLost(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === FailureType.H2OCloudLost
  );
}

/** Thrown inside a round when the cluster lost it; the loop around the round rebuilds. */
class ClusterLost extends Error {
  constructor(readonly failure: unknown) {
    super('H2O lost the training run');
  }
}

/** The activity's result, or ClusterLost when its failure says H2O lost what it worked on. */
async function lostAs<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw isLost(err) ? new ClusterLost(err) : err;
  }
}

/** The message a failed activity carries (H2O's own message for rejected specs). */
function reason(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Runs `fn` over `items`, at most `limit` at a time, in order of the items. */
async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

function renderDetails(model: string, progress: TrainModelsProgress): string {
  const rows = progress.specs.map((s) => {
    const metric = s.metricValue === undefined ? '' : String(s.metricValue);
    const note = s.error ? s.error.slice(0, 120).replace(/\|/g, '/') : (s.h2oModelId ?? '');
    return `| ${s.specName} | ${s.algorithm} | ${s.state} | ${Math.round(s.progress * 100)}% | ${metric} | ${note} |`;
  });
  const frame = progress.frameRows
    ? ` · rows ${progress.frameRows.train} train / ${progress.frameRows.validation} validation`
    : '';
  const rebuilt = progress.rebuilds ? ` · rebuilt ${progress.rebuilds}× after H2O lost the run` : '';
  return [
    `**${model}**: ${progress.stage}${frame}${rebuilt}${progress.championSpec ? ` · champion ${progress.championSpec}` : ''}`,
    '',
    '| spec | algorithm | state | progress | metric | model / error |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export const trainModels = async function trainModels(raw) {
  const run = startPhase(raw);
  const slots = slotsPhase(run);
  const cluster = await checkPhase(run);
  try {
    const trained = await rebuildingPhase(run, slots, cluster);
    return await profilePhase(run, cluster, trained);
  } catch (err) {
    run.update(() => (run.state.stage = 'failed'));
    throw err;
  } finally {
    // Runs on success, failure and cancellation alike; a cancelled run must still free the cluster.
    await cleanupPhase(run);
  }
} satisfies TrainModelsWorkflow;

type Cluster = Awaited<ReturnType<typeof checkTrainingCluster>>;
type TrainedSpec = Awaited<ReturnType<typeof awaitTrainingJob>>['trained'];

/** What the phases of one training run share: its input and ids, the `progress` state, and what cleanup needs. */
interface Training {
  /** the input, parsed */
  input: ReturnType<typeof parse<typeof trainingRun>>;
  workflowId: string;
  runId: string;
  state: TrainModelsProgress;
  /** changes the state and shows it in the Web UI's details */
  update(change: () => void): void;
  gridIds: string[];
  keepModelIds: string[];
  rebuilds: number;
  /** a node died: nothing on the cloud can be cleaned up (requests to it hang), and a restart clears it all anyway */
  cloudGone: boolean;
  referencePromise?: Promise<ReferenceProfile>;
}

/** Where specs train (patched 'training-slots') and who hears of their slots. */
interface Slots {
  onSlots: boolean;
  slotWatchers: string[];
}

/** What one round on the cluster produced. */
interface Round {
  set: Awaited<ReturnType<typeof extractTrainingSet>>;
  championSpec: Training['input']['specs'][number];
  champion: TrainedSpec;
  mojo: Awaited<ReturnType<typeof exportChampionMojo>>;
}

/** Checks the input, shows the run's search attribute, and registers the query and signals. */
function startPhase(raw: TrainModelsInput): Training {
  const input = failing(() => parse(trainingRun, raw));
  const { workflowId, runId } = workflowInfo();
  upsertSearchAttributes([{ key: ModelName, value: input.model }]);
  log.info('training run', {
    model: input.model,
    featureSet: input.featureSet,
    target: input.target,
    window: input.window,
    specs: input.specs.map((s) => s.name),
    metric: input.metric,
  });

  const state: TrainModelsProgress = {
    stage: 'checking',
    specs: input.specs.map((s) => ({ specName: s.name, algorithm: s.algorithm, state: 'queued', progress: 0 })),
  };
  const update = (change: () => void) => {
    change();
    setCurrentDetails(renderDetails(input.model, state));
  };
  setHandler(progressQuery, () => state);
  setHandler(trainingProgressSignal, ({ specName, progress, jobKey }) => {
    const spec = state.specs.find((s) => s.specName === specName);
    if (spec?.state === 'training') {
      update(() => {
        spec.progress = progress;
        if (jobKey) spec.jobKey = jobKey;
      });
    }
  });
  // a slot started the spec's activity (it reports so; a queued activity tells the workflow nothing)
  setHandler(trainingSlotSignal, ({ workflowId: from, specName }) => {
    const spec = state.specs.find((s) => s.specName === specName);
    if (from === workflowId && spec?.state === 'queued') update(() => (spec.state = 'training'));
  });
  update(() => {});
  return { input, workflowId, runId, state, update, gridIds: [], keepModelIds: [], rebuilds: 0, cloudGone: false };
}

/** (patched: runs started before the slots keep starting and polling jobs on their own queue) */
function slotsPhase(run: Training): Slots {
  const onSlots = patched(Patch.trainingSlots);
  const parent = workflowInfo().parent;
  return { onSlots, slotWatchers: [run.workflowId, ...(parent ? [parent.workflowId] : [])] };
}

/** The cluster, checked before anything is trained: when it fails, nothing was trained and nothing changed. */
async function checkPhase({ input, update, state }: Training): Promise<Cluster> {
  try {
    return await checkTrainingCluster({ algorithms: input.specs.map((s) => s.algorithm) });
  } catch (err) {
    update(() => (state.stage = 'failed'));
    // After the retries: say plainly that nothing was trained and nothing was changed.
    const type =
      err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type
        ? err.cause.type
        : FailureType.H2OUnreachable;
    throw ApplicationFailure.nonRetryable(`H2O cluster check failed, nothing was trained: ${reason(err)}`, type);
  }
}

/** Rounds on the cluster until one succeeds; a round H2O lost is rebuilt, up to MAX_REBUILDS times. */
async function rebuildingPhase(run: Training, slots: Slots, cluster: Cluster): Promise<Round> {
  const { state, update } = run;
  for (;;) {
    try {
      return await roundOnCluster(run, slots, cluster);
    } catch (err) {
      if (!(err instanceof ClusterLost)) throw err;
      if (run.rebuilds >= MAX_REBUILDS) throw err.failure;
      run.rebuilds++;
      log.warn('H2O lost the training run (restarted?): extracting the frames and training every spec again', {
        rebuild: run.rebuilds,
        error: reason(err.failure),
      });
      update(() => {
        state.rebuilds = run.rebuilds;
        state.championSpec = undefined;
        for (const spec of state.specs)
          Object.assign(spec, {
            state: 'queued',
            progress: 0,
            jobKey: undefined,
            h2oModelId: undefined,
            metricValue: undefined,
            error: undefined,
          });
      });
    }
  }
}

/** Extracts the frames, trains every spec, exports the champion: all on the cluster, so all again when H2O forgot them. */
async function roundOnCluster(run: Training, slots: Slots, cluster: Cluster): Promise<Round> {
  const { set, frames } = await extractPhase(run);
  const results = await trainSpecsPhase(run, slots, cluster, set, frames);
  const { championSpec, champion } = chooseChampion(run, results);
  const mojo = await exportPhase(run, championSpec, champion, frames);
  return { set, championSpec, champion, mojo };
}

async function extractPhase({
  input,
  workflowId,
  runId,
  state,
  update,
}: Training): Promise<{ set: Round['set']; frames: TrainingFrames }> {
  update(() => (state.stage = 'extracting'));
  const set = await lostAs(
    extractTrainingSet({
      workflowId,
      runId,
      featureSet: input.featureSet,
      labelFeatureSet: input.labelFeatureSet,
      target: input.target,
      window: input.window,
      features: input.features,
      metric: input.metric,
      validationFraction: input.validationFraction,
      seed: input.seed,
    }),
  );
  const frames = { trainFrame: set.trainFrame, validationFrame: set.validationFrame, target: set.target.name };
  update(() => {
    state.stage = 'training';
    state.frameRows = set.rows;
  });
  return { set, frames };
}

/** One branch per spec, maxParallel at a time; a spec H2O rejects fails alone, a lost cluster or cloud fails the round. */
async function trainSpecsPhase(
  run: Training,
  { onSlots, slotWatchers }: Slots,
  cluster: Cluster,
  set: Round['set'],
  frames: TrainingFrames,
): Promise<Map<string, TrainedSpec>> {
  const { input, workflowId, runId, state, update } = run;
  if (!run.referencePromise) {
    // The reference histograms need only the feature store: compute them (once) while H2O trains.
    run.referencePromise = computeReferenceProfile({
      featureSet: input.featureSet,
      window: input.window,
      features: set.features.map((f) => f.name),
    });
    run.referencePromise.catch(() => {}); // awaited below; this only marks a failure as handled if training fails first
  }

  const maxParallel = input.maxParallel ?? cluster.defaultMaxParallel;
  const results = new Map<string, TrainedSpec>();
  let lost: unknown;
  let cloudLost: ActivityFailure | undefined;
  await forEachBounded(input.specs, maxParallel, async (spec) => {
    const progress = state.specs.find((s) => s.specName === spec.name)!;
    try {
      if (onSlots) {
        // state stays 'queued' until the slot's signal says the activity started
        const done = await trainingSlots(cluster.trainingTaskQueue)({
          workflowId,
          runId,
          spec,
          frames,
          seed: input.seed,
          specName: spec.name,
          metric: input.metric,
          slotWatchers,
        });
        if (done.started.kind === 'grid') run.gridIds.push(done.started.destId);
        results.set(spec.name, done.trained);
        update(() => {
          progress.state = 'succeeded';
          progress.progress = 1;
          progress.jobKey = done.jobKey;
          progress.h2oModelId = done.trained.h2oModelId;
          progress.metricValue = done.trained.metricValue;
        });
        return;
      }
      update(() => (progress.state = 'starting'));
      const started = await startTrainingJob({ workflowId, runId, spec, frames, seed: input.seed });
      if (started.kind === 'grid') run.gridIds.push(started.destId);
      update(() => {
        progress.state = 'training';
        progress.jobKey = started.jobKey;
      });
      const { trained } = await awaitTrainingJob({
        workflowId,
        specName: spec.name,
        jobKey: started.jobKey,
        destId: started.destId,
        kind: started.kind,
        metric: input.metric,
      });
      results.set(spec.name, trained);
      update(() => {
        progress.state = 'succeeded';
        progress.progress = 1;
        progress.h2oModelId = trained.h2oModelId;
        progress.metricValue = trained.metricValue;
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // the cluster forgot the frames or the job: not the spec's fault; the whole round is rebuilt
      if (isLost(err)) lost ??= err;
      if (isCloudLost(err)) cloudLost ??= err as ActivityFailure;
      log.warn('model spec failed', { spec: spec.name, error: reason(err) });
      update(() => {
        progress.state = 'failed';
        progress.error = reason(err);
      });
    }
  });
  // a dead node makes the whole cloud unusable (H2O clouds do not heal): the run fails with it, naming the node
  if (cloudLost !== undefined) {
    run.cloudGone = true;
    const cause = cloudLost.cause as ApplicationFailure;
    throw ApplicationFailure.nonRetryable(cause.message, FailureType.H2OCloudLost, ...(cause.details ?? []));
  }
  if (lost !== undefined) throw new ClusterLost(lost);
  return results;
}

/** The best spec by the run's metric; the run fails when no spec succeeded. */
function chooseChampion(
  { input, state }: Training,
  results: Map<string, TrainedSpec>,
): { championSpec: Round['championSpec']; champion: TrainedSpec } {
  const succeeded = input.specs.filter((s) => results.has(s.name));
  if (succeeded.length === 0) {
    const reasons = state.specs.map((s) => `${s.specName}: ${s.error ?? 'unknown'}`).join('; ');
    throw ApplicationFailure.nonRetryable(
      `no model spec succeeded (${reasons})`,
      FailureType.TrainingFailed,
      state.specs.map((s) => ({ specName: s.specName, error: s.error })),
    );
  }
  let championSpec = succeeded[0]!;
  for (const spec of succeeded.slice(1)) {
    if (isBetter(input.metric, results.get(spec.name)!.metricValue, results.get(championSpec.name)!.metricValue))
      championSpec = spec;
  }
  return { championSpec, champion: results.get(championSpec.name)! };
}

async function exportPhase(
  { input, workflowId, state, update }: Training,
  championSpec: Round['championSpec'],
  champion: TrainedSpec,
  frames: TrainingFrames,
): Promise<Round['mojo']> {
  update(() => {
    state.stage = 'exporting';
    state.championSpec = championSpec.name;
  });
  return lostAs(
    exportChampionMojo({
      model: input.model,
      workflowId,
      h2oModelId: champion.h2oModelId,
      goldenFrame: frames.validationFrame ?? frames.trainFrame,
    }),
  );
}

/** Waits for the reference histograms and returns the champion, ready for the registry. */
async function profilePhase(
  run: Training,
  cluster: Cluster,
  { set, championSpec, champion, mojo }: Round,
): Promise<TrainModelsOutput> {
  const { input, state, update } = run;
  update(() => (state.stage = 'profiling'));
  const reference = await run.referencePromise!;
  run.keepModelIds.push(champion.h2oModelId);
  update(() => (state.stage = 'done'));
  log.info('champion chosen', {
    spec: championSpec.name,
    h2oModelId: champion.h2oModelId,
    metric: input.metric,
    value: champion.metricValue,
  });

  return {
    champion: {
      model: input.model,
      specName: championSpec.name,
      algorithm: championSpec.algorithm,
      parameters: championSpec.parameters ?? {},
      metrics: champion.metrics,
      metric: input.metric,
      metricValue: champion.metricValue,
      artifactPath: mojo.path,
      artifactSha256: mojo.sha256,
      h2oVersion: cluster.h2oVersion,
      h2oModelId: champion.h2oModelId,
      featureSet: input.featureSet,
      target: input.target,
      window: input.window,
      reference,
    },
    branches: state.specs.map((s) => ({
      specName: s.specName,
      status: s.state === 'succeeded' ? 'succeeded' : 'failed',
      ...(s.metricValue !== undefined ? { metricValue: s.metricValue } : {}),
      ...(s.h2oModelId !== undefined ? { h2oModelId: s.h2oModelId } : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
    })),
    frameRows: set.rows,
    rebuilds: run.rebuilds,
  };
}

/** Deletes the run's frames and losing models from the cluster, in a scope a cancellation cannot reach. */
async function cleanupPhase(run: Training): Promise<void> {
  const { input, workflowId, runId, state, update } = run;
  await CancellationScope.nonCancellable(async () => {
    const finalStage = state.stage;
    if (run.cloudGone) {
      log.warn('the H2O cloud lost a node: no cleanup (a restart of the cloud clears it)');
      return;
    }
    update(() => (state.stage = 'cleaning'));
    try {
      await cleanupTrainingRun({
        workflowId,
        runId,
        keepModelIds: run.keepModelIds,
        gridIds: run.gridIds,
        gridSpecNames: input.specs.filter((s) => s.grid).map((s) => s.name),
      });
    } catch (err) {
      log.warn('cleanup of the training run failed; its frames and models may remain on the cluster', {
        error: reason(err),
      });
    }
    update(() => (state.stage = finalStage));
  });
}
