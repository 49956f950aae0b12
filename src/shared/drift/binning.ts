/**
 * Binning: how a feature value lands in a bin of its reference. Pure functions, workflow-safe.
 *
 * Numeric bins come from the reference's interior edges e1 < e2 < … < ek:
 * (-inf, e1], (e1, e2], …, (ek, +inf). Values outside the reference range fall into the end bins, so
 * every current value is counted (unlike the often-copied psi.py that drops them). JSON values that
 * are not numbers (null, a missing key, a string) count as nulls of a numeric feature.
 *
 * Categorical bins: one per reference category, one for categories the reference never saw, and
 * nulls. Non-string JSON scalars (numbers, booleans) are compared by their text.
 */
import type { FeatureReference } from '../types';

/** What a feature's bins are, without the reference shares: enough to count a window. */
export type BinSpec = { kind: 'numeric'; edges: number[] } | { kind: 'categorical'; categories: string[] };

/**
 * Sorts and removes repeated edges. A feature with few distinct values (many zeros, a 0/1 flag) has
 * equal deciles; repeated edges would make empty bins that mean nothing, so they collapse into one.
 */
export function dedupeEdges(edges: readonly number[]): number[] {
  const sorted = edges.filter((e) => Number.isFinite(e)).sort((a, b) => a - b);
  return sorted.filter((e, i) => i === 0 || e !== sorted[i - 1]);
}

/** Index of the bin (-inf, e1], (e1, e2], …, (ek, +inf) holding `value`: the count of edges below it. */
export function numericBinIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  // binary search for the first edge >= value
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The category text of a JSON value, or undefined for null/missing/objects. */
export function categoryOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The bins of a stored reference. */
export function binSpecOf(reference: FeatureReference): BinSpec {
  return reference.kind === 'numeric'
    ? { kind: 'numeric', edges: reference.edges }
    : { kind: 'categorical', categories: reference.categories };
}

/** Number of value bins (not counting the unseen and null bins). */
export function valueBinCount(spec: BinSpec): number {
  return spec.kind === 'numeric' ? spec.edges.length + 1 : spec.categories.length;
}
