/**
 * Data drift as Evidently computes it by default (legacy DataDriftPreset): per column a statistical
 * test or distance chosen by the column's kind, size and distinct values, and dataset drift when enough
 * columns drift. Pure functions over column data, so the CLI (on CSV files) and the server (over the
 * prediction log, against a reference sketch stored per model version) share them.
 */
export type { ColumnDrift, ColumnSample, DriftColumnKind, DriftMethod, DriftOptions, DriftReport, ReferenceColumn, ReferenceSketch } from './types.js';
export { DRIFT_METHODS, P_VALUE_METHODS } from './types.js';
export { DEFAULT_MAX_SAMPLE, DISCRETE_MAX_VALUES, sketchReference } from './sketch.js';
export { chooseMethod, computeDrift, DEFAULT_DRIFT_SHARE, DEFAULT_THRESHOLDS } from './compute.js';
export { readCsvColumns } from './csv.js';
export { driftHistograms, renderDriftHtml, type DriftHistogram } from './report-html.js';
