/**
 * Population stability index. Pure, workflow-safe.
 *
 * PSI = Σ_i (a_i − e_i) · ln(a_i / e_i) over bins, e = reference ("expected") shares, a = current
 * ("actual") shares. Every term is ≥ 0 and the sum is symmetric in a and e (Jeffreys divergence).
 */

/**
 * Share given to an empty bin before taking the log: 1e-4 (0.01 %), the value Evidently uses.
 *
 * Why this value: an empty bin makes ln(a/e) infinite, so it needs some floor, and the floor decides
 * how loudly a new population registers. With 1e-4, a bin that was empty in the reference and holds
 * 1 % of the current rows adds (0.01 − 1e-4)·ln(100) ≈ 0.046 (below the warn level), and one that holds
 * 5 % adds ≈ 0.31 (drift on its own): a genuinely new population is caught, a stray row is not
 * (1 row in 1000 adds 0.002). Smaller floors (1e-6) make single rows look like drift; larger ones
 * (1e-2) hide new populations below ~10 %. Shares are not renormalised after flooring (like
 * Evidently): the floor adds at most bins × 1e-4 to the total. Bins empty on both sides add 0.
 */
export const PSI_EPSILON = 1e-4;

/** One bin's PSI term. */
export function psiTerm(expected: number, actual: number, epsilon = PSI_EPSILON): number {
  if (expected === 0 && actual === 0) return 0;
  const e = expected > 0 ? expected : epsilon;
  const a = actual > 0 ? actual : epsilon;
  return (a - e) * Math.log(a / e);
}

/** PSI of two share vectors of the same bins. */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length)
    throw new RangeError(`psi: expected ${expected.length} shares and actual ${actual.length} shares differ in length`);
  let total = 0;
  for (let i = 0; i < expected.length; i++) total += psiTerm(expected[i]!, actual[i]!, epsilon);
  return total;
}
