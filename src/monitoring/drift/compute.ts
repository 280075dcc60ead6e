/**
 * Data drift per column and for the dataset, as Evidently's legacy DataDriftPreset computes it by
 * default (evidentlyai/evidently, src/evidently/legacy/calculations/):
 *
 * - data_drift.py get_one_column_drift: ±inf become NaN and missing values are dropped per column
 *   before anything else, so every count below (including the "reference rows" of the default rule)
 *   is a count of non-missing values. Evidently refuses a column with no values left; Berth reports it
 *   untested instead (drifted false, a note) and leaves it out of the dataset share.
 * - stattests/registry.py _get_default_stattest: the default method (see chooseMethod).
 * - data_drift.py get_dataset_drift: dataset drift when drifted / columns >= drift_share (0.5).
 * - thresholds and their comparison per method, see decide().
 *
 * Berth adds an optional multiple-testing correction of the p-value tests (Bonferroni or
 * Benjamini-Hochberg across the p-value columns of the report); drift is then decided on the adjusted
 * p-value, while `p_value` and `score` keep the raw one.
 */
import { BerthError } from '../../errors/index.js';
import {
  adjustPValues,
  binnedShares,
  categoryShares,
  chiSquareDrift,
  jensenShannonDistance,
  ks2samp,
  psi,
  twoProportionZTest,
  wassersteinDistance,
} from '../../stats/index.js';
import { categoryCounts, DISCRETE_MAX_VALUES, finiteSorted, numberCounts, referenceNumbers } from './sketch.js';
import {
  DRIFT_METHODS,
  P_VALUE_METHODS,
  type ColumnDrift,
  type ColumnSample,
  type DriftColumnKind,
  type DriftMethod,
  type DriftOptions,
  type DriftReport,
  type ReferenceColumn,
  type ReferenceSketch,
} from './types.js';

/** Evidently's default thresholds: StatTest.default_threshold 0.05, and 0.1 for the three distances. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = { ks: 0.05, chisquare: 0.05, z: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1 };

export const DEFAULT_DRIFT_SHARE = 0.5;

/** Methods that need numbers (Evidently registers ks and wasserstein for numerical columns only). */
const NUMERIC_ONLY: ReadonlySet<DriftMethod> = new Set(['ks', 'wasserstein']);

/**
 * Evidently's default test (legacy stattests/registry.py _get_default_stattest). `referenceRows` counts
 * non-missing reference values; `uniqueValues` the distinct non-missing values of reference and current
 * together.
 *
 * - reference <= 1000 values: numeric → KS, but chi-square for 3-5 distinct values and the z-test for
 *   at most 2; categorical → chi-square, the z-test when binary (at most 2 distinct values);
 * - reference > 1000 values: numeric → normed Wasserstein, Jensen–Shannon for at most 5 distinct values;
 *   categorical → Jensen–Shannon.
 */
export function chooseMethod(kind: DriftColumnKind, referenceRows: number, uniqueValues: number): DriftMethod {
  if (referenceRows <= 1000) {
    if (kind === 'numeric' && uniqueValues > 5) return 'ks';
    return uniqueValues > 2 ? 'chisquare' : 'z';
  }
  if (kind === 'numeric') return uniqueValues <= 5 ? 'jensenshannon' : 'wasserstein';
  return 'jensenshannon';
}

/**
 * Drift when the score crosses the threshold, with Evidently's comparison per test: KS `p <= t`
 * (ks_stattest.py), chi-square and z `p < t` (chisquare_stattest.py, z_stattest.py), the distances
 * `d >= t` (wasserstein_distance_norm.py, jensenshannon.py, psi.py). NaN never drifts.
 */
function decide(method: DriftMethod, score: number, threshold: number): boolean {
  if (method === 'ks') return score <= threshold;
  if (P_VALUE_METHODS.has(method)) return score < threshold;
  return score >= threshold;
}

/** Python's str ordering (by code point), which Evidently's sorted() uses for category keys. */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The two sides of one column, prepared lazily: sorted numbers and value counts as the method needs. */
class ColumnData {
  readonly refN: number;
  readonly curN: number;
  readonly curMissing: number;
  private refSortedCache: Float64Array | undefined;
  private refCountsCache: Map<string, number> | undefined;
  private readonly curSortedValues: Float64Array | undefined;
  private readonly curCountsValues: Map<string, number> | undefined;
  private curCountsCache: Map<string, number> | undefined;

  constructor(
    readonly ref: ReferenceColumn,
    cur: ColumnSample,
  ) {
    this.refN = ref.rows - ref.missing;
    if (ref.kind === 'numeric') {
      if (!cur.numbers) throw new BerthError('invalid_input', `numeric column '${cur.name}' has no numbers`);
      this.curSortedValues = finiteSorted(cur.numbers);
      this.curN = this.curSortedValues.length;
      this.curMissing = cur.numbers.length - this.curN;
    } else {
      if (!cur.categories) throw new BerthError('invalid_input', `categorical column '${cur.name}' has no categories`);
      const { counts, missing } = categoryCounts(cur.categories);
      this.curCountsValues = counts;
      this.curN = cur.categories.length - missing;
      this.curMissing = missing;
    }
  }

  /** A reference kept as a quantile sketch (fewer sorted values than non-missing rows). */
  get refSampled(): boolean {
    return this.ref.kind === 'numeric' && !this.ref.counts && (this.ref.sorted?.length ?? 0) < this.refN;
  }

  /** Numeric reference values, ascending: expanded from exact counts, or the stored (sketched) values. */
  refSorted(): Float64Array {
    this.refSortedCache ??= referenceNumbers(this.ref);
    return this.refSortedCache;
  }

  refCounts(): Map<string, number> {
    this.refCountsCache ??= this.ref.counts ? new Map(Object.entries(this.ref.counts)) : numberCounts(this.refSorted());
    return this.refCountsCache;
  }

  curSorted(): Float64Array {
    return this.curSortedValues!;
  }

  curCounts(): Map<string, number> {
    this.curCountsCache ??= this.curCountsValues ?? numberCounts(this.curSortedValues!);
    return this.curCountsCache;
  }

  /**
   * Distinct values of reference and current together (pandas' concat().nunique()). A numeric reference
   * without exact counts has more than 20 distinct values, so the exact union is not needed to choose.
   */
  unionUnique(): number {
    if (this.ref.kind === 'numeric' && !this.ref.counts) return this.ref.unique; // a lower bound, > 20 > 5
    const keys = new Set(this.refCounts().keys());
    for (const k of this.curCounts().keys()) keys.add(k);
    return keys.size;
  }

  /** Keys present in current but absent from the reference. */
  unseen(): string[] {
    const ref = this.refCounts();
    return [...this.curCounts().keys()].filter((k) => !ref.has(k));
  }
}

/**
 * Evidently's get_binned_data (legacy stattests/utils.py): a numeric column with more than 20 distinct
 * reference values is binned on np.histogram_bin_edges(reference + current, bins="sturges"); anything
 * else is counted per value over the union of values. `feelZeroes` replaces empty shares (PSI: yes,
 * Jensen–Shannon: no, as psi.py and jensenshannon.py call it).
 */
function shares(data: ColumnData, feelZeroes: boolean): { reference: number[]; current: number[] } {
  let s: { reference: number[]; current: number[] };
  if (data.ref.kind === 'numeric' && data.ref.unique > DISCRETE_MAX_VALUES) {
    const bins = sturgesBins(data.refSorted(), data.curSorted(), data.refN + data.curN);
    s = binnedShares(data.refSorted(), data.curSorted(), bins, false);
  } else {
    s = categoryShares(data.refCounts(), data.curCounts(), false);
  }
  return feelZeroes ? { reference: fillZeroes(s.reference), current: fillZeroes(s.current) } : s;
}

/**
 * get_binned_data's feel_zeroes, as in evidently/legacy/calculations/stattests/utils.py (2024+): every
 * empty share becomes min(non-zero share) / 1e6 when that minimum is <= 0.0001, else 0.0001. (Older
 * Evidently always used 0.0001, which is what the stats module's own feelZeroes does; the two differ
 * only when some share is below 0.0001, i.e. for samples of more than 10000 values.)
 */
function fillZeroes(shares: number[]): number[] {
  let min = Infinity;
  for (const v of shares) if (v !== 0 && v < min) min = v;
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  return shares.map((v) => (v === 0 ? fill : v));
}

/**
 * The bin count numpy 1.24 gives np.histogram_bin_edges(x, bins="sturges") for `n` values spanning
 * the combined range of the two sorted arrays: width = ptp / (log2(n) + 1) (_hist_bin_sturges), then
 * ceil(ptp / width) bins (_get_bin_edges), 1 for a constant range. `n` is the real sample size, also
 * when the reference is a sketch, so a sketch is binned like its full data.
 */
function sturgesBins(a: Float64Array, b: Float64Array, n: number): number {
  const lo = Math.min(a[0] ?? Infinity, b[0] ?? Infinity);
  const hi = Math.max(a[a.length - 1] ?? -Infinity, b[b.length - 1] ?? -Infinity);
  const ptp = hi - lo;
  if (!(ptp > 0)) return 1;
  const width = ptp / (Math.log2(n) + 1);
  return Math.ceil(ptp / width);
}

/**
 * Evidently's z_stattest.py: the two-proportion z-test of "value != the first value in sorted order"
 * (pandas `x == keys[0] → 0 else 1`), p = 2 (1 − Φ(|z|)); p = 1 (and z reported as 0) when both samples
 * hold one and the same value.
 */
function zTest(data: ColumnData): { statistic: number; pValue: number } {
  const ref = data.refCounts();
  const cur = data.curCounts();
  if (ref.size === 1 && cur.size === 1 && [...ref.keys()][0] === [...cur.keys()][0]) return { statistic: 0, pValue: 1 };
  const keys = [...new Set([...ref.keys(), ...cur.keys()])];
  const compare = data.ref.kind === 'numeric' ? (a: string, b: string) => Number(a) - Number(b) : compareCodePoints;
  const first = keys.reduce((min, k) => (compare(k, min) < 0 ? k : min));
  return twoProportionZTest(data.refN - (ref.get(first) ?? 0), data.refN, data.curN - (cur.get(first) ?? 0), data.curN);
}

function runMethod(method: DriftMethod, data: ColumnData): { statistic: number; pValue: number | null } {
  switch (method) {
    case 'ks': {
      const r = ks2samp(data.refSorted(), data.curSorted(), 'auto');
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'chisquare': {
      const r = chiSquareDrift(data.refCounts(), data.curCounts());
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'z':
      return { ...zTest(data) };
    case 'wasserstein': {
      // wasserstein_distance_norm.py: W / max(np.std(reference), 0.001), the std over all reference values.
      const std = data.ref.std ?? 0;
      return { statistic: wassersteinDistance(data.refSorted(), data.curSorted()) / Math.max(std, 0.001), pValue: null };
    }
    case 'jensenshannon': {
      const s = shares(data, false);
      return { statistic: jensenShannonDistance(s.reference, s.current), pValue: null };
    }
    case 'psi': {
      const s = shares(data, true);
      return { statistic: psi(s.reference, s.current), pValue: null };
    }
  }
}

function checkMethod(method: unknown, where: string): DriftMethod {
  if (typeof method !== 'string' || !(DRIFT_METHODS as readonly string[]).includes(method)) {
    throw new BerthError('invalid_input', `${where}: unknown drift method '${String(method)}' (known: ${DRIFT_METHODS.join(', ')})`);
  }
  return method as DriftMethod;
}

function thresholdsOf(options: DriftOptions): Record<DriftMethod, number> {
  const out = { ...DEFAULT_THRESHOLDS };
  for (const [method, value] of Object.entries(options.thresholds ?? {})) {
    const m = checkMethod(method, 'thresholds');
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new BerthError('invalid_input', `the threshold of ${m} must be a number >= 0, got ${String(value)}`);
    out[m] = value;
  }
  return out;
}

/**
 * Compares current data to a reference sketch column by column and decides dataset drift (see the
 * module comment). Missing values (NaN, ±Infinity, null) are dropped per column before testing and
 * counted in `current_missing` / `reference_missing`. Current columns the reference does not have are
 * ignored; a reference column missing from `current` is an error.
 */
export function computeDrift(reference: ReferenceSketch, current: ColumnSample[], options: DriftOptions = {}): DriftReport {
  const thresholds = thresholdsOf(options);
  const driftShare = options.driftShare ?? DEFAULT_DRIFT_SHARE;
  if (typeof driftShare !== 'number' || !(driftShare >= 0 && driftShare <= 1)) throw new BerthError('invalid_input', `the drift share must be between 0 and 1, got ${String(driftShare)}`);
  const correction = options.correction ?? 'none';
  if (!['none', 'bonferroni', 'bh'].includes(correction)) throw new BerthError('invalid_input', `unknown correction '${String(correction)}' (none, bonferroni or bh)`);

  const refByName = new Map(reference.columns.map((c) => [c.name, c]));
  const curByName = new Map(current.map((c) => [c.name, c]));
  const names = options.columns ?? reference.columns.map((c) => c.name);
  for (const name of names) {
    if (!refByName.has(name)) throw new BerthError('invalid_input', `column '${name}' is not in the reference (columns: ${[...refByName.keys()].join(', ')})`);
    if (!curByName.has(name)) throw new BerthError('invalid_input', `column '${name}' is not in the current data`);
  }
  for (const name of Object.keys(options.methods ?? {})) {
    if (!names.includes(name)) throw new BerthError('invalid_input', `a method is set for column '${name}', which is not among the columns compared`);
  }
  for (const [kind, method] of Object.entries(options.methodByKind ?? {})) {
    if (kind !== 'numeric' && kind !== 'categorical') throw new BerthError('invalid_input', `unknown column kind '${kind}' (numeric or categorical)`);
    checkMethod(method, `the method for ${kind} columns`);
  }

  const columns: ColumnDrift[] = [];
  let currentRows = 0;
  for (const name of names) {
    const ref = refByName.get(name)!;
    const cur = curByName.get(name)!;
    if (cur.kind !== ref.kind) throw new BerthError('invalid_input', `column '${name}' is ${ref.kind} in the reference but ${cur.kind} in the current data`);
    const data = new ColumnData(ref, cur);
    currentRows = Math.max(currentRows, data.curN + data.curMissing);
    const counts = { reference_rows: ref.rows, reference_missing: ref.missing, current_rows: data.curN + data.curMissing, current_missing: data.curMissing };
    const explicit = options.methods?.[name] ?? options.methodByKind?.[ref.kind];
    const chosen = explicit === undefined ? undefined : checkMethod(explicit, `column '${name}'`);
    if (data.refN === 0 || data.curN === 0) {
      const method = chosen ?? chooseMethod(ref.kind, data.refN, ref.unique);
      const note = data.refN === 0 ? 'no reference values' : 'no current values';
      columns.push({ column: name, kind: ref.kind, method, statistic: Number.NaN, p_value: null, score: Number.NaN, threshold: thresholds[method], drifted: false, tested: false, ...counts, note });
      continue;
    }
    const method = chosen ?? chooseMethod(ref.kind, data.refN, data.unionUnique());
    if (NUMERIC_ONLY.has(method) && ref.kind !== 'numeric') throw new BerthError('invalid_input', `${method} needs numbers, but column '${name}' is categorical`);
    const { statistic, pValue } = runMethod(method, data);
    const score = pValue ?? statistic;
    const threshold = thresholds[method];
    const notes: string[] = [];
    if (method === 'chisquare' || method === 'z' || ref.kind === 'categorical') {
      const unseen = data.unseen();
      if (unseen.length) notes.push(`not in the reference: ${unseen.slice(0, 5).join(', ')}${unseen.length > 5 ? `, ... (${unseen.length})` : ''}`);
    }
    if (data.refSampled) notes.push(`reference sketched to ${ref.sorted?.length ?? 0} of ${data.refN} values`);
    columns.push({ column: name, kind: ref.kind, method, statistic, p_value: pValue, score, threshold, drifted: decide(method, score, threshold), tested: true, ...counts, ...(notes.length ? { note: notes.join('; ') } : {}) });
  }

  if (correction !== 'none') {
    const tests = columns.filter((c) => c.tested && c.p_value !== null);
    const adjusted = tests.length ? adjustPValues(tests.map((c) => c.p_value!), correction) : [];
    tests.forEach((c, i) => {
      c.adjusted_p_value = adjusted[i]!;
      c.drifted = decide(c.method, adjusted[i]!, c.threshold);
    });
    for (const c of columns) if (c.adjusted_p_value === undefined) c.adjusted_p_value = null;
  }

  const tested = columns.filter((c) => c.tested).length;
  const drifted = columns.filter((c) => c.drifted).length;
  const share = tested === 0 ? 0 : drifted / tested;
  return {
    columns,
    tested,
    drifted,
    share,
    drift_share_threshold: driftShare,
    dataset_drift: tested > 0 && share >= driftShare,
    correction,
    sampled: reference.sampled,
    reference_rows: reference.rows,
    current_rows: currentRows,
  };
}
