/**
 * Model evaluation metrics: pure functions over arrays that compute classification and regression
 * metrics exactly as scikit-learn 1.2 does (golden-tested to 1e-9 against
 * `test/fixtures/goldens/evaluation.json`, made by `scripts/goldens/make_evaluation_goldens.py`).
 *
 * Refusals are `BerthError`s with code `invalid_input` and `details.metric`; `details.undefinedMetric`
 * is true where the inputs are valid but the metric is undefined for them (scikit-learn raises there).
 */
export {
  accuracy,
  averagePrecision,
  brierScore,
  classificationReport,
  confusionMatrix,
  expectedCalibrationError,
  LOG_LOSS_EPS,
  logLoss,
  precisionRecallCurve,
  precisionRecallF1,
  rocAuc,
  rocAucOvr,
  rocCurve,
  uniqueLabels,
  type AveragedMetrics,
  type BinaryReport,
  type ClassificationReport,
  type ClassificationReportInput,
  type ClassMetrics,
  type ConfusionMatrix,
  type OvrAverage,
  type PrecisionRecallCurve,
  type PrecisionRecallF1,
  type ProbabilisticReport,
  type RocCurve,
} from './classification.js';
export { MAPE_EPSILON, mae, mape, mse, r2, regressionReport, rmse, type RegressionReport } from './regression.js';
export { isUndefinedMetric, type UndefinedMetricNote } from './numeric.js';
export {
  compareVersions,
  evaluateModel,
  predictRows,
  evaluationSummary,
  EVALUATION_CHUNK_ROWS,
  higherIsBetterDefault,
  type BinaryCurves,
  type ClassificationEvaluation,
  type ClassPrediction,
  type Comparable,
  type CompareOptions,
  type EvaluateModelOptions,
  type ModelEvaluation,
  type RefusedRow,
  type RegressionEvaluation,
  type ValuePrediction,
  type Verdict,
} from './evaluate-model.js';
export { escapeHtml, renderReportHtml, type ReportOptions } from './report-html.js';
export { readCsv, rowsFor, experimentId, logRun, type CsvData } from './evaluation-run.js';
