/** Input checks shared by the A/B analysis functions: bad input is a BerthError, never a NaN. */
import { BerthError } from '../../errors/index.js';
import type { ArmStats } from './arm.js';

/** Significance level: a number strictly between 0 and 1 (default 0.05). */
export function checkAlpha(alpha: number, name = 'alpha'): number {
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new BerthError('invalid_input', `${name} must be a number strictly between 0 and 1, got ${String(alpha)}`, { [name]: alpha });
  }
  return alpha;
}

/** A count: a finite, non-negative integer. */
export function checkCount(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new BerthError('invalid_input', `${what} must be a non-negative integer, got ${String(value)}`, { [what]: value });
  }
  return value;
}

/** A finite, non-negative number (hours, sample thresholds, ...). */
export function checkNonNegative(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BerthError('invalid_input', `${what} must be a finite number >= 0, got ${String(value)}`, { [what]: value });
  }
  return value;
}

/**
 * Sufficient statistics must be possible for real numbers: n a non-negative integer, sum and
 * sumSquares finite, sumSquares >= 0. (sumSquares >= sum^2 / n is checked where the variance is
 * computed, allowing for rounding.)
 */
export function checkArm(arm: ArmStats, role: string): ArmStats {
  if (arm === null || typeof arm !== 'object') throw new BerthError('invalid_input', `${role}: sufficient statistics are missing`);
  const label = `${role} (variant ${JSON.stringify(arm.variant)})`;
  checkCount(arm.n, `${label} n`);
  if (typeof arm.sum !== 'number' || !Number.isFinite(arm.sum)) {
    throw new BerthError('invalid_input', `${label}: sum must be a finite number, got ${String(arm.sum)}`, { variant: arm.variant, sum: arm.sum });
  }
  if (typeof arm.sumSquares !== 'number' || !Number.isFinite(arm.sumSquares) || arm.sumSquares < 0) {
    throw new BerthError('invalid_input', `${label}: sumSquares must be a finite number >= 0, got ${String(arm.sumSquares)}`, {
      variant: arm.variant,
      sumSquares: arm.sumSquares,
    });
  }
  if (arm.n === 0 && (arm.sum !== 0 || arm.sumSquares !== 0)) {
    throw new BerthError('invalid_input', `${label}: n is 0 but sum or sumSquares is not`, { variant: arm.variant });
  }
  return arm;
}

/** Binary metric statistics: sum = successes is an integer in [0, n] and sumSquares = sum. */
export function checkBinaryArm(arm: ArmStats, role: string): ArmStats {
  checkArm(arm, role);
  const label = `${role} (variant ${JSON.stringify(arm.variant)})`;
  if (!Number.isSafeInteger(arm.sum) || arm.sum < 0 || arm.sum > arm.n) {
    throw new BerthError('invalid_input', `${label}: a binary metric needs 0 <= successes (sum) <= n, got ${arm.sum} of ${arm.n}`, { variant: arm.variant });
  }
  if (arm.sumSquares !== arm.sum) {
    throw new BerthError('invalid_input', `${label}: a binary metric has sumSquares = sum (values are 0/1), got ${arm.sumSquares} vs ${arm.sum}`, {
      variant: arm.variant,
    });
  }
  return arm;
}
