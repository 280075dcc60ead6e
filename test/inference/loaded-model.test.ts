import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/index.js';
import { InlineExecutor, LoadedModel, WorkerExecutor, type Executor } from '../../src/inference/index.js';
import { checkCardAgainstGraph, deriveCard, ModelCard, readGraphSignature, type VersionView } from '../../src/registry/index.js';
import { parseWith } from '../../src/validation/index.js';
import { fixtureModel } from '../helpers/targets.js';
import { refusalOf } from '../helpers/refusals.js';

const SESSION = { intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all' as const };
const BATCHING = { maxBatchSize: 64, maxQueueDelayUs: 0, maxQueueRows: 1000 };
const IMAGES = { maxPixels: 40_000_000, maxBytes: 20 * 1024 * 1024 };

interface Expected {
  rows: Array<{ features: Record<string, number>; v1: [number, number]; v2: [number, number] }>;
}
const EXPECTED = JSON.parse(readFileSync(fixtureModel('breast_cancer_expected.json'), 'utf8')) as Expected;

/** A version as the registry would hand it over, built from a fixture (card checked against the graph). */
async function version(file: string, cardFile?: string): Promise<{ view: VersionView; bytes: Buffer }> {
  const bytes = readFileSync(fixtureModel(file));
  const signature = await readGraphSignature(bytes);
  const card = cardFile ? checkCardAgainstGraph(parseWith(ModelCard, JSON.parse(readFileSync(fixtureModel(cardFile), 'utf8')), 'card'), signature) : deriveCard(signature);
  const view = { model: file.replace('.onnx', ''), version: 1, status: 'ready', card, signature } as unknown as VersionView;
  return { view, bytes };
}

async function load(file: string, cardFile: string | undefined, kind: 'inline' | 'worker', batching = BATCHING): Promise<LoadedModel> {
  const { view, bytes } = await version(file, cardFile);
  const executor: Executor = kind === 'inline' ? await InlineExecutor.create(bytes, SESSION) : await WorkerExecutor.create(bytes, SESSION, 2);
  return new LoadedModel(view, executor, batching, IMAGES);
}

describe.each(['inline', 'worker'] as const)('LoadedModel with the %s executor', (kind) => {
  let cancer: LoadedModel;
  let multi: LoadedModel;
  let fixed: LoadedModel;
  let direct: ort.InferenceSession;
  beforeAll(async () => {
    cancer = await load('breast_cancer_v1.onnx', 'breast_cancer_v1.card.json', kind);
    multi = await load('multi_input.onnx', 'multi_input.card.json', kind);
    fixed = await load('fixed_batch.onnx', undefined, kind);
    direct = await ort.InferenceSession.create(readFileSync(fixtureModel('breast_cancer_v1.onnx')));
  });
  afterAll(async () => {
    await Promise.all([cancer.retire(), multi.retire(), fixed.retire(), direct.release()]);
  });

  it('matches scikit-learn (1e-6) and a direct onnxruntime run (exactly) on real rows', async () => {
    const instances = EXPECTED.rows.map((r) => r.features);
    const { predictions } = await cancer.predict(instances, { topK: 2 });
    const names = Object.keys(EXPECTED.rows[0]!.features);
    const input = new Float32Array(instances.flatMap((f) => names.map((n) => f[n]!)));
    const out = (await direct.run({ features: new ort.Tensor('float32', input, [instances.length, 30]) }))['probabilities']!.data as Float32Array;
    predictions.forEach((p, i) => {
      const [p0, p1] = EXPECTED.rows[i]!.v1;
      expect(Math.abs(p.probabilities!['malignant']! - p0)).toBeLessThan(1e-6);
      expect(Math.abs(p.probabilities!['benign']! - p1)).toBeLessThan(1e-6);
      expect(p.probabilities!['malignant']).toBe(out[i * 2]);
      expect(p.probabilities!['benign']).toBe(out[i * 2 + 1]);
      expect(p.label).toBe(p1 > p0 ? 'benign' : 'malignant');
      expect(p.confidence).toBe(Math.max(out[i * 2]!, out[i * 2 + 1]!));
      expect(p.top_k!.map((t) => t.label)[0]).toBe(p.label);
    });
    expect(new Set(predictions.map((p) => p.id)).size).toBe(predictions.length);
  });

  it('answers requests that each run alone like a direct run (their rows are views on a shared slab)', async () => {
    const names = Object.keys(EXPECTED.rows[0]!.features);
    for (const row of EXPECTED.rows.slice(0, 20)) {
      const { predictions, batchRows } = await cancer.predict([row.features]);
      expect(batchRows).toBe(1);
      const input = new Float32Array(names.map((n) => row.features[n]!));
      const out = (await direct.run({ features: new ort.Tensor('float32', input, [1, 30]) }))['probabilities']!.data as Float32Array;
      expect(predictions[0]!.probabilities).toEqual({ malignant: out[0], benign: out[1] });
    }
  });

  it('batches concurrent requests into one run with the same answers as alone', async () => {
    const instances = EXPECTED.rows.map((r) => r.features);
    const alone = await Promise.all(instances.map(async (f) => (await cancer.predict([f])).predictions[0]!.probabilities));
    const together = await Promise.all(instances.map((f) => cancer.predict([f])));
    expect(Math.max(...together.map((r) => r.batchRows))).toBeGreaterThan(1);
    together.forEach((r, i) => expect(r.predictions[0]!.probabilities).toEqual(alone[i]));
  });

  it('refuses bad tabular instances, naming the feature', async () => {
    const good = EXPECTED.rows[0]!.features;
    const without = { ...good } as Record<string, unknown>;
    delete without['mean_radius'];
    expect((await refusalOf(cancer.predict([without]))).message).toBe("feature 'mean_radius' is missing");
    expect((await refusalOf(cancer.predict([{ ...good, colour: 'red' }]))).message).toContain("feature 'colour' is not one of the model's features");
    expect((await refusalOf(cancer.predict([{ ...good, mean_area: '12' }]))).message).toBe(`feature 'mean_area': expected number, got string "12"`);
    expect((await refusalOf(cancer.predict([{ ...good, mean_area: Number.NaN }]))).message).toContain("feature 'mean_area': expected a finite number, got NaN");
    expect((await refusalOf(cancer.predict([{ ...good, mean_area: Number.POSITIVE_INFINITY }]))).message).toContain('got Infinity');
    expect((await refusalOf(cancer.predict([{ ...good, mean_area: -1 }]))).message).toContain("feature 'mean_area': -1 is outside the valid range [0, inf]");
    expect((await refusalOf(cancer.predict([good, { ...good, mean_area: null }]))).message).toBe("instances[1]: feature 'mean_area' is missing");
    // the features may also sit under the input's name
    expect((await cancer.predict([{ features: good }])).predictions[0]!.label).toBeDefined();
  });

  it('runs a model with two inputs of different element types and two outputs', async () => {
    const { predictions } = await multi.predict([
      { numeric: [1, 2, 3], ids: [1, 2] },
      { numeric: { data: [0, 0, 0], shape: [3] }, ids: [10, -4] },
    ]);
    // score = numeric·[0.5, -1, 2] + 0.1·sum(ids); doubled_ids = ids·2
    expect(predictions[0]!.value).toBeCloseTo(0.5 - 2 + 6 + 0.3, 5);
    expect(predictions[0]!.outputs).toEqual({ doubled_ids: [2, 4] });
    expect(predictions[1]!.value).toBeCloseTo(0.6, 5);
    expect(predictions[1]!.outputs).toEqual({ doubled_ids: [20, -8] });
    expect((await refusalOf(multi.predict([{ numeric: [1, 2, 3], ids: [1.5, 2] }]))).message).toContain("input 'ids': expected int64 integers");
    expect((await refusalOf(multi.predict([{ numeric: [1, 2], ids: [1, 2] }]))).message).toContain("input 'numeric': expected shape [3]");
    expect((await refusalOf(multi.predict([{ numeric: [[1, 2, 3]], ids: [1, 2] }]))).message).toContain('expected shape [3]');
    expect((await refusalOf(multi.predict([{ numeric: [1, 2, 3] }]))).message).toBe("input 'ids' is missing");
    expect((await refusalOf(multi.predict([{ numeric: [1, 'x', 3], ids: [1, 2] }]))).message).toContain('expected finite float32 numbers, got "x"');
    expect((await refusalOf(multi.predict([{ numeric: [1, 2, 3], ids: [1, 2], extra: 1 }]))).message).toContain("unknown input 'extra'");
    expect((await refusalOf(multi.predict([{ numeric: { data: [1, 2], shape: [3] }, ids: [1, 2] }]))).message).toContain('needs 3 elements, data has 2');
  });

  it('runs instances one at a time when the batch dimension is fixed', async () => {
    expect(fixed.dynamicBatch).toBe(false);
    const { predictions, batchRows } = await fixed.predict([{ x: [1, 2, 3, 4] }, { x: [0, -1, 0.5, 2] }]);
    expect(batchRows).toBe(1);
    expect(predictions.map((p) => p.outputs!['y'])).toEqual([[3, 6, 9, 12], [0, -3, 1.5, 6]]);
  });
});

describe('batcher limits', () => {
  it('refuses with 503 (unavailable, retry_after_s) when the queue is full', async () => {
    const model = await load('breast_cancer_v1.onnx', 'breast_cancer_v1.card.json', 'inline', { maxBatchSize: 4, maxQueueDelayUs: 0, maxQueueRows: 8 });
    try {
      const row = EXPECTED.rows[0]!.features;
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => model.predict([row])));
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as BerthError);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((e) => e.code === 'unavailable' && e.status === 503 && e.details?.['retry_after_s'] === 1)).toBe(true);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(8);
    } finally {
      await model.retire();
    }
  });

  it('waits up to max_queue_delay_us for a fuller batch', async () => {
    const model = await load('breast_cancer_v1.onnx', 'breast_cancer_v1.card.json', 'inline', { maxBatchSize: 64, maxQueueDelayUs: 20_000, maxQueueRows: 1000 });
    try {
      const row = EXPECTED.rows[0]!.features;
      const first = model.predict([row]);
      await new Promise((r) => setTimeout(r, 5));
      const second = model.predict([row]);
      const [a, b] = await Promise.all([first, second]);
      expect(a.batchRows).toBe(2);
      expect(b.batchRows).toBe(2);
      expect(a.queuedSeconds).toBeGreaterThan(0.004);
    } finally {
      await model.retire();
    }
  });

  it('lets requests in flight finish before a retired version is unloaded', async () => {
    const model = await load('breast_cancer_v1.onnx', 'breast_cancer_v1.card.json', 'worker');
    const row = EXPECTED.rows[0]!.features;
    expect(model.tryAcquire()).toBe(true);
    const inflight = model.predict([row]);
    const retired = model.retire();
    expect(model.tryAcquire()).toBe(false);
    expect((await inflight).predictions).toHaveLength(1);
    model.release();
    await retired;
  });
});

describe('large requests', () => {
  it('predicts more instances than the queue holds by feeding them in windows', async () => {
    const model = await load('breast_cancer_v1.onnx', 'breast_cancer_v1.card.json', 'inline', { maxBatchSize: 8, maxQueueDelayUs: 0, maxQueueRows: 32 });
    try {
      const rows = Array.from({ length: 500 }, (_, i) => EXPECTED.rows[i % EXPECTED.rows.length]!.features);
      const { predictions } = await model.predict(rows);
      expect(predictions).toHaveLength(500);
      predictions.forEach((p, i) => expect(Math.abs(p.probabilities!['benign']! - EXPECTED.rows[i % EXPECTED.rows.length]!.v1[1])).toBeLessThan(1e-6));
    } finally {
      await model.retire();
    }
  });
});
