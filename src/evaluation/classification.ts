/**
 * Classification metrics, computed exactly as scikit-learn 1.2 does (checked against goldens made by
 * `scripts/goldens/make_evaluation_goldens.py` to an absolute 1e-9). Pure functions over arrays; labels
 * are strings; all arithmetic is float64 and sums follow numpy's pairwise order (`npSum`).
 *
 * Every refusal is a `BerthError` with code `invalid_input` and `details.metric`; when the inputs are
 * well-formed but the metric is mathematically undefined for them (e.g. ROC AUC with a single class,
 * where scikit-learn raises `ValueError`), `details.undefinedMetric` is `true`.
 *
 * Deliberate differences from scikit-learn: empty inputs are refused (scikit-learn returns NaN or empty
 * arrays), and a y_true value outside the given `labels` is refused by the probability metrics
 * (scikit-learn's log_loss silently scores such a row as 0).
 */
import {
  checkFinite,
  checkNonEmpty,
  checkSameLength,
  compareCodePoints,
  encodeLabels,
  labelIndex,
  npMean,
  npSum,
  npWeightedMean,
  orNull,
  type UndefinedMetricNote,
  probabilityMatrix,
  refuse,
  uniqueLabels,
} from './numeric.js';

export { uniqueLabels };

/** Rows are true labels, columns predicted labels, both in `labels` order. */
export interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true label is this one. */
  support: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface PrecisionRecallF1 {
  labels: string[];
  perClass: ClassMetrics[];
  /** Unweighted mean over `labels` (a label absent from both y_true and y_pred counts, with 0s). */
  macro: AveragedMetrics;
  /** From the summed counts over `labels`; equals accuracy when `labels` covers every label seen. */
  micro: AveragedMetrics;
  /** Mean over `labels` weighted by support. */
  weighted: AveragedMetrics;
}

export interface RocCurve {
  /** Increasing false-positive rates, starting at 0. */
  fpr: number[];
  /** True-positive rates, starting at 0. */
  tpr: number[];
  /** Decreasing score thresholds; the first is `max(scores) + 1` (scikit-learn 1.2; 1.3+ uses +Infinity). */
  thresholds: number[];
}

export interface PrecisionRecallCurve {
  /** precision[i] at thresholds[i]; the last entry is 1 (no threshold). */
  precision: number[];
  /** Decreasing recall; the last entry is 0. */
  recall: number[];
  /** Increasing distinct score values (one fewer than precision/recall). */
  thresholds: number[];
}

export type OvrAverage = 'macro' | 'weighted';

// ------------------------------------------------------------------------------------------------
// Label-based metrics
// ------------------------------------------------------------------------------------------------

function checkPairs(metric: string, yTrue: readonly string[], yPred: readonly string[]): void {
  checkSameLength(metric, yTrue, yPred, ['yTrue', 'yPred']);
  checkNonEmpty(metric, yTrue, 'yTrue');
}

function explicitLabels(metric: string, labels: readonly string[]): Map<string, number> {
  if (labels.length === 0) throw refuse(metric, 'labels is empty');
  return labelIndex(metric, labels);
}

/**
 * Confusion matrix like `sklearn.metrics.confusion_matrix`: `matrix[i][j]` counts samples with true
 * label `labels[i]` predicted as `labels[j]`. Without `labels`, the sorted union of both arrays
 * (code-point order, like `unique_labels`). With `labels`, that order is kept and samples whose true or
 * predicted label is not listed are left out; at least one listed label must occur in `yTrue`.
 */
export function confusionMatrix(
  yTrue: readonly string[],
  yPred: readonly string[],
  labels?: readonly string[],
): ConfusionMatrix {
  const metric = 'confusionMatrix';
  checkPairs(metric, yTrue, yPred);
  const used = labels ? [...labels] : uniqueLabels(yTrue, yPred);
  const index = explicitLabels(metric, used);
  if (labels && !yTrue.some((y) => index.has(y))) {
    throw refuse(metric, 'at least one of the labels must occur in yTrue');
  }
  const k = used.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]!);
    const p = index.get(yPred[i]!);
    if (t === undefined || p === undefined) continue;
    matrix[t]![p]! += 1;
  }
  return { labels: used, matrix };
}

/** Fraction of samples whose prediction equals the truth, like `accuracy_score`. */
export function accuracy(yTrue: readonly string[], yPred: readonly string[]): number {
  checkPairs('accuracy', yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** `_prf_divide` with zero_division="warn": 0 where the denominator is 0. */
function divideOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** F1 as scikit-learn 1.2 computes it: 2·P·R / (P + R), and 0 when P + R = 0. */
function f1Of(precision: number, recall: number): number {
  const denominator = precision + recall;
  return (2 * precision * recall) / (denominator === 0 ? 1 : denominator);
}

/**
 * Per-class precision, recall, F1 and support, plus macro, micro and weighted averages, like
 * `precision_recall_fscore_support(average=None | 'macro' | 'micro' | 'weighted')`.
 *
 * Zero division follows scikit-learn's default `zero_division="warn"` (without the warning): precision
 * is 0.0 for a class that is never predicted, recall is 0.0 for a class that never occurs in yTrue
 * (support 0), and F1 is 0.0 when precision + recall is 0. Such classes still count in the macro
 * average. If no sample's true label is among `labels`, every weighted average is 0.0.
 *
 * Without `labels`, the sorted union of both arrays; with `labels`, exactly those, in that order.
 */
export function precisionRecallF1(
  yTrue: readonly string[],
  yPred: readonly string[],
  labels?: readonly string[],
): PrecisionRecallF1 {
  const metric = 'precisionRecallF1';
  checkPairs(metric, yTrue, yPred);
  const used = labels ? [...labels] : uniqueLabels(yTrue, yPred);
  const index = explicitLabels(metric, used);
  const k = used.length;
  const tp = new Float64Array(k);
  const predicted = new Float64Array(k);
  const support = new Float64Array(k);
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]!);
    const p = index.get(yPred[i]!);
    if (t !== undefined) support[t]! += 1;
    if (p !== undefined) predicted[p]! += 1;
    if (t !== undefined && t === p) tp[t]! += 1;
  }
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  const f1 = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    precision[j] = divideOrZero(tp[j]!, predicted[j]!);
    recall[j] = divideOrZero(tp[j]!, support[j]!);
    f1[j] = f1Of(precision[j]!, recall[j]!);
  }
  const perClass = used.map((label, j) => ({
    label,
    precision: precision[j]!,
    recall: recall[j]!,
    f1: f1[j]!,
    support: support[j]!,
  }));

  const microP = divideOrZero(npSum(tp), npSum(predicted));
  const microR = divideOrZero(npSum(tp), npSum(support));
  const totalSupport = npSum(support);
  const weighted =
    totalSupport === 0
      ? { precision: 0, recall: 0, f1: 0 }
      : {
          precision: npWeightedMean(precision, support),
          recall: npWeightedMean(recall, support),
          f1: npWeightedMean(f1, support),
        };
  return {
    labels: used,
    perClass,
    macro: { precision: npMean(precision), recall: npMean(recall), f1: npMean(f1) },
    micro: { precision: microP, recall: microR, f1: f1Of(microP, microR) },
    weighted,
  };
}

// ------------------------------------------------------------------------------------------------
// Binary ranking metrics
// ------------------------------------------------------------------------------------------------

interface BinaryInput {
  positives: Uint8Array;
  scores: Float64Array;
  nPositive: number;
}

function binaryInput(metric: string, yTrue: readonly string[], scores: readonly number[], positive: string): BinaryInput {
  checkSameLength(metric, yTrue, scores, ['yTrue', 'scores']);
  checkNonEmpty(metric, yTrue, 'yTrue');
  checkFinite(metric, scores, 'scores');
  const positives = new Uint8Array(yTrue.length);
  let nPositive = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === positive) {
      positives[i] = 1;
      nPositive++;
    }
  }
  return { positives, scores: Float64Array.from(scores), nPositive };
}

interface ClfCurve {
  fps: number[];
  tps: number[];
  thresholds: number[];
}

/**
 * scikit-learn's `_binary_clf_curve`: sort by decreasing score and, at the last sample of every run of
 * equal scores (a distinct threshold), the counts of positives and negatives scored at or above it.
 * Tied scores therefore move the curve diagonally in one step, never in an arbitrary order.
 */
function binaryClfCurve({ positives, scores }: BinaryInput): ClfCurve {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let truePositives = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    truePositives += positives[i]!;
    const next = order[r + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(truePositives);
      fps.push(1 + r - truePositives);
      thresholds.push(scores[i]!);
    }
  }
  return { fps, tps, thresholds };
}

/**
 * ROC curve like `roc_curve(y_true == positive, scores, drop_intermediate=True)`: one point per distinct
 * score (ties handled as one step), with collinear intermediate points dropped and (0, 0) prepended at
 * threshold `max(scores) + 1`. If yTrue holds no negatives, every fpr is NaN; if no positives, every
 * tpr is NaN (scikit-learn warns and does the same).
 */
export function rocCurve(yTrue: readonly string[], scores: readonly number[], positive: string): RocCurve {
  return rocCurveOf(binaryInput('rocCurve', yTrue, scores, positive));
}

function rocCurveOf(input: BinaryInput): RocCurve {
  let { fps, tps, thresholds } = binaryClfCurve(input);
  if (fps.length > 2) {
    // Keep the ends and every point where the second difference of fps or tps is non-zero.
    const keep: number[] = [0];
    for (let j = 1; j < fps.length - 1; j++) {
      const d2f = fps[j + 1]! - fps[j]! - (fps[j]! - fps[j - 1]!);
      const d2t = tps[j + 1]! - tps[j]! - (tps[j]! - tps[j - 1]!);
      if (d2f !== 0 || d2t !== 0) keep.push(j);
    }
    keep.push(fps.length - 1);
    fps = keep.map((j) => fps[j]!);
    tps = keep.map((j) => tps[j]!);
    thresholds = keep.map((j) => thresholds[j]!);
  }
  fps.unshift(0);
  tps.unshift(0);
  thresholds.unshift(thresholds[0]! + 1);
  const lastF = fps[fps.length - 1]!;
  const lastT = tps[tps.length - 1]!;
  return {
    fpr: fps.map((v) => (lastF <= 0 ? Number.NaN : v / lastF)),
    tpr: tps.map((v) => (lastT <= 0 ? Number.NaN : v / lastT)),
    thresholds,
  };
}

/** `sklearn.metrics.auc`: trapezoidal rule (numpy's `trapz`) over a monotonic x. */
function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let increasing = true;
  let decreasing = true;
  for (let i = 1; i < x.length; i++) {
    if (x[i]! < x[i - 1]!) increasing = false;
    if (x[i]! > x[i - 1]!) decreasing = false;
  }
  if (!increasing && !decreasing) throw refuse('auc', 'x is neither increasing nor decreasing');
  const terms = new Float64Array(x.length - 1);
  for (let i = 0; i < terms.length; i++) {
    terms[i] = ((x[i + 1]! - x[i]!) * (y[i + 1]! + y[i]!)) / 2;
  }
  const area = npSum(terms);
  return increasing ? area : -area;
}

function oneClassMessage(what: string): string {
  return `only one class present in ${what}; ROC AUC is not defined in that case`;
}

/**
 * Binary ROC AUC like `roc_auc_score(y_true == positive, scores)`: the trapezoidal area under
 * `rocCurve`, so tied scores count one half (the curve crosses a tie diagonally). Throws (as
 * scikit-learn raises ValueError) when yTrue holds only positives or only negatives.
 */
export function rocAuc(yTrue: readonly string[], scores: readonly number[], positive: string): number {
  const input = binaryInput('rocAuc', yTrue, scores, positive);
  if (input.nPositive === 0 || input.nPositive === yTrue.length) {
    throw refuse('rocAuc', oneClassMessage(`yTrue (positive = "${positive}")`), true);
  }
  const curve = rocCurveOf(input);
  return trapezoidArea(curve.fpr, curve.tpr);
}

/**
 * Precision-recall curve like `precision_recall_curve(y_true == positive, scores)` (scikit-learn ≥ 1.1):
 * one point per distinct score in increasing threshold order, including thresholds past full recall,
 * then a final (recall 0, precision 1) point with no threshold. If yTrue holds no positives, recall is
 * 1 everywhere (scikit-learn warns and does the same).
 */
export function precisionRecallCurve(
  yTrue: readonly string[],
  scores: readonly number[],
  positive: string,
): PrecisionRecallCurve {
  return precisionRecallCurveOf(binaryInput('precisionRecallCurve', yTrue, scores, positive));
}

function precisionRecallCurveOf(input: BinaryInput): PrecisionRecallCurve {
  const { fps, tps, thresholds } = binaryClfCurve(input);
  const lastT = tps[tps.length - 1]!;
  const precision = tps.map((tp, j) => {
    const predictedPositive = tp + fps[j]!;
    return predictedPositive === 0 ? 0 : tp / predictedPositive;
  });
  const recall = tps.map((tp) => (lastT === 0 ? 1 : tp / lastT));
  precision.reverse().push(1);
  recall.reverse().push(0);
  return { precision, recall, thresholds: thresholds.slice().reverse() };
}

/**
 * Average precision like `average_precision_score(y_true == positive, scores)`: the step-wise sum
 * Σ (R_n − R_{n−1}) · P_n over the precision-recall curve, not the interpolated (11-point or
 * "precision envelope") variant. With no positive in yTrue it is 0 (scikit-learn warns).
 */
export function averagePrecision(yTrue: readonly string[], scores: readonly number[], positive: string): number {
  return averagePrecisionOf(binaryInput('averagePrecision', yTrue, scores, positive));
}

function averagePrecisionOf(input: BinaryInput): number {
  const { precision, recall } = precisionRecallCurveOf(input);
  const terms = new Float64Array(recall.length - 1);
  for (let i = 0; i < terms.length; i++) terms[i] = (recall[i + 1]! - recall[i]!) * precision[i]!;
  const ap = -npSum(terms);
  return ap === 0 ? 0 : ap; // scikit-learn can return -0.0 (no positives); report a plain 0

}

// ------------------------------------------------------------------------------------------------
// Probability metrics
// ------------------------------------------------------------------------------------------------

interface ProbabilityInput {
  k: number;
  n: number;
  /** Row-major n × k. */
  p: Float64Array;
  /** Column of each sample's true label. */
  truth: Int32Array;
}

function probabilityInput(
  metric: string,
  yTrue: readonly string[],
  probabilities: ReadonlyArray<readonly number[]>,
  labels: readonly string[],
): ProbabilityInput {
  checkSameLength(metric, yTrue, probabilities, ['yTrue', 'probabilities']);
  checkNonEmpty(metric, yTrue, 'yTrue');
  const index = explicitLabels(metric, labels);
  const k = labels.length;
  const p = probabilityMatrix(metric, probabilities, k);
  const truth = encodeLabels(metric, yTrue, index);
  return { k, n: yTrue.length, p, truth };
}

/**
 * One-vs-rest multiclass ROC AUC like `roc_auc_score(y_true, probabilities, multi_class='ovr',
 * average=...)`: the binary AUC of each label's column against "this label vs the rest", averaged
 * unweighted (`macro`) or weighted by each label's count in yTrue (`weighted`).
 *
 * `probabilities[i][j]` is the probability of `labels[j]`; any column order works (scikit-learn wants
 * sorted labels; its averages are taken in sorted-label order, and so are these). As in scikit-learn,
 * every row must sum to 1 (|1 − Σ| ≤ 1e-8 + 1e-5·|Σ|, numpy's `allclose`), and the metric is undefined
 * (throws) when any label is absent from yTrue or is the only label in it. With two labels this is the
 * mean of both columns' AUCs (which equals the binary AUC when rows sum to 1).
 */
export function rocAucOvr(
  yTrue: readonly string[],
  probabilities: ReadonlyArray<readonly number[]>,
  labels: readonly string[],
  average: OvrAverage = 'macro',
): number {
  const metric = 'rocAucOvr';
  if (average !== 'macro' && average !== 'weighted') throw refuse(metric, `unknown average "${String(average)}"`);
  const { k, n, p, truth } = probabilityInput(metric, yTrue, probabilities, labels);
  if (k < 2) throw refuse(metric, 'needs at least two labels', true);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = p[i * k + j]!;
    const total = npSum(row);
    if (!(Math.abs(1 - total) <= 1e-8 + 1e-5 * Math.abs(total))) {
      throw refuse(metric, `probabilities[${i}] sums to ${total}, not 1: target scores must be probabilities`, true);
    }
  }
  const order = labels.map((_, j) => j).sort((a, b) => compareCodePoints(labels[a]!, labels[b]!));
  const aucs = new Float64Array(k);
  const counts = new Float64Array(k);
  order.forEach((j, position) => {
    const positives = new Uint8Array(n);
    const scores = new Float64Array(n);
    let nPositive = 0;
    for (let i = 0; i < n; i++) {
      if (truth[i] === j) {
        positives[i] = 1;
        nPositive++;
      }
      scores[i] = p[i * k + j]!;
    }
    if (nPositive === 0 || nPositive === n) {
      throw refuse(metric, oneClassMessage(`yTrue for label "${labels[j]}" vs the rest`), true);
    }
    const curve = rocCurveOf({ positives, scores, nPositive });
    aucs[position] = trapezoidArea(curve.fpr, curve.tpr);
    counts[position] = nPositive;
  });
  return average === 'macro' ? npMean(aucs) : npWeightedMean(aucs, counts);
}

/**
 * The clipping bound of `log_loss` in scikit-learn ≥ 1.2 (`eps="auto"`): `np.finfo(float64).eps`
 * = 2^-52 ≈ 2.22e-16 (it was a fixed 1e-15 before 1.2).
 */
export const LOG_LOSS_EPS = Number.EPSILON;

/**
 * Cross-entropy like `log_loss(y_true, probabilities, labels=labels)` in scikit-learn 1.2: every
 * probability is clipped to [eps, 1 − eps] with eps = 2^-52 (`LOG_LOSS_EPS`), each row is then divided
 * by its sum (so rows need not sum to 1), and the result is the mean of −ln p(true label).
 * `probabilities[i][j]` is the probability of `labels[j]`. Needs at least two labels (scikit-learn
 * raises otherwise); every yTrue value must be one of them.
 */
export function logLoss(
  yTrue: readonly string[],
  probabilities: ReadonlyArray<readonly number[]>,
  labels: readonly string[],
): number {
  const metric = 'logLoss';
  const { k, n, p, truth } = probabilityInput(metric, yTrue, probabilities, labels);
  if (k < 2) throw refuse(metric, `needs at least two labels, got ${k}`, true);
  const lo = LOG_LOSS_EPS;
  const hi = 1 - LOG_LOSS_EPS;
  const row = new Float64Array(k);
  const losses = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = Math.min(Math.max(p[i * k + j]!, lo), hi);
    losses[i] = -Math.log(row[truth[i]!]! / npSum(row));
  }
  return npMean(losses);
}

/**
 * Brier score like `brier_score_loss(y_true01, prob_positive)`: mean of (y − p)². yTrue01 holds 0 or
 * 1 (1 = positive); probabilities outside [0, 1] are refused (as undefined), as in scikit-learn.
 */
export function brierScore(yTrue01: readonly number[], probPositive: readonly number[]): number {
  const metric = 'brierScore';
  checkSameLength(metric, yTrue01, probPositive, ['yTrue01', 'probPositive']);
  checkNonEmpty(metric, yTrue01, 'yTrue01');
  checkFinite(metric, probPositive, 'probPositive');
  yTrue01.forEach((y, i) => {
    if (y !== 0 && y !== 1) throw refuse(metric, `yTrue01[${i}] is ${String(y)}, expected 0 or 1`);
  });
  const squares = new Float64Array(yTrue01.length);
  for (let i = 0; i < squares.length; i++) {
    const p = probPositive[i]!;
    if (p > 1) throw refuse(metric, 'probPositive contains values greater than 1', true);
    if (p < 0) throw refuse(metric, 'probPositive contains values less than 0', true);
    const d = yTrue01[i]! - p;
    squares[i] = d * d;
  }
  return npMean(squares);
}

/**
 * Top-label expected calibration error with equal-width bins on the confidence (scikit-learn has no
 * ECE; the reference is the numpy code in `scripts/goldens/make_evaluation_goldens.py`):
 *
 *   conf_i = max_j probabilities[i][j],  pred_i = labels[argmax_j] (first column on ties),
 *   ECE = Σ_b |B_b| / n · |accuracy(B_b) − mean conf(B_b)|   over non-empty bins b,
 *
 * with bins (0, 1/B], (1/B, 2/B], …, ((B−1)/B, 1] (edges k/B as float64 divisions) and a confidence of
 * exactly 0 in the first bin. Rows need not sum to 1, but every probability must lie in [0, 1]
 * (otherwise the metric is refused as undefined, as the reference does).
 */
export function expectedCalibrationError(
  yTrue: readonly string[],
  probabilities: ReadonlyArray<readonly number[]>,
  labels: readonly string[],
  bins = 10,
): number {
  const metric = 'expectedCalibrationError';
  if (!Number.isInteger(bins) || bins < 1) throw refuse(metric, `bins must be a positive integer, got ${bins}`);
  const { k, n, p, truth } = probabilityInput(metric, yTrue, probabilities, labels);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v < 0 || v > 1) {
      throw refuse(metric, `probabilities[${Math.floor(i / k)}] has a value outside [0, 1] (${v})`, true);
    }
  }
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = b / bins;
  const confidences: number[][] = Array.from({ length: bins }, () => []);
  const correct = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
    const conf = p[i * k + best]!;
    // Smallest e in 1..bins with conf <= edges[e] (numpy searchsorted 'left'); bin e - 1.
    let low = 1;
    let high = bins;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (conf <= edges[mid]!) high = mid;
      else low = mid + 1;
    }
    const bin = low - 1;
    confidences[bin]!.push(conf);
    if (best === truth[i]) correct[bin]! += 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const inBin = confidences[b]!;
    if (inBin.length === 0) continue;
    ece += (inBin.length / n) * Math.abs(correct[b]! / inBin.length - npMean(inBin));
  }
  return ece;
}

// ------------------------------------------------------------------------------------------------
// Report
// ------------------------------------------------------------------------------------------------

export interface ClassificationReportInput {
  yTrue: readonly string[];
  /** Predicted labels; defaults to the top label of `probabilities`. */
  yPred?: readonly string[];
  /** Label order (and the column order of `probabilities`, which requires it). */
  labels?: readonly string[];
  probabilities?: ReadonlyArray<readonly number[]>;
  /** Positive label for the binary metrics; defaults to `labels[1]` when there are two labels. */
  positive?: string;
  /** Bins of the expected calibration error (default 10). */
  bins?: number;
}

export interface BinaryReport {
  positive: string;
  rocAuc: number | null;
  averagePrecision: number;
  /** null when a probability lies outside [0, 1]. */
  brierScore: number | null;
  rocCurve: RocCurve | null;
  precisionRecallCurve: PrecisionRecallCurve;
}

export interface ProbabilisticReport {
  logLoss: number | null;
  /** value is null when a probability lies outside [0, 1]. */
  expectedCalibrationError: { bins: number; value: number | null };
  /** One-vs-rest AUC, for three labels or more. */
  rocAucOvr: { macro: number | null; weighted: number | null } | null;
  /** Binary metrics on the positive label's column (two labels, or `positive` given). */
  binary: BinaryReport | null;
}

export interface ClassificationReport {
  n: number;
  labels: string[];
  accuracy: number;
  confusionMatrix: ConfusionMatrix;
  perClass: ClassMetrics[];
  macro: AveragedMetrics;
  micro: AveragedMetrics;
  weighted: AveragedMetrics;
  probabilistic: ProbabilisticReport | null;
  /** Metrics left null because they are undefined for these inputs, and why. */
  undefinedMetrics: UndefinedMetricNote[];
}

/**
 * Every classification metric above in one JSON-able object (no NaN: metrics undefined for the inputs
 * are null and listed in `undefinedMetrics`). Without `probabilities`, only the label-based metrics.
 */
export function classificationReport(input: ClassificationReportInput): ClassificationReport {
  const metric = 'classificationReport';
  const { yTrue, probabilities } = input;
  if (probabilities && !input.labels) throw refuse(metric, 'labels are required with probabilities (they name its columns)');
  let yPred = input.yPred;
  if (!yPred) {
    if (!probabilities || !input.labels) throw refuse(metric, 'give yPred or probabilities');
    const labels = input.labels;
    checkSameLength(metric, yTrue, probabilities, ['yTrue', 'probabilities']);
    const p = probabilityMatrix(metric, probabilities, labels.length);
    const k = labels.length;
    yPred = probabilities.map((_, i) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
      return labels[best]!;
    });
  }
  const notes: UndefinedMetricNote[] = [];
  const scores = precisionRecallF1(yTrue, yPred, input.labels);
  const report: ClassificationReport = {
    n: yTrue.length,
    labels: scores.labels,
    accuracy: accuracy(yTrue, yPred),
    confusionMatrix: confusionMatrix(yTrue, yPred, input.labels),
    perClass: scores.perClass,
    macro: scores.macro,
    micro: scores.micro,
    weighted: scores.weighted,
    probabilistic: null,
    undefinedMetrics: notes,
  };
  if (!probabilities || !input.labels) return report;

  const labels = input.labels;
  const bins = input.bins ?? 10;
  const positive = input.positive ?? (labels.length === 2 ? labels[1] : undefined);
  let binary: BinaryReport | null = null;
  if (positive !== undefined) {
    const column = labels.indexOf(positive);
    if (column < 0) throw refuse(metric, `positive "${positive}" is not one of the labels`);
    const positiveScores = probabilities.map((row) => row[column]!);
    const bin = binaryInput(metric, yTrue, positiveScores, positive);
    const bothClasses = bin.nPositive > 0 && bin.nPositive < yTrue.length;
    if (!bothClasses) notes.push({ metric: 'rocCurve', reason: 'rocCurve: yTrue holds only one class' });
    binary = {
      positive,
      rocAuc: orNull('rocAuc', notes, () => rocAuc(yTrue, positiveScores, positive)),
      averagePrecision: averagePrecisionOf(bin),
      brierScore: orNull('brierScore', notes, () => brierScore(Array.from(bin.positives), positiveScores)),
      rocCurve: bothClasses ? rocCurveOf(bin) : null,
      precisionRecallCurve: precisionRecallCurveOf(bin),
    };
  }
  report.probabilistic = {
    logLoss: orNull('logLoss', notes, () => logLoss(yTrue, probabilities, labels)),
    expectedCalibrationError: {
      bins,
      value: orNull('expectedCalibrationError', notes, () => expectedCalibrationError(yTrue, probabilities, labels, bins)),
    },
    rocAucOvr:
      labels.length >= 3
        ? {
            macro: orNull('rocAucOvr.macro', notes, () => rocAucOvr(yTrue, probabilities, labels, 'macro')),
            weighted: orNull('rocAucOvr.weighted', notes, () => rocAucOvr(yTrue, probabilities, labels, 'weighted')),
          }
        : null,
    binary,
  };
  return report;
}
