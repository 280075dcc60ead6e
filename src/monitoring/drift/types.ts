/**
 * The data shapes of drift detection. They are plain JSON-able values (numbers, strings, arrays,
 * records) apart from `ColumnSample.numbers`, so a reference sketch can be stored per model version and
 * a report returned by the server as is.
 */

export type DriftColumnKind = 'numeric' | 'categorical';

/** The tests and distances Berth knows, named as in Evidently's stattest registry. */
export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

export const DRIFT_METHODS: readonly DriftMethod[] = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi'];

/** Methods whose score is a p-value (drift when it is small); the others are distances (drift when large). */
export const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chisquare', 'z']);

/** One column of a table, as read from a CSV file or gathered from the prediction log. */
export interface ColumnSample {
  name: string;
  kind: DriftColumnKind;
  /** numeric: the raw values, NaN (or ±Infinity) for a missing one. */
  numbers?: Float64Array;
  /** categorical: the values, null for a missing one. */
  categories?: Array<string | null>;
}

/** What drift needs of a reference column, precomputed once (see sketchReference). */
export interface ReferenceColumn {
  name: string;
  kind: DriftColumnKind;
  /** Rows of the reference table, missing values included. */
  rows: number;
  /** Missing (NaN, ±Infinity, null) values among them. */
  missing: number;
  /**
   * numeric with more than 20 distinct values: the ascending finite values, or (more than `max_sample`
   * of them) `max_sample` evenly spaced quantiles of them.
   */
  sorted?: number[];
  /**
   * categorical: value -> count. numeric with at most 20 distinct values: String(value) -> count (exact,
   * whatever the row count; these columns are tested per value, as Evidently's get_binned_data does).
   */
  counts?: Record<string, number>;
  /** Distinct non-missing values. */
  unique: number;
  /** numeric: population standard deviation (ddof 0) of ALL non-missing values (Wasserstein's norm). */
  std?: number;
}

export interface ReferenceSketch {
  rows: number;
  columns: ReferenceColumn[];
  /** True when some numeric column is kept as a quantile sketch rather than all its values. */
  sampled: boolean;
  max_sample: number;
}

export interface DriftOptions {
  /** The method per column name (wins over methodByKind and the default rule). */
  methods?: Partial<Record<string, DriftMethod>>;
  /** The method per column kind (wins over the default rule). */
  methodByKind?: Partial<Record<DriftColumnKind, DriftMethod>>;
  /** Thresholds per method (defaults: 0.05 for p-values, 0.1 for distances). */
  thresholds?: Partial<Record<DriftMethod, number>>;
  /** Dataset drift when the share of drifted columns is at least this (default 0.5). */
  driftShare?: number;
  /** Multiple-testing correction of the p-value tests (default none). */
  correction?: 'none' | 'bonferroni' | 'bh';
  /** Only these columns (default: every reference column). */
  columns?: string[];
}

export interface ColumnDrift {
  column: string;
  kind: DriftColumnKind;
  method: DriftMethod;
  /**
   * The test statistic (KS D, chi-square, z) or the distance. NaN when the column was not tested, and
   * +Infinity for a chi-square with values unseen in the reference; both are null in JSON.
   */
  statistic: number;
  /** The p-value of a test; null for a distance. */
  p_value: number | null;
  /** With a correction: the adjusted p-value the decision used (null for a distance). */
  adjusted_p_value?: number | null;
  /** The p-value for tests, the distance otherwise (NaN when not tested). */
  score: number;
  threshold: number;
  drifted: boolean;
  /** False when the column could not be tested (no reference or no current values): see `note`. */
  tested: boolean;
  reference_rows: number;
  reference_missing: number;
  current_rows: number;
  current_missing: number;
  note?: string;
}

export interface DriftReport {
  columns: ColumnDrift[];
  /** Columns tested (the share's denominator: untested columns count neither way). */
  tested: number;
  drifted: number;
  share: number;
  drift_share_threshold: number;
  dataset_drift: boolean;
  correction: string;
  /** True when the reference was a quantile sketch for some column (results then approximate). */
  sampled: boolean;
  reference_rows: number;
  current_rows: number;
}
