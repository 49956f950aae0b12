/**
 * The quantile sketch and partition profiles (pure): the stated rank error holds on adversarial
 * inputs, the total weight is exact, merging in any order stays within the error, and histograms
 * read from profiles equal the exact counts where they are exact (ties, categories, nulls).
 */
import { describe, expect, it } from 'vitest';
import {
  HistogramAccumulator,
  PROFILE_RANK_ERROR,
  ProfileAccumulator,
  QuantileSketch,
  SKETCH_POINTS,
  SKETCH_RANK_ERROR,
  histogramFromProfile,
  pointsCountsAtOrBelow,
  type BinSpec,
} from '../../src/shared/drift';
import { prng } from '../helpers/prng';

/** Largest |estimated − true| count of values <= x over many x, as a fraction of n. */
function maxRankError(sketch: QuantileSketch, values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const probes = Array.from({ length: 199 }, (_, i) => sorted[Math.floor(((i + 1) / 200) * sorted.length)]!);
  probes.push(sorted[0]!, sorted[sorted.length - 1]!);
  probes.sort((a, b) => a - b);
  const est = sketch.countsAtOrBelow(probes);
  let worst = 0;
  probes.forEach((p, i) => {
    // true count of values <= p: upper bound of p in sorted
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= p) lo = mid + 1;
      else hi = mid;
    }
    worst = Math.max(worst, Math.abs(est[i]! - lo) / values.length);
  });
  return worst;
}

const N = 200_000;
const rand = prng(42);
const adversarial: Record<string, () => number[]> = {
  sorted: () => Array.from({ length: N }, (_, i) => i),
  reversed: () => Array.from({ length: N }, (_, i) => N - i),
  zigzag: () => Array.from({ length: N }, (_, i) => (i % 2 ? i : N - i)),
  'sawtooth of sorted runs': () => Array.from({ length: N }, (_, i) => i % 1000),
  'heavy duplicates': () => Array.from({ length: N }, (_, i) => (i % 10 < 7 ? 0 : i)),
  'wide magnitudes': () => Array.from({ length: N }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 30 - 15)),
  'two points': () => Array.from({ length: N }, (_, i) => (i < N / 3 ? -1 : 1)),
};

describe('QuantileSketch', () => {
  for (const [name, make] of Object.entries(adversarial)) {
    it(`keeps its stated rank error on ${name} input`, () => {
      const values = make();
      const sketch = new QuantileSketch();
      for (const v of values) sketch.add(v);
      expect(sketch.count()).toBe(N);
      expect(maxRankError(sketch, values)).toBeLessThanOrEqual(SKETCH_RANK_ERROR);
      expect(sketch.toJSON().levels.flat().length).toBeLessThan(4 * sketch.k);
      // stored as points, read back with interpolation: within the profile's stated error
      const points = sketch.toPoints(SKETCH_POINTS);
      expect(points.values.length).toBeLessThanOrEqual(2 * SKETCH_POINTS + 2);
      const stored = {
        countsAtOrBelow: (edges: readonly number[]) => pointsCountsAtOrBelow(points, edges),
      } as QuantileSketch;
      expect(maxRankError(stored, values)).toBeLessThanOrEqual(PROFILE_RANK_ERROR);
    });
  }

  it('merges: any grouping gives the exact total and stays within the rank error', () => {
    const parts = [adversarial.sorted!(), adversarial['wide magnitudes']!(), adversarial['heavy duplicates']!()];
    const sketches = () =>
      parts.map((p) => {
        const s = new QuantileSketch();
        for (const v of p) s.add(v);
        return s;
      });
    const [a1, b1, c1] = sketches();
    a1!.merge(b1!);
    a1!.merge(c1!); // (a ∘ b) ∘ c
    const [a2, b2, c2] = sketches();
    b2!.merge(c2!);
    a2!.merge(b2!); // a ∘ (b ∘ c)
    const all = parts.flat();
    for (const s of [a1!, a2!]) {
      expect(s.count()).toBe(all.length);
      expect(maxRankError(s, all)).toBeLessThanOrEqual(SKETCH_RANK_ERROR);
    }
    // a sketch stored and read back is the same sketch
    expect(new QuantileSketch(a1!.k, JSON.parse(JSON.stringify(a1!.toJSON()))).countsAtOrBelow([0, 1, 1000])).toEqual(
      a1!.countsAtOrBelow([0, 1, 1000]),
    );
  });
});

describe('profiles', () => {
  const rows: Array<Record<string, unknown>> = [];
  const r = prng(7);
  for (let i = 0; i < 30_000; i++) {
    rows.push({
      small: Math.floor(r() * 20), // ties at every edge: exact counts
      wide: Math.round(r() * 1e6) / 100, // many distinct values: the sketch
      cat: i % 50 === 0 ? null : (['a', 'b', 'c', 'unseen', true, 3] as const)[i % 6],
      ...(i % 7 === 0 ? {} : { maybe: i % 3 }),
      text: i % 11 === 0 ? 'n/a' : i,
    });
  }
  const specs: Record<string, BinSpec> = {
    small: { kind: 'numeric', edges: [2, 5, 5.5, 10, 19] },
    wide: { kind: 'numeric', edges: [1000, 2500, 5000, 9000] },
    cat: { kind: 'categorical', categories: ['a', 'b', 'c', 'true', '3'] },
    maybe: { kind: 'numeric', edges: [0, 1] },
    text: { kind: 'numeric', edges: [100, 20_000] },
    absent: { kind: 'categorical', categories: ['x'] },
  };
  const exact = new HistogramAccumulator(specs);
  for (const row of rows) exact.add(row);
  const expected = exact.result();

  it('read exactly where the profile keeps exact counts, within the rank error elsewhere', () => {
    const acc = new ProfileAccumulator();
    for (const row of rows) acc.add(row);
    const got = histogramFromProfile(specs, JSON.parse(JSON.stringify(acc.result())))!;
    expect(got.rows).toBe(expected.rows);
    for (const f of ['small', 'cat', 'maybe', 'absent']) expect(got.features[f], f).toEqual(expected.features[f]);
    expect(got.features.text!.nulls).toBe(expected.features.text!.nulls);
    for (const f of ['wide', 'text']) {
      got.features[f]!.counts.forEach((c, i) =>
        expect(Math.abs(c - expected.features[f]!.counts[i]!)).toBeLessThanOrEqual(
          2 * PROFILE_RANK_ERROR * rows.length,
        ),
      );
      expect(got.features[f]!.counts.reduce((a, b) => a + b)).toBe(
        expected.features[f]!.counts.reduce((a, b) => a + b),
      );
    }
  });

  it('merged profiles of parts read like the profile of the whole', () => {
    const parts = [new ProfileAccumulator(), new ProfileAccumulator(), new ProfileAccumulator()];
    rows.forEach((row, i) => parts[i % 3]!.add(row));
    const merged = new ProfileAccumulator();
    for (const p of parts) merged.merge(p.result());
    const got = histogramFromProfile(specs, merged.result())!;
    for (const f of ['small', 'cat', 'maybe', 'absent']) expect(got.features[f], f).toEqual(expected.features[f]);
    // sketch-mode features: each merge of stored points adds at most 1/SKETCH_POINTS
    got.features.wide!.counts.forEach((c, i) =>
      expect(Math.abs(c - expected.features.wide!.counts[i]!)).toBeLessThanOrEqual(
        2 * (PROFILE_RANK_ERROR + 1 / SKETCH_POINTS) * rows.length,
      ),
    );
  });

  it('cannot answer a category it did not keep after an overflow', () => {
    const acc = new ProfileAccumulator();
    for (let i = 0; i < 1500; i++) acc.add({ level: `l${i}` });
    const profile = acc.result();
    expect(profile.features.level!.overflow).toBe(500);
    expect(
      histogramFromProfile({ level: { kind: 'categorical', categories: ['l1', 'l1400'] } }, profile),
    ).toBeUndefined();
    expect(
      histogramFromProfile({ level: { kind: 'categorical', categories: ['l1', 'l2'] } }, profile)!.features.level,
    ).toEqual({ counts: [1, 1], unseen: 1498, nulls: 0 });
  });
});
