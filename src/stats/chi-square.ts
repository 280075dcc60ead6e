/**
 * Pearson chi-square tests: scipy's goodness of fit, and Evidently's categorical drift test built
 * on it (expected = reference counts rescaled to the current sample size).
 */
import { chiSquareSf } from './distributions.js';
import type { TestResult } from './types.js';

/** scipy 1.10 refuses observed/expected totals that differ by more than this (relative). */
const SUM_RTOL = 1e-8;

/**
 * scipy.stats.chisquare(f_obs, f_exp) (ddof 0): statistic sum((o - e)^2 / e), p-value
 * chi2.sf(statistic, k - 1), df = k - 1.
 *
 * Throws RangeError when the arrays differ in length, or when the totals differ by more than
 * 1e-8 relative (scipy 1.10 raises ValueError there). Otherwise arithmetic follows scipy: an
 * expected 0 with observed > 0 gives statistic Infinity and p 0; expected 0 with observed 0 gives
 * NaN; k = 1 (df 0) or k = 0 gives pValue NaN (statistic 0); NaN inputs propagate to NaN.
 */
export function chiSquareGoodnessOfFit(observed: readonly number[], expected: readonly number[]): TestResult & { df: number } {
  const k = observed.length;
  if (expected.length !== k) throw new RangeError(`chiSquareGoodnessOfFit: ${k} observed but ${expected.length} expected frequencies`);
  let obsSum = 0;
  let expSum = 0;
  for (let i = 0; i < k; i++) {
    obsSum += observed[i] as number;
    expSum += expected[i] as number;
  }
  // As in scipy, a NaN relative difference (e.g. both totals 0) does not trip the check.
  const relativeDiff = Math.abs(obsSum - expSum) / Math.min(obsSum, expSum);
  if (relativeDiff > SUM_RTOL) {
    throw new RangeError(
      `chiSquareGoodnessOfFit: observed total ${obsSum} and expected total ${expSum} differ by ${relativeDiff} (relative); they must agree to ${SUM_RTOL}`,
    );
  }
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const o = observed[i] as number;
    const e = expected[i] as number;
    statistic += ((o - e) * (o - e)) / e;
  }
  const df = k - 1;
  return { statistic, pValue: chiSquareSf(statistic, df), df };
}

/**
 * Evidently's chi-square drift test (`chisquare_stat_test`): keys are the union of categories;
 * f_exp[key] = referenceCount * (nCurrent / nReference), f_obs[key] = currentCount (0 when
 * absent); then scipy.stats.chisquare(f_obs, f_exp). Reference keys iterate first, then
 * categories new in current; order does not affect the result beyond rounding.
 *
 * A category present in current but absent from the reference has f_exp = 0 with f_obs > 0:
 * statistic Infinity and pValue 0 (what scipy returns, with a warning). Keys whose count is 0 in
 * both maps are ignored (Evidently's value_counts never produces them). Either total 0 gives
 * statistic NaN and pValue NaN; a single category overall gives df 0 and pValue NaN, as scipy.
 * Counts must be finite and >= 0 (RangeError otherwise).
 */
export function chiSquareDrift(referenceCounts: ReadonlyMap<string, number>, currentCounts: ReadonlyMap<string, number>): TestResult {
  let nReference = 0;
  for (const [key, c] of referenceCounts) {
    checkCount(key, c);
    nReference += c;
  }
  let nCurrent = 0;
  for (const [key, c] of currentCounts) {
    checkCount(key, c);
    nCurrent += c;
  }
  if (nReference === 0 || nCurrent === 0) return { statistic: NaN, pValue: NaN };
  const kNorm = nCurrent / nReference;
  const observed: number[] = [];
  const expected: number[] = [];
  for (const [key, r] of referenceCounts) {
    const c = currentCounts.get(key) ?? 0;
    if (r === 0 && c === 0) continue;
    expected.push(r * kNorm);
    observed.push(c);
  }
  for (const [key, c] of currentCounts) {
    if (referenceCounts.has(key) || c === 0) continue;
    expected.push(0);
    observed.push(c);
  }
  const { statistic, pValue } = chiSquareGoodnessOfFit(observed, expected);
  return { statistic, pValue };
}

function checkCount(key: string, c: number): void {
  if (!(c >= 0) || c === Infinity) throw new RangeError(`category ${JSON.stringify(key)}: count must be a finite number >= 0, got ${c}`);
}
