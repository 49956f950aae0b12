/** From score0's array to a Prediction, as EasyPredictModelWrapper's predictBinomial/Multinomial/Regression. */
import type { MojoModel, Prediction } from './types';

export function toPrediction(model: MojoModel, preds: Float64Array): Prediction {
  if (!model.classes) return { value: preds[0]! };
  const labelIndex = preds[0]!;
  return { label: model.classes[labelIndex]!, labelIndex, probabilities: Array.from(preds.subarray(1, model.classes.length + 1)) };
}

/** A buffer sized for score0's output. */
export function predsBuffer(model: MojoModel): Float64Array {
  return new Float64Array(model.classes ? model.classes.length + 1 : 1);
}
