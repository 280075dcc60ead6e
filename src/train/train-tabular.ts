import { profileTable } from '../datasets/index.js';
import { accuracy, logLoss, mse, rmse } from '../evaluation/index.js';
import { ModelCard, type CardOutput } from '../registry/index.js';
import { parseWith } from '../validation/index.js';
import { encodeRecords, fitStandardizer, numberColumns, standardizedRows, type Standardizer } from './encode.js';
import { fitLinear } from './logreg.js';
import { classificationMetrics, predictedLabels, regressionMetrics, rowsOf } from './metrics.js';
import { fitMlp } from './mlp.js';
import { asFloat32, forward, outputWidth, type DenseLayer, type Network } from './network.js';
import { BATCH_DIM, exportNetwork, IR_VERSION, OPSET, PROBABILITIES, VALUE } from './onnx-export.js';
import { resolveOptions, type Settings } from './options.js';
import { rngFor, STREAM } from './prng.js';
import { splitRows } from './split.js';
import { prepareTable, type PreparedTable } from './table.js';
import type { EpochMetrics, TrainOptions, TrainResult } from './types.js';

/** Rows of the table (positions into table.x), with their encoded features gathered once. */
interface RowSet {
  rows: number[];
  x: Float64Array;
}

function rowSet(table: PreparedTable, rows: number[]): RowSet {
  const width = table.layout.width;
  const x = new Float64Array(rows.length * width);
  rows.forEach((r, i) => x.set(table.x.subarray(r * width, r * width + width), i * width));
  return { rows, x };
}

/** Both copies of the standardizer rounded to float32 before training, so the weights fit exactly the graph's Sub/Div. */
function float32Standardizer(s: Standardizer): Standardizer {
  return { mean: s.mean.map(Math.fround), scale: s.scale.map(Math.fround) };
}

/** Regression fits a standardized target (so one learning rate and l2 suit any label scale); the graph undoes it. */
function targetScaling(table: PreparedTable, train: readonly number[]): { mean: number; scale: number } {
  let sum = 0;
  for (const r of train) sum += table.targets[r]!;
  const mean = sum / train.length;
  let squares = 0;
  for (const r of train) squares += (table.targets[r]! - mean) ** 2;
  const std = Math.sqrt(squares / train.length);
  return { mean: Math.fround(mean), scale: Math.fround(std > 0 ? std : 1) };
}

/** Loss (and accuracy or RMSE) of a network on a set of rows: the per-epoch numbers. */
function lossOn(network: Network, table: PreparedTable, set: RowSet): { loss: number; accuracy?: number; rmse?: number } {
  const out = forward(network, set.x, set.rows.length);
  if (network.head === 'softmax') {
    const probabilities = rowsOf(out, set.rows.length, outputWidth(network));
    const truth = set.rows.map((r) => table.labelCells[r]!);
    return { loss: logLoss(truth, probabilities, table.classes), accuracy: accuracy(truth, predictedLabels(probabilities, table.classes)) };
  }
  const truth = set.rows.map((r) => table.targets[r]!);
  const values = Array.from(out);
  return { loss: mse(truth, values), rmse: rmse(truth, values) };
}

function epochMetrics(epoch: number, network: Network, table: PreparedTable, train: RowSet, valid: RowSet): EpochMetrics {
  const metrics: EpochMetrics = { epoch, train_loss: lossOn(network, table, train).loss };
  if (valid.rows.length === 0) return metrics;
  const v = lossOn(network, table, valid);
  metrics.valid_loss = v.loss;
  if (v.accuracy !== undefined) metrics.valid_accuracy = v.accuracy;
  if (v.rmse !== undefined) metrics.valid_rmse = v.rmse;
  return metrics;
}

function finalMetrics(network: Network, table: PreparedTable, set: RowSet): Record<string, number> {
  const out = forward(network, set.x, set.rows.length);
  if (network.head === 'softmax') {
    return classificationMetrics(set.rows.map((r) => table.labelCells[r]!), rowsOf(out, set.rows.length, outputWidth(network)), table.classes);
  }
  return regressionMetrics(set.rows.map((r) => table.targets[r]!), Array.from(out));
}

function fitLayers(settings: Settings, table: PreparedTable, train: RowSet, standardizer: Standardizer, target: { mean: number; scale: number } | undefined, onLayers: (layers: DenseLayer[]) => void): { layers: DenseLayer[]; epochsRun: number; converged?: boolean } {
  const width = table.layout.width;
  const x = standardizedRows(train.x, width, train.rows.map((_, i) => i), standardizer);
  const targets = Float64Array.from(train.rows, (r) => (target ? (table.targets[r]! - target.mean) / target.scale : table.targets[r]!));
  const n = train.rows.length;
  if (settings.algo === 'logreg') {
    const kind = table.task === 'regression' ? 'squared' : table.classes.length === 2 ? 'logistic' : 'softmax';
    const fit = fitLinear({ x, n, d: width, targets, kind, classes: table.classes.length, l2: settings.l2, maxIterations: settings.epochs }, (layer) => onLayers([layer]));
    return { layers: [fit.layer], epochsRun: fit.iterations, converged: fit.converged };
  }
  const layers = fitMlp(
    {
      x,
      n,
      d: width,
      targets,
      kind: table.task === 'regression' ? 'squared' : 'softmax',
      outputs: table.task === 'regression' ? 1 : table.classes.length,
      hidden: settings.hidden,
      l2: settings.l2,
      epochs: settings.epochs,
      learningRate: settings.learningRate,
      batchSize: settings.batchSize,
      initRng: rngFor(settings.seed, STREAM.init),
      shuffleRng: rngFor(settings.seed, STREAM.shuffle),
    },
    (_, current) => onLayers(current),
  );
  return { layers, epochsRun: settings.epochs };
}

function cardOutput(table: PreparedTable): CardOutput {
  if (table.task === 'classification') {
    return { name: PROBABILITIES, kind: 'probabilities', labels: table.classes, dtype: 'float32', shape: [BATCH_DIM, table.classes.length] };
  }
  return { name: VALUE, kind: 'value', dtype: 'float32', shape: [BATCH_DIM, 1] };
}

function paramsOf(settings: Settings, table: PreparedTable, split: { train: number[]; valid: number[] }, fit: { epochsRun: number; converged?: boolean }): Record<string, string> {
  const params: Record<string, string> = {
    algo: settings.algo,
    task: table.task,
    label: table.label,
    seed: String(settings.seed),
    valid_split: String(settings.validSplit),
    epochs: String(settings.epochs),
    epochs_run: String(fit.epochsRun),
    l2: String(settings.l2),
    optimizer: settings.algo === 'logreg' ? 'lbfgs' : 'adam',
    features: String(table.features.length),
    feature_names: table.features.map((f) => f.name).join(','),
    encoded_width: String(table.layout.width),
    rows_train: String(split.train.length),
    rows_valid: String(split.valid.length),
    rows_dropped: String(table.dropped),
    onnx_ir_version: String(IR_VERSION),
    onnx_opset: String(OPSET),
  };
  if (table.task === 'classification') params.classes = String(table.classes.length);
  if (fit.converged !== undefined) params.converged = String(fit.converged);
  if (settings.algo === 'mlp') {
    params.learning_rate = String(settings.learningRate);
    params.hidden = settings.hidden.join(',');
    params.batch_size = String(settings.batchSize);
  }
  return params;
}

function defaultDescription(settings: Settings, table: PreparedTable): string {
  const model = settings.algo === 'mlp' ? `MLP (hidden ${settings.hidden.join('-')})` : table.task === 'regression' ? 'Ridge regression' : 'Logistic regression';
  return `${model} predicting '${table.label}' from ${table.features.length} features; trained by Berth (seed ${settings.seed})`;
}

/**
 * Trains a logistic-regression (or ridge) or MLP model on CSV-style records and returns it as an ONNX
 * graph with a model card that serving, the registry and drift monitoring accept as they are.
 */
export function trainTabular(records: ReadonlyArray<Record<string, string>>, options: TrainOptions): TrainResult {
  const settings = resolveOptions(options);
  const table = prepareTable(records, options.label, options.features, options.task);
  const positions = splitRows(table.labelCells, settings.validSplit, settings.seed, table.task === 'classification');
  const train = rowSet(table, positions.train);
  const valid = rowSet(table, positions.valid);
  const width = table.layout.width;
  const standardizer = float32Standardizer(fitStandardizer(train.x, width, train.rows.map((_, i) => i), numberColumns(table.layout)));
  const target = table.task === 'regression' ? targetScaling(table, train.rows) : undefined;
  const networkOf = (layers: DenseLayer[]): Network => ({
    mean: standardizer.mean,
    scale: standardizer.scale,
    layers,
    head: table.task === 'classification' ? 'softmax' : 'value',
    ...(target ? { target } : {}),
  });

  const history: EpochMetrics[] = [];
  const fit = fitLayers(settings, table, train, standardizer, target, (layers) => {
    const metrics = epochMetrics(history.length + 1, networkOf(layers), table, train, valid);
    history.push(metrics);
    options.onEpoch?.(metrics);
  });
  const network = asFloat32(networkOf(fit.layers));
  const metrics = finalMetrics(network, table, valid.rows.length > 0 ? valid : train);
  const split = { train: train.rows.map((r) => table.usable[r]!), valid: valid.rows.map((r) => table.usable[r]!) };
  const trainRecords = split.train.map((i) => records[i]!);
  const profiled = profileTable([...table.features.map((f) => f.name), table.label], trainRecords);
  const description = options.description ?? defaultDescription(settings, table);
  // Built from checked parts, so a failure here is a trainer bug (hence 'internal'), not bad input.
  const card: ModelCard = parseWith(
    ModelCard,
    {
      task: table.task,
      description,
      // Copies: a caller editing the card must not change what predict() encodes.
      inputs: [structuredClone(table.layout.spec)],
      outputs: [cardOutput(table)],
      metrics: { ...metrics },
      reference: { rows: trainRecords.length, columns: profiled.columns, profile: profiled.profile },
    },
    'trained model card field',
    'internal',
  );
  const onnx = exportNetwork(network, description);
  return {
    onnx,
    card,
    metrics,
    history,
    split,
    dropped: table.dropped,
    params: paramsOf(settings, table, split, fit),
    predict(rows) {
      const x = encodeRecords(table.layout, rows);
      const out = forward(network, x, rows.length);
      return rowsOf(out, rows.length, outputWidth(network));
    },
  };
}
