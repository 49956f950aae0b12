/**
 * Drift activities: reference profiles of training windows, histograms of current windows, drift
 * reports, and starting the retrain a drift calls for. Everything reads rows where they live and
 * returns bins and ids, never rows.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { FailureType, ValidationError } from '../errors';
import { buildReferenceProfile } from '../monitoring/reference-profile';
import { streamWindowHistogram } from '../monitoring/window-histogram';
import type { BinSpec, WindowHistogram } from '../sensors';
import type { ReferenceProfile, TimeWindow } from '../types';
import type { ActivityDeps } from './deps';

export interface ComputeReferenceProfileInput {
  featureSet: string;
  /** the training window [start, end) */
  window: TimeWindow;
  /** the features to profile (the model's inputs, not the target) */
  features: string[];
  /** equal-frequency bins per numeric feature. @default DRIFT_BINS (10, deciles) */
  bins?: number;
}

export interface ComputeWindowHistogramInput {
  featureSet: string;
  window: TimeWindow;
  /** the bins of each feature, from the production version's reference */
  specs: Record<string, BinSpec>;
}

/** Throws ValidationError unless `window` is two ISO timestamps with start < end. */
export function validateWindow(field: string, window: TimeWindow | undefined): void {
  if (!window || typeof window !== 'object') throw new ValidationError(field, window, 'a window { start, end } of ISO-8601 timestamps');
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (typeof window.start !== 'string' || Number.isNaN(start)) throw new ValidationError(`${field}.start`, window.start, 'an ISO-8601 timestamp');
  if (typeof window.end !== 'string' || Number.isNaN(end)) throw new ValidationError(`${field}.end`, window.end, 'an ISO-8601 timestamp');
  if (start >= end) throw new ValidationError(`${field}.end`, window.end, `a time after ${field}.start (${window.start})`);
}

function validateFeatures(features: unknown): asserts features is string[] {
  if (!Array.isArray(features) || features.length === 0) throw new ValidationError('features', features, 'a non-empty list of feature names');
  const seen = new Set<string>();
  for (const f of features) {
    if (typeof f !== 'string' || f.length === 0) throw new ValidationError('features', f, 'feature names are non-empty strings');
    if (seen.has(f)) throw new ValidationError('features', f, 'feature names must be unique');
    seen.add(f);
  }
}

/** Bad input will fail on every retry: turn ValidationError into a non-retryable failure. */
async function nonRetryableOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Validation);
    throw err;
  }
}

export function createDriftActivities({ config, pool }: ActivityDeps) {
  return {
    /** Reference histograms of a training window, stored with the model version it trains. */
    async computeReferenceProfile(input: ComputeReferenceProfileInput): Promise<ReferenceProfile> {
      return nonRetryableOnBadInput(async () => {
        if (typeof input?.featureSet !== 'string' || input.featureSet.length === 0) throw new ValidationError('featureSet', input?.featureSet, 'a non-empty feature set name');
        validateWindow('window', input.window);
        validateFeatures(input.features);
        const bins = input.bins ?? config.drift.bins;
        if (!Number.isInteger(bins) || bins < 2 || bins > 100) throw new ValidationError('bins', input.bins, 'an integer from 2 to 100');
        return buildReferenceProfile(pool, { featureSet: input.featureSet, window: input.window }, input.features, {
          bins,
          maxCategories: config.drift.maxCategories,
          onProgress: (rows) => heartbeat({ rows }),
        });
      });
    },

    /** Bin counts of a current window under a reference's bins, in constant memory. */
    async computeWindowHistogram(input: ComputeWindowHistogramInput): Promise<WindowHistogram> {
      return nonRetryableOnBadInput(async () => {
        validateWindow('window', input.window);
        if (!input.specs || Object.keys(input.specs).length === 0) throw new ValidationError('specs', input.specs, 'the bins of at least one feature');
        return streamWindowHistogram(pool, { featureSet: input.featureSet, window: input.window }, input.specs, { onProgress: (rows) => heartbeat({ rows }) });
      });
    },
  };
}
