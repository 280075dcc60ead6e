import { readFileSync } from 'node:fs';
import Value from 'typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCardAgainstGraph, ModelCard, readGraphSignature } from '../../src/registry/index.js';
import { trainTabular, type EpochMetrics, type TrainResult } from '../../src/train/index.js';
import { breastCancerRecords, breastCancerSplitFixture, GOLDEN, LABEL, maxAbsDifference, runOrt, sha256, SPLIT_FIXTURE, type SplitFixture } from './helpers.js';

/**
 * ORT runs the graph in float32 on float32 inputs; predict() runs the same (float32-rounded) parameters
 * in float64. Probabilities are in [0, 1], so rounding of that size stays far below 1e-5 absolute.
 */
const PROBABILITY_TOLERANCE = 1e-5;

interface TrainGolden {
  versions: { sklearn: string };
  classes: string[];
  default: { accuracy: number; log_loss: number };
  converged: { accuracy: number; valid_probabilities: number[][] };
}

const records = breastCancerRecords();
const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as TrainGolden;
const validRecords = (result: TrainResult): Array<Record<string, string>> => result.split.valid.map((i) => records[i]!);

describe('trainTabular on data/breast_cancer.csv', () => {
  let logreg: TrainResult;
  let mlp: TrainResult;
  const logregEpochs: EpochMetrics[] = [];
  beforeAll(() => {
    logreg = trainTabular(records, { label: LABEL, onEpoch: (m) => logregEpochs.push(m) });
    mlp = trainTabular(records, { label: LABEL, algo: 'mlp', epochs: 30, hidden: [16] });
  });

  it('splits exactly as the committed fixture that the scikit-learn golden was made from', () => {
    const fixture = JSON.parse(readFileSync(SPLIT_FIXTURE, 'utf8')) as SplitFixture;
    expect(breastCancerSplitFixture()).toEqual(fixture);
    expect(logreg.split).toEqual({ train: fixture.train, valid: fixture.valid });
    expect(logreg.dropped).toBe(0);
  });

  it('logreg: validation accuracy within 0.01 of scikit-learn LogisticRegression() on the same split', () => {
    const berth = logreg.metrics.accuracy!;
    const sklearn = golden.default.accuracy;
    console.log(`breast cancer validation accuracy: berth logreg ${berth.toFixed(6)}, scikit-learn ${golden.versions.sklearn} ${sklearn.toFixed(6)} (log loss ${logreg.metrics.log_loss!.toFixed(6)} vs ${golden.default.log_loss.toFixed(6)})`);
    expect(Math.abs(berth - sklearn)).toBeLessThanOrEqual(0.01);
  });

  it("logreg: minimizes scikit-learn's objective (probabilities agree with a tightly converged fit)", () => {
    // Same objective, both near its optimum: what is left is optimizer tolerance and float32 weights.
    expect(logreg.card.outputs[0]!.labels).toEqual(golden.classes);
    const difference = maxAbsDifference(logreg.predict(validRecords(logreg)), golden.converged.valid_probabilities);
    console.log(`largest |berth − scikit-learn| validation probability: ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(2e-4);
    expect(logreg.params.converged).toBe('true');
  });

  it('logreg and mlp: onnxruntime on serving-encoded rows equals predict() within 1e-5', async () => {
    for (const result of [logreg, mlp]) {
      const rows = validRecords(result);
      const ort = await runOrt(result.onnx, result.card, rows);
      const own = result.predict(rows);
      expect(ort).toHaveLength(rows.length);
      const difference = maxAbsDifference(ort, own);
      console.log(`${result.params.algo}: largest |onnxruntime − predict()| probability: ${difference.toExponential(2)}`);
      expect(difference).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    }
  });

  it('reports validation metrics that the ONNX model itself reproduces', async () => {
    const rows = validRecords(logreg);
    const labels = logreg.card.outputs[0]!.labels!;
    const ort = await runOrt(logreg.onnx, logreg.card, rows);
    const correct = ort.filter((p, i) => labels[p.indexOf(Math.max(...p))] === rows[i]![LABEL]).length;
    expect(correct / rows.length).toBe(logreg.metrics.accuracy);
    expect(logreg.card.metrics).toEqual(logreg.metrics);
    expect(Object.keys(logreg.metrics).sort()).toEqual(['accuracy', 'f1_macro', 'log_loss', 'roc_auc']);
    expect(mlp.metrics.accuracy).toBeGreaterThan(0.9);
  });

  it('calls onEpoch once per epoch with the history entries', () => {
    expect(logregEpochs).toEqual(logreg.history);
    expect(logreg.history.length).toBe(Number(logreg.params.epochs_run));
    expect(mlp.history.map((h) => h.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const last = mlp.history.at(-1)!;
    expect(last.valid_accuracy).toBe(mlp.metrics.accuracy);
    expect(last.train_loss).toBeLessThan(mlp.history[0]!.train_loss);
  });

  it('writes a card the registry accepts for this graph', async () => {
    for (const result of [logreg, mlp]) {
      expect(Value.Check(ModelCard, result.card)).toBe(true);
      expect(() => checkCardAgainstGraph(result.card, { inputs: [], outputs: [] })).toThrow(/not in the graph/);
      const signature = await readGraphSignature(result.onnx);
      expect(signature.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: ['batch', 30] }]);
      expect(signature.outputs).toEqual([{ name: 'probabilities', dtype: 'float32', shape: ['batch', 2] }]);
      expect(() => checkCardAgainstGraph(result.card, signature)).not.toThrow();
    }
    const input = logreg.card.inputs[0]!;
    expect(input.kind).toBe('tabular');
    if (input.kind !== 'tabular') return;
    // No min/max on features: the serving codec would refuse values outside the training range.
    expect(input.features.every((f) => f.type === 'number' && f.min === undefined && f.max === undefined)).toBe(true);
    const reference = logreg.card.reference as { rows: number; profile: Record<string, { type: string; min?: number }> };
    expect(reference.rows).toBe(logreg.split.train.length);
    expect(reference.profile.mean_radius!.type).toBe('number');
    expect(reference.profile[LABEL]!.type).toBe('category');
  });

  it('records the parameters needed to reproduce the run, as strings', () => {
    expect(logreg.params).toMatchObject({ algo: 'logreg', task: 'classification', seed: '1', valid_split: '0.2', l2: '1', optimizer: 'lbfgs', features: '30', rows_train: '456', rows_valid: '113' });
    expect(mlp.params).toMatchObject({ algo: 'mlp', hidden: '16', epochs: '30', learning_rate: '0.001', batch_size: '32', optimizer: 'adam' });
    for (const value of Object.values(mlp.params)) expect(typeof value).toBe('string');
  });
});

describe('determinism', () => {
  it('the same data and options give byte-identical ONNX and identical metrics; another seed does not', () => {
    const options = { label: LABEL, algo: 'mlp' as const, epochs: 5, hidden: [8] };
    const first = trainTabular(records, options);
    const again = trainTabular(records, options);
    const otherSeed = trainTabular(records, { ...options, seed: 2 });
    expect(sha256(again.onnx)).toBe(sha256(first.onnx));
    expect(again.metrics).toEqual(first.metrics);
    expect(again.history).toEqual(first.history);
    expect(sha256(otherSeed.onnx)).not.toBe(sha256(first.onnx));
    expect(otherSeed.split).not.toEqual(first.split);
  });

  it('with no validation rows, a different seed still gives different MLP weights (init and shuffling)', () => {
    const options = { label: LABEL, algo: 'mlp' as const, epochs: 3, hidden: [8], validSplit: 0 };
    const a = trainTabular(records, options);
    const b = trainTabular(records, { ...options, seed: 7 });
    expect(a.split).toEqual(b.split);
    expect(a.split.valid).toEqual([]);
    expect(sha256(a.onnx)).not.toBe(sha256(b.onnx));
    // Without validation rows the metrics are training metrics.
    expect(a.history.every((h) => h.valid_loss === undefined && h.valid_accuracy === undefined)).toBe(true);
    const trainRows = a.split.train.map((i) => records[i]!);
    const labels = a.card.outputs[0]!.labels!;
    const correct = a.predict(trainRows).filter((p, i) => labels[p.indexOf(Math.max(...p))] === trainRows[i]![LABEL]).length;
    expect(a.metrics.accuracy).toBe(correct / trainRows.length);
  });

  it('logreg is byte-identical across runs for the same seed', () => {
    expect(sha256(trainTabular(records, { label: LABEL }).onnx)).toBe(sha256(trainTabular(records, { label: LABEL }).onnx));
  });
});
