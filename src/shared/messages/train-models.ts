/**
 * Messages of trainModels (src/workflows/train-models.ts): the `progress` query callers read, the
 * signal the polling activity (src/activities/h2o.ts) sends while it polls a job, and the one it sends
 * when a training slot starts it.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Algorithm } from '../algorithms';

export type TrainingStage =
  'checking' | 'extracting' | 'training' | 'exporting' | 'profiling' | 'cleaning' | 'done' | 'failed';
export type SpecState = 'queued' | 'starting' | 'training' | 'succeeded' | 'failed';

export interface SpecProgress {
  specName: string;
  algorithm: Algorithm;
  state: SpecState;
  /** H2O's job progress, 0..1, as last reported by the polling branch */
  progress: number;
  jobKey?: string;
  h2oModelId?: string;
  metricValue?: number;
  error?: string;
}

export interface TrainModelsProgress {
  stage: TrainingStage;
  specs: SpecProgress[];
  frameRows?: { train: number; validation: number };
  championSpec?: string;
  /** times H2O lost the run (a restart) and it was rebuilt: frames extracted and every spec trained again */
  rebuilds?: number;
}

/** Per-spec state and progress, for `temporal workflow query --name progress` and the UI. */
export const progressQuery = defineQuery<TrainModelsProgress>('progress');

export interface TrainingJobProgress {
  specName: string;
  /** 0..1 */
  progress: number;
  /** the H2O job polled (the query shows it while the job runs) */
  jobKey?: string;
}

/** Sent by awaitTrainingJob every TRAINING_PROGRESS_INTERVAL_MS while it polls the spec's H2O job. */
export const trainingProgressSignal = defineSignal<[TrainingJobProgress]>('trainingProgress');

export interface TrainingSlotTaken {
  /** the trainModels run whose spec got a slot */
  workflowId: string;
  specName: string;
}

/**
 * Sent by trainSpecOnSlot (src/activities/h2o.ts) when a training slot starts it, before its H2O job
 * starts: an activity waiting in its task queue tells the workflow nothing, so its start is reported.
 * trainModels and its parent retrain receive it (a retrain's RetrainState goes queued → training).
 */
export const trainingSlotSignal = defineSignal<[TrainingSlotTaken]>('trainingSlot');
