/** Bayesian read-outs with a Gaussian approximation: chance to win and expected loss. */
import { normalSf } from '../../stats/index.js';
import { meanVar, type ArmStats } from './arm.js';

/**
 * Posterior of the difference D = muB - muA under flat priors and the normal approximation:
 * D ~ N(delta, se^2), delta = meanB - meanA, se^2 = varA/nA + varB/nB (sample variances).
 * NaN when an arm has fewer than 2 subjects.
 */
function posterior(control: ArmStats, treatment: ArmStats): { delta: number; se: number } {
  const a = meanVar(control);
  const b = meanVar(treatment);
  return { delta: b.mean - a.mean, se: Math.sqrt(a.variance / control.n + b.variance / treatment.n) };
}

/**
 * Chance to win P(muB - muA > 0) = Phi(delta / se) under the Gaussian approximation with a flat
 * prior (as `scipy.stats.norm.cdf(delta / se)`; the large-sample form of GrowthBook's Bayesian
 * "chance to win" on the absolute difference). se = 0 gives 1, 0 or 0.5 by the sign of delta;
 * NaN when an arm has fewer than 2 subjects.
 */
export function chanceToWin(control: ArmStats, treatment: ArmStats): number {
  const { delta, se } = posterior(control, treatment);
  if (Number.isNaN(se) || Number.isNaN(delta)) return NaN;
  if (se === 0) return delta > 0 ? 1 : delta < 0 ? 0 : 0.5;
  return normalSf(-delta / se);
}

/**
 * Expected loss ("risk") of each choice under the same posterior, in the metric's units:
 * choosing the treatment risks E[max(0, -D)] = se phi(delta/se) - delta Phi(-delta/se); keeping the
 * control risks E[max(0, D)] = se phi(delta/se) + delta Phi(delta/se) (the normal partial
 * expectations; the goldens use scipy.stats.norm.pdf/cdf and check them by numerical integration).
 */
export function expectedLoss(control: ArmStats, treatment: ArmStats): { chooseTreatment: number; keepControl: number } {
  const { delta, se } = posterior(control, treatment);
  if (Number.isNaN(se) || Number.isNaN(delta)) return { chooseTreatment: NaN, keepControl: NaN };
  if (se === 0) return { chooseTreatment: Math.max(0, -delta), keepControl: Math.max(0, delta) };
  const z = delta / se;
  const density = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return {
    chooseTreatment: se * density - delta * normalSf(z),
    keepControl: se * density + delta * normalSf(-z),
  };
}
