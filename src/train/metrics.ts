import { accuracy, isUndefinedMetric, logLoss, mae, precisionRecallF1, r2, rmse, rocAuc } from '../evaluation/index.js';

/** Rows of a row-major n × k matrix as arrays (the evaluation functions' input form). */
export function rowsOf(values: Float64Array, n: number, k: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(values.subarray(i * k, i * k + k)));
}

/** The most probable label of each row; ties go to the first label, as serving's decoder does. */
export function predictedLabels(probabilities: readonly number[][], labels: readonly string[]): string[] {
  return probabilities.map((row) => {
    let best = 0;
    for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
    return labels[best]!;
  });
}

/** A metric's value, or nothing when it is undefined for these rows (e.g. ROC AUC with one class present). */
function maybe(fn: () => number): number | undefined {
  try {
    const value = fn();
    return Number.isFinite(value) ? value : undefined;
  } catch (err) {
    if (isUndefinedMetric(err)) return undefined;
    throw err;
  }
}

function defined(entries: Array<[string, number | undefined]>): Record<string, number> {
  return Object.fromEntries(entries.filter((e): e is [string, number] => e[1] !== undefined));
}

/** accuracy, f1_macro and log_loss (and roc_auc of the second label for two labels), as scikit-learn computes them. */
export function classificationMetrics(truth: readonly string[], probabilities: readonly number[][], labels: readonly string[]): Record<string, number> {
  const predicted = predictedLabels(probabilities, labels);
  return defined([
    ['accuracy', accuracy(truth, predicted)],
    ['f1_macro', maybe(() => precisionRecallF1(truth, predicted, labels).macro.f1)],
    ['log_loss', maybe(() => logLoss(truth, probabilities, labels))],
    ['roc_auc', labels.length === 2 ? maybe(() => rocAuc(truth, probabilities.map((p) => p[1]!), labels[1]!)) : undefined],
  ]);
}

export function regressionMetrics(truth: readonly number[], predicted: readonly number[]): Record<string, number> {
  return defined([
    ['mae', mae(truth, predicted)],
    ['rmse', rmse(truth, predicted)],
    ['r2', maybe(() => r2(truth, predicted))],
  ]);
}
