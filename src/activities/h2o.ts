/**
 * H2O activities of a training run. trainSpecOnSlot runs on TRAINING_TASK_QUEUE, whose workers' slots
 * (TRAINING_SLOTS) bound the jobs H2O trains at once (docs/TRAINING.md): it starts (or finds) the spec's
 * job under an id derived from the workflow id and the spec, polls it heartbeating `{ jobKey, progress }`,
 * so a retry after a worker crash polls the same job, then reads the result's validation metrics.
 * startTrainingJob + awaitTrainingJob are the same two halves for runs started before the slots.
 * Errors a retry cannot fix (H2O rejecting a spec, a failed job, the MOJO gate) become non-retryable
 * ApplicationFailures carrying H2O's message (src/shared/failure.ts); an unreachable cluster stays retryable.
 */
import { activityInfo, ApplicationFailure, cancellationSignal, getClient, log } from '@temporalio/activity';
import { join } from 'node:path';
import { H2OClient } from '../h2o/client';
import { sanitizeH2OId, trainingRunIds } from '../h2o/ids';
import { H2OJobFailedError, jobFailureMessage, pollJob } from '../h2o/jobs';
import { downloadMojoTo, type MojoFile } from '../h2o/mojo';
import { writeGoldenRows } from '../h2o/golden-rows';
import { checkMojoInThread, type MojoSummary } from '../mojo/checked-load';
import { readFile } from 'node:fs/promises';
import { checkH2OVersion } from '../h2o/version';
import { assertCloudUsable, cloudLossWatch, namingCloudLoss, readAndLockCloud } from '../h2o/cloud';
import { championModelIds } from '../registry';
import {
  cleanupTrainingRun as cleanupRun,
  evaluateTraining,
  pruneModelRuns,
  startTraining,
  type CleanupResult,
  type PruneResult,
  type StartedTraining,
  type TrainedSpec,
  type TrainingFrames,
  type TrainingKind,
} from '../h2o/training';
import type { Algorithm } from '../shared/algorithms';
import { FailureType, H2OError, isLost, MojoError } from '../shared/errors';
import { WorkflowNotFoundError } from '@temporalio/client';
import { trainingProgressSignal, trainingSlotSignal } from '../shared/messages/train-models';
import type { ChampionMetric } from '../shared/metrics';
import type { ModelSpec } from '../shared/training-spec';
import type { ActivityDeps } from './deps';
import { heartbeating } from './heartbeat';

export interface CheckTrainingClusterInput {
  algorithms: Algorithm[];
}

export interface CheckTrainingClusterOutput {
  h2oVersion: string;
  xgboostAvailable: boolean;
  /** TRAINING_MAX_PARALLEL, for runs whose input sets none */
  defaultMaxParallel: number;
  /** TRAINING_TASK_QUEUE of this worker: where the run's H2O jobs wait for a slot */
  trainingTaskQueue: string;
  /** nodes of the (complete, locked) cloud */
  cloudSize?: number;
}

export interface StartTrainingJobInput {
  workflowId: string;
  /** with workflowId, what the H2O ids derive from */
  runId?: string;
  spec: ModelSpec;
  frames: TrainingFrames;
  seed?: number;
}

export interface AwaitTrainingJobInput {
  workflowId: string;
  specName: string;
  jobKey: string;
  /** what the job writes (startTrainingJob's destId and kind) */
  destId: string;
  kind: TrainingKind;
  /** the metric to read from the result's validation metrics */
  metric: ChampionMetric;
}

export interface AwaitTrainingJobOutput {
  jobKey: string;
  /** H2O's run time of the job, ms */
  msec: number;
  /** true when this attempt picked up polling from an earlier attempt's heartbeat */
  resumed: boolean;
  /** the trained model (a grid's best) and its validation metrics, exactly as H2O reports them */
  trained: TrainedSpec;
}

/** What awaitTrainingJob heartbeats; a retry reads it back from activityInfo().heartbeatDetails. */
export interface TrainingHeartbeat {
  jobKey: string;
  progress: number;
}

export interface TrainSpecOnSlotInput extends StartTrainingJobInput {
  specName: string;
  metric: ChampionMetric;
  /** workflows told when a slot starts this (trainingSlotSignal): the trainModels run and its parent retrain */
  slotWatchers: string[];
}

export interface TrainSpecOnSlotOutput extends AwaitTrainingJobOutput {
  started: StartedTraining;
}

export interface ExportChampionMojoInput {
  model: string;
  workflowId: string;
  h2oModelId: string;
  /** a frame of the run (the validation frame) whose first rows become the version's golden rows */
  goldenFrame?: string;
}

export interface CleanupTrainingRunInput {
  workflowId: string;
  runId?: string;
  /** models to leave on the cluster (the champion) */
  keepModelIds: string[];
  /** grid ids the run started (their index objects are dropped too) */
  gridIds: string[];
  /** grid specs the run may have started (a failed trainSpecOnSlot returns no grid id): their ids are derived here */
  gridSpecNames?: string[];
}

export interface PruneH2OModelsInput {
  model: string;
}

export function createH2OActivities({ config, pool }: ActivityDeps) {
  const h2o = new H2OClient(config.h2o.url);
  const cloudSettings = { nodes: config.h2o.nodes, members: config.h2o.members };
  /** Throws H2OCloudLostError when the cloud lost a node (polls of a training job read /3/Cloud too). */
  const watchCloud = cloudLossWatch(h2o, cloudSettings);

  async function startJob(input: StartTrainingJobInput): Promise<StartedTraining> {
    const destId = trainingRunIds(input.workflowId, input.runId).spec(input.spec.name);
    const started = await startTraining(h2o, { spec: input.spec, destId, frames: input.frames, seed: input.seed });
    log.info(started.resumed ? "found the spec's H2O job from an earlier attempt" : 'started H2O job', {
      spec: input.spec.name,
      jobKey: started.jobKey,
      destId,
    });
    return started;
  }

  /** Polls the job to the end, heartbeating `{ jobKey, progress }` (with resumeHeartbeat a retry polls the heartbeated job), then reads its metrics. */
  async function awaitJob(input: AwaitTrainingJobInput, resumeHeartbeat = true): Promise<AwaitTrainingJobOutput> {
    const previous = resumeHeartbeat ? (activityInfo().heartbeatDetails as TrainingHeartbeat | undefined) : undefined;
    const jobKey = previous?.jobKey ?? input.jobKey;
    const resumed = previous?.jobKey !== undefined;
    if (resumed)
      log.info('resuming polling of the H2O job', {
        spec: input.specName,
        jobKey,
        progress: previous?.progress,
        attempt: activityInfo().attempt,
      });
    const workflow = getClient().workflow.getHandle(input.workflowId);
    let lastReport = 0;
    try {
      // Heartbeats on a timer, not only after a successful poll: while H2O is unreachable the polls
      // fail for up to TRAINING_H2O_GRACE_S, and the 15 s heartbeat timeout must not end the attempt.
      const job = await heartbeating(
        { jobKey, progress: previous?.progress ?? 0 } satisfies TrainingHeartbeat,
        (report) =>
          pollJob(h2o, jobKey, {
            intervalMs: config.training.pollIntervalMs,
            unreachableGraceMs: config.training.h2oGraceS * 1000,
            signal: cancellationSignal(),
            watchCloud,
            onPoll: (j) => {
              report({ jobKey, progress: j.progress });
              if (Date.now() - lastReport >= config.training.progressIntervalMs) {
                lastReport = Date.now();
                // Best effort: the query shows progress; a lost signal loses nothing else.
                workflow
                  .signal(trainingProgressSignal, { specName: input.specName, progress: j.progress, jobKey })
                  .catch(() => {});
              }
            },
          }),
      );
      if (job.status === 'CANCELLED')
        throw ApplicationFailure.nonRetryable(
          `H2O job ${jobKey} of spec ${input.specName} was cancelled: ${jobFailureMessage(job)}`,
          FailureType.H2O,
        );
      // Reading the metrics here, not in another activity, saves a round trip per branch.
      const trained = await evaluateTraining(h2o, input.destId, input.kind, input.metric, input.specName);
      return { jobKey, msec: job.msec, resumed, trained };
    } catch (err) {
      // A job that FAILED will not finish by polling again. (A job the cluster forgot, after a
      // restart, becomes H2OLost in toFailure: trainModels rebuilds and trains again.)
      if (err instanceof H2OJobFailedError) {
        throw ApplicationFailure.nonRetryable(`spec ${input.specName}: ${err.message}`, FailureType.H2O, {
          status: err.status,
          field: err.field ?? null,
        });
      }
      if (err instanceof H2OError && isLost(err)) err.message = `spec ${input.specName}: ${err.message}`;
      throw err;
    }
  }

  return {
    /** The cluster answers, runs an ungated build, and says whether XGBoost is available. */
    async checkTrainingCluster(input: CheckTrainingClusterInput): Promise<CheckTrainingClusterOutput> {
      // complete, healthy, agreed and locked, or the run stops here (a lost node: non-retryable; still forming: retried)
      const check = assertCloudUsable(await readAndLockCloud(h2o, cloudSettings));
      const cloud = await h2o.cloud(); // its version (the check above judged its health)
      const version = checkH2OVersion(cloud.version, config.h2o.version);
      if (version.verdict === 'gated') throw ApplicationFailure.nonRetryable(version.message, FailureType.H2OMojoGated);
      if (!version.ok) log.warn('H2O version differs from the pinned one', { message: version.message });
      const xgboostAvailable = input.algorithms.includes('xgboost') ? await h2o.hasXGBoost() : false;
      return {
        h2oVersion: cloud.version,
        xgboostAvailable,
        defaultMaxParallel: config.training.maxParallel,
        trainingTaskQueue: config.training.taskQueue,
        cloudSize: check.size,
      };
    },

    /** Starts the spec's H2O job, or returns the job an earlier attempt started (never trains twice). */
    async startTrainingJob(input: StartTrainingJobInput): Promise<StartedTraining> {
      return startJob(input);
    },

    /**
     * Polls the job to the end, heartbeating `{ jobKey, progress }` (a retry resumes the heartbeated
     * job), then reads the result's validation metrics.
     */
    async awaitTrainingJob(input: AwaitTrainingJobInput): Promise<AwaitTrainingJobOutput> {
      return awaitJob(input);
    },

    /**
     * One spec on one training slot: reports the slot to the watching workflows, starts (or finds) the
     * spec's H2O job and polls it to the end. Runs on TRAINING_TASK_QUEUE, so the slots of its workers
     * are the jobs H2O trains at once.
     */
    async trainSpecOnSlot(input: TrainSpecOnSlotInput): Promise<TrainSpecOnSlotOutput> {
      const client = getClient();
      for (const watcher of input.slotWatchers) {
        try {
          await client.workflow
            .getHandle(watcher)
            .signal(trainingSlotSignal, { workflowId: input.workflowId, specName: input.specName });
        } catch (err) {
          // a watcher that ended cannot care; anything else (the server away) retries the activity
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      // startJob finds the job an earlier attempt started (its id derives from the run and the spec), so
      // a retry polls that one, and a cluster that lost it gets it started again
      const started = await startJob(input);
      const awaited = await awaitJob(
        {
          workflowId: input.workflowId,
          specName: input.specName,
          jobKey: started.jobKey,
          destId: started.destId,
          kind: started.kind,
          metric: input.metric,
        },
        false,
      );
      return { ...awaited, resumed: started.resumed, started };
    },

    /**
     * Downloads the champion's MOJO to ARTIFACT_DIR/<model>/<workflowId>/<h2oModelId>.zip with its
     * sha256, and beside it the golden rows the inference service checks before serving it (the
     * cluster's predictions of the first rows of `goldenFrame`), when the platform's scorer reads it.
     * A lost H2O node is named (H2OCloudLostError).
     */
    async exportChampionMojo(input: ExportChampionMojoInput): Promise<MojoFile> {
      return namingCloudLoss(h2o, cloudSettings, async () => {
        const path = join(
          config.worker.artifactDir,
          sanitizeH2OId(input.model),
          sanitizeH2OId(input.workflowId),
          `${input.h2oModelId}.zip`,
        );
        const file = await downloadMojoTo(h2o, input.h2oModelId, path);
        log.info('MOJO written', { path: file.path, bytes: file.bytes, sha256: file.sha256 });
        if (input.goldenFrame) {
          let mojo: MojoSummary | undefined;
          try {
            // in a thread of its own (bounded heap and time): the file is H2O's answer, not yet trusted
            mojo = await checkMojoInThread(await readFile(file.path), file.path, config.mojoLoad);
          } catch (err) {
            if (!(err instanceof MojoError)) throw err;
            mojo = undefined; // unservable: retrainModel's check records why; no golden rows to check
          }
          if (mojo) {
            const golden = await writeGoldenRows(h2o, {
              h2oModelId: input.h2oModelId,
              frameId: input.goldenFrame,
              mojoPath: file.path,
              classes: mojo.classes,
              features: mojo.features,
            });
            log.info('golden rows written', { path: file.path, rows: golden.rows.length });
          }
        }
        return file;
      });
    },

    /**
     * Keeps the champions of the model's newest TRAINING_KEEP_H2O_MODELS versions in H2O's memory and
     * deletes the rest of its registered runs' models and frames (their MOJOs are on disk). Idempotent.
     */
    async pruneH2OModels(input: PruneH2OModelsInput): Promise<PruneResult> {
      const result = await pruneModelRuns(
        h2o,
        await championModelIds(pool, input.model),
        config.training.keepH2OModels,
      );
      log.info('older training runs removed from H2O', {
        model: input.model,
        kept: result.keptModels,
        models: result.deletedModels.length,
        frames: result.deletedFrames.length,
      });
      return result;
    },

    /** Cancels the run's running jobs, deletes its frames and every model but the kept ones. Idempotent. */
    async cleanupTrainingRun(input: CleanupTrainingRunInput): Promise<CleanupResult> {
      const ids = trainingRunIds(input.workflowId, input.runId);
      const gridIds = [...new Set([...input.gridIds, ...(input.gridSpecNames ?? []).map((name) => ids.spec(name))])];
      const result = await cleanupRun(h2o, ids.prefix, input.keepModelIds, gridIds);
      log.info('training run cleaned up', {
        prefix: ids.prefix,
        cancelledJobs: result.cancelledJobs,
        models: result.deletedModels.length,
        frames: result.deletedFrames.length,
      });
      return result;
    },
  };
}
