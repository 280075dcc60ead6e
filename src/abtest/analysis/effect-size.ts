/** Standardised effect sizes: Cohen's d for numeric metrics, Cohen's h for proportions. */
import { BerthError } from '../../errors/index.js';
import { meanVar, type ArmStats } from './arm.js';

/**
 * Cohen's d of treatment over control: (meanB - meanA) / s_pooled with
 * s_pooled = sqrt(((nA - 1) varA + (nB - 1) varB) / (nA + nB - 2)), sample variances (ddof 1)
 * (Cohen 1988, eq. 2.5.2; the goldens compute it with numpy from that formula — scipy has none).
 *
 * NaN when an arm is empty or nA + nB < 3 (no pooled variance); pooled SD 0 gives +/-Infinity for
 * different means and NaN for equal ones.
 */
export function cohensD(control: ArmStats, treatment: ArmStats): number {
  const a = meanVar(control);
  const b = meanVar(treatment);
  if (control.n === 0 || treatment.n === 0 || control.n + treatment.n < 3) return NaN;
  // An arm of one subject contributes (n - 1) var = 0 to the pooled sum of squares.
  const ssA = control.n > 1 ? (control.n - 1) * a.variance : 0;
  const ssB = treatment.n > 1 ? (treatment.n - 1) * b.variance : 0;
  const pooled = Math.sqrt((ssA + ssB) / (control.n + treatment.n - 2));
  return (b.mean - a.mean) / pooled;
}

/**
 * Cohen's h between proportions p1 (control) and p2 (treatment): 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))
 * (Cohen 1988, sec. 6.2; positive when the treatment rate is higher). Proportions must be in [0, 1].
 */
export function cohensH(p1: number, p2: number): number {
  for (const [name, p] of [['p1', p1], ['p2', p2]] as const) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new BerthError('invalid_input', `${name} must be a proportion in [0, 1], got ${String(p)}`, { [name]: p });
    }
  }
  return 2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1));
}
