/**
 * Shared types of the orchestrator, the contract between workflows, activities and the registry.
 * Part of the workflow-safe kernel (src/shared/).
 *
 * Vocabulary (docs/ARCHITECTURE.md; use these words in code, tables, logs and docs alike):
 * - feature set: a named group of features about one kind of entity (e.g. `customers`).
 * - entity id: the key of the thing a feature row describes (a customer id).
 * - event time: when the features were true in the world; the partition key of the feature store.
 * - window: a half-open event-time range [start, end) of the feature store.
 * - source: a declared HTTP API that ingestion reads; a page is one response, a cursor where the next one starts.
 * - dead letter: a source record that failed validation, stored with the reason instead of being dropped.
 * - model: a named prediction task (e.g. `churn`), with versions in the registry.
 * - model spec: an algorithm plus parameters (or a grid) to train; a training run trains several.
 * - champion: the spec's model with the best validation metric of a training run.
 * - model version: a registered champion, numbered 1, 2, 3… per model, with a stage.
 * - stage: staging, production or archived; exactly one production version per model.
 * - reference histogram: per-feature bin edges and shares of the training data, stored with the version.
 * - drift report: the PSI of each feature between the reference and a current window, and the verdict.
 * - PSI: population stability index, Σ (a − e) · ln(a / e) over bins.
 *
 * Algorithms, metrics, model specs and time windows have their own modules (algorithms.ts,
 * metrics.ts, training-spec.ts, time-window.ts): each is a list or a schema as well as a type.
 */
import type { Algorithm } from './algorithms';
import type { ChampionMetric } from './metrics';
import type { TimeWindow } from './time-window';
import type { H2OParameterValue } from './training-spec';

/** Numeric feature: bin edges (deciles of the reference) and the reference share of each bin. */
export interface NumericReference {
  kind: 'numeric';
  /** interior edges e1 < e2 < … ; bins are (-inf, e1], (e1, e2], …, (ek, +inf) */
  edges: number[];
  /** shares per bin, edges.length + 1 of them, then the share of nulls */
  shares: number[];
  nullShare: number;
}

/** Categorical feature: one bin per reference category, plus unseen categories and nulls. */
export interface CategoricalReference {
  kind: 'categorical';
  categories: string[];
  shares: number[];
  unseenShare: number;
  nullShare: number;
}

export type FeatureReference = NumericReference | CategoricalReference;

/** The reference histograms of a model version's training data, read by the drift sensor. */
export interface ReferenceProfile {
  featureSet: string;
  window: TimeWindow;
  rows: number;
  features: Record<string, FeatureReference>;
}

/** What a training run hands to the registry: everything a model version row needs. */
export interface CandidateVersion {
  model: string;
  specName: string;
  algorithm: Algorithm;
  parameters: Record<string, H2OParameterValue>;
  /** validation metrics as H2O reports them */
  metrics: Record<string, number>;
  metric: ChampionMetric;
  metricValue: number;
  artifactPath: string;
  artifactSha256: string;
  h2oVersion: string;
  h2oModelId: string;
  featureSet: string;
  target: string;
  window: TimeWindow;
  reference: ReferenceProfile;
}
