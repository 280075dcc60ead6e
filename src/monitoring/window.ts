import { accuracy, mae, precisionRecallF1, rmse } from '../evaluation/index.js';
import type { Feature, VersionView } from '../registry/index.js';
import { computeDrift, type ColumnDrift, type ColumnSample, type DriftReport } from './drift/index.js';
import type { LoggedPrediction } from './prediction-store.js';
import { columnsOf, featuresOf, tabularInputOf, type DriftReference } from './reference.js';

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export interface PerformanceSummary {
  task: 'classification' | 'regression';
  /** Predictions in the window that have a feedback label. */
  labelled: number;
  accuracy?: number;
  precision_macro?: number;
  recall_macro?: number;
  f1_macro?: number;
  /** The version's card accuracy, and how far below it the window is (absolute; positive = worse). */
  card_accuracy?: number;
  accuracy_drop?: number;
  mae?: number;
  rmse?: number;
}

export interface FeatureQuality {
  feature: string;
  missing_share: number;
  out_of_range_share: number;
  unseen_category_share: number;
  type_error_share: number;
  non_finite_share: number;
}

export interface DataQuality {
  /** Logged rows (served and refused) whose inputs were checked. */
  rows: number;
  /** Shares over all feature cells; the per-feature shares are in `features`. */
  missing_share: number;
  out_of_range_share: number;
  unseen_category_share: number;
  type_error_share: number;
  non_finite_share: number;
  features: FeatureQuality[];
}

export interface WindowDrift extends DriftReport {
  /** Drift of the model's outputs: predicted label (or value) and confidence. */
  prediction: ColumnDrift[];
}

export interface VersionWindow {
  version: number;
  /** Logged predictions (a refused request counts once). */
  requests: number;
  served: number;
  refused: number;
  /** Server-side failures (5xx). */
  errors: number;
  error_rate: number;
  refused_share: number;
  refused_by_reason: Record<string, number>;
  throughput_rps: number;
  latency_ms: LatencySummary | null;
  predictions: { label_counts?: Record<string, number>; mean_confidence?: number; mean_value?: number };
  performance: PerformanceSummary | null;
  data_quality: DataQuality | null;
  drift: WindowDrift | null;
  /** Why drift is absent, when it is. */
  drift_note?: string;
  /** Per A/B variant, when the window has predictions routed by a test. */
  variants?: VariantWindow[];
}

export interface VariantWindow {
  variant: string;
  requests: number;
  served: number;
  errors: number;
  error_rate: number;
  latency_ms: LatencySummary | null;
  performance: PerformanceSummary | null;
}

export interface WindowOptions {
  hours: number;
  driftShare: number;
  correction: 'none' | 'bonferroni' | 'bh';
  minCurrentRows: number;
}

/** numpy 'linear' percentile of a sorted array. */
function percentile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

function latencyOf(rows: readonly LoggedPrediction[]): LatencySummary | null {
  if (rows.length === 0) return null;
  const sorted = rows.map((r) => r.latency_ms).sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), mean, max: sorted[sorted.length - 1]! };
}

function outputOf(row: LoggedPrediction): { label?: string; confidence?: number; value?: number } {
  const o = row.outputs;
  if (o === null || typeof o !== 'object') return {};
  const out = o as Record<string, unknown>;
  const result: { label?: string; confidence?: number; value?: number } = {};
  if (typeof out['label'] === 'string') result.label = out['label'];
  if (typeof out['confidence'] === 'number') result.confidence = out['confidence'];
  if (typeof out['value'] === 'number') result.value = out['value'];
  return result;
}

function performanceOf(served: readonly LoggedPrediction[], view: Pick<VersionView, 'card'>): PerformanceSummary | null {
  const labelled = served.filter((r) => r.label !== undefined);
  if (labelled.length === 0) return null;
  const task = view.card.task;
  if (task === 'regression') {
    const pairs = labelled.map((r) => [Number(r.label), outputOf(r).value] as const).filter((p): p is readonly [number, number] => Number.isFinite(p[0]) && typeof p[1] === 'number');
    if (pairs.length === 0) return null;
    const truth = pairs.map((p) => p[0]);
    const predicted = pairs.map((p) => p[1]);
    return { task: 'regression', labelled: pairs.length, mae: mae(truth, predicted), rmse: rmse(truth, predicted) };
  }
  const pairs = labelled.map((r) => [String(r.label), outputOf(r).label] as const).filter((p): p is readonly [string, string] => typeof p[1] === 'string');
  if (pairs.length === 0) return null;
  const truth = pairs.map((p) => p[0]);
  const predicted = pairs.map((p) => p[1]);
  const prf = precisionRecallF1(truth, predicted);
  const summary: PerformanceSummary = {
    task: 'classification',
    labelled: pairs.length,
    accuracy: accuracy(truth, predicted),
    precision_macro: prf.macro.precision,
    recall_macro: prf.macro.recall,
    f1_macro: prf.macro.f1,
  };
  const cardAccuracy = view.card.metrics?.['accuracy'];
  if (typeof cardAccuracy === 'number') {
    summary.card_accuracy = cardAccuracy;
    summary.accuracy_drop = cardAccuracy - summary.accuracy!;
  }
  return summary;
}

const NON_FINITE = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);

/**
 * Checks every logged instance (served or refused) against the card: missing features, numbers outside
 * min/max, categories the card does not list, wrong types, and NaN/Infinity sent as strings (JSON has
 * no other way to carry them).
 */
export function dataQualityOf(rows: readonly LoggedPrediction[], input: { name: string; features: readonly Feature[] }): DataQuality | null {
  const instances = rows.map((r) => featuresOf(r.inputs, input.name)).filter((x): x is Record<string, unknown> => x !== undefined && !('_omitted' in x));
  if (instances.length === 0) return null;
  const features: FeatureQuality[] = input.features.map((feature) => {
    let missing = 0;
    let outOfRange = 0;
    let unseen = 0;
    let typeError = 0;
    let nonFinite = 0;
    const categories = feature.type === 'category' ? new Set(feature.values) : undefined;
    for (const instance of instances) {
      const v = instance[feature.name];
      if (v === undefined || v === null || v === '') {
        missing++;
        continue;
      }
      if (feature.type === 'number') {
        if (typeof v === 'string' && NON_FINITE.has(v.trim().toLowerCase())) nonFinite++;
        else if (typeof v !== 'number') typeError++;
        else if (!Number.isFinite(v)) nonFinite++;
        else if ((feature.min !== undefined && v < feature.min) || (feature.max !== undefined && v > feature.max)) outOfRange++;
      } else if (typeof v !== 'string') typeError++;
      else if (!categories!.has(v)) unseen++;
    }
    const n = instances.length;
    return { feature: feature.name, missing_share: missing / n, out_of_range_share: outOfRange / n, unseen_category_share: unseen / n, type_error_share: typeError / n, non_finite_share: nonFinite / n };
  });
  const mean = (key: keyof Omit<FeatureQuality, 'feature'>) => features.reduce((s, f) => s + f[key], 0) / features.length;
  return {
    rows: instances.length,
    missing_share: mean('missing_share'),
    out_of_range_share: mean('out_of_range_share'),
    unseen_category_share: mean('unseen_category_share'),
    type_error_share: mean('type_error_share'),
    non_finite_share: mean('non_finite_share'),
    features,
  };
}

function predictionColumns(served: readonly LoggedPrediction[]): ColumnSample[] {
  const outs = served.map(outputOf);
  const columns: ColumnSample[] = [];
  if (outs.some((o) => o.label !== undefined)) columns.push({ name: 'label', kind: 'categorical', categories: outs.map((o) => o.label ?? null) });
  if (outs.some((o) => o.confidence !== undefined)) columns.push({ name: 'confidence', kind: 'numeric', numbers: Float64Array.from(outs, (o) => o.confidence ?? Number.NaN) });
  if (outs.some((o) => o.value !== undefined)) columns.push({ name: 'value', kind: 'numeric', numbers: Float64Array.from(outs, (o) => o.value ?? Number.NaN) });
  return columns;
}

/** Everything monitoring says about one version over one window of the prediction log. */
export function summarizeVersion(rows: readonly LoggedPrediction[], view: Pick<VersionView, 'card' | 'version'>, reference: DriftReference | undefined, options: WindowOptions): VersionWindow {
  const served = rows.filter((r) => r.status < 400);
  const refusedRows = rows.filter((r) => r.status >= 400 && r.status < 500);
  const errors = rows.filter((r) => r.status >= 500).length;
  const refusedByReason: Record<string, number> = {};
  for (const r of refusedRows) refusedByReason[r.error_code ?? 'unknown'] = (refusedByReason[r.error_code ?? 'unknown'] ?? 0) + 1;
  const outs = served.map(outputOf);
  const labelCounts: Record<string, number> = {};
  let confidenceSum = 0;
  let confidenceN = 0;
  let valueSum = 0;
  let valueN = 0;
  for (const o of outs) {
    if (o.label !== undefined) labelCounts[o.label] = (labelCounts[o.label] ?? 0) + 1;
    if (o.confidence !== undefined) {
      confidenceSum += o.confidence;
      confidenceN++;
    }
    if (o.value !== undefined) {
      valueSum += o.value;
      valueN++;
    }
  }
  const predictions: VersionWindow['predictions'] = {};
  if (Object.keys(labelCounts).length > 0) predictions.label_counts = labelCounts;
  if (confidenceN > 0) predictions.mean_confidence = confidenceSum / confidenceN;
  if (valueN > 0) predictions.mean_value = valueSum / valueN;

  const input = tabularInputOf(view);
  const byVariant = new Map<string, LoggedPrediction[]>();
  for (const r of rows) {
    if (!r.variant) continue;
    // Pushed, not copied: a copy per row made a 100k-row window of an A/B test take minutes.
    const list = byVariant.get(r.variant);
    if (list) list.push(r);
    else byVariant.set(r.variant, [r]);
  }
  const summary: VersionWindow = {
    version: view.version,
    requests: rows.length,
    served: served.length,
    refused: refusedRows.length,
    errors,
    error_rate: rows.length === 0 ? 0 : errors / rows.length,
    refused_share: rows.length === 0 ? 0 : refusedRows.length / rows.length,
    refused_by_reason: refusedByReason,
    throughput_rps: rows.length / (options.hours * 3600),
    latency_ms: latencyOf(served),
    predictions,
    performance: performanceOf(served, view),
    data_quality: input ? dataQualityOf(rows, input) : null,
    drift: null,
  };
  if (byVariant.size > 0) {
    summary.variants = [...byVariant.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([variant, list]) => {
      const ok = list.filter((r) => r.status < 400);
      const failed = list.filter((r) => r.status >= 500).length;
      return { variant, requests: list.length, served: ok.length, errors: failed, error_rate: failed / list.length, latency_ms: latencyOf(ok), performance: performanceOf(ok, view) };
    });
  }

  if (!input) summary.drift_note = 'drift is computed for models with one tabular input';
  else if (!reference) summary.drift_note = `no drift reference for v${view.version}: set one with \`berth versions reference\` (or PUT /v1/models/{name}/versions/{v}/reference)`;
  else if (served.length < options.minCurrentRows) summary.drift_note = `${served.length} served predictions in the window; drift needs at least ${options.minCurrentRows} (monitoring.drift.min_current_rows)`;
  else {
    const current = columnsOf(served.map((r) => featuresOf(r.inputs, input.name)), input.features);
    const report = computeDrift(reference.sketch, current, { driftShare: options.driftShare, correction: options.correction });
    const predictionDrift = reference.predictions.sketch.columns.length > 0 ? computeDrift(reference.predictions.sketch, predictionColumns(served), { correction: 'none' }).columns : [];
    summary.drift = { ...report, prediction: predictionDrift };
  }
  return summary;
}
