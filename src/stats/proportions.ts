/** Two-proportion z-test, as Evidently's drift test for binary features (`z_stat_test`). */
import { normalSf } from './distributions.js';
import type { TestResult } from './types.js';

/**
 * Evidently's `z_stat_test` for binary features: p1 = successesA / nA (reference share of the
 * positive value), p2 = successesB / nB (current), pooled P = (p1 nA + p2 nB) / (nA + nB),
 * z = (p1 - p2) / sqrt(P (1 - P) (1/nA + 1/nB)), two-sided p = 2 (1 - Phi(|z|)).
 *
 * The p-value is evaluated as 2 * normalSf(|z|): the same quantity without the cancellation of
 * 1 - Phi, so it stays accurate (Evidently's literal form rounds to 0 once |z| > ~8.3; the two
 * agree to ~1e-16 absolute everywhere).
 *
 * Degenerate cases: pooled P of 0 or 1 (both samples all-negative or all-positive; Evidently's
 * "single identical value" branch) gives statistic 0, pValue 1. nA or nB of 0, or any NaN input,
 * gives statistic NaN and pValue NaN. Counts must satisfy 0 <= successes <= n (RangeError).
 */
export function twoProportionZTest(successesA: number, nA: number, successesB: number, nB: number): TestResult {
  if (successesA !== successesA || nA !== nA || successesB !== successesB || nB !== nB) return { statistic: NaN, pValue: NaN };
  if (!(successesA >= 0 && successesA <= nA && successesB >= 0 && successesB <= nB) || nA === Infinity || nB === Infinity) {
    throw new RangeError(`twoProportionZTest: need 0 <= successes <= n, got ${successesA}/${nA} and ${successesB}/${nB}`);
  }
  if (nA === 0 || nB === 0) return { statistic: NaN, pValue: NaN };
  const p1 = successesA / nA;
  const p2 = successesB / nB;
  const pooled = (p1 * nA + p2 * nB) / (nA + nB);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1.0 / nA + 1.0 / nB));
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}
