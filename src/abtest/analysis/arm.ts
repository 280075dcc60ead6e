/**
 * Sufficient statistics of one metric in one variant (n, sum, sum of squares), and the mean and
 * sample variance recovered from them. Everything else in the A/B analysis works on these, so a
 * test over a billion rows needs three numbers per arm, which a database can aggregate.
 */
import { BerthError } from '../../errors/index.js';
import { checkArm } from './validate.js';

/** Sufficient statistics of one metric in one variant. Binary metrics: sum = successes, sumSquares = successes. */
export interface ArmStats {
  variant: string;
  n: number;
  sum: number;
  sumSquares: number;
}

const SPLITTER = 134217729; // 2^27 + 1, Dekker's split for binary64

/** Exact product a * b = hi + lo (Dekker / Veltkamp, no FMA needed). */
export function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  const ca = SPLITTER * a;
  const ahi = ca - (ca - a);
  const alo = a - ahi;
  const cb = SPLITTER * b;
  const bhi = cb - (cb - b);
  const blo = b - bhi;
  const lo = alo * blo - (((hi - ahi * bhi) - alo * bhi) - ahi * blo);
  return [hi, lo];
}

/** Exact sum a + b = s + e (Knuth's two-sum). */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  const e = (a - (s - bb)) + (b - bb);
  return [s, e];
}

/**
 * Running sufficient statistics with compensated (double-double) accumulation: the sum, and the
 * sum of exact squares (each x^2 split into its rounded value and rounding error), both carried
 * with an error term, so `sum` and `sumSquares` are correctly rounded up to a few ulps however
 * many values are added. Values must be finite (the caller checks and names the offending row).
 */
export class ArmAccumulator {
  n = 0;
  private sHi = 0;
  private sLo = 0;
  private qHi = 0;
  private qLo = 0;

  add(x: number): void {
    this.n += 1;
    const [s, e] = twoSum(this.sHi, x);
    this.sHi = s;
    this.sLo += e;
    const [sqHi, sqLo] = twoProduct(x, x);
    const [q, f] = twoSum(this.qHi, sqHi);
    this.qHi = q;
    this.qLo += f + sqLo;
  }

  stats(variant: string): ArmStats {
    return { variant, n: this.n, sum: this.sHi + this.sLo, sumSquares: this.qHi + this.qLo };
  }
}

/**
 * Sufficient statistics of a sample: n, sum and sum of squares, accumulated with compensated
 * summation (see {@link ArmAccumulator}). Equals `len(x), math.fsum(x), math.fsum(x*x)` up to a
 * few ulps. Throws a BerthError naming the first non-finite value.
 */
export function armStats(variant: string, values: ArrayLike<number>): ArmStats {
  const acc = new ArmAccumulator();
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new BerthError('invalid_input', `variant ${JSON.stringify(variant)}: value ${i} is not a finite number (${String(x)})`, { variant, index: i });
    }
    acc.add(x);
  }
  return acc.stats(variant);
}

/**
 * Mean and sample variance (ddof 1), as `numpy.mean(x)`, `numpy.var(x, ddof=1)` on the sample the
 * statistics came from.
 *
 * The variance is (sumSquares - sum^2 / n) / (n - 1) with sum^2 / n and the subtraction done in
 * double-double arithmetic, so no rounding is added beyond what is already in `sum` and
 * `sumSquares`; the remaining relative error is about 1e-16 * mean^2 / variance (information the
 * three numbers no longer hold), i.e. ~1e-14 for a mean ten standard deviations from zero.
 *
 * Degenerate cases: n = 0 gives mean NaN, variance NaN; n = 1 gives the value and variance NaN
 * (as numpy with ddof 1). A tiny negative result of rounding is clamped to 0; sumSquares clearly
 * below sum^2 / n (no real sample has those statistics) is a BerthError.
 */
export function meanVar(arm: ArmStats): { mean: number; variance: number } {
  checkArm(arm, 'arm');
  const { n, sum, sumSquares } = arm;
  if (n === 0) return { mean: NaN, variance: NaN };
  const mean = sum / n;
  if (n === 1) return { mean, variance: NaN };
  // q = sum^2 / n in double-double.
  const [pHi, pLo] = twoProduct(sum, sum);
  const qHi = pHi / n;
  const [tHi, tLo] = twoProduct(qHi, n);
  const qLo = (pHi - tHi - tLo + pLo) / n;
  // m2 = sumSquares - q.
  const [dHi, dLo] = twoSum(sumSquares, -qHi);
  const m2 = dHi + (dLo - qLo);
  if (m2 < 0) {
    // Rounding of sumSquares and sum (a few ulps of sumSquares) can make a zero spread negative.
    if (m2 < -64 * Number.EPSILON * sumSquares) {
      throw new BerthError(
        'invalid_input',
        `variant ${JSON.stringify(arm.variant)}: sumSquares ${sumSquares} is below sum^2/n = ${qHi}; these are not the statistics of a sample`,
        { variant: arm.variant },
      );
    }
    return { mean, variance: 0 };
  }
  return { mean, variance: m2 / (n - 1) };
}
