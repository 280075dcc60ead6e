import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { checkCardAgainstGraph, ModelCard, readGraphSignature } from '../../src/registry/index.js';
import { ensembleModel, summarizeSeeds, trainTabular, type TrainResult } from '../../src/train/index.js';
import { maxAbsDifference, runOrt, syntheticClasses, syntheticRegression } from './helpers.js';

/** float32 graph vs float64 trainer: absolute for probabilities; for values relative to their size. */
const PROBABILITY_TOLERANCE = 1e-5;
const VALUE_TOLERANCE = 1e-5;

function expectValuesClose(ort: number[][], own: number[][]): void {
  expect(ort).toHaveLength(own.length);
  ort.forEach((row, i) => {
    expect(row).toHaveLength(1);
    expect(Math.abs(row[0]! - own[i]![0]!)).toBeLessThanOrEqual(VALUE_TOLERANCE * Math.max(1, Math.abs(own[i]![0]!)));
  });
}

async function expectRegistryAccepts(result: { onnx: Uint8Array; card: ModelCard }): Promise<void> {
  expect(Value.Check(ModelCard, result.card)).toBe(true);
  expect(() => checkCardAgainstGraph(result.card, { inputs: [], outputs: [] })).toThrow();
  checkCardAgainstGraph(result.card, await readGraphSignature(result.onnx));
}

describe('regression', () => {
  const records = syntheticRegression(300);

  it('logreg (ridge) and mlp fit y = 3·x1 − 2·x2 + color effect + noise with r2 > 0.9, and onnxruntime agrees', async () => {
    const ridge = trainTabular(records, { label: 'y' });
    const mlp = trainTabular(records, { label: 'y', algo: 'mlp', epochs: 60, hidden: [16], learningRate: 0.01 });
    for (const result of [ridge, mlp]) {
      expect(result.card.task).toBe('regression');
      expect(result.metrics.r2).toBeGreaterThan(0.9);
      expect(Object.keys(result.metrics).sort()).toEqual(['mae', 'r2', 'rmse']);
      expect(result.card.outputs).toEqual([{ name: 'value', kind: 'value', dtype: 'float32', shape: ['batch', 1] }]);
      const rows = result.split.valid.map((i) => records[i]!);
      expectValuesClose(await runOrt(result.onnx, result.card, rows), result.predict(rows));
      await expectRegistryAccepts(result);
    }
    // Noise has std 0.3: a well-fitted linear model's error is about that.
    expect(ridge.metrics.rmse).toBeLessThan(0.4);
    expect(ridge.history.at(-1)!.valid_rmse).toBeCloseTo(ridge.metrics.rmse!, 5);
  });

  it('is random-split (not stratified) and treats a many-valued numeric label as regression', () => {
    const result = trainTabular(records, { label: 'y', validSplit: 0.25 });
    expect(result.split.valid).toHaveLength(75);
    expect(result.params.task).toBe('regression');
  });
});

describe('categorical features', () => {
  const records = syntheticClasses(400);

  it('one-hot encodes a category column exactly as serving does, and drops unusable rows', async () => {
    const result = trainTabular(records, { label: 'band' });
    const input = result.card.inputs[0]!;
    if (input.kind !== 'tabular') throw new Error('expected a tabular input');
    expect(input.features).toEqual([
      { name: 'x', type: 'number' },
      { name: 'shape', type: 'category', values: ['circle', 'square', 'triangle'], encoding: 'onehot' },
    ]);
    expect(result.card.outputs[0]!.labels).toEqual(['high', 'low', 'mid']);
    // Rows 7, 57, ... have "?" in x; rows 3, 63, ... an empty label (none is both).
    const expectedDropped = records.filter((r) => r.x === '?' || r.band === '').length;
    expect(result.dropped).toBe(expectedDropped);
    expect(result.params.rows_dropped).toBe(String(expectedDropped));
    const used = new Set([...result.split.train, ...result.split.valid]);
    expect(used.size).toBe(records.length - expectedDropped);
    expect([...used].every((i) => records[i]!.x !== '?' && records[i]!.band !== '')).toBe(true);

    const rows = result.split.valid.map((i) => records[i]!);
    expect(maxAbsDifference(await runOrt(result.onnx, result.card, rows), result.predict(rows))).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    // The shape matters (effects ±1.5): a model that learned it does far better than one on x alone
    // (about 0.5 here; knowing the noise-free score would give about 0.85).
    const xOnly = trainTabular(records, { label: 'band', features: ['x'] });
    expect(result.metrics.accuracy).toBeGreaterThan(0.7);
    expect(result.metrics.accuracy! - xOnly.metrics.accuracy!).toBeGreaterThan(0.15);
    await expectRegistryAccepts(result);
  });

  it('an mlp trains on the same data and matches onnxruntime', async () => {
    const result = trainTabular(records, { label: 'band', algo: 'mlp', epochs: 40, hidden: [12, 8], learningRate: 0.01, batchSize: 16 });
    const rows = result.split.valid.map((i) => records[i]!);
    expect(maxAbsDifference(await runOrt(result.onnx, result.card, rows), result.predict(rows))).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    expect(result.metrics.accuracy).toBeGreaterThan(0.7);
  });

  it('stratifies the split: each class keeps its share in validation', () => {
    const result = trainTabular(records, { label: 'band', validSplit: 0.3 });
    for (const label of ['low', 'mid', 'high']) {
      const total = [...result.split.train, ...result.split.valid].filter((i) => records[i]!.band === label).length;
      const valid = result.split.valid.filter((i) => records[i]!.band === label).length;
      expect(valid).toBe(Math.round(total * 0.3));
    }
  });
});

describe('ensembles of seeds', () => {
  const records = syntheticClasses(300);
  const members: TrainResult[] = [1, 2, 3].map((seed) => trainTabular(records, { label: 'band', seed }));

  it('one graph whose output is the mean of the members’ probabilities', async () => {
    const ensemble = ensembleModel(members);
    const usable = records.filter((r) => r.x !== '?' && r.band !== '');
    const own = members.map((m) => m.predict(usable));
    const mean = usable.map((_, i) => own[0]![i]!.map((_, c) => (own[0]![i]![c]! + own[1]![i]![c]! + own[2]![i]![c]!) / 3));
    expect(maxAbsDifference(await runOrt(ensemble.onnx, ensemble.card, usable), mean)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    expect(ensemble.card.metrics).toBeUndefined();
    expect(ensemble.card.description).toMatch(/^Mean of 3 models \(seeds 1, 2, 3\)/);
    await expectRegistryAccepts(ensemble);
  });

  it('averages regression values too', async () => {
    const data = syntheticRegression(120);
    const ridges = [4, 5].map((seed) => trainTabular(data, { label: 'y', seed }));
    const ensemble = ensembleModel(ridges);
    const own = ridges.map((m) => m.predict(data));
    expectValuesClose(await runOrt(ensemble.onnx, ensemble.card, data), data.map((_, i) => [(own[0]![i]![0]! + own[1]![i]![0]!) / 2]));
  });

  it('refuses members that do not share features or labels', () => {
    const other = trainTabular(records, { label: 'band', features: ['x'] });
    expect(() => ensembleModel([members[0]!, other])).toThrow(/member 1 has different input features/);
    expect(() => ensembleModel([])).toThrow(/at least one/);
  });

  it('summarizeSeeds: mean, sample std (ddof = 1), min, max and n per metric', () => {
    const summary = summarizeSeeds(members);
    const accuracies = members.map((m) => m.metrics.accuracy!);
    const mean = (accuracies[0]! + accuracies[1]! + accuracies[2]!) / 3;
    const std = Math.sqrt(((accuracies[0]! - mean) ** 2 + (accuracies[1]! - mean) ** 2 + (accuracies[2]! - mean) ** 2) / 2);
    expect(summary.accuracy!.mean).toBeCloseTo(mean, 12);
    expect(summary.accuracy!.std).toBeCloseTo(std, 12);
    expect(summary.accuracy!).toMatchObject({ min: Math.min(...accuracies), max: Math.max(...accuracies), n: 3 });
    expect(Object.keys(summary)).toEqual(['accuracy', 'f1_macro', 'log_loss']);

    // By hand: 1, 2, 4 → mean 7/3, sample variance ((4/3)² + (1/3)² + (5/3)²) / 2 = 7/3.
    const shaped = [1, 2, 4].map((v) => ({ ...members[0]!, metrics: { score: v } }));
    expect(summarizeSeeds(shaped).score!.mean).toBeCloseTo(7 / 3, 12);
    expect(summarizeSeeds(shaped).score!.std).toBeCloseTo(Math.sqrt(7 / 3), 12);
    expect(summarizeSeeds(shaped.slice(0, 1)).score).toEqual({ mean: 1, std: 0, min: 1, max: 1, n: 1 });
  });
});
