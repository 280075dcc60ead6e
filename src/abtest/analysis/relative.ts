/** Relative effect (lift) of the treatment over the control, with the delta method. */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { normalSf } from '../../stats/index.js';
import { meanVar, type ArmStats } from './arm.js';
import { checkAlpha } from './validate.js';

/** Result of {@link relativeEffect}. */
export interface RelativeEffectResult {
  /** (meanB - meanA) / |meanA|: +0.05 means B is 5% above A. */
  relative: number;
  /** Delta-method standard error of `relative`. */
  se: number;
  /** relative -/+ z_{1-alpha/2} se. */
  ci: [number, number];
  /** Two-sided: 2 * (1 - Phi(|relative| / se)). */
  pValue: number;
  /** Set when the effect is undefined (NaN fields): why. */
  reason?: string;
}

/**
 * Relative effect (muB - muA) / |muA| with the delta-method variance of GrowthBook's gbstats
 * frequentist engine (`frequentist_variance` / `TTest.variance`):
 * var = varB / (muA^2 nB) + varA muB^2 / (muA^4 nA) (sample variances, ddof 1);
 * normal confidence interval relative -/+ z_{1-alpha/2} sqrt(var) and two-sided normal p-value.
 *
 * Two deliberate differences from gbstats: the denominator is |muA| (so a negative baseline
 * improving toward zero reads as a positive lift; the variance is unchanged since it has muA^2 and
 * muA^4), and the interval and p-value use the normal distribution where gbstats uses Student's t
 * with Welch's df (identical to ~1e-4 once each arm has a few hundred subjects).
 *
 * No library has it, so the goldens compute it with numpy from the published formula.
 *
 * Undefined cases return NaN fields with `reason`: control mean 0 (no baseline to be relative to),
 * an arm with n < 2 (no variance). se = 0 (both arms constant) gives p = 0 when the means differ
 * and NaN when they do not, as the t-test does.
 */
export function relativeEffect(control: ArmStats, treatment: ArmStats, alpha = 0.05): RelativeEffectResult {
  checkAlpha(alpha);
  const a = meanVar(control);
  const b = meanVar(treatment);
  const undefinedResult = (reason: string): RelativeEffectResult => ({ relative: NaN, se: NaN, ci: [NaN, NaN], pValue: NaN, reason });
  if (control.n === 0 || treatment.n === 0) return undefinedResult('an arm has no subjects');
  if (a.mean === 0) return undefinedResult(`the control mean is 0, so a relative change is undefined`);
  const absA = Math.abs(a.mean);
  const relative = (b.mean - a.mean) / absA;
  if (control.n < 2 || treatment.n < 2) {
    return { relative, se: NaN, ci: [NaN, NaN], pValue: NaN, reason: 'an arm has fewer than 2 subjects, so its variance is undefined' };
  }
  // varB/(muA^2 nB) + varA muB^2/(muA^4 nA), written with r = muB/muA so muA^4 cannot under/overflow.
  const r = b.mean / a.mean;
  const variance = (b.variance / treatment.n + (a.variance * r * r) / control.n) / (a.mean * a.mean);
  const se = Math.sqrt(variance);
  const half = se === 0 ? 0 : normalQuantile(1 - alpha / 2, 0, 1) * se;
  const z = relative / se;
  const pValue = Number.isNaN(z) ? NaN : Math.min(1, 2 * normalSf(Math.abs(z)));
  return { relative, se, ci: [relative - half, relative + half], pValue };
}
