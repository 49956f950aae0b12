/** Reading H2O's model metrics: the validation numbers a champion is chosen by, exactly as H2O reports them. */
import type { ChampionMetric } from '../shared/metrics';
import type { H2ONumber, ModelMetricsV3, ModelV3 } from './schemas';

/** Our metric name → the field of ModelMetrics*V3 that holds it. */
export const METRIC_FIELDS: Record<ChampionMetric, keyof ModelMetricsV3> = {
  auc: 'AUC',
  logloss: 'logloss',
  rmse: 'RMSE',
  mae: 'mae',
  mean_per_class_error: 'mean_per_class_error',
};

/** Scalar metric fields copied into a candidate version, under lower-case names. */
const SCALAR_FIELDS = [
  'MSE',
  'RMSE',
  'nobs',
  'r2',
  'logloss',
  'AUC',
  'pr_auc',
  'Gini',
  'mean_per_class_error',
  'mae',
  'rmsle',
  'mean_residual_deviance',
  'residual_deviance',
  'null_deviance',
  'AIC',
  'loglikelihood',
] as const;

/** A finite number, or undefined for H2O's "NaN"/"Infinity" strings and missing fields. */
export function h2oNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** All finite scalar metrics, keyed by lower-case name (auc, logloss, rmse, mse, r2, …). */
export function scalarMetrics(metrics: ModelMetricsV3): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of SCALAR_FIELDS) {
    const value = h2oNumber(metrics[field] as H2ONumber | undefined);
    if (value !== undefined) out[field.toLowerCase()] = value;
  }
  return out;
}

/** The model's validation metrics, or undefined when it was trained without a validation frame. */
export function validationMetrics(model: ModelV3): ModelMetricsV3 | undefined {
  return model.output?.validation_metrics ?? undefined;
}

/** The value of `metric` in the model's validation metrics, or undefined if H2O reports none. */
export function validationMetric(model: ModelV3, metric: ChampionMetric): number | undefined {
  const metrics = validationMetrics(model);
  return metrics ? h2oNumber(metrics[METRIC_FIELDS[metric]]) : undefined;
}
