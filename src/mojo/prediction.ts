/**
 * From class probabilities to a label, as h2o-genmodel's GenModel does: the binomial threshold, the
 * multinomial argmax with H2O's tie-break (prior class distribution, drawn with java.util.Random seeded
 * by a hash of the row), and the balance_classes correction. Ties are common in DRF (vote fractions),
 * so the tie-break is reproduced bit for bit rather than approximated.
 */

/** preds[0] is the label index; preds[1..] class probabilities. Returns the label index. */
export function predictionIndex(
  preds: Float64Array,
  prior: readonly number[] | undefined,
  row: Float64Array,
  threshold: number,
): number {
  if (preds.length === 3) return preds[2]! >= threshold ? 1 : 0;
  const ties: number[] = [0];
  let best = 1;
  let tieCount = 0;
  for (let c = 2; c < preds.length; c++) {
    if (preds[best]! < preds[c]!) {
      best = c;
      tieCount = 0;
    } else if (preds[best] === preds[c]) {
      tieCount++;
      // H2O never clears this list when a new best appears; its draw below depends on that.
      ties.push(c - 1);
    }
  }
  if (tieCount === 0) return best - 1;

  let hash = 0n;
  for (let i = 0; i < row.length; i++) hash ^= doubleBits(row[i]!) >> 6n;
  if (prior) {
    let sum = 0;
    for (const i of ties) sum += prior[i]!;
    const tie = new JavaRandom(hash).nextDouble();
    let partial = 0;
    for (const i of ties) {
      partial += prior[i]! / sum;
      if (tie <= partial) return i;
    }
  }
  // H2O's last resort (no prior): the ((int)hash % ties)-th of the tied best, as Java computes it.
  const top = preds[best]!;
  let idx = Number(BigInt.asIntN(32, hash) % BigInt(tieCount + 1));
  for (let c = 1; c < preds.length; c++) {
    if (preds[c] === top && --idx < 0) return c - 1;
  }
  return best - 1;
}

/** GenModel.correctProbabilities: undo balance_classes' oversampling. */
export function correctProbabilities(preds: Float64Array, prior: readonly number[], model: readonly number[]): void {
  let sum = 0;
  for (let c = 1; c < preds.length; c++) {
    const original = prior[c - 1]!;
    const oversampled = model[c - 1]!;
    if (original !== 0 && oversampled !== 0) preds[c] = preds[c]! * (original / oversampled);
    sum += preds[c]!;
  }
  if (sum > 0) for (let c = 1; c < preds.length; c++) preds[c] = preds[c]! / sum;
}

const bitsView = new DataView(new ArrayBuffer(8));

/** Double.doubleToRawLongBits, with Java's canonical NaN (V8 may hold another NaN payload). */
function doubleBits(d: number): bigint {
  if (d !== d) return 0x7ff8000000000000n;
  bitsView.setFloat64(0, d);
  return bitsView.getBigInt64(0);
}

const MULTIPLIER = 0x5deece66dn;
const MASK = (1n << 48n) - 1n;

/** java.util.Random: the 48-bit linear congruential generator, enough of it for nextDouble (exported for its test). */
export class JavaRandom {
  private seed: bigint;
  constructor(seed: bigint) {
    this.seed = (BigInt.asUintN(64, seed) ^ MULTIPLIER) & MASK;
  }
  private next(bits: number): bigint {
    this.seed = (this.seed * MULTIPLIER + 0xbn) & MASK;
    return BigInt.asIntN(32, this.seed >> BigInt(48 - bits));
  }
  nextDouble(): number {
    return Number((this.next(26) << 27n) + this.next(27)) * 2 ** -53;
  }
}
