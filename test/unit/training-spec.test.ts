/**
 * One rule per concept, checked where users meet it: a training run's input (trainModels), the
 * training part of models.yaml and a retrain's merged configuration share one spec schema, the
 * metrics' direction, the feature-kind rule and the workflow ids.
 */
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/shared/algorithms';
import { parseDuration } from '../../src/shared/duration';
import { ValidationError } from '../../src/shared/errors';
import { featureKind } from '../../src/shared/feature-kind';
import {
  retrainIngestWorkflowId,
  retrainTrainingWorkflowId,
  retrainWorkflowId,
  sensorScheduleId,
} from '../../src/shared/ids';
import { CHAMPION_METRICS, CLASSIFICATION_METRICS, higherIsBetter, isBetter } from '../../src/shared/metrics';
import { validateModelsFile, validateTraining } from '../../src/shared/model-declaration';
import { trainingRun } from '../../src/shared/training-spec';
import { parse } from '../../src/shared/validation';

const run = {
  model: 'churn',
  featureSet: 'customers',
  target: 'churned',
  window: { start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' },
  metric: 'auc',
  specs: [{ name: 'gbm', algorithm: 'gbm', parameters: { ntrees: 5 } }],
};

function message(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('the spec schema, shared by trainModels, models.yaml and retrains', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a spec name with a space',
      { specs: [{ name: 'x y', algorithm: 'gbm' }] },
      'specs[0].name="x y" is invalid: a spec name',
    ],
    [
      'a 65-character spec name',
      { specs: [{ name: 'a'.repeat(65), algorithm: 'gbm' }] },
      `specs[0].name="${'a'.repeat(65)}" is invalid`,
    ],
    [
      'two specs of one name',
      {
        specs: [
          { name: 'a', algorithm: 'gbm' },
          { name: 'a', algorithm: 'glm' },
        ],
      },
      'specs[1].name="a" is invalid: a name not used by another spec',
    ],
    [
      'an unknown algorithm',
      { specs: [{ name: 'a', algorithm: 'svm' }] },
      `specs[0].algorithm="svm" is invalid: one of 'gbm', 'drf', 'glm', 'xgboost'`,
    ],
    [
      'a parameter the run sets itself',
      { specs: [{ name: 'a', algorithm: 'gbm', parameters: { training_frame: 'x' } }] },
      'specs[0].parameters.training_frame="x" is invalid: is set by the training run',
    ],
    [
      'an empty grid axis',
      { specs: [{ name: 'a', algorithm: 'gbm', grid: { max_depth: [] } }] },
      'specs[0].grid.max_depth=[] is invalid: a non-empty array of values',
    ],
    ['no specs', { specs: [] }, 'specs=[] is invalid: a non-empty list of model specs'],
    ['an unknown metric', { metric: 'f1' }, `metric="f1" is invalid: one of 'auc'`],
    [
      'a validation fraction of 1',
      { validationFraction: 1 },
      'validationFraction=1 is invalid: a number between 0 and 1 (exclusive)',
    ],
    ['maxParallel 0', { maxParallel: 0 }, 'maxParallel=0 is invalid: an integer from 1 to 64'],
    ['a fractional seed', { seed: 1.5 }, 'seed=1.5 is invalid: an integer'],
    [
      'a window that ends before it starts',
      { window: { start: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' } },
      'window.end="2026-01-01T00:00:00Z" is invalid: a time after start',
    ],
    ['duplicate features', { features: ['a', 'a'] }, 'features[1]="a" is invalid: feature names must be unique'],
    ['a model name with a dot', { model: 'churn.v2' }, 'model="churn.v2" is invalid: a model name'],
  ])('trainModels input: %s', (_label, change, expected) => {
    expect(message(() => parse(trainingRun, { ...run, ...change }))).toContain(expected);
  });

  it('the same spec is rejected alike in models.yaml and in a retrain, with the path of each', () => {
    const bad = { name: 'x y', algorithm: 'gbm' };
    const { model: _m, window: _w, ...declared } = run;
    expect(message(() => validateModelsFile({ models: { churn: { ...declared, specs: [bad] } } }))).toContain(
      'models.churn.specs[0].name="x y" is invalid: a spec name',
    );
    expect(message(() => validateTraining('training', { ...declared, specs: [bad] }))).toContain(
      'training.specs[0].name="x y" is invalid: a spec name',
    );
    // and a valid one is accepted everywhere, with the declaration's defaults
    const [model] = validateModelsFile({ models: { churn: declared } });
    expect(model).toMatchObject({
      name: 'churn',
      trainingWindow: '30d',
      retrain: { requireApproval: false, approvalTimeout: '1d' },
    });
    expect(parse(trainingRun, run).specs).toEqual(model!.specs);
  });

  it('durations: one rule for the parser and the schema', () => {
    expect(parseDuration('d', '90s')).toBe(90_000);
    expect(parseDuration('d', '2w')).toBe(14 * 86_400_000);
    expect(() => parseDuration('trainingWindow', '0d')).toThrow('trainingWindow="0d" is invalid');
    const { model: _m, window: _w, ...declared } = run;
    expect(
      message(() => validateModelsFile({ models: { churn: { ...declared, drift: { every: '1 hour' } } } })),
    ).toContain('models.churn.drift.every="1 hour" is invalid: a duration');
  });
});

describe('metrics', () => {
  it('AUC is better higher, the error metrics lower; a tie keeps the first', () => {
    expect(CHAMPION_METRICS.filter(higherIsBetter)).toEqual(['auc']);
    expect(isBetter('auc', 0.9, 0.8)).toBe(true);
    expect(isBetter('logloss', 0.2, 0.3)).toBe(true);
    expect(isBetter('rmse', 0.3, 0.2)).toBe(false);
    expect(isBetter('auc', 0.8, 0.8)).toBe(false);
    expect([...CLASSIFICATION_METRICS].sort()).toEqual(['auc', 'logloss', 'mean_per_class_error']);
    expect(ALGORITHMS).toContain('xgboost');
  });
});

describe('the numeric/categorical rule (training and drift)', () => {
  it.each<[string[], string]>([
    [['number'], 'numeric'],
    [[], 'numeric'],
    [['null'], 'numeric'],
    [['number', 'null'], 'numeric'],
    [['string'], 'categorical'],
    [['boolean'], 'categorical'],
    [['number', 'string'], 'categorical'],
    [['number', 'object'], 'unsupported'],
    [['array'], 'unsupported'],
  ])('%j → %s', (types, kind) => {
    expect(featureKind(types)).toBe(kind);
  });
});

describe('workflow ids', () => {
  it('derive from the model, the source and the run', () => {
    expect(retrainWorkflowId('churn')).toBe('retrain-churn');
    expect(sensorScheduleId('churn')).toBe('drift-sensor-churn');
    expect(retrainIngestWorkflowId('retrain-churn', '0193a0b1-run', 'crm')).toBe(
      'retrain-churn-ingest-crm-0193a0b1-run',
    );
    expect(retrainTrainingWorkflowId('retrain-churn', '0190-abc')).toBe('retrain-churn-train-0190-abc');
  });
});
