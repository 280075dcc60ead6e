/** Welch's unequal-variance t-test on sufficient statistics. */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { meanVar, type ArmStats } from './arm.js';
import { checkAlpha } from './validate.js';

/** Result of {@link welchTest}. */
export interface WelchResult {
  /** Treatment mean minus control mean (B - A). */
  difference: number;
  /** sqrt(varA / nA + varB / nB). */
  se: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  t: number;
  /** Two-sided. */
  pValue: number;
  /** Confidence interval for B - A at level 1 - alpha: difference -/+ t_{1-alpha/2, df} se. */
  ci: [number, number];
}

/**
 * Welch's t-test, reproducing `scipy.stats.ttest_ind(b, a, equal_var=False)` (t and p) and R's
 * `t.test(b, a, var.equal = FALSE)` (df and `conf.int` at `conf.level = 1 - alpha`).
 *
 * t = (meanB - meanA) / se, se = sqrt(vA/nA + vB/nB) with sample variances (ddof 1),
 * df = se^4 / ((vA/nA)^2/(nA-1) + (vB/nB)^2/(nB-1)), p = 2 * T_df(-|t|) (the lower tail, so small
 * p-values keep their relative accuracy).
 *
 * Degenerate cases follow scipy 1.10: an arm with n < 2 gives NaN everywhere but `difference`
 * (NaN too when an arm is empty); both variances 0 makes df undefined, which scipy replaces by 1,
 * so different means give t = +/-Infinity, p = 0 and the CI collapses to the difference, and equal
 * means give t = NaN, p = NaN.
 */
export function welchTest(control: ArmStats, treatment: ArmStats, alpha = 0.05): WelchResult {
  checkAlpha(alpha);
  const a = meanVar(control);
  const b = meanVar(treatment);
  const difference = b.mean - a.mean;
  const va = a.variance / control.n;
  const vb = b.variance / treatment.n;
  const se2 = va + vb;
  const se = Math.sqrt(se2);
  if (!Number.isFinite(se2)) {
    return { difference, se: NaN, df: NaN, t: NaN, pValue: NaN, ci: [NaN, NaN] };
  }
  // df = se^4 / (va^2/(nA-1) + vb^2/(nB-1)), with the shares va/se^2, vb/se^2 so it cannot under/overflow.
  const wa = va / se2;
  const wb = vb / se2;
  let df = 1 / ((wa * wa) / (control.n - 1) + (wb * wb) / (treatment.n - 1));
  if (Number.isNaN(df)) df = 1; // both variances 0 (scipy: "it doesn't matter what df is as long as it's not NaN")
  const t = difference / se;
  const pValue = Number.isNaN(t) ? NaN : Math.min(1, 2 * tCdf(-Math.abs(t), df));
  const half = se === 0 ? 0 : tQuantile(1 - alpha / 2, df) * se;
  return { difference, se, df, t, pValue, ci: [difference - half, difference + half] };
}
