/** Two-proportion z-test for conversion-style (0/1) metrics. */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { normalSf } from '../../stats/index.js';
import { BerthError } from '../../errors/index.js';
import { checkAlpha, checkCount } from './validate.js';

/** Subjects and successes (conversions) of one arm. */
export interface ProportionCounts {
  n: number;
  successes: number;
}

/** Result of {@link twoProportionTest}. */
export interface TwoProportionResult {
  /** Treatment rate minus control rate (pB - pA). */
  difference: number;
  /** (pB - pA) / sqrt(P (1 - P) (1/nA + 1/nB)), P the pooled rate. */
  z: number;
  /** Two-sided, 2 * (1 - Phi(|z|)) evaluated as a survival function. */
  pValue: number;
  /** Wald interval with the unpooled SE: difference -/+ z_{1-alpha/2} sqrt(pA qA / nA + pB qB / nB). */
  ci: [number, number];
}

/**
 * Two-proportion z-test. The test uses the pooled standard error, as statsmodels'
 * `proportions_ztest([sB, sA], [nB, nA])` and R's `prop.test(c(sB, sA), c(nB, nA), correct = FALSE)`
 * (whose X-squared equals z^2 and whose p-value equals ours); the confidence interval for
 * pB - pA uses the unpooled standard error, exactly R's `prop.test(..., correct = FALSE)$conf.int`
 * at `conf.level = 1 - alpha`.
 *
 * Degenerate cases: both arms all failures or all successes (pooled rate 0 or 1) give z = 0, p = 1
 * and CI [0, 0] (the same convention as src/stats twoProportionZTest; R returns NaN there); an
 * empty arm gives NaN everywhere. Counts must be integers with 0 <= successes <= n.
 */
export function twoProportionTest(control: ProportionCounts, treatment: ProportionCounts, alpha = 0.05): TwoProportionResult {
  checkAlpha(alpha);
  for (const [role, c] of [['control', control], ['treatment', treatment]] as const) {
    checkCount(c.n, `${role} n`);
    checkCount(c.successes, `${role} successes`);
    if (c.successes > c.n) {
      throw new BerthError('invalid_input', `${role}: successes (${c.successes}) exceed n (${c.n})`, { role, n: c.n, successes: c.successes });
    }
  }
  if (control.n === 0 || treatment.n === 0) return { difference: NaN, z: NaN, pValue: NaN, ci: [NaN, NaN] };
  const pA = control.successes / control.n;
  const pB = treatment.successes / treatment.n;
  const difference = pB - pA;
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  if (pooled === 0 || pooled === 1) return { difference, z: 0, pValue: 1, ci: [difference, difference] };
  const z = difference / Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  const se = Math.sqrt((pA * (1 - pA)) / control.n + (pB * (1 - pB)) / treatment.n);
  const half = normalQuantile(1 - alpha / 2, 0, 1) * se;
  return { difference, z, pValue, ci: [difference - half, difference + half] };
}
