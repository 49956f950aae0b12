/**
 * What a training run trains, and its limits: model specs (an algorithm with H2O parameters, or a
 * grid) and the options around them. One schema serves models.yaml, a retrain's merged input and
 * trainModels' own input, so a spec valid in one is valid in all.
 */
import { z } from 'zod';
import { algorithm } from './algorithms';
import { championMetric } from './metrics';
import { featureKey, featureSetName, modelName, specName } from './names';
import { timeWindow } from './time-window';
import { between, integer, strict, text, uniqueList } from './validation';

/** A parameter value as H2O's form encoding accepts it. */
export type H2OParameterValue = string | number | boolean | Array<string | number>;

/** Parameters the run sets itself; a spec that sets them is rejected. */
export const RESERVED_PARAMETERS = [
  'model_id',
  'grid_id',
  'training_frame',
  'validation_frame',
  'response_column',
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'a string, number or boolean' });
const parameterValue: z.ZodType<H2OParameterValue> = z.union(
  [z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))],
  {
    error: 'a string, number, boolean or list of strings and numbers',
  },
);

const parameters = z
  .record(z.string(), parameterValue, { error: 'an object of H2O parameters' })
  .superRefine((given, ctx) => {
    for (const reserved of RESERVED_PARAMETERS) {
      if (reserved in given)
        ctx.addIssue({
          code: 'custom',
          path: [reserved],
          message: 'is set by the training run; remove it from the spec',
        });
    }
  });

/** One thing to train: an algorithm with parameters, or a grid over some of them. */
export const modelSpec = strict(
  {
    name: specName.meta({ description: 'unique within a training run; part of H2O ids' }),
    algorithm: algorithm.meta({ description: 'the H2O-3 model builder' }),
    parameters: parameters
      .optional()
      .meta({ description: 'H2O builder parameters (ntrees, max_depth, …), passed through as H2O names them' }),
    grid: z
      .record(
        z.string(),
        z.array(scalar, { error: 'a non-empty array of values' }).min(1, { error: 'a non-empty array of values' }),
        { error: 'an object of parameter → list of values' },
      )
      .optional()
      .meta({ description: 'a grid: hyper-parameter name → values; the best model of the grid stands for the spec' }),
  },
  'a model spec { name, algorithm, parameters?, grid? }',
);
export type ModelSpec = z.output<typeof modelSpec>;

export const modelSpecs = uniqueList(
  modelSpec,
  'a non-empty list of model specs',
  (s) => s.name,
  'a name not used by another spec',
  ['name'],
);

/** Feature names: non-empty and unique. */
export const featureNames = uniqueList(
  featureKey,
  'a non-empty list of feature names',
  (f) => f,
  'feature names must be unique',
);

/** The fields of a training run besides the model and the window (models.yaml's training part). */
export const trainingOptions = {
  featureSet: featureSetName.meta({ description: 'the feature set the features come from' }),
  target: text('a non-empty feature name').meta({ description: 'the feature (JSON key) to predict' }),
  specs: modelSpecs.meta({ description: 'what to train: one branch each' }),
  metric: championMetric.meta({ description: 'the champion is the best validation value of this metric' }),
  features: featureNames
    .optional()
    .meta({ description: 'feature names; every key of the feature rows but the target when omitted' }),
  labelFeatureSet: featureSetName
    .optional()
    .meta({ description: 'the feature set whose rows carry the target; featureSet when omitted' }),
  validationFraction: between(0, 1)
    .optional()
    .meta({ description: 'share of entities held out for validation; 0.2 when omitted' }),
  maxParallel: integer(1, 64)
    .optional()
    .meta({ description: 'specs trained at once; TRAINING_MAX_PARALLEL (4) when omitted' }),
  seed: integer(-(2 ** 53) + 1, 2 ** 53 - 1)
    .optional()
    .meta({ description: "H2O's seed for specs that set none, and the split's hash salt" }),
};

/** The input of one training run (trainModels): the model, the label window and the training options. */
export const trainingRun = strict({
  model: modelName.meta({ description: "the registry's model name" }),
  window: timeWindow.meta({ description: "the label rows' event-time window [start, end)" }),
  ...trainingOptions,
});
export type TrainingRun = z.input<typeof trainingRun>;
