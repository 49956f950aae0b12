/** The contract of trainModels (src/workflows/train-models.ts): what its parent and callers pass and get back. */
import type { TrainingRun } from '../training-spec';
import type { CandidateVersion } from '../types';

export const TRAIN_MODELS = 'trainModels';

/**
 * The model, the label rows' window [start, end), the specs and the options around them: one schema,
 * trainingRun (src/shared/training-spec.ts), describes each field and holds every limit.
 */
export type TrainModelsInput = TrainingRun;

export interface TrainModelsBranch {
  specName: string;
  status: 'succeeded' | 'failed';
  metricValue?: number;
  h2oModelId?: string;
  error?: string;
}

export interface TrainModelsOutput {
  champion: CandidateVersion;
  branches: TrainModelsBranch[];
  frameRows: { train: number; validation: number };
  /** times the cluster lost the run (an H2O restart) and the frames were extracted and every spec trained again */
  rebuilds: number;
}

export type TrainModelsWorkflow = (input: TrainModelsInput) => Promise<TrainModelsOutput>;
