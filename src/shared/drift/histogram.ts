/**
 * Histograms of a window: bin counts per feature, accumulated row by row in constant memory
 * (one small array per feature, whatever the number of rows). Pure, workflow-safe.
 */
import { categoryOf, numericBinIndex, valueBinCount, type BinSpec } from './binning';

/** Counts of one feature over a window. */
export interface FeatureHistogram {
  /** rows per value bin: numeric edges.length + 1 bins, or one per reference category */
  counts: number[];
  /** categorical only: rows whose category the reference never saw (0 for numeric) */
  unseen: number;
  /** rows where the feature is null, missing or (numeric features) not a number */
  nulls: number;
}

/** Counts of every feature of a window; small enough for a workflow payload (bins, not rows). */
export interface WindowHistogram {
  rows: number;
  features: Record<string, FeatureHistogram>;
}

/** Adds feature rows one at a time; `result()` returns the counts. */
export class HistogramAccumulator {
  private rows = 0;
  private readonly names: string[];
  private readonly specs: BinSpec[];
  private readonly counts: Float64Array[];
  private readonly unseen: Float64Array;
  private readonly nulls: Float64Array;
  private readonly lookups: Array<Map<string, number> | undefined>;

  constructor(specs: Record<string, BinSpec>) {
    this.names = Object.keys(specs);
    this.specs = this.names.map((n) => specs[n]!);
    this.counts = this.specs.map((s) => new Float64Array(valueBinCount(s)));
    this.unseen = new Float64Array(this.names.length);
    this.nulls = new Float64Array(this.names.length);
    this.lookups = this.specs.map((s) =>
      s.kind === 'categorical' ? new Map(s.categories.map((c, i) => [c, i])) : undefined,
    );
  }

  /** Counts one row (the parsed `features` object of a feature-store row). */
  add(features: Record<string, unknown>): void {
    this.rows++;
    for (let f = 0; f < this.names.length; f++) this.addValue(f, features[this.names[f]!]);
  }

  /** Counts one value of feature number `f` (in the order of the specs' keys). */
  private addValue(f: number, value: unknown): void {
    const spec = this.specs[f]!;
    if (spec.kind === 'numeric') {
      if (typeof value === 'number' && !Number.isNaN(value)) this.counts[f]![numericBinIndex(spec.edges, value)]!++;
      else this.nulls[f]!++;
      return;
    }
    const category = categoryOf(value);
    if (category === undefined) this.nulls[f]!++;
    else {
      const bin = this.lookups[f]!.get(category);
      if (bin === undefined) this.unseen[f]!++;
      else this.counts[f]![bin]!++;
    }
  }

  result(): WindowHistogram {
    const features: Record<string, FeatureHistogram> = {};
    this.names.forEach((name, f) => {
      features[name] = { counts: Array.from(this.counts[f]!), unseen: this.unseen[f]!, nulls: this.nulls[f]! };
    });
    return { rows: this.rows, features };
  }
}
