/**
 * Training on H2O, idempotently: start a spec's job under an id derived from the run (so a retried
 * start finds the job it already started instead of training twice), read the result's validation
 * metrics, and clean up what a run created. Plain functions over H2OClient: the activities wrap them
 * with heartbeats and failure types, the benchmark calls them directly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isInUse, ValidationError } from '../shared/errors';
import { isBetter, type ChampionMetric } from '../shared/metrics';
import type { H2OParameterValue, ModelSpec } from '../shared/training-spec';
import type { H2OClient } from './client';
import { isFinished } from './jobs';
import { scalarMetrics, validationMetric, validationMetrics } from './metrics';
import type { JobV3 } from './schemas';

export interface TrainingFrames {
  trainFrame: string;
  validationFrame: string;
  /** the response column */
  target: string;
}

export type TrainingKind = 'model' | 'grid';

export interface StartedTraining {
  jobKey: string;
  /** the model id, or the grid id for a grid spec */
  destId: string;
  kind: TrainingKind;
  /** true when the job already existed (a retried start): nothing new was trained */
  resumed: boolean;
}

export interface StartTrainingOptions {
  spec: ModelSpec;
  /** model or grid id, from trainingRunIds().spec(spec.name) */
  destId: string;
  frames: TrainingFrames;
  /** H2O's seed when the spec sets none */
  seed?: number;
}

/** The newest job that writes `destId`, if H2O has one. */
export async function findJobFor(client: H2OClient, destId: string): Promise<JobV3 | undefined> {
  const jobs = (await client.jobs()).filter((j) => j.dest?.name === destId);
  return jobs.sort((a, b) => b.start_time - a.start_time)[0];
}

function builderParameters(options: StartTrainingOptions): Record<string, H2OParameterValue> {
  const { spec, frames, seed } = options;
  // reserved parameters (model_id, training_frame, …) are rejected with the spec (src/shared/training-spec.ts)
  const given = spec.parameters ?? {};
  const params: Record<string, H2OParameterValue> = {
    ...given,
    training_frame: frames.trainFrame,
    validation_frame: frames.validationFrame,
    response_column: frames.target,
  };
  if (seed !== undefined && !('seed' in given)) params.seed = seed;
  return params;
}

/**
 * Starts the spec's job, or finds the one a previous attempt started. A job that FAILED or was
 * CANCELLED left no usable model: its leftovers are deleted and the spec starts again under the same id.
 * Throws H2OError 412 when H2O rejects the parameters (an unknown parameter, a bad value).
 */
export async function startTraining(client: H2OClient, options: StartTrainingOptions): Promise<StartedTraining> {
  const { spec, destId } = options;
  const kind: TrainingKind = spec.grid ? 'grid' : 'model';
  const existing = await findJobFor(client, destId);
  if (existing && existing.status !== 'FAILED' && existing.status !== 'CANCELLED') {
    return { jobKey: existing.key.name, destId, kind, resumed: true };
  }
  if (existing) await deleteTrainingOutput(client, destId, kind);
  if (spec.algorithm === 'xgboost' && !(await client.hasXGBoost())) {
    throw new ValidationError(
      `specs[${spec.name}].algorithm`,
      spec.algorithm,
      'is not available on this H2O cluster (GET /3/Capabilities/Core does not list XGBoost)',
    );
  }
  const params = builderParameters(options);
  const job = spec.grid
    ? await client.startGrid(spec.algorithm, destId, params, spec.grid)
    : await client.buildModel(spec.algorithm, { ...params, model_id: destId });
  return { jobKey: job.key.name, destId, kind, resumed: false };
}

async function deleteTrainingOutput(client: H2OClient, destId: string, kind: TrainingKind): Promise<void> {
  if (kind === 'grid') {
    const grid = await client.findGrid(destId);
    for (const m of grid?.model_ids ?? []) await client.deleteModel(m.name);
    await client.deleteKey(destId);
  } else {
    await client.deleteModel(destId);
  }
}

export interface TrainedSpec {
  /** the model that stands for the spec (for a grid, its best model by the metric) */
  h2oModelId: string;
  algorithm: string;
  metricValue: number;
  /** every finite validation metric of that model, lower-case names */
  metrics: Record<string, number>;
  /** models the spec produced (1, or the grid's size) */
  modelCount: number;
}

/** Reads the trained model (or the grid's best) and its validation metric, as H2O reports it. */
export async function evaluateTraining(
  client: H2OClient,
  destId: string,
  kind: TrainingKind,
  metric: ChampionMetric,
  specName: string,
): Promise<TrainedSpec> {
  const ids = kind === 'grid' ? (await client.grid(destId)).model_ids.map((k) => k.name) : [destId];
  if (ids.length === 0)
    throw new ValidationError(`specs[${specName}].grid`, destId, 'produced no model (every combination failed)');
  let best: TrainedSpec | undefined;
  for (const id of ids) {
    const model = await client.model(id);
    const value = validationMetric(model, metric);
    const metrics = validationMetrics(model);
    if (value === undefined || !metrics) {
      if (kind === 'grid') continue;
      throw new ValidationError(
        'metric',
        metric,
        `model ${id} (${model.algo}, ${model.output?.model_category ?? 'unknown category'}) reports no validation ${metric}`,
      );
    }
    const better = !best || isBetter(metric, value, best.metricValue);
    if (better)
      best = {
        h2oModelId: id,
        algorithm: model.algo,
        metricValue: value,
        metrics: scalarMetrics(metrics),
        modelCount: ids.length,
      };
  }
  if (!best) throw new ValidationError('metric', metric, `no model of grid ${destId} reports a validation ${metric}`);
  return best;
}

export interface CleanupResult {
  cancelledJobs: number;
  deletedModels: string[];
  deletedFrames: string[];
}

/**
 * Deletes every model and frame whose id starts with `${prefix}__`, except `keepModelIds`; running
 * jobs of the run are cancelled first (a model or frame in use cannot be deleted). Idempotent.
 */
export async function cleanupTrainingRun(
  client: H2OClient,
  prefix: string,
  keepModelIds: string[] = [],
  gridIds: string[] = [],
): Promise<CleanupResult> {
  const mine = (id: string | undefined) => id !== undefined && id.startsWith(`${prefix}__`);
  const running = (await client.jobs()).filter((j) => mine(j.dest?.name) && !isFinished(j));
  for (const job of running) await client.cancelJob(job.key.name).catch(() => {});
  for (const job of running) await waitUntilFinished(client, job.key.name);

  const keep = new Set(keepModelIds);
  const deletedModels: string[] = [];
  for (const id of (await client.modelIds()).filter((m) => mine(m) && !keep.has(m))) {
    if (await retryInUse(() => client.deleteModel(id))) deletedModels.push(id);
  }
  // A Grid object only indexes its models (already deleted above, or kept): drop the index itself.
  for (const gridId of gridIds) await client.deleteKey(gridId).catch(() => false);
  const deletedFrames: string[] = [];
  for (const id of (await client.frameIds()).filter(mine)) {
    if (await retryInUse(() => client.deleteFrame(id))) deletedFrames.push(id);
  }
  return { cancelledJobs: running.length, deletedModels, deletedFrames };
}

async function waitUntilFinished(client: H2OClient, jobKey: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await client.job(jobKey).catch(() => undefined);
    if (!job || isFinished(job)) return;
    await sleep(250);
  }
}

/** A key still locked by a job that is just ending: try a few more times. */
async function retryInUse(fn: () => Promise<boolean>, attempts = 5): Promise<boolean> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isInUse(err) || i >= attempts) throw err;
      await sleep(500 * i);
    }
  }
}

export interface PruneResult {
  keptModels: string[];
  deletedModels: string[];
  deletedFrames: string[];
}

/**
 * Frees H2O memory of a model's older training runs: of `championIds` (the model's registered
 * champions, newest version first) the first `keep` stay; every other model and every frame under the
 * run prefix of any of them (`<prefix>__…`: champions, losers and frames a failed cleanup left) is
 * deleted. The MOJOs on disk are what serves; H2O's copies are only for inspection. Idempotent; an
 * object still in use is left for the next prune.
 */
export async function pruneModelRuns(client: H2OClient, championIds: string[], keep: number): Promise<PruneResult> {
  const newestFirst = [...new Set(championIds)];
  const kept = new Set(newestFirst.slice(0, keep));
  const prefixes = [...new Set(newestFirst.map((id) => id.split('__')[0]!).filter((p) => p !== ''))];
  const ours = (id: string) => prefixes.some((p) => id.startsWith(`${p}__`));
  const deletedModels: string[] = [];
  for (const id of (await client.modelIds()).filter((m) => ours(m) && !kept.has(m))) {
    if (await client.deleteModel(id).catch((err: unknown) => (isInUse(err) ? false : Promise.reject(err))))
      deletedModels.push(id);
  }
  const deletedFrames: string[] = [];
  for (const id of (await client.frameIds()).filter(ours)) {
    if (await client.deleteFrame(id).catch((err: unknown) => (isInUse(err) ? false : Promise.reject(err))))
      deletedFrames.push(id);
  }
  return { keptModels: [...kept], deletedModels, deletedFrames };
}
