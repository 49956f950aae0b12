/** From score0's array to a Prediction, as EasyPredictModelWrapper's predictBinomial/Multinomial/Regression. */
import { ValidationError } from '../shared/errors';
import type { MojoModel, Prediction } from './types';

/**
 * Refuses a score with a NaN in it: NaN compares false with everything, so the label rules would read
 * it as class 0 and the probabilities would go out as null. `field` names the row in the error.
 */
export function checkScored(preds: Float64Array, field: string, from = 0, to = preds.length): void {
  for (let i = from; i < to; i++)
    if (!Number.isFinite(preds[i]))
      throw new ValidationError(
        field,
        null,
        'the model scored this row as NaN or ±Infinity (from an input it cannot score); no prediction is made from it',
      );
}

export function toPrediction(model: MojoModel, preds: Float64Array, field = 'prediction'): Prediction {
  checkScored(preds, field);
  if (!model.classes) return { value: preds[0]! };
  const labelIndex = preds[0]!;
  // a plain loop: Array.from(subarray) allocates twice and is the slowest step of a GLM prediction
  const probabilities = new Array<number>(model.classes.length);
  for (let i = 0; i < probabilities.length; i++) probabilities[i] = preds[i + 1]!;
  return { label: model.classes[labelIndex]!, labelIndex, probabilities };
}

/** A buffer sized for score0's output. */
export function predsBuffer(model: MojoModel): Float64Array {
  return new Float64Array(model.classes ? model.classes.length + 1 : 1);
}
