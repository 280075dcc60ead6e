import type { ModelCard } from '../registry/index.js';

export type Algo = 'logreg' | 'mlp';
export type TrainTask = 'classification' | 'regression';

export interface EpochMetrics {
  epoch: number;
  /** Mean data loss on the training rows (cross-entropy, or squared error in the label's units), without the L2 term. */
  train_loss: number;
  valid_loss?: number;
  valid_accuracy?: number;
  valid_rmse?: number;
}

export interface TrainOptions {
  /** The label column. */
  label: string;
  /** Default 'logreg' (with a regression task: ridge regression). */
  algo?: Algo;
  /** Default: classification when the label is non-numeric or has at most 20 distinct integer values. */
  task?: TrainTask;
  /** Default: every column but the label; numeric columns become 'number' features, others 'category'. */
  features?: string[];
  /** Share of rows held out for validation, in [0, 0.9]; default 0.2; stratified for classification. */
  validSplit?: number;
  /** Integer in [0, 2^32 − 1]; default 1. Drives the split, MLP init and shuffling. */
  seed?: number;
  /** logreg: most L-BFGS iterations (default 1000, it usually stops earlier); mlp: epochs (default 200). */
  epochs?: number;
  /** mlp only (Adam), default 0.001. logreg uses L-BFGS, which needs none. */
  learningRate?: number;
  /** Weight of ½‖W‖² against the summed loss. logreg default 1 (scikit-learn's C = 1); mlp default 1e-4 (scikit-learn MLP's alpha). */
  l2?: number;
  /** mlp only: hidden layer sizes, default [32]. */
  hidden?: number[];
  /** mlp only: rows per Adam step, default 32. */
  batchSize?: number;
  description?: string;
  /** Called once per epoch (logreg: per L-BFGS iteration). */
  onEpoch?: (metrics: EpochMetrics) => void;
}

export interface TrainResult {
  onnx: Uint8Array;
  card: ModelCard;
  /** Validation metrics (training metrics when there is no validation row); the same as card.metrics. */
  metrics: Record<string, number>;
  history: EpochMetrics[];
  /** Indices into the records given; dropped rows are in neither. */
  split: { train: number[]; valid: number[] };
  /** Rows left out: empty label, or a missing / non-numeric value in a feature. */
  dropped: number;
  /** Everything needed to reproduce the run, as strings (MLflow params). */
  params: Record<string, string>;
  /** The trainer's own float64 forward pass of the shipped (float32) parameters: class probabilities, or [value]. */
  predict(records: ReadonlyArray<Record<string, string | number>>): number[][];
}

export interface MetricSummary {
  mean: number;
  /** Sample standard deviation (ddof = 1); 0 for a single run. */
  std: number;
  min: number;
  max: number;
  n: number;
}
