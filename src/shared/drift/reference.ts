/**
 * Reference histograms: build a version's reference from the counts of its training window, and lay
 * out reference and current shares as the bin vectors PSI compares. Pure, workflow-safe.
 */
import type { CategoricalReference, FeatureReference, NumericReference } from '../types';
import type { BinSpec } from './binning';
import type { FeatureHistogram } from './histogram';

/** The quantile fractions of `bins` equal-frequency bins: 10 → 0.1, 0.2, …, 0.9 (the deciles). */
export function quantileFractions(bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 2)
    throw new RangeError(`quantileFractions: bins=${bins} must be an integer >= 2`);
  return Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);
}

/**
 * The categories a reference keeps: the `max` most frequent (ties by name, so the choice is stable);
 * rarer ones are counted as unseen, so a long tail cannot blow up the reference.
 */
export function chooseCategories(counts: ReadonlyArray<readonly [string, number]>, max: number): string[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([c]) => c);
}

/** The reference of one feature from its bins and its counts over the training window of `rows` rows. */
export function referenceFromHistogram(spec: BinSpec, histogram: FeatureHistogram, rows: number): FeatureReference {
  const share = (c: number) => (rows > 0 ? c / rows : 0);
  if (spec.kind === 'numeric') {
    const ref: NumericReference = {
      kind: 'numeric',
      edges: [...spec.edges],
      shares: histogram.counts.map(share),
      nullShare: share(histogram.nulls),
    };
    return ref;
  }
  const ref: CategoricalReference = {
    kind: 'categorical',
    categories: [...spec.categories],
    shares: histogram.counts.map(share),
    unseenShare: share(histogram.unseen),
    nullShare: share(histogram.nulls),
  };
  return ref;
}

/** Reference shares in PSI bin order: value bins, then (categorical) unseen, then null. */
export function expectedShares(reference: FeatureReference): number[] {
  return reference.kind === 'numeric'
    ? [...reference.shares, reference.nullShare]
    : [...reference.shares, reference.unseenShare, reference.nullShare];
}

/** Current shares of `rows` rows in the same order as expectedShares. */
export function actualShares(reference: FeatureReference, histogram: FeatureHistogram, rows: number): number[] {
  const share = (c: number) => (rows > 0 ? c / rows : 0);
  const values = histogram.counts.map(share);
  return reference.kind === 'numeric'
    ? [...values, share(histogram.nulls)]
    : [...values, share(histogram.unseen), share(histogram.nulls)];
}

/** Human-readable bin labels in PSI bin order, for drift reports. */
export function binLabels(reference: FeatureReference): string[] {
  if (reference.kind === 'categorical') return [...reference.categories, '__unseen__', '__null__'];
  const e = reference.edges;
  if (e.length === 0) return ['(-inf, +inf)', '__null__'];
  const labels = [`(-inf, ${e[0]}]`];
  for (let i = 1; i < e.length; i++) labels.push(`(${e[i - 1]}, ${e[i]}]`);
  labels.push(`(${e[e.length - 1]}, +inf)`, '__null__');
  return labels;
}
