/**
 * Partition profiles: a mergeable summary of every feature of a set of rows (a closed partition, or
 * an hour of an open one), from which the histogram over ANY model's reference bins can be read
 * without the rows. Pure, workflow-safe.
 *
 * Per feature, by JSON type (the types the exact check bins by, binning.ts):
 * - numbers: exact value counts while there are at most EXACT_VALUE_CAP distinct values (so ties at
 *   bin edges stay exact), then a KLL quantile sketch (quantile-sketch.ts, stated rank error);
 * - strings and booleans: exact counts per text ("true"/"false" for booleans), at most LEVEL_CAP
 *   levels; rows of a level first seen once the cap is full are counted in `overflow`;
 * - null, a missing key, objects and arrays: rows − numbers − texts (nulls of either kind of bins).
 * A profile cannot answer (`undefined`) a categorical spec naming a category it did not keep (after
 * an overflow), nor one over numbers summarised by a sketch: the reader scans those rows exactly.
 */
import { categoryOf, numericBinIndex, valueBinCount, type BinSpec } from './binning';
import type { FeatureHistogram, WindowHistogram } from './histogram';
import {
  QuantileSketch,
  SKETCH_K,
  SKETCH_RANK_ERROR,
  pointsCountsAtOrBelow,
  type SketchPoints,
} from './quantile-sketch';

/** Distinct numeric values counted exactly before a feature switches to the sketch. */
export const EXACT_VALUE_CAP = 1024;
/** Categorical levels kept per feature; rows of later new levels count as overflow. */
export const LEVEL_CAP = 1000;
/** Features profiled per feature set; a key first seen beyond it is not profiled (read exactly). */
export const FEATURE_CAP = 500;
/** Points a sketch is stored as (toPoints): reading between two adds at most 1/SKETCH_POINTS of rank error. */
export const SKETCH_POINTS = 512;
/** The rank error of a count read from a sketch-mode profile, as a fraction of its numbers. */
export const PROFILE_RANK_ERROR = SKETCH_RANK_ERROR + 1 / SKETCH_POINTS;

export interface NumberSummary {
  n: number;
  min: number;
  max: number;
  /** exact: distinct values and their counts (while ≤ EXACT_VALUE_CAP) */
  values?: number[];
  counts?: number[];
  /** otherwise the sketch's estimate at up to ~2·SKETCH_POINTS points */
  sketch?: SketchPoints;
}

export interface FeatureProfile {
  numbers: NumberSummary;
  /** rows whose value is a string or a boolean */
  texts: number;
  levels: Record<string, number>;
  /** rows of levels not kept (LEVEL_CAP) */
  overflow: number;
}

/** The profile of a set of rows: their count and each feature's summary. */
export interface RowsProfile {
  rows: number;
  features: Record<string, FeatureProfile>;
  /** keys seen beyond FEATURE_CAP: not profiled */
  truncated: boolean;
}

class FeatureAccumulator {
  n = 0;
  min = Infinity;
  max = -Infinity;
  exact: Map<number, number> | undefined = new Map();
  sketch: QuantileSketch | undefined;
  texts = 0;
  levels = new Map<string, number>();
  overflow = 0;

  addNumber(v: number, times = 1): void {
    this.n += times;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.exact) {
      this.exact.set(v, (this.exact.get(v) ?? 0) + times);
      if (this.exact.size > EXACT_VALUE_CAP) this.toSketch();
      return;
    }
    if (times === 1) this.sketch!.add(v);
    else this.sketch!.addWeighted(v, times);
  }

  addText(text: string, times = 1): void {
    this.texts += times;
    const have = this.levels.get(text);
    if (have !== undefined) this.levels.set(text, have + times);
    else if (this.levels.size < LEVEL_CAP) this.levels.set(text, times);
    else this.overflow += times;
  }

  private toSketch(): void {
    const sketch = new QuantileSketch(SKETCH_K);
    for (const [v, c] of this.exact!) sketch.addWeighted(v, c);
    this.sketch = sketch;
    this.exact = undefined;
  }

  mergeProfile(p: FeatureProfile): void {
    if (p.numbers.sketch) {
      // a stored sketch is points: each point's weight since the previous one, at the point (adds at
      // most 1/SKETCH_POINTS of rank error per merge; checks add counts and never merge)
      if (this.exact) this.toSketch();
      const { values, le } = p.numbers.sketch;
      values.forEach((v, i) => this.addNumber(v, le[i]! - (i ? le[i - 1]! : 0)));
    } else if (p.numbers.values) {
      p.numbers.values.forEach((v, i) => this.addNumber(v, p.numbers.counts![i]!));
    }
    for (const [t, c] of Object.entries(p.levels)) this.addText(t, c);
    // overflowed rows stay overflow: their levels are unknown
    this.overflow += p.overflow;
    this.texts += p.overflow;
  }

  result(): FeatureProfile {
    const numbers: NumberSummary = { n: this.n, min: this.n ? this.min : 0, max: this.n ? this.max : 0 };
    if (this.exact) {
      const sorted = [...this.exact.entries()].sort((a, b) => a[0] - b[0]);
      numbers.values = sorted.map(([v]) => v);
      numbers.counts = sorted.map(([, c]) => c);
    } else numbers.sketch = this.sketch!.toPoints(SKETCH_POINTS);
    return { numbers, texts: this.texts, levels: Object.fromEntries(this.levels), overflow: this.overflow };
  }
}

/** Profiles rows one at a time (the parsed `features` object of a feature-store row). */
export class ProfileAccumulator {
  private rows = 0;
  private truncated = false;
  private readonly features = new Map<string, FeatureAccumulator>();

  add(features: Record<string, unknown>): void {
    this.rows++;
    for (const key in features) {
      const value = features[key];
      if (typeof value === 'number') {
        if (!Number.isNaN(value)) this.feature(key)?.addNumber(value);
        continue;
      }
      if (typeof value !== 'string' && typeof value !== 'boolean') continue; // a null of either kind
      this.feature(key)?.addText(categoryOf(value)!);
    }
  }

  /** Adds a whole profile (same caps): for merging the profiles of parts of a window. */
  merge(profile: RowsProfile): void {
    this.rows += profile.rows;
    this.truncated ||= profile.truncated;
    for (const [key, p] of Object.entries(profile.features)) this.feature(key)?.mergeProfile(p);
  }

  result(): RowsProfile {
    const features: Record<string, FeatureProfile> = {};
    for (const [key, acc] of this.features) features[key] = acc.result();
    return { rows: this.rows, features, truncated: this.truncated };
  }

  private feature(key: string): FeatureAccumulator | undefined {
    let acc = this.features.get(key);
    if (acc) return acc;
    if (this.features.size >= FEATURE_CAP) {
      this.truncated = true;
      return undefined;
    }
    acc = new FeatureAccumulator();
    this.features.set(key, acc);
    return acc;
  }
}

/**
 * The histogram of one feature over `spec`'s bins read from a profile of `rows` rows, counted the
 * way HistogramAccumulator counts the rows themselves; undefined when the profile cannot say.
 */
export function featureHistogramFromProfile(
  spec: BinSpec,
  profile: FeatureProfile | undefined,
  rows: number,
  truncated: boolean,
): FeatureHistogram | undefined {
  const counts = new Array<number>(valueBinCount(spec)).fill(0);
  if (!profile) return truncated ? undefined : { counts, unseen: 0, nulls: rows }; // the key never occurs: all null
  const { numbers } = profile;
  if (spec.kind === 'numeric') {
    if (numbers.values)
      numbers.values.forEach((v, i) => (counts[numericBinIndex(spec.edges, v)]! += numbers.counts![i]!));
    else if (numbers.sketch) {
      const below = pointsCountsAtOrBelow(numbers.sketch, spec.edges);
      let prev = 0;
      below.forEach((b, i) => {
        counts[i] = b - prev;
        prev = b;
      });
      counts[spec.edges.length] = numbers.n - prev;
    }
    return { counts, unseen: 0, nulls: rows - numbers.n };
  }
  const index = new Map(spec.categories.map((c, i) => [c, i]));
  if (profile.overflow > 0 && spec.categories.some((c) => profile.levels[c] === undefined)) return undefined;
  if (numbers.n > 0 && !numbers.values) return undefined;
  let seen = 0;
  for (const [text, c] of Object.entries(profile.levels)) {
    const bin = index.get(text);
    if (bin === undefined) continue;
    counts[bin]! += c;
    seen += c;
  }
  numbers.values?.forEach((v, i) => {
    const bin = index.get(String(v));
    if (bin === undefined) return;
    counts[bin]! += numbers.counts![i]!;
    seen += numbers.counts![i]!;
  });
  return { counts, unseen: profile.texts + numbers.n - seen, nulls: rows - numbers.n - profile.texts };
}

/** The histograms of every spec from a profile; undefined when any feature cannot be read from it. */
export function histogramFromProfile(
  specs: Record<string, BinSpec>,
  profile: RowsProfile,
): WindowHistogram | undefined {
  const features: Record<string, FeatureHistogram> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const h = featureHistogramFromProfile(spec, profile.features[name], profile.rows, profile.truncated);
    if (!h) return undefined;
    features[name] = h;
  }
  return { rows: profile.rows, features };
}

/** Adds `part`'s counts into `into` (same specs). */
export function addHistogram(into: WindowHistogram, part: WindowHistogram): void {
  into.rows += part.rows;
  for (const [name, h] of Object.entries(part.features)) {
    const t = into.features[name]!;
    h.counts.forEach((n, i) => (t.counts[i]! += n));
    t.unseen += h.unseen;
    t.nulls += h.nulls;
  }
}

/** A histogram of no rows over `specs`. */
export function emptyHistogram(specs: Record<string, BinSpec>): WindowHistogram {
  const features: Record<string, FeatureHistogram> = {};
  for (const [name, spec] of Object.entries(specs))
    features[name] = { counts: new Array<number>(valueBinCount(spec)).fill(0), unseen: 0, nulls: 0 };
  return { rows: 0, features };
}
