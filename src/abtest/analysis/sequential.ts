/**
 * Always-valid inference for A/B tests that are looked at every day: the mixture sequential
 * probability ratio test (mSPRT) with a normal mixture, and its confidence sequence.
 */
import { BerthError } from '../../errors/index.js';
import { meanVar, type ArmStats } from './arm.js';
import { checkAlpha } from './validate.js';

/** GrowthBook's default sequential tuning parameter N*: the total sample size where the confidence sequence is tightest. */
export const DEFAULT_SEQUENTIAL_TUNING = 5000;

/** Options of {@link msprt}. */
export interface MsprtOptions {
  /** Mixing variance tau^2 of the normal prior on the effect, in squared metric units. Default: see {@link defaultTau2}. */
  tau2?: number;
  /** Null value of the difference B - A (default 0). */
  theta0?: number;
  /** The always-valid p-value from the previous look (default 1): the new one is never larger. */
  previousP?: number;
  /** Level of the confidence sequence (default 0.05); also sets the default tau^2. */
  alpha?: number;
  /** N* for the default tau^2 (default 5000, GrowthBook's). Ignored when tau2 is given. */
  tuningSampleSize?: number;
}

/** Result of {@link msprt}. */
export interface MsprtResult {
  /** Mixture likelihood ratio Lambda at this look (NaN when the variance is undefined or 0). */
  lambda: number;
  /** Always-valid p-value: min(previousP, 1 / Lambda, 1). */
  pValue: number;
  /** Always-valid (1 - alpha) confidence sequence for B - A at this look. */
  ci: [number, number];
  /** The mixing variance used. */
  tau2: number;
}

/**
 * GrowthBook's default mixing variance, expressed as tau^2 for {@link msprt}:
 * tau^2 = rho^2 * V * (nA + nB), rho^2 = (-2 ln alpha + ln(1 - 2 ln alpha)) / N*, N* = 5000.
 *
 * rho is gbstats' `sequential_rho` (Waudby-Smith et al. 2023, eq. 161): the normal-mixture
 * width that makes the confidence sequence tightest at N* total subjects. V (nA + nB) is the
 * per-subject variance of the difference estimate (gbstats' `s2`), so tau^2 is on the scale of the
 * metric without anyone having to guess an effect size, and it is about constant as the test
 * grows. With this tau^2 the mSPRT p-value and interval equal gbstats' `sequential_p_value` and
 * `sequential_interval_halfwidth` exactly (algebraically; the goldens check it numerically).
 */
export function defaultTau2(control: ArmStats, treatment: ArmStats, alpha = 0.05, tuningSampleSize = DEFAULT_SEQUENTIAL_TUNING): number {
  checkAlpha(alpha);
  if (!(tuningSampleSize > 0) || !Number.isFinite(tuningSampleSize)) {
    throw new BerthError('invalid_input', `tuningSampleSize must be a finite number > 0, got ${String(tuningSampleSize)}`);
  }
  const v = differenceVariance(control, treatment);
  const logAlpha = Math.log(alpha);
  const rho2 = (-2 * logAlpha + Math.log(1 - 2 * logAlpha)) / tuningSampleSize;
  return rho2 * v * (control.n + treatment.n);
}

/** V = varA/nA + varB/nB (sample variances); NaN when an arm has fewer than 2 subjects. */
function differenceVariance(control: ArmStats, treatment: ArmStats): number {
  const a = meanVar(control);
  const b = meanVar(treatment);
  return a.variance / control.n + b.variance / treatment.n;
}

/**
 * mSPRT with a normal mixture (Johari, Koomen, Pekelis & Walsh, "Always valid inference", 2017/2022,
 * two-sample normal case with plug-in variance):
 *
 *   Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 (delta - theta0)^2 / (2 V (V + tau^2))),
 *   V = varA/nA + varB/nB, delta = meanB - meanA;
 *   always-valid p = min(previousP, 1 / Lambda), capped at 1 — the running minimum over looks, so
 *   pass the previous look's p (the caller stores it);
 *   confidence sequence delta -/+ sqrt((V (V + tau^2) / tau^2) (ln((V + tau^2) / V) - 2 ln alpha)),
 *   the set of theta0 with Lambda(theta0) < 1/alpha. (Its running intersection over looks is also
 *   valid; this function returns the interval of the current look only.)
 *
 * tau^2 default: GrowthBook's (see {@link defaultTau2}): tuned to N* = 5000 total subjects at the
 * given alpha and scaled by the metric's own per-subject variance, so it needs no guess of the
 * effect size and reproduces gbstats' sequential testing. Pass `tau2` to use a fixed mixing
 * variance instead, e.g. the square of the smallest effect worth detecting (Johari et al.'s
 * advice); keep it fixed over the life of a test.
 *
 * Computed in log space, so Lambda may be Infinity but p stays accurate down to ~1e-308.
 * V undefined (an arm with n < 2) or 0 (both arms constant) carries no evidence at this look:
 * lambda NaN, p = min(1, previousP), ci [NaN, NaN].
 */
export function msprt(control: ArmStats, treatment: ArmStats, options: MsprtOptions = {}): MsprtResult {
  const alpha = checkAlpha(options.alpha ?? 0.05);
  const theta0 = options.theta0 ?? 0;
  const previousP = options.previousP ?? 1;
  if (typeof theta0 !== 'number' || !Number.isFinite(theta0)) throw new BerthError('invalid_input', `theta0 must be a finite number, got ${String(theta0)}`);
  if (typeof previousP !== 'number' || !(previousP >= 0 && previousP <= 1)) {
    throw new BerthError('invalid_input', `previousP must be a p-value in [0, 1], got ${String(previousP)}`);
  }
  if (options.tau2 !== undefined && (typeof options.tau2 !== 'number' || !(options.tau2 > 0) || !Number.isFinite(options.tau2))) {
    throw new BerthError('invalid_input', `tau2 must be a finite number > 0, got ${String(options.tau2)}`);
  }
  const a = meanVar(control);
  const b = meanVar(treatment);
  const delta = b.mean - a.mean;
  const v = a.variance / control.n + b.variance / treatment.n;
  const tau2 = options.tau2 ?? defaultTau2(control, treatment, alpha, options.tuningSampleSize ?? DEFAULT_SEQUENTIAL_TUNING);
  const carried = Math.min(1, previousP);
  if (!(v > 0) || !Number.isFinite(v) || !(tau2 > 0) || !Number.isFinite(tau2)) {
    return { lambda: NaN, pValue: carried, ci: [NaN, NaN], tau2 };
  }
  // Scale-free forms, so tiny or huge metric units cannot under/overflow V (V + tau^2):
  // tau^2 d^2 / (2 V (V + tau^2)) = z^2 / 2 * tau^2 / (V + tau^2), z = d / sqrt(V);
  // V (V + tau^2) / tau^2 = V (1 + V / tau^2).
  const z = (delta - theta0) / Math.sqrt(v);
  const logOnePlus = Math.log1p(tau2 / v); // ln((V + tau^2) / V)
  const logLambda = -0.5 * logOnePlus + 0.5 * z * z * (tau2 / (v + tau2));
  if (Number.isNaN(logLambda)) return { lambda: NaN, pValue: carried, ci: [NaN, NaN], tau2 };
  const lambda = Math.exp(logLambda);
  const pValue = Math.min(carried, logLambda <= 0 ? 1 : Math.exp(-logLambda));
  const half = Math.sqrt(v) * Math.sqrt((1 + v / tau2) * (logOnePlus - 2 * Math.log(alpha)));
  return { lambda, pValue, ci: [delta - half, delta + half], tau2 };
}
