/**
 * The reference side of drift, computed once: per column what the tests need (sorted values or value
 * counts, the std of all values, the distinct count), small enough to store as JSON per model version.
 */
import { BerthError } from '../../errors/index.js';
import { sortedFinite } from '../../stats/index.js';
import type { ColumnSample, ReferenceColumn, ReferenceSketch } from './types.js';

export const DEFAULT_MAX_SAMPLE = 10_000;

/**
 * A numeric column with at most this many distinct reference values is tested per value, not per
 * histogram bin: Evidently's get_binned_data (legacy/calculations/stattests/utils.py) bins numeric data
 * only when `reference_data.nunique() > 20`. Such columns keep exact counts instead of sorted values.
 */
export const DISCRETE_MAX_VALUES = 20;

/** The finite values of a numeric column, ascending (NaN and ±Infinity dropped, as Evidently does). */
export function finiteSorted(values: ArrayLike<number>): Float64Array {
  const sorted = sortedFinite(values); // drops NaN only; infinities sort to the ends
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi && sorted[lo] === -Infinity) lo++;
  while (hi > lo && sorted[hi - 1] === Infinity) hi--;
  return lo === 0 && hi === sorted.length ? sorted : sorted.slice(lo, hi);
}

/** Distinct values of an ascending array (-0 and 0 are one value, as in pandas). */
export function distinctCount(sorted: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) count++;
  return count;
}

/** Population standard deviation (ddof 0), two passes (numpy's np.std up to rounding). */
export function populationStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return Math.sqrt(squares / n);
}

/**
 * `np.quantile(sorted, np.linspace(0, 1, m))` (numpy's default 'linear' method), step for step as numpy
 * 1.24 computes it (linspace as i * (1 / (m - 1)), virtual index n q + (1 - q) - 1, and the two-sided
 * lerp), so a sketch matches numpy's to the last bit or nearly.
 */
export function evenQuantiles(sorted: Float64Array, m: number): number[] {
  const n = sorted.length;
  const step = 1 / (m - 1);
  const out: number[] = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    const q = i === m - 1 ? 1 : i * step;
    const virtual = n * q + (1 - q) - 1;
    if (virtual >= n - 1) {
      out[i] = sorted[n - 1]!;
    } else if (virtual < 0) {
      out[i] = sorted[0]!;
    } else {
      const lo = Math.floor(virtual);
      const t = virtual - lo;
      const a = sorted[lo]!;
      const b = sorted[lo + 1]!;
      const d = b - a;
      out[i] = t >= 0.5 ? b - d * (1 - t) : a + d * t;
    }
  }
  return out;
}

/** Value counts of a categorical column (null is missing). */
export function categoryCounts(values: ReadonlyArray<string | null | undefined>): { counts: Map<string, number>; missing: number } {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    if (v === null || v === undefined) missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return { counts, missing };
}

/** Value counts of an ascending numeric array, keyed by String(value) (exact: it round-trips). */
export function numberCounts(sorted: Float64Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    counts.set(String(sorted[i]), j - i);
    i = j;
  }
  return counts;
}

/**
 * The numeric values a reference column stands for, ascending: expanded from its exact counts (few
 * distinct values), else its stored sorted values (all of them, or the quantile sketch).
 */
export function referenceNumbers(ref: ReferenceColumn): Float64Array {
  if (!ref.counts) return Float64Array.from(ref.sorted ?? []);
  const entries = Object.entries(ref.counts)
    .map(([k, c]) => [Number(k), c] as const)
    .sort((a, b) => a[0] - b[0]);
  const out = new Float64Array(entries.reduce((s, [, c]) => s + c, 0));
  let at = 0;
  for (const [v, c] of entries) {
    out.fill(v, at, at + c);
    at += c;
  }
  return out;
}

function sampleLength(column: ColumnSample): number {
  if (column.kind === 'numeric') {
    if (!column.numbers) throw new BerthError('invalid_input', `numeric column '${column.name}' has no numbers`);
    return column.numbers.length;
  }
  if (!column.categories) throw new BerthError('invalid_input', `categorical column '${column.name}' has no categories`);
  return column.categories.length;
}

/**
 * Summarises reference columns for drift. Numeric columns keep exact value counts when they hold at
 * most 20 distinct values, else their sorted finite values; past `maxSample` values those become
 * `maxSample` evenly spaced quantiles (numpy linear) and the sketch says `sampled: true`. KS on a sketch
 * then sees `maxSample` reference points (its p-value uses that size), Wasserstein compares against the
 * quantiles but divides by the std of all values, and the histogram methods bin the quantiles with the
 * bin count of the full size: all close to, not equal to, the full-data results.
 */
export function sketchReference(columns: ColumnSample[], options: { maxSample?: number } = {}): ReferenceSketch {
  const maxSample = options.maxSample ?? DEFAULT_MAX_SAMPLE;
  if (!Number.isInteger(maxSample) || maxSample < 2) throw new BerthError('invalid_input', `maxSample must be an integer >= 2, got ${maxSample}`);
  const seen = new Set<string>();
  let rows = 0;
  let sampled = false;
  const out: ReferenceColumn[] = [];
  for (const column of columns) {
    if (seen.has(column.name)) throw new BerthError('invalid_input', `column '${column.name}' appears twice in the reference`);
    seen.add(column.name);
    const n = sampleLength(column);
    rows = Math.max(rows, n);
    if (column.kind === 'numeric') {
      const sorted = finiteSorted(column.numbers!);
      const unique = distinctCount(sorted);
      const ref: ReferenceColumn = { name: column.name, kind: 'numeric', rows: n, missing: n - sorted.length, unique, std: sorted.length ? populationStd(sorted) : 0 };
      if (unique <= DISCRETE_MAX_VALUES) {
        ref.counts = Object.fromEntries(numberCounts(sorted));
      } else if (sorted.length > maxSample) {
        ref.sorted = evenQuantiles(sorted, maxSample);
        sampled = true;
      } else {
        ref.sorted = Array.from(sorted);
      }
      out.push(ref);
    } else {
      const { counts, missing } = categoryCounts(column.categories!);
      out.push({ name: column.name, kind: 'categorical', rows: n, missing, unique: counts.size, counts: Object.fromEntries(counts) });
    }
  }
  return { rows, columns: out, sampled, max_sample: maxSample };
}
