/**
 * The sensor's policy: per-feature PSI, thresholds, minimum rows and the model's verdict.
 * Pure, workflow-safe.
 *
 * Per feature: PSI < warn → ok; warn ≤ PSI < drift → warn; PSI ≥ drift → drift.
 * Model verdict: `insufficient_data` when either window has fewer than `minRows` rows (never drift:
 * PSI of small samples is mostly noise); otherwise the worst feature verdict (drift > warn > ok), i.e.
 * one drifted feature is enough to retrain. The model's PSI is the largest feature PSI.
 */
import type { ReferenceProfile } from '../types';
import { chiSquareQuantile } from './chi-square';
import type { WindowHistogram } from './histogram';
import { psi, PSI_EPSILON } from './psi';
import { actualShares, binLabels, expectedShares } from './reference';

export type FeatureVerdict = 'ok' | 'warn' | 'drift' | 'insufficient_data';
export type DriftVerdict = FeatureVerdict;

export interface DriftPolicy {
  /** PSI at which a feature is reported as a moderate shift. @default 0.1 */
  warnThreshold: number;
  /** PSI at which a feature has drifted (and the model is retrained). @default 0.25 */
  driftThreshold: number;
  /** fewer rows than this in the reference or the current window → insufficient_data. @default 500 */
  minRows: number;
  /**
   * When set, thresholds never go below (1/n + 1/m) · χ²_{1−α}(B − 1), the PSI that identical
   * distributions exceed with probability α for n reference rows, m current rows and B occupied bins
   * (Yurdakul 2018). Protects small windows from noise. @default undefined (fixed thresholds only)
   */
  sampleSizeAlpha?: number;
  /** floor for empty bins, see PSI_EPSILON. @default 1e-4 */
  epsilon?: number;
}

export const DEFAULT_DRIFT_POLICY: DriftPolicy = Object.freeze({
  warnThreshold: 0.1,
  driftThreshold: 0.25,
  minRows: 500,
});

export interface FeatureDrift {
  kind: 'numeric' | 'categorical';
  psi: number;
  verdict: FeatureVerdict;
  /** bin labels, then the shares of each bin in the reference (expected) and current (actual) window */
  bins: string[];
  expected: number[];
  actual: number[];
  /** the thresholds applied (raised by the sample-size rule when it is on) */
  warnThreshold: number;
  driftThreshold: number;
}

export interface DriftEvaluation {
  verdict: DriftVerdict;
  /** largest feature PSI (0 without features) */
  maxPsi: number;
  referenceRows: number;
  currentRows: number;
  features: Record<string, FeatureDrift>;
}

/** The sample-size-aware PSI threshold (1/n + 1/m) · χ²_{1−α}(bins − 1). */
export function sampleSizeThreshold(referenceRows: number, currentRows: number, bins: number, alpha: number): number {
  if (referenceRows <= 0 || currentRows <= 0) return Infinity;
  return (1 / referenceRows + 1 / currentRows) * chiSquareQuantile(1 - alpha, Math.max(1, bins - 1));
}

export function featureVerdict(value: number, warnThreshold: number, driftThreshold: number): FeatureVerdict {
  if (value >= driftThreshold) return 'drift';
  if (value >= warnThreshold) return 'warn';
  return 'ok';
}

const RANK: Record<FeatureVerdict, number> = { insufficient_data: -1, ok: 0, warn: 1, drift: 2 };

/** Compares a current window's histogram with a version's reference under `policy`. */
export function evaluateDrift(
  reference: ReferenceProfile,
  current: WindowHistogram,
  policy: DriftPolicy = DEFAULT_DRIFT_POLICY,
): DriftEvaluation {
  const epsilon = policy.epsilon ?? PSI_EPSILON;
  const enough = reference.rows >= policy.minRows && current.rows >= policy.minRows;
  const features: Record<string, FeatureDrift> = {};
  let maxPsi = 0;
  let verdict: DriftVerdict = 'ok';
  for (const [name, ref] of Object.entries(reference.features)) {
    const histogram = current.features[name] ?? { counts: ref.shares.map(() => 0), unseen: 0, nulls: current.rows };
    const expected = expectedShares(ref);
    const actual = actualShares(ref, histogram, current.rows);
    const value = psi(expected, actual, epsilon);
    let warnThreshold = policy.warnThreshold;
    let driftThreshold = policy.driftThreshold;
    if (policy.sampleSizeAlpha !== undefined) {
      const occupied = expected.filter((e, i) => e > 0 || actual[i]! > 0).length;
      const floor = sampleSizeThreshold(reference.rows, current.rows, Math.max(2, occupied), policy.sampleSizeAlpha);
      warnThreshold = Math.max(warnThreshold, floor);
      driftThreshold = Math.max(driftThreshold, floor);
    }
    const fv = enough ? featureVerdict(value, warnThreshold, driftThreshold) : 'insufficient_data';
    features[name] = {
      kind: ref.kind,
      psi: value,
      verdict: fv,
      bins: binLabels(ref),
      expected,
      actual,
      warnThreshold,
      driftThreshold,
    };
    maxPsi = Math.max(maxPsi, value);
    if (RANK[fv] > RANK[verdict]) verdict = fv;
  }
  if (!enough || Object.keys(features).length === 0) verdict = 'insufficient_data';
  return { verdict, maxPsi, referenceRows: reference.rows, currentRows: current.rows, features };
}

/** Checks a policy's numbers; returns the first problem as [field, value, expected] or undefined. */
export function policyProblem(policy: DriftPolicy): [string, unknown, string] | undefined {
  if (!(policy.warnThreshold > 0)) return ['warnThreshold', policy.warnThreshold, 'a PSI > 0'];
  if (!(policy.driftThreshold >= policy.warnThreshold))
    return ['driftThreshold', policy.driftThreshold, `a PSI >= warnThreshold (${policy.warnThreshold})`];
  if (!(Number.isInteger(policy.minRows) && policy.minRows >= 1)) return ['minRows', policy.minRows, 'an integer >= 1'];
  if (policy.sampleSizeAlpha !== undefined && !(policy.sampleSizeAlpha > 0 && policy.sampleSizeAlpha < 1))
    return ['sampleSizeAlpha', policy.sampleSizeAlpha, 'a probability in (0, 1)'];
  return undefined;
}
