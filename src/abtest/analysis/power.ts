/** Sample size planning for conversion tests. */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { BerthError } from '../../errors/index.js';
import { checkAlpha } from './validate.js';

/**
 * Subjects needed in each arm to detect a change from rate p1 to rate p2 with a two-sided
 * two-proportion test: R's `power.prop.test(p1 = p1, p2 = p2, sig.level = alpha, power = power)$n`,
 * rounded up. R solves power(n) = target with `uniroot`; its power function (strict = FALSE) is
 * Phi((sqrt(n) |p1 - p2| - z_{1-alpha/2} sqrt(2 pbar qbar)) / sqrt(p1 q1 + p2 q2)), which we invert
 * in closed form: n = ((z_{1-alpha/2} sqrt(2 pbar qbar) + z_power sqrt(p1 q1 + p2 q2)) / |p1 - p2|)^2,
 * pbar = (p1 + p2) / 2. Defaults alpha 0.05, power 0.8; e.g. 10% -> 11% needs 14,751 per arm.
 *
 * Refused (BerthError): rates outside (0, 1), p1 = p2 (no finite n), alpha or power outside (0, 1).
 */
export function sampleSizePerArm(p1: number, p2: number, options: { alpha?: number; power?: number } = {}): number {
  const alpha = checkAlpha(options.alpha ?? 0.05);
  const power = checkAlpha(options.power ?? 0.8, 'power');
  for (const [name, p] of [['p1', p1], ['p2', p2]] as const) {
    if (typeof p !== 'number' || !(p > 0 && p < 1)) {
      throw new BerthError('invalid_input', `${name} must be a rate strictly between 0 and 1, got ${String(p)}`, { [name]: p });
    }
  }
  if (p1 === p2) throw new BerthError('invalid_input', `p1 and p2 are both ${p1}: no sample size detects a zero difference`);
  const zAlpha = normalQuantile(1 - alpha / 2, 0, 1);
  const zPower = normalQuantile(power, 0, 1);
  const pbar = (p1 + p2) / 2;
  const root = (zAlpha * Math.sqrt(2 * pbar * (1 - pbar)) + zPower * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) / Math.abs(p1 - p2);
  return Math.ceil(root * root);
}
