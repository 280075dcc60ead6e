/** Sample ratio mismatch: are subjects landing in the variants in the proportions configured? */
import { chiSquareSf } from '../../stats/index.js';
import { BerthError } from '../../errors/index.js';
import { checkAlpha } from './validate.js';

/** GrowthBook's SRM threshold: flag when the chi-square p-value is below 0.001. */
export const DEFAULT_SRM_THRESHOLD = 0.001;

/** Result of {@link sampleRatioMismatch}. */
export interface SrmResult {
  statistic: number;
  pValue: number;
  df: number;
  /** pValue < threshold. */
  mismatch: boolean;
  /** total * weight / sum(weights) per variant. */
  expected: number[];
}

/**
 * Pearson chi-square goodness of fit of the observed subject counts per variant to the
 * configured weights: `scipy.stats.chisquare(counts, total * weights / sum(weights))`, df = k - 1;
 * flagged when p < threshold (default 0.001, as GrowthBook). Weights need not sum to 1.
 *
 * No subjects yet gives statistic NaN, p NaN and no mismatch. Refused (BerthError): fewer than two
 * variants, lengths that differ, counts that are not non-negative integers, weights that are not
 * finite and > 0.
 */
export function sampleRatioMismatch(counts: readonly number[], weights: readonly number[], threshold = DEFAULT_SRM_THRESHOLD): SrmResult {
  checkAlpha(threshold, 'threshold');
  if (counts.length !== weights.length) {
    throw new BerthError('invalid_input', `sample ratio check: ${counts.length} counts but ${weights.length} weights`);
  }
  if (counts.length < 2) throw new BerthError('invalid_input', 'sample ratio check needs at least two variants');
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    const w = weights[i] as number;
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) {
      throw new BerthError('invalid_input', `sample ratio check: count ${i} must be a non-negative integer, got ${String(c)}`, { index: i });
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || !(w > 0)) {
      throw new BerthError('invalid_input', `sample ratio check: weight ${i} must be a finite number > 0, got ${String(w)}`, { index: i });
    }
    total += c;
    weightSum += w;
  }
  const expected = weights.map((w) => (total * w) / weightSum);
  const df = counts.length - 1;
  if (total === 0) return { statistic: NaN, pValue: NaN, df, mismatch: false, expected };
  let statistic = 0;
  for (let i = 0; i < counts.length; i++) {
    const o = counts[i] as number;
    const e = expected[i] as number;
    statistic += ((o - e) * (o - e)) / e;
  }
  const pValue = chiSquareSf(statistic, df);
  return { statistic, pValue, df, mismatch: pValue < threshold, expected };
}
