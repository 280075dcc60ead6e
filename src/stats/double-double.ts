/**
 * Just enough double-double arithmetic to port scipy's `smirnov` (cephes/kolmogorov.c), which
 * sums its series in double-double. A port in plain doubles would lose several digits there, so
 * this mirrors scipy's dd_real (the QD library's algorithms, without FMA) operation by operation.
 * Internal to src/stats; not re-exported.
 */

export interface DD {
  readonly hi: number;
  readonly lo: number;
}

export function dd(hi: number, lo = 0): DD {
  return { hi, lo };
}

export const DD_ZERO: DD = dd(0, 0);
export const DD_ONE: DD = dd(1, 0);

// Error-free transformations. Each returns the rounding error through a module scratch slot,
// which keeps the hot smirnov loop free of tuple allocations.
let err = 0;

function quickTwoSum(a: number, b: number): number {
  const s = a + b;
  err = b - (s - a);
  return s;
}

function twoSum(a: number, b: number): number {
  const s = a + b;
  const c = s - a;
  const d = b - c;
  const e = s - c;
  err = a - e + d;
  return s;
}

const SPLITTER = 134217729.0; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299; // 2^996
let splitLo = 0;

function twoSplit(a: number): number {
  if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
    const as = a * 3.7252902984619140625e-9; // 2^-28
    const temp = SPLITTER * as;
    const hi = temp - (temp - as);
    splitLo = (as - hi) * 268435456.0;
    return hi * 268435456.0;
  }
  const temp = SPLITTER * a;
  const hi = temp - (temp - a);
  splitLo = a - hi;
  return hi;
}

function twoProd(a: number, b: number): number {
  const p = a * b;
  const aHi = twoSplit(a);
  const aLo = splitLo;
  const bHi = twoSplit(b);
  const bLo = splitLo;
  const c = aHi * bHi - p;
  const d = c + aHi * bLo + aLo * bHi;
  err = d + aLo * bLo;
  return p;
}

/** a + b of two doubles, exactly. */
export function addDD(a: number, b: number): DD {
  const s = twoSum(a, b);
  return dd(s, err);
}

/** dd + double */
export function addDdD(a: DD, b: number): DD {
  let s1 = twoSum(a.hi, b);
  let s2 = err + a.lo;
  s1 = quickTwoSum(s1, s2);
  s2 = err;
  return dd(s1, s2);
}

/** dd - double */
export function subDdD(a: DD, b: number): DD {
  return addDdD(a, -b);
}

/** dd + dd with IEEE-style error bound (Briggs/Kahan), scipy's dd_add. */
export function add(a: DD, b: DD): DD {
  let s1 = twoSum(a.hi, b.hi);
  let s2 = err;
  const t1 = twoSum(a.lo, b.lo);
  const t2 = err;
  s2 += t1;
  s1 = quickTwoSum(s1, s2);
  s2 = err;
  s2 += t2;
  s1 = quickTwoSum(s1, s2);
  s2 = err;
  return dd(s1, s2);
}

export function neg(a: DD): DD {
  return dd(-a.hi, -a.lo);
}

export function sub(a: DD, b: DD): DD {
  return add(a, neg(b));
}

/** a * b of two doubles, exactly. */
export function mulDD(a: number, b: number): DD {
  const p = twoProd(a, b);
  return dd(p, err);
}

export function mul(a: DD, b: DD): DD {
  let p1 = twoProd(a.hi, b.hi);
  let p2 = err;
  p2 += a.hi * b.lo + a.lo * b.hi;
  p1 = quickTwoSum(p1, p2);
  p2 = err;
  return dd(p1, p2);
}

/** dd * double */
export function mulDdD(a: DD, b: number): DD {
  let p1 = twoProd(a.hi, b);
  let e1 = err;
  const p2 = twoProd(a.lo, b);
  const e2 = err;
  p1 = quickTwoSum(p1, e2 + p2 + e1);
  e1 = err;
  return dd(p1, e1);
}

/** double * dd */
export function mulDDd(a: number, b: DD): DD {
  return mulDdD(b, a);
}

/** scipy's dd_accurate_div. */
export function div(a: DD, b: DD): DD {
  let q1 = a.hi / b.hi;
  let r = sub(a, mulDdD(b, q1));
  let q2 = r.hi / b.hi;
  r = sub(r, mulDdD(b, q2));
  const q3 = r.hi / b.hi;
  q1 = quickTwoSum(q1, q2);
  q2 = err;
  return addDdD(dd(q1, q2), q3);
}

/** a / b of two doubles, as a dd. */
export function divDD(a: number, b: number): DD {
  return div(dd(a), dd(b));
}

export function inv(a: DD): DD {
  return div(DD_ONE, a);
}

export function floor(a: DD): DD {
  let hi = Math.floor(a.hi);
  let lo = 0;
  if (hi === a.hi) {
    lo = Math.floor(a.lo);
    hi = quickTwoSum(hi, lo);
    lo = err;
  }
  return dd(hi, lo);
}

export function isZero(a: DD): boolean {
  return a.hi === 0;
}

export function isFiniteDD(a: DD): boolean {
  return Number.isFinite(a.hi);
}

// frexp/ldexp through the bit pattern, as C's are exact (no rounding through Math.log2).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;
let frexpExp = 0;

/** C frexp: returns the mantissa in [0.5, 1) and leaves the exponent in `frexpExponent()`. */
export function frexp(x: number): number {
  if (x === 0 || !Number.isFinite(x)) {
    frexpExp = 0;
    return x;
  }
  f64[0] = x;
  let e = ((u32[HI] as number) >>> 20) & 0x7ff;
  let bias = 0;
  if (e === 0) {
    // Subnormal: scale into the normal range first.
    f64[0] = x * 18446744073709551616; // 2^64
    e = ((u32[HI] as number) >>> 20) & 0x7ff;
    bias = 64;
  }
  frexpExp = e - 1022 - bias;
  u32[HI] = ((u32[HI] as number) & 0x800fffff) | (1022 << 20);
  return f64[0] as number;
}

export function frexpExponent(): number {
  return frexpExp;
}

/** C ldexp: x * 2^e, rounded once (only when the result is subnormal). */
export function ldexp(x: number, e: number): number {
  if (x === 0 || !Number.isFinite(x) || e === 0) return x;
  const man = frexp(x); // |man| in [0.5, 1), so |x * 2^e| lies in [2^(E-1), 2^E)
  const E = frexpExp + e;
  if (E > 1024) return man > 0 ? Infinity : -Infinity;
  if (E === 1024) return man * 2 * 8.98846567431158e307; // 2^1023; 2^1024 itself overflows
  if (E >= -1021) return man * 2 ** E;
  if (E <= -1075) return man * 0; // below half the smallest subnormal: a signed zero
  // Subnormal result: the first product is exact, the second rounds once.
  return man * 2 ** -1000 * 2 ** (E + 1000);
}

/** scipy's dd_frexp: 0.5 <= |hi| < 1 (or |hi| == 1 with hi*lo < 0); exponent via frexpExponent(). */
export function frexpD(a: DD): DD {
  let man = frexp(a.hi);
  let exponent = frexpExp;
  let b1 = ldexp(a.lo, -exponent);
  if (Math.abs(man) === 0.5 && man * b1 < 0) {
    man *= 2;
    b1 *= 2;
    exponent -= 1;
  }
  frexpExp = exponent;
  return dd(man, b1);
}

export function ldexpD(a: DD, e: number): DD {
  return dd(ldexp(a.hi, e), ldexp(a.lo, e));
}
