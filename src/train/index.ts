/**
 * The built-in tabular trainer: CSV-style records in, an ONNX model and its card out, ready to register
 * and serve. Deterministic for a given seed; features are encoded by the serving codec itself.
 */
export { trainTabular } from './train-tabular.js';
export { splitRows } from './split.js';
export { summarizeSeeds, ensembleModel } from './ensemble.js';
export { readTrainingCsv } from './csv.js';
export type { Algo, EpochMetrics, MetricSummary, TrainOptions, TrainResult, TrainTask } from './types.js';
export { trainModel, DEFAULT_TRAINING_EXPERIMENT, type TrainModelOptions, type TrainModelResult } from './train-model.js';
