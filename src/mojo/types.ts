/** What a loaded MOJO is and does, whatever its algorithm (src/mojo/load.ts builds one). */

export type MojoAlgorithm = 'gbm' | 'drf' | 'glm';
export type MojoCategory = 'Binomial' | 'Multinomial' | 'Regression';

export interface MojoModel {
  readonly algorithm: MojoAlgorithm;
  readonly category: MojoCategory;
  readonly mojoVersion: string;
  readonly h2oVersion: string;
  /** the distribution (GBM) or family (GLM); DRF has none */
  readonly family: string | undefined;
  /** predictors in the model's order: a row for score0 holds one double per feature */
  readonly features: readonly string[];
  /** per feature: its levels (categorical) or null (numeric) */
  readonly domains: readonly (readonly string[] | null)[];
  readonly response: string;
  /** the response's levels for classifiers, null for regression */
  readonly classes: readonly string[] | null;
  /** PredictCsv's header: `predict`, then one column per class */
  readonly outputNames: readonly string[];
  readonly defaultThreshold: number;
  /**
   * h2o-genmodel's score0: `row` has one double per feature (NaN = missing, levels as indices);
   * `preds` gets the label index then class probabilities (classifiers) or the value (regression).
   * `row` is not modified.
   */
  score0(row: Float64Array, preds: Float64Array): Float64Array;
}

/** One row's prediction, as EasyPredictModelWrapper returns it. */
export type Prediction = { label: string; labelIndex: number; probabilities: number[] } | { value: number };
