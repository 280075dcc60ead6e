/**
 * Evaluating a registered model version on labelled rows: the rows go through the very inference code
 * serving uses (`LoadedModel`: the card's codecs, batching and output decoding), and the predictions
 * through the scikit-learn-exact metrics of this module. Rows the model refuses (a missing feature, a
 * string in a number column, a label the model does not know) are counted and listed by index; they
 * never fail the evaluation as a whole.
 *
 * `compareVersions` is the champion/challenger gate on top: the challenger wins only when it beats the
 * champion by at least a minimum absolute and relative change.
 */
import type { Berth } from '../context/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { Prediction } from '../inference/index.js';
import type { VersionView } from '../registry/index.js';
import { classificationReport, type ClassificationReport } from './classification.js';
import { regressionReport, type RegressionReport } from './regression.js';

/** Rows predicted per call into the loaded model (the batcher splits them further into runs). */
export const EVALUATION_CHUNK_ROWS = 1000;

export interface EvaluateModelOptions {
  model: string;
  version?: number | undefined;
  alias?: string | undefined;
  /** One object per example: the model's inputs (feature names for a tabular card) plus the label column. */
  rows: ReadonlyArray<Record<string, unknown>>;
  /** The column holding the true label (classification) or target value (regression); removed from the inputs. */
  label: string;
  /** Positive label of the binary metrics (ROC, PR, Brier); default: the card's second label, as scikit-learn. */
  positive?: string | undefined;
}

export interface RefusedRow {
  /** Index into `rows` (0-based). */
  row: number;
  message: string;
}

export interface ClassPrediction {
  row: number;
  truth: string;
  label: string;
  confidence: number;
  /** In `labels` order. */
  probabilities: number[];
}

export interface ValuePrediction {
  row: number;
  truth: number;
  value: number;
}

export interface BinaryCurves {
  positive: string;
  /** null when the evaluated rows hold only one class. */
  roc: { fpr: number[]; tpr: number[]; auc: number | null } | null;
  pr: { precision: number[]; recall: number[]; averagePrecision: number; /** Share of positives: the PR curve of a random model. */ prevalence: number };
}

interface EvaluationBase {
  model: string;
  version: number;
  /** The label column. */
  label: string;
  /** Rows given. */
  rows: number;
  /** Rows predicted and scored (`rows - refused.length`). */
  evaluated: number;
  refused: RefusedRow[];
  /** Flat scalar metrics (accuracy, f1_macro, roc_auc, log_loss, ... or mae, rmse, r2, ...); undefined metrics are left out. */
  metrics: Record<string, number>;
  /** The metrics recorded on the card at registration, for reference. */
  cardMetrics: Record<string, number>;
}

export interface ClassificationEvaluation extends EvaluationBase {
  task: 'classification';
  labels: string[];
  report: ClassificationReport;
  /** ROC and precision-recall curves of the positive label; null for three labels or more. */
  curves: BinaryCurves | null;
  /** Confidence (probability of the predicted label) of every evaluated row. */
  confidences: number[];
  predictions: ClassPrediction[];
}

export interface RegressionEvaluation extends EvaluationBase {
  task: 'regression';
  report: RegressionReport;
  curves: null;
  confidences: [];
  /** truth − prediction of every evaluated row. */
  residuals: number[];
  predictions: ValuePrediction[];
}

export type ModelEvaluation = ClassificationEvaluation | RegressionEvaluation;

/** How the card's outputs are read: which kind of evaluation the version supports. */
type Target = { task: 'classification'; labels: string[] | undefined } | { task: 'regression' };

function targetOf(version: VersionView): Target {
  // The same reading as the decoder (decoders.ts): the first output decodes, and later ones unless raw tensors.
  const outputs = version.card.outputs.map((o, index) => ({ index, kind: o.kind ?? (o.labels ? 'probabilities' : 'tensor'), labels: o.labels }));
  const decoded = outputs.filter((o) => o.index === 0 || o.kind !== 'tensor');
  const classOut = decoded.find((o) => o.kind === 'probabilities' || o.kind === 'logits');
  const valueOut = decoded.find((o) => o.kind === 'value');
  if (classOut && (!valueOut || classOut.index < valueOut.index)) return { task: 'classification', labels: classOut.labels };
  if (valueOut) return { task: 'regression' };
  throw new BerthError(
    'invalid_input',
    `${version.model} v${version.version} (task '${version.card.task}') cannot be evaluated: its card declares no output of kind probabilities/logits (classification) or value (regression)`,
    { model: version.model, version: version.version },
  );
}

function isInvalidInput(err: unknown): err is BerthError {
  return err instanceof BerthError && err.code === 'invalid_input';
}

/** A label cell as a class name: strings as they are, numbers and booleans spelled out. */
function classOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function targetValueOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Key-safe metric name part (MLflow keys allow alphanumerics, `_ - . / space`). */
function metricKeySafe(label: string): boolean {
  return /^[\w\-. ]{1,200}$/.test(label);
}

function classificationMetrics(report: ClassificationReport): Record<string, number> {
  const m: Record<string, number> = {
    accuracy: report.accuracy,
    precision_macro: report.macro.precision,
    recall_macro: report.macro.recall,
    f1_macro: report.macro.f1,
    precision_weighted: report.weighted.precision,
    recall_weighted: report.weighted.recall,
    f1_weighted: report.weighted.f1,
  };
  const p = report.probabilistic;
  const set = (key: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) m[key] = value;
  };
  if (p) {
    set('log_loss', p.logLoss);
    set('ece', p.expectedCalibrationError.value);
    set('roc_auc_ovr', p.rocAucOvr?.macro);
    set('roc_auc_ovr_weighted', p.rocAucOvr?.weighted);
    set('roc_auc', p.binary?.rocAuc);
    set('average_precision', p.binary?.averagePrecision);
    set('brier_score', p.binary?.brierScore);
  }
  for (const c of report.perClass) {
    if (!metricKeySafe(c.label)) continue;
    m[`precision.${c.label}`] = c.precision;
    m[`recall.${c.label}`] = c.recall;
    m[`f1.${c.label}`] = c.f1;
  }
  return m;
}

function regressionMetrics(report: RegressionReport): Record<string, number> {
  const m: Record<string, number> = { mae: report.mae, mse: report.mse, rmse: report.rmse, mape: report.mape };
  if (report.r2 !== null) m['r2'] = report.r2;
  return m;
}

/**
 * Evaluates a model version on labelled rows. The version is resolved like serving resolves it (an
 * explicit version, else the alias, default `production`, else the latest ready version) and loaded
 * through `LoadedModel` with an inline executor; archived versions can be evaluated too.
 *
 * Classification (an output of kind probabilities/logits) is scored with `classificationReport` on the
 * probabilities, labels in the card's order; regression (an output of kind value) with
 * `regressionReport`. Throws when no row could be evaluated.
 */
export async function evaluateModel(berth: Pick<Berth, 'registry' | 'config'>, options: EvaluateModelOptions): Promise<ModelEvaluation> {
  const { rows, label } = options;
  if (typeof label !== 'string' || label === '') throw new BerthError('invalid_input', `label must name the column holding the truth, got ${describeValue(label)}`);
  if (!Array.isArray(rows) || rows.length === 0) throw new BerthError('invalid_input', 'there are no rows to evaluate');
  if (!rows.some((r) => r !== null && typeof r === 'object' && Object.hasOwn(r, label))) {
    const first = rows[0];
    const columns = first && typeof first === 'object' ? Object.keys(first) : [];
    throw new BerthError('invalid_input', `no row has the label column '${label}'${columns.length ? ` (columns: ${columns.slice(0, 40).join(', ')}${columns.length > 40 ? ', ...' : ''})` : ''}`, { label });
  }

  const resolved = await berth.registry.resolveVersion(options.model, { version: options.version, alias: options.alias });
  const { version: view, bytes } = await berth.registry.readArtifact(resolved.model, resolved.version);
  const target = targetOf(view);
  const knownLabels = target.task === 'classification' && target.labels ? new Set(target.labels) : undefined;
  if (options.positive !== undefined && knownLabels && !knownLabels.has(options.positive)) {
    throw new BerthError('invalid_input', `positive label '${options.positive}' is not one of the model's labels (${[...knownLabels].join(', ')})`);
  }

  // Split every row into truth and model inputs; a row without a usable truth is refused up front.
  const refused: RefusedRow[] = [];
  const items: Array<{ row: number; truth: string | number; features: Record<string, unknown> }> = [];
  rows.forEach((row, index) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      refused.push({ row: index, message: `expected an object of column values, got ${describeValue(row)}` });
      return;
    }
    const { [label]: raw, ...features } = row;
    const truth = target.task === 'classification' ? classOf(raw) : targetValueOf(raw);
    if (truth === undefined) {
      refused.push({
        row: index,
        message: raw === undefined || raw === null || raw === '' ? `label '${label}' is missing` : `label '${label}': ${target.task === 'regression' ? 'expected a finite number' : 'expected a class name'}, got ${describeValue(raw)}`,
      });
      return;
    }
    if (knownLabels && !knownLabels.has(truth as string)) {
      refused.push({ row: index, message: `label '${label}': '${String(truth)}' is not one of the model's labels (${[...knownLabels].join(', ')})` });
      return;
    }
    items.push({ row: index, truth, features });
  });

  const predicted: Array<{ item: (typeof items)[number]; prediction: Prediction }> = [];
  const outcome = await predictRows(berth, view, bytes, items.map((i) => ({ row: i.row, features: i.features })));
  refused.push(...outcome.refused);
  const byRow = new Map(items.map((i) => [i.row, i]));
  for (const p of outcome.predicted) predicted.push({ item: byRow.get(p.row)!, prediction: p.prediction });
  refused.sort((a, b) => a.row - b.row);

  if (predicted.length === 0) {
    const first = refused[0];
    throw new BerthError('invalid_input', `none of the ${rows.length} rows could be evaluated${first ? `; row ${first.row}: ${first.message}` : ''}`, { refused: refused.slice(0, 20) });
  }

  const base = {
    model: view.model,
    version: view.version,
    label,
    rows: rows.length,
    evaluated: predicted.length,
    refused,
    cardMetrics: { ...(view.card.metrics ?? {}) },
  };

  if (target.task === 'regression') {
    const out: ValuePrediction[] = predicted.map(({ item, prediction }) => {
      const value = prediction.value;
      if (typeof value !== 'number') {
        throw new BerthError('invalid_input', `${view.model} v${view.version} returns ${describeValue(value)} per row, not one number: regression evaluation needs one value per row`);
      }
      return { row: item.row, truth: item.truth as number, value };
    });
    const report = regressionReport(out.map((p) => p.truth), out.map((p) => p.value));
    return { ...base, task: 'regression', metrics: regressionMetrics(report), report, curves: null, confidences: [], residuals: out.map((p) => p.truth - p.value), predictions: out };
  }

  const first = predicted[0]!.prediction;
  const labels = target.labels ?? Object.keys(first.probabilities ?? {});
  const out: ClassPrediction[] = predicted.map(({ item, prediction }) => {
    const probabilities = labels.map((l) => prediction.probabilities?.[l] ?? Number.NaN);
    return { row: item.row, truth: item.truth as string, label: prediction.label!, confidence: prediction.confidence!, probabilities };
  });
  const report = classificationReport({
    yTrue: out.map((p) => p.truth),
    yPred: out.map((p) => p.label),
    labels,
    probabilities: out.map((p) => p.probabilities),
    positive: options.positive,
  });
  const binary = report.probabilistic?.binary ?? null;
  const curves: BinaryCurves | null = binary
    ? {
        positive: binary.positive,
        roc: binary.rocCurve ? { fpr: binary.rocCurve.fpr, tpr: binary.rocCurve.tpr, auc: binary.rocAuc } : null,
        pr: {
          precision: binary.precisionRecallCurve.precision,
          recall: binary.precisionRecallCurve.recall,
          averagePrecision: binary.averagePrecision,
          prevalence: out.filter((p) => p.truth === binary.positive).length / out.length,
        },
      }
    : null;
  return { ...base, task: 'classification', labels, metrics: classificationMetrics(report), report, curves, confidences: out.map((p) => p.confidence), predictions: out };
}

/**
 * The evaluation without its per-row arrays (predictions, confidences, residuals, curve points): what a
 * script wants in JSON, and what stays small for any number of rows.
 */
export function evaluationSummary(evaluation: ModelEvaluation): Record<string, unknown> {
  const { predictions: _p, confidences: _c, curves, report, ...rest } = evaluation;
  const summary: Record<string, unknown> = { ...rest };
  delete summary['residuals'];
  if (evaluation.task === 'classification') {
    const r = evaluation.report;
    const binary = r.probabilistic?.binary;
    summary['report'] = {
      ...r,
      probabilistic: r.probabilistic && {
        ...r.probabilistic,
        binary: binary && { positive: binary.positive, rocAuc: binary.rocAuc, averagePrecision: binary.averagePrecision, brierScore: binary.brierScore },
      },
    };
    summary['curves'] = curves && { positive: curves.positive, roc_points: curves.roc?.fpr.length ?? 0, pr_points: curves.pr.recall.length };
  } else {
    summary['report'] = report;
  }
  return summary;
}

// ------------------------------------------------------------------------------------------------
// Champion / challenger
// ------------------------------------------------------------------------------------------------

export interface CompareOptions {
  /** true: a larger value is better (accuracy, f1, roc_auc, r2); false: smaller is better (log_loss, rmse). */
  higherIsBetter: boolean;
  /** The least improvement, in the metric's units, that counts (default 0: any improvement). */
  minAbsolute?: number | undefined;
  /** The least improvement relative to a's value, e.g. 0.01 = 1% (default 0). */
  minRelative?: number | undefined;
}

export interface Verdict {
  metric: string;
  higherIsBetter: boolean;
  a: number;
  b: number;
  /** 'b' only when b beats a by at least both minimums; 'a' when a beats b by as much; else 'tie'. */
  winner: 'a' | 'b' | 'tie';
  /** b − a. */
  delta: number;
  /** (b − a) / |a|; null when a is 0. */
  relative: number | null;
  /** The verdict in one sentence. */
  reason: string;
}

/**
 * Predicts rows through the serving code (`LoadedModel` with an inline executor), in chunks; a chunk
 * with a refused row is retried row by row so only that row is refused. Used by evaluation and the
 * pipelines' batch-predict step.
 */
export async function predictRows(
  berth: Pick<Berth, 'config'>,
  view: VersionView,
  bytes: Uint8Array,
  items: ReadonlyArray<{ row: number; features: Record<string, unknown> }>,
): Promise<{ predicted: Array<{ row: number; prediction: Prediction }>; refused: RefusedRow[] }> {
  // Imported here, not at the top: the metric functions of this module stay free of onnxruntime and sharp.
  const { InlineExecutor, LoadedModel } = await import('../inference/index.js');
  const inference = berth.config.inference;
  const executor = await InlineExecutor.create(bytes, { intraOpThreads: inference.intra_op_threads, interOpThreads: inference.inter_op_threads, graphOptimization: inference.graph_optimization });
  const maxBatchSize = inference.max_batch_size;
  const loaded = new LoadedModel(
    view,
    executor,
    { maxBatchSize, maxQueueDelayUs: 0, maxQueueRows: Math.max(inference.max_queue_rows, 2 * maxBatchSize, EVALUATION_CHUNK_ROWS) },
    { maxPixels: inference.max_image_pixels, maxBytes: inference.max_image_bytes },
  );
  const refused: RefusedRow[] = [];
  const predicted: Array<{ row: number; prediction: Prediction }> = [];
  try {
    for (let start = 0; start < items.length; start += EVALUATION_CHUNK_ROWS) {
      let chunk = items.slice(start, start + EVALUATION_CHUNK_ROWS);
      let predictions: Prediction[];
      try {
        predictions = (await loaded.predict(chunk.map((i) => i.features))).predictions;
      } catch (err) {
        if (!isInvalidInput(err)) throw err;
        const good: typeof chunk = [];
        for (const item of chunk) {
          try {
            await loaded.encode([item.features], () => '');
            good.push(item);
          } catch (rowErr) {
            if (!isInvalidInput(rowErr)) throw rowErr;
            refused.push({ row: item.row, message: rowErr.message });
          }
        }
        chunk = good;
        predictions = chunk.length > 0 ? (await loaded.predict(chunk.map((i) => i.features))).predictions : [];
      }
      chunk.forEach((item, i) => predicted.push({ row: item.row, prediction: predictions[i]! }));
    }
  } finally {
    await loaded.retire();
  }
  return { predicted, refused };
}

/** What compareVersions needs of each side: its metrics and, for the wording, its version. */
export interface Comparable {
  version?: number | undefined;
  metrics: Readonly<Record<string, number>>;
}

/** Metrics where a larger value is better (true) or worse (false); undefined when not known. */
export function higherIsBetterDefault(metric: string): boolean | undefined {
  const base = metric.split('.')[0]!;
  if (/^(accuracy|precision|recall|f1|roc_auc|average_precision|r2|auc)(_|$)/.test(base)) return true;
  if (/^(log_loss|brier_score|ece|mae|mse|rmse|mape|loss|error)(_|$)/.test(base)) return false;
  return undefined;
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(3);
  return String(Number(value.toPrecision(6)));
}

function signed(value: number, text: string): string {
  return value > 0 ? `+${text}` : text;
}

/**
 * The champion/challenger gate on one metric: a is the champion (e.g. production), b the challenger.
 * b wins only when its improvement over a is strictly positive and at least `minAbsolute` and at least
 * `minRelative` × |a|; a wins when a beats b by as much; anything smaller is a tie (and the champion
 * stays). "At least" allows for float noise (1e-12), so a change of exactly the margin clears it. When
 * a is 0, any improvement clears the relative minimum.
 */
export function compareVersions(a: Comparable, b: Comparable, metric: string, options: CompareOptions): Verdict {
  const minAbsolute = options.minAbsolute ?? 0;
  const minRelative = options.minRelative ?? 0;
  if (!(minAbsolute >= 0) || !Number.isFinite(minAbsolute)) throw new BerthError('invalid_input', `minAbsolute must be a finite number >= 0, got ${describeValue(options.minAbsolute)}`);
  if (!(minRelative >= 0) || !Number.isFinite(minRelative)) throw new BerthError('invalid_input', `minRelative must be a finite number >= 0, got ${describeValue(options.minRelative)}`);
  const name = (side: Comparable, fallback: string) => (side.version !== undefined ? `v${side.version}` : fallback);
  const nameA = name(a, 'a');
  const nameB = name(b, 'b');
  const valueOf = (side: Comparable, sideName: string): number => {
    const v = side.metrics[metric];
    if (v === undefined) {
      const known = Object.keys(side.metrics).filter((k) => !k.includes('.'));
      throw new BerthError('invalid_input', `${sideName} has no metric '${metric}'${known.length ? ` (it has ${known.join(', ')})` : ''}`, { metric });
    }
    if (!Number.isFinite(v)) throw new BerthError('invalid_input', `metric '${metric}' of ${sideName} is ${v}, not a finite number`, { metric });
    return v;
  };
  const va = valueOf(a, nameA);
  const vb = valueOf(b, nameB);
  const delta = vb - va;
  const relative = va === 0 ? null : delta / Math.abs(va);
  const improvement = options.higherIsBetter ? delta : -delta;
  // "At least" the margin, with a tolerance for float noise: 0.92 - 0.9 must clear a margin of 0.02.
  const slack = 1e-12 * Math.max(1, Math.abs(va), Math.abs(vb));
  const clears = (gain: number) => gain > 0 && gain + slack >= minAbsolute && (va === 0 || gain / Math.abs(va) + 1e-12 >= minRelative);
  const winner: Verdict['winner'] = clears(improvement) ? 'b' : clears(-improvement) ? 'a' : 'tie';

  const change = `${signed(delta, fmt(delta))}${relative === null ? '' : `, ${signed(relative, `${Number((relative * 100).toPrecision(3))}%`)}`}`;
  const direction = options.higherIsBetter ? 'higher is better' : 'lower is better';
  const gate: string[] = [];
  if (minAbsolute > 0) gate.push(`${fmt(minAbsolute)} absolute`);
  if (minRelative > 0) gate.push(`${fmt(minRelative * 100)}% relative`);
  const margin = gate.length ? `the required margin of ${gate.join(' and ')}` : '';
  let reason: string;
  if (winner === 'b') {
    reason = `${nameB} wins on ${metric}: ${fmt(va)} → ${fmt(vb)} (${change}; ${direction}), ${margin ? `clearing ${margin}` : 'an improvement (no margin required)'}.`;
  } else if (winner === 'a') {
    reason = `${nameA} wins on ${metric}: ${nameB} scores ${fmt(vb)} against ${fmt(va)} (${change}; ${direction})${margin ? `, worse by at least ${margin}` : ''}.`;
  } else if (delta === 0) {
    reason = `Tie on ${metric}: both score ${fmt(va)}, so ${nameA} stays.`;
  } else {
    reason = `Tie on ${metric}: ${fmt(va)} → ${fmt(vb)} (${change}; ${direction}) is within ${margin}, so ${nameA} stays.`;
  }
  return { metric, higherIsBetter: options.higherIsBetter, a: va, b: vb, winner, delta, relative, reason };
}
