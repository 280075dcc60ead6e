/**
 * Regression metrics, computed exactly as scikit-learn 1.2 does for 1-D targets without sample weights
 * (checked against goldens made by `scripts/goldens/make_evaluation_goldens.py` to an absolute 1e-9).
 * All arithmetic is float64 and sums follow numpy's pairwise order, so even ill-conditioned results
 * (r2 of a near-constant y_true) come out bit-identical.
 *
 * Every function refuses (a `BerthError`, code `invalid_input`) arrays of different lengths, empty
 * arrays, and values that are not finite numbers, where scikit-learn raises ValueError.
 */
import {
  checkFinite,
  checkNonEmpty,
  checkSameLength,
  npMean,
  npSum,
  orNull,
  refuse,
  type UndefinedMetricNote,
} from './numeric.js';

function checkRegression(metric: string, yTrue: readonly number[], yPred: readonly number[]): void {
  checkSameLength(metric, yTrue, yPred, ['yTrue', 'yPred']);
  checkNonEmpty(metric, yTrue, 'yTrue');
  checkFinite(metric, yTrue, 'yTrue');
  checkFinite(metric, yPred, 'yPred');
}

function squaredErrors(yTrue: readonly number[], yPred: readonly number[]): Float64Array {
  const out = new Float64Array(yTrue.length);
  for (let i = 0; i < out.length; i++) {
    const d = yTrue[i]! - yPred[i]!;
    out[i] = d * d;
  }
  return out;
}

/** Mean absolute error, like `mean_absolute_error`. */
export function mae(yTrue: readonly number[], yPred: readonly number[]): number {
  checkRegression('mae', yTrue, yPred);
  const errors = new Float64Array(yTrue.length);
  for (let i = 0; i < errors.length; i++) errors[i] = Math.abs(yPred[i]! - yTrue[i]!);
  return npMean(errors);
}

/** Mean squared error, like `mean_squared_error`. */
export function mse(yTrue: readonly number[], yPred: readonly number[]): number {
  checkRegression('mse', yTrue, yPred);
  return npMean(squaredErrors(yTrue, yPred));
}

/** Root mean squared error: exactly `Math.sqrt(mse)`, like `mean_squared_error(squared=False)`. */
export function rmse(yTrue: readonly number[], yPred: readonly number[]): number {
  checkRegression('rmse', yTrue, yPred);
  return Math.sqrt(npMean(squaredErrors(yTrue, yPred)));
}

/**
 * Coefficient of determination like `r2_score` (scikit-learn ≥ 1.1, `force_finite=True`):
 * 1 − SS_res / SS_tot with SS_tot = Σ (y − mean(y))². When SS_res is 0 the score is 1.0 (perfect
 * predictions, even for a constant y_true); when SS_tot is 0 but SS_res is not (constant y_true,
 * imperfect predictions) it is 0.0 instead of −∞. "Constant" means SS_tot is exactly 0 in float64: for
 * y_true = 0.1 × 7 the float mean is 0.09999999999999999, SS_tot is tiny but not 0, and scikit-learn
 * (and this) returns a huge negative number. With fewer than two samples r2 is undefined and the
 * result is NaN (scikit-learn warns and returns NaN too).
 */
export function r2(yTrue: readonly number[], yPred: readonly number[]): number {
  checkRegression('r2', yTrue, yPred);
  if (yTrue.length < 2) return Number.NaN;
  const numerator = npSum(squaredErrors(yTrue, yPred));
  const mean = npMean(yTrue);
  const deviations = new Float64Array(yTrue.length);
  for (let i = 0; i < deviations.length; i++) {
    const d = yTrue[i]! - mean;
    deviations[i] = d * d;
  }
  const denominator = npSum(deviations);
  if (numerator === 0) return 1;
  if (denominator === 0) return 0;
  return 1 - numerator / denominator;
}

/** The floor of MAPE's denominator: `np.finfo(np.float64).eps` = 2^-52. */
export const MAPE_EPSILON = Number.EPSILON;

/**
 * Mean absolute percentage error like `mean_absolute_percentage_error`: the mean of
 * |ŷ − y| / max(|y|, ε) with ε = 2^-52 (`MAPE_EPSILON`). A fraction, not a percentage (0.1 = 10%).
 * A zero in y_true does not fail: its term becomes |ŷ| / 2^-52 (about 4.5e15 · |ŷ|), so the result
 * is huge unless the prediction is exactly 0 too, exactly as in scikit-learn.
 */
export function mape(yTrue: readonly number[], yPred: readonly number[]): number {
  checkRegression('mape', yTrue, yPred);
  const ratios = new Float64Array(yTrue.length);
  for (let i = 0; i < ratios.length; i++) {
    ratios[i] = Math.abs(yPred[i]! - yTrue[i]!) / Math.max(Math.abs(yTrue[i]!), MAPE_EPSILON);
  }
  return npMean(ratios);
}

export interface RegressionReport {
  n: number;
  mae: number;
  mse: number;
  rmse: number;
  /** null with fewer than two samples (see `undefinedMetrics`). */
  r2: number | null;
  mape: number;
  undefinedMetrics: UndefinedMetricNote[];
}

/** Every regression metric above in one JSON-able object (no NaN: an undefined r2 is null). */
export function regressionReport(yTrue: readonly number[], yPred: readonly number[]): RegressionReport {
  checkRegression('regressionReport', yTrue, yPred);
  const notes: UndefinedMetricNote[] = [];
  const meanSquared = mse(yTrue, yPred);
  const r2Value = orNull('r2', notes, () => {
    const value = r2(yTrue, yPred);
    if (Number.isNaN(value)) throw refuse('r2', 'needs at least two samples', true);
    return value;
  });
  return {
    n: yTrue.length,
    mae: mae(yTrue, yPred),
    mse: meanSquared,
    rmse: Math.sqrt(meanSquared),
    r2: r2Value,
    mape: mape(yTrue, yPred),
    undefinedMetrics: notes,
  };
}
