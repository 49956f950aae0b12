/** PSI, binning and the sensor policy against values worked out independently (by hand, or closed forms). */
import { describe, expect, it } from 'vitest';
import { errorFunction } from 'simple-statistics';
import {
  HistogramAccumulator,
  PSI_EPSILON,
  chiSquareQuantile,
  dedupeEdges,
  evaluateDrift,
  numericBinIndex,
  psi,
  quantileFractions,
  referenceFromHistogram,
  sampleSizeThreshold,
  type BinSpec,
} from '../../src/shared/drift';
import type { ReferenceProfile } from '../../src/shared/types';

describe('psi', () => {
  it('matches a hand-worked two-bin case', () => {
    // (0.25 − 0.5)·ln(0.5) + (0.75 − 0.5)·ln(1.5) = 0.173287 + 0.101366
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.274653, 6);
  });

  it('is 0 for identical shares and symmetric', () => {
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    expect(psi([0.1, 0.9], [0.4, 0.6])).toBeCloseTo(psi([0.4, 0.6], [0.1, 0.9]), 12);
  });

  it('floors an empty bin at the documented epsilon (1e-4)', () => {
    expect(PSI_EPSILON).toBe(1e-4);
    // (0.9 − 1)·ln(0.9) + (0.1 − 1e-4)·ln(0.1 / 1e-4) = 0.0105361 + 0.6900848
    expect(psi([1, 0], [0.9, 0.1])).toBeCloseTo(0.700621, 5);
    // bins empty on both sides add nothing
    expect(psi([0.5, 0.5, 0], [0.5, 0.5, 0])).toBe(0);
  });
});

describe('binning', () => {
  it('collapses repeated edges (a feature with few distinct values)', () => {
    expect(dedupeEdges([0, 0, 0, 0, 0, 0, 1, 1, 1])).toEqual([0, 1]);
    expect(dedupeEdges([3, 1, 2, 2])).toEqual([1, 2, 3]);
  });

  it('puts values in (-inf, e1], (e1, e2], …, (ek, +inf), out-of-range values in the end bins', () => {
    const edges = [0, 1];
    expect([-5, 0, 0.5, 1, 2, 1e9].map((v) => numericBinIndex(edges, v))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(numericBinIndex([], 42)).toBe(0);
    expect(quantileFractions(10)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  it('counts nulls, non-numbers and unseen categories in their own bins', () => {
    const acc = new HistogramAccumulator({
      x: { kind: 'numeric', edges: [0, 1] },
      c: { kind: 'categorical', categories: ['a'] },
    });
    acc.add({ x: -3, c: 'a' });
    acc.add({ x: 5, c: 'b' });
    acc.add({ x: null, c: null });
    acc.add({ x: 'oops' });
    expect(acc.result()).toEqual({
      rows: 4,
      features: { x: { counts: [1, 0, 1], unseen: 0, nulls: 2 }, c: { counts: [1], unseen: 1, nulls: 2 } },
    });
  });
});

function profile(features: ReferenceProfile['features'], rows = 10_000): ReferenceProfile {
  return { featureSet: 'fs', window: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, rows, features };
}

describe('evaluateDrift', () => {
  it('all-null columns: no drift when still null, drift when values appear', () => {
    const ref = profile({ n: { kind: 'numeric', edges: [], shares: [0], nullShare: 1 } });
    expect(
      evaluateDrift(ref, { rows: 1000, features: { n: { counts: [0], unseen: 0, nulls: 1000 } } }).features.n!.psi,
    ).toBe(0);
    const filled = evaluateDrift(ref, { rows: 1000, features: { n: { counts: [1000], unseen: 0, nulls: 0 } } });
    // two bins swap 1 ↔ 1e-4: 2 · (1 − 1e-4) · ln(1e4)
    expect(filled.features.n!.psi).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1e4), 6);
    expect(filled.verdict).toBe('drift');
  });

  it('a single category: unseen categories count against it', () => {
    const ref = profile({ c: { kind: 'categorical', categories: ['a'], shares: [1], unseenShare: 0, nullShare: 0 } });
    expect(evaluateDrift(ref, { rows: 1000, features: { c: { counts: [1000], unseen: 0, nulls: 0 } } }).verdict).toBe(
      'ok',
    );
    const half = evaluateDrift(ref, { rows: 1000, features: { c: { counts: [500], unseen: 500, nulls: 0 } } });
    // (0.5 − 1)·ln(0.5) + (0.5 − 1e-4)·ln(0.5 / 1e-4) = 0.346574 + 4.257747
    expect(half.features.c!.psi).toBeCloseTo(4.604321, 5);
    expect(half.features.c!.bins).toEqual(['a', '__unseen__', '__null__']);
  });

  it('takes the worst feature as the model verdict and the largest PSI as the model PSI', () => {
    const ref = profile({
      a: { kind: 'numeric', edges: [0], shares: [0.5, 0.5], nullShare: 0 },
      b: { kind: 'numeric', edges: [0], shares: [0.5, 0.5], nullShare: 0 },
    });
    const warn = { counts: [420, 580], unseen: 0, nulls: 0 }; // (0.08·ln(1.16) + 0.08·ln(1/0.84)) ≈ 0.0258: ok
    const shifted = { counts: [250, 750], unseen: 0, nulls: 0 }; // 0.274653: drift
    const mid = { counts: [350, 650], unseen: 0, nulls: 0 }; // 0.15·ln(1.3) + 0.15·ln(1/0.7) = 0.0394 + 0.0535 = 0.0929: ok
    expect(evaluateDrift(ref, { rows: 1000, features: { a: warn, b: shifted } })).toMatchObject({ verdict: 'drift' });
    expect(evaluateDrift(ref, { rows: 1000, features: { a: warn, b: shifted } }).maxPsi).toBeCloseTo(0.274653, 6);
    expect(evaluateDrift(ref, { rows: 1000, features: { a: warn, b: mid } }).verdict).toBe('ok');
    const moderate = { counts: [320, 680], unseen: 0, nulls: 0 }; // 0.18·ln(1.36) + 0.18·ln(0.5/0.32) = 0.0553 + 0.0803 = 0.1357: warn
    expect(evaluateDrift(ref, { rows: 1000, features: { a: warn, b: moderate } }).verdict).toBe('warn');
  });

  it('below the minimum rows the verdict is insufficient_data, never drift', () => {
    const ref = profile({ a: { kind: 'numeric', edges: [0], shares: [0.5, 0.5], nullShare: 0 } });
    const result = evaluateDrift(
      ref,
      { rows: 40, features: { a: { counts: [0, 40], unseen: 0, nulls: 0 } } },
      { warnThreshold: 0.1, driftThreshold: 0.25, minRows: 500 },
    );
    expect(result.maxPsi).toBeGreaterThan(1);
    expect(result.verdict).toBe('insufficient_data');
    expect(result.features.a!.verdict).toBe('insufficient_data');
  });

  it('the sample-size-aware threshold follows (1/n + 1/m)·χ²_{1−α}(B−1)', () => {
    expect(chiSquareQuantile(0.95, 9)).toBeCloseTo(16.919, 3);
    expect(chiSquareQuantile(0.99, 9)).toBeCloseTo(21.666, 3);
    expect(chiSquareQuantile(0.5, 2)).toBeCloseTo(2 * Math.log(2), 9); // χ²(2) is exponential with mean 2
    expect(sampleSizeThreshold(1000, 1000, 10, 0.05)).toBeCloseTo(0.0338, 4);
    // n = m = 100: noise alone reaches PSI 0.34 at α = 0.05, so a 0.25 threshold is raised to it
    const ref = profile(
      { a: { kind: 'numeric', edges: [1, 2, 3, 4, 5, 6, 7, 8, 9], shares: Array(10).fill(0.1), nullShare: 0 } },
      100,
    );
    // Σ (a − 0.1)·ln(a / 0.1) = 0.0550 + 0.0282 + 0.0045 + 0.0036 + 0.0347 + 0.0203 + 0 + 0 + 0.0079 + 0.0107 = 0.1648
    const current = {
      rows: 100,
      features: { a: { counts: [4, 16, 8, 12, 5, 15, 10, 10, 13, 7], unseen: 0, nulls: 0 } },
    };
    const fixed = evaluateDrift(ref, current, { warnThreshold: 0.1, driftThreshold: 0.25, minRows: 50 });
    const aware = evaluateDrift(ref, current, {
      warnThreshold: 0.1,
      driftThreshold: 0.25,
      minRows: 50,
      sampleSizeAlpha: 0.05,
    });
    expect(fixed.maxPsi).toBeCloseTo(0.1648, 3);
    expect(fixed.verdict).toBe('warn');
    expect(aware.features.a!.driftThreshold).toBeCloseTo(0.02 * 16.919, 3);
    expect(aware.verdict).toBe('ok');
  });
});

describe('known distributions', () => {
  // Deterministic normal samples (Box–Muller on mulberry32) so the test never flakes.
  function normals(n: number, mean: number, seed: number): number[] {
    let s = seed >>> 0;
    const u = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
    };
    return Array.from({ length: n }, () => mean + Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  }
  const phi = (z: number) => 0.5 * (1 + errorFunction(z / Math.SQRT2));

  it('N(0,1) vs N(0.5,1) on reference deciles: the binned PSI from normal CDFs, below the J-divergence μ² = 0.25', () => {
    // exact binned value: decile edges of N(0,1) are the z-scores of 0.1…0.9
    const z = [-1.2815516, -0.8416212, -0.5244005, -0.2533471, 0, 0.2533471, 0.5244005, 0.8416212, 1.2815516];
    const cdf = (x: number) => phi(x - 0.5);
    const actual = [cdf(z[0]!), ...z.slice(1).map((e, i) => cdf(e) - cdf(z[i]!)), 1 - cdf(z[8]!)];
    const exact = psi(Array(10).fill(0.1), actual);
    expect(exact).toBeGreaterThan(0.2);
    expect(exact).toBeLessThan(0.25);

    // the sensor's pipeline on samples: deciles of the reference sample, counts, evaluate
    const refSample = normals(200_000, 0, 1);
    const sorted = Float64Array.from(refSample).sort();
    const edges = dedupeEdges(quantileFractions(10).map((p) => sorted[Math.floor(p * sorted.length)]!));
    const spec: BinSpec = { kind: 'numeric', edges };
    const refAcc = new HistogramAccumulator({ x: spec });
    for (const v of refSample) refAcc.add({ x: v });
    const reference = profile(
      { x: referenceFromHistogram(spec, refAcc.result().features.x!, refSample.length) },
      refSample.length,
    );
    const curAcc = new HistogramAccumulator({ x: spec });
    for (const v of normals(200_000, 0.5, 2)) curAcc.add({ x: v });
    const result = evaluateDrift(reference, curAcc.result());
    // PSI moves by about 2μ·δμ with the sample mean: a 200k sample's mean is off by ~0.002–0.006
    expect(Math.abs(result.maxPsi - exact)).toBeLessThan(0.015);
    expect(result.verdict).toBe('warn'); // ≈ 0.24: a half-sigma shift is a warn, just short of drift
  });
});
