/**
 * Internal helpers of the evaluation module: numpy-compatible summation, label ordering and input
 * checks. Not exported from `index.ts`.
 */
import { BerthError } from '../errors/index.js';

/** numpy's unroll factor and block size in its pairwise summation (`PW_BLOCKSIZE`). */
const PW_BLOCKSIZE = 128;
/** numpy's ufunc buffer size: a reduction sees its input in chunks of at most this many elements. */
const NPY_BUFSIZE = 8192;

/** numpy's `pairwise_sum` for float64 over `values[lo .. lo + n)`. */
function pairwise(values: ArrayLike<number>, lo: number, n: number): number {
  if (n < 8) {
    let res = -0;
    for (let i = 0; i < n; i++) res += values[lo + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = values[lo]!;
    let r1 = values[lo + 1]!;
    let r2 = values[lo + 2]!;
    let r3 = values[lo + 3]!;
    let r4 = values[lo + 4]!;
    let r5 = values[lo + 5]!;
    let r6 = values[lo + 6]!;
    let r7 = values[lo + 7]!;
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const b = lo + i;
      r0 += values[b]!;
      r1 += values[b + 1]!;
      r2 += values[b + 2]!;
      r3 += values[b + 3]!;
      r4 += values[b + 4]!;
      r5 += values[b + 5]!;
      r6 += values[b + 6]!;
      r7 += values[b + 7]!;
    }
    // numpy: ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += values[lo + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(values, lo, n2) + pairwise(values, lo + n2, n - n2);
}

/**
 * Sum of float64 values in exactly the order `numpy.sum` uses for a contiguous 1-D float64 array:
 * pairwise summation (8-way unrolled blocks of up to 128) within chunks of 8192, chunks added left to
 * right. Deterministic, error O(log n · ε), and bit-identical to numpy, which keeps the goldens
 * tight even where a result is ill-conditioned (e.g. r2 of a near-constant y_true).
 */
export function npSum(values: ArrayLike<number>): number {
  let total = 0;
  for (let lo = 0; lo < values.length; lo += NPY_BUFSIZE) {
    total += pairwise(values, lo, Math.min(NPY_BUFSIZE, values.length - lo));
  }
  return total;
}

/** `numpy.mean` of a non-empty float64 array: `npSum / n`. */
export function npMean(values: ArrayLike<number>): number {
  return npSum(values) / values.length;
}

/** `numpy.average(values, weights=weights)`: `sum(values * weights) / sum(weights)`. */
export function npWeightedMean(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  const products = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) products[i] = values[i]! * weights[i]!;
  return npSum(products) / npSum(weights);
}

/**
 * Order strings by Unicode code point, like Python's `sorted()` on `str` (which is what
 * scikit-learn's `unique_labels` uses). JavaScript's default sort compares UTF-16 code units, which
 * differs for characters outside the Basic Multilingual Plane.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const da = ca.value.codePointAt(0)!;
    const db = cb.value.codePointAt(0)!;
    if (da !== db) return da < db ? -1 : 1;
  }
}

/** Sorted union of the labels in the given arrays, like scikit-learn's `unique_labels` on strings. */
export function uniqueLabels(...arrays: ReadonlyArray<readonly string[]>): string[] {
  const seen = new Set<string>();
  for (const array of arrays) for (const value of array) seen.add(value);
  return [...seen].sort(compareCodePoints);
}

/**
 * The refusal every evaluation function throws: a `BerthError` with code `invalid_input`.
 * `undefinedMetric` marks inputs that are well-formed but for which the metric is mathematically
 * undefined (e.g. ROC AUC with one class); the reports turn those into `null` instead of failing.
 */
export function refuse(metric: string, message: string, undefinedMetric = false): BerthError {
  return new BerthError('invalid_input', `${metric}: ${message}`, { metric, undefinedMetric });
}

export function isUndefinedMetric(err: unknown): boolean {
  return err instanceof BerthError && err.details?.['undefinedMetric'] === true;
}

export function checkSameLength(metric: string, a: { length: number }, b: { length: number }, names: [string, string]): void {
  if (a.length !== b.length) {
    throw refuse(metric, `${names[0]} and ${names[1]} have different lengths (${a.length} and ${b.length})`);
  }
}

export function checkNonEmpty(metric: string, a: { length: number }, name: string): void {
  if (a.length === 0) throw refuse(metric, `${name} is empty`);
}

export function checkFinite(metric: string, values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw refuse(metric, `${name}[${i}] is not a finite number (${String(v)})`);
    }
  }
}

/** Labels must be distinct; returns label → index. */
export function labelIndex(metric: string, labels: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  labels.forEach((label, i) => {
    if (index.has(label)) throw refuse(metric, `labels contains "${label}" twice`);
    index.set(label, i);
  });
  return index;
}

/**
 * Checks an n × k probability matrix (finite entries, k = labels.length on every row) and returns it
 * as one row-major Float64Array.
 */
export function probabilityMatrix(
  metric: string,
  probabilities: ReadonlyArray<readonly number[]>,
  k: number,
): Float64Array {
  const out = new Float64Array(probabilities.length * k);
  probabilities.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== k) {
      throw refuse(metric, `probabilities[${i}] has ${Array.isArray(row) ? row.length : 'no'} columns, expected ${k} (one per label)`);
    }
    for (let j = 0; j < k; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw refuse(metric, `probabilities[${i}][${j}] is not a finite number (${String(v)})`);
      }
      out[i * k + j] = v;
    }
  });
  return out;
}

/** Position of every y value in `labels`; a value outside `labels` is refused. */
export function encodeLabels(
  metric: string,
  y: readonly string[],
  index: ReadonlyMap<string, number>,
  name = 'yTrue',
): Int32Array {
  const out = new Int32Array(y.length);
  y.forEach((value, i) => {
    const j = index.get(value);
    if (j === undefined) throw refuse(metric, `${name}[${i}] = "${value}" is not one of the labels`);
    out[i] = j;
  });
  return out;
}

export interface UndefinedMetricNote {
  metric: string;
  reason: string;
}

/** Calls `fn`; an undefined-metric refusal becomes null (noted in `notes`), anything else propagates. */
export function orNull<T>(metric: string, notes: UndefinedMetricNote[], fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    if (!isUndefinedMetric(err)) throw err;
    notes.push({ metric, reason: (err as Error).message });
    return null;
  }
}
