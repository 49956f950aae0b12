/**
 * Golden rows: a handful of rows with the predictions H2O's cluster made for them when the version
 * was trained, written beside the MOJO (`<mojo>.golden.json`) by retrainModel's training run. Before a
 * version serves, the scorer must reproduce them: a MOJO that loads but scores differently from the
 * model H2O evaluated is refused (docs/SERVING.md).
 */
import { MojoError } from '../shared/errors';
import { predsBuffer } from './predict';
import { rowEncoder, type ScoringValue } from './rows';
import type { MojoModel } from './types';

export interface GoldenRow {
  features: Record<string, ScoringValue>;
  /** score0's array as the cluster computed it: label index then probabilities, or the value */
  expected: number[];
}

export interface GoldenFile {
  h2oModelId: string;
  rows: GoldenRow[];
}

export const GOLDEN_TOLERANCE = 1e-9;

export function goldenPathOf(artifactPath: string): string {
  return `${artifactPath}.golden.json`;
}

/** Throws MojoError naming the first row and value that differ from H2O's. */
export function checkGoldenRows(model: MojoModel, golden: GoldenFile, mojo: string): void {
  const encoder = rowEncoder(model);
  const row = new Float64Array(model.features.length);
  const preds = predsBuffer(model);
  // the file is read from beside the MOJO, as JSON: its shape is checked, not trusted
  const rows: unknown = (golden as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new MojoError(mojo, 'golden rows', 'the golden file has no "rows" array');
  (rows as unknown[]).forEach((g: unknown, i) => {
    if (!isGoldenRow(g))
      throw new MojoError(mojo, 'golden rows', `row ${i} is not {features: object, expected: number[]}`);
    if (g.expected.length !== preds.length)
      throw new MojoError(
        mojo,
        'golden rows',
        `row ${i} has ${g.expected.length} expected values, the model outputs ${preds.length}`,
      );
    encoder.encode((f) => g.features[f], row, { missing: 0, unseen: 0 }, `golden row ${i}: `);
    model.score0(row, preds);
    for (let j = 0; j < preds.length; j++) {
      const diff = Math.abs(preds[j]! - g.expected[j]!);
      if (!(diff <= GOLDEN_TOLERANCE)) {
        throw new MojoError(
          mojo,
          'golden rows',
          `row ${i} ${model.outputNames[j] ?? j} scores ${preds[j]} where H2O predicted ${g.expected[j]} (|diff| ${diff} > ${GOLDEN_TOLERANCE})`,
        );
      }
    }
  });
}

function isGoldenRow(g: unknown): g is GoldenRow {
  if (typeof g !== 'object' || g === null) return false;
  const { features, expected } = g as Partial<GoldenRow>;
  return (
    typeof features === 'object' &&
    features !== null &&
    Array.isArray(expected) &&
    expected.every((x) => typeof x === 'number')
  );
}
