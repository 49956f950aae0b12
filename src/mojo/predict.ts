/** From score0's array to a Prediction, as EasyPredictModelWrapper's predictBinomial/Multinomial/Regression. */
import type { MojoModel, Prediction } from './types';

export function toPrediction(model: MojoModel, preds: Float64Array): Prediction {
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
