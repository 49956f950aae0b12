/**
 * The metrics a champion is chosen by: their names, which way is better, and which make the target a
 * class label. Every comparison of two models and every list of metrics goes through here.
 */
import { oneOf } from './validation';

/** In the order a reader compares versions by (the versions table lists them first). */
export const CHAMPION_METRICS = ['auc', 'logloss', 'rmse', 'mae', 'mean_per_class_error'] as const;
export type ChampionMetric = (typeof CHAMPION_METRICS)[number];

export const championMetric = oneOf(CHAMPION_METRICS);

/** Higher is better for AUC; lower for the error metrics. */
export function higherIsBetter(metric: ChampionMetric): boolean {
  return metric === 'auc';
}

/** True when `candidate` beats `best` on `metric` (a tie keeps the earlier model). */
export function isBetter(metric: ChampionMetric, candidate: number, best: number): boolean {
  return higherIsBetter(metric) ? candidate > best : candidate < best;
}

/** Metrics of classification: with one of them the target is a class label (an H2O Enum column). */
export const CLASSIFICATION_METRICS: ReadonlySet<ChampionMetric> = new Set(['auc', 'logloss', 'mean_per_class_error']);
