import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERTH_VERSION } from '../../src/config/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FIXTURES, fixtureModel, storeTargets } from '../helpers/targets.js';

// ---------------------------------------------------------------------------------------------------
// Fixtures and data
// ---------------------------------------------------------------------------------------------------

const CARD_V1 = readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8');
const CARD_V2 = readFileSync(fixtureModel('breast_cancer_v2.card.json'), 'utf8');
const CARD_CNN = readFileSync(fixtureModel('tiny_cnn.card.json'), 'utf8');
const CARD_MULTI = readFileSync(fixtureModel('multi_input.card.json'), 'utf8');

type Row = Record<string, number>;
interface Expected {
  rows: Array<{ features: Row; v1: [number, number]; v2: [number, number] }>;
}
const EXPECTED = JSON.parse(readFileSync(fixtureModel('breast_cancer_expected.json'), 'utf8')) as Expected;
const ROWS: Row[] = EXPECTED.rows.map((r) => r.features);

/** data/breast_cancer.csv: a header of the 30 feature names + `diagnosis`, then 569 rows (no quoting). */
const CSV_LINES = readFileSync(path.resolve(FIXTURES, '../../data/breast_cancer.csv'), 'utf8').trimEnd().split('\n');
const CSV_HEADER = CSV_LINES[0]!.split(',');
const FEATURES = CSV_HEADER.filter((c) => c !== 'diagnosis');
const DIAGNOSIS_AT = CSV_HEADER.indexOf('diagnosis');
/** Data line i of the CSV (0-based, header excluded) as an instance: the features, without `diagnosis`. */
function csvRow(i: number): Row {
  const cells = CSV_LINES[i + 1]!.split(',');
  return Object.fromEntries(FEATURES.map((f) => [f, Number(cells[CSV_HEADER.indexOf(f)])]));
}
/** The CSV's first `lines` lines (header included) with the `diagnosis` column removed. */
function csvWithoutDiagnosis(lines: number): string[] {
  return CSV_LINES.slice(0, lines).map((line) => line.split(',').filter((_, i) => i !== DIAGNOSIS_AT).join(','));
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const CNN_LABELS = ['red', 'green', 'blue'];

// ---------------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------------

interface Prediction {
  id: string;
  label?: string;
  confidence?: number;
  probabilities?: Record<string, number>;
  top_k?: Array<{ label: string; probability: number }>;
  value?: unknown;
  outputs?: Record<string, unknown>;
}
interface PredictBody {
  id: string;
  model: string;
  version: number;
  predictions: Prediction[];
  latency_ms: number;
}
interface BatchBody {
  id: string;
  model: string;
  version: number;
  rows: number;
  failed: number;
  predictions: Array<Prediction | null>;
  errors: Array<{ row: number; code: string; message: string }>;
  latency_ms: number;
}
interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface OipTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}
interface OipInferBody {
  model_name: string;
  model_version?: string;
  id?: string;
  outputs: OipTensor[];
}

interface Res<T> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** A prediction without its (random) id, to compare answers across endpoints. */
function withoutId(p: Prediction | null): Omit<Prediction, 'id'> | null {
  if (p === null) return null;
  const { id: _id, ...rest } = p;
  return rest;
}

/** A deterministic pseudo-random RGB image (PNG), so the preprocessing check is not a solid colour. */
async function noisePng(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    pixels[i] = s >>> 24;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function solidPng(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 16, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

/** The tiny_cnn card's preprocessing done by hand: 16x16 fill resize → RGB → (v/255 - mean)/std → NCHW. */
async function preprocessByHand(image: Buffer): Promise<Float32Array> {
  const { data, info } = await sharp(image).resize(16, 16, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([16, 16, 3]);
  const plane = 16 * 16;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = (data[p * 3 + c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return out;
}

/** One sample of a Prometheus text exposition: the first line of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const promtoolInstalled = (() => {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
})();

// ---------------------------------------------------------------------------------------------------
// The suite: one server with the fixtures registered, v1 of breast cancer in production
// ---------------------------------------------------------------------------------------------------

const target = storeTargets()[0]!;

describe(`prediction API on ${target.engine}`, () => {
  let t: TestServer;
  const direct: Record<'v1' | 'v2' | 'cnn' | 'multi', ort.InferenceSession> = {} as never;

  async function send<T = unknown>(method: string, route: string, opts: { json?: unknown; body?: string | FormData; type?: string } = {}): Promise<Res<T>> {
    const headers: Record<string, string> = {};
    let body: string | FormData | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    } else if (opts.body !== undefined) {
      body = opts.body;
    }
    if (opts.type !== undefined) headers['content-type'] = opts.type;
    const res = await fetch(t.url + route, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as T };
  }
  const get = <T = unknown>(route: string) => send<T>('GET', route);
  const post = <T = unknown>(route: string, json: unknown) => send<T>('POST', route, { json });

  /** Berth's error format: {"error": {code, message}}; `contains` must be in the message. */
  async function expectError(res: Promise<Res<unknown>>, status: number, code: string, contains: string): Promise<ErrorBody> {
    const r = await res;
    expect(r.status, r.text).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const body = r.json as ErrorBody;
    expect(body.error.code, r.text).toBe(code);
    expect(body.error.message, r.text).toContain(contains);
    return body;
  }

  /** The Open Inference Protocol's error format: {"error": "..."} (a string). */
  async function expectOipError(res: Promise<Res<unknown>>, status: number, contains: string): Promise<void> {
    const r = await res;
    expect(r.status, r.text).toBe(status);
    const body = r.json as { error: unknown };
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
    expect(body.error as string).toContain(contains);
  }

  /** A direct onnxruntime run of breast cancer rows: the [rows, 2] probabilities. */
  async function directCancer(session: ort.InferenceSession, rows: Row[]): Promise<Float32Array> {
    const input = new Float32Array(rows.flatMap((r) => FEATURES.map((f) => r[f]!)));
    const out = await session.run({ features: new ort.Tensor('float32', input, [rows.length, 30]) });
    return out['probabilities']!.data as Float32Array;
  }

  beforeAll(async () => {
    t = await startTestServer(target);
    await t.client.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v1.onnx'), card: CARD_V1 });
    await t.client.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v2.onnx'), card: CARD_V2 });
    await t.client.promote('cancer', 1);
    await t.client.registerVersion({ model: 'cnn', file: fixtureModel('tiny_cnn.onnx'), card: CARD_CNN });
    await t.client.registerVersion({ model: 'multi', file: fixtureModel('multi_input.onnx'), card: CARD_MULTI });
    await t.client.registerVersion({ model: 'fixed', file: fixtureModel('fixed_batch.onnx') });
    direct.v1 = await ort.InferenceSession.create(fixtureModel('breast_cancer_v1.onnx'));
    direct.v2 = await ort.InferenceSession.create(fixtureModel('breast_cancer_v2.onnx'));
    direct.cnn = await ort.InferenceSession.create(fixtureModel('tiny_cnn.onnx'));
    direct.multi = await ort.InferenceSession.create(fixtureModel('multi_input.onnx'));
  });
  afterAll(async () => {
    await Promise.all(Object.values(direct).map((s) => s.release()));
    await t?.stop();
  });

  // ------------------------------------------------------------------------------------------------
  // 1. /v1/models/{name}/predict on the tabular model
  // ------------------------------------------------------------------------------------------------

  describe('POST /v1/models/{name}/predict (tabular)', () => {
    it('predicts one instance {"inputs": {...}} like scikit-learn (1e-6) and onnxruntime (exactly)', async () => {
      const res = await post<PredictBody>('/v1/models/cancer/predict', { inputs: ROWS[0] });
      expect(res.status, res.text).toBe(200);
      const body = res.json;
      expect(Object.keys(body).sort()).toEqual(['id', 'latency_ms', 'model', 'predictions', 'version']);
      expect(body.id).toMatch(UUID);
      expect(body.model).toBe('cancer');
      expect(body.version).toBe(1);
      expect(typeof body.latency_ms).toBe('number');
      expect(body.latency_ms).toBeGreaterThanOrEqual(0);
      expect(body.predictions).toHaveLength(1);
      const p = body.predictions[0]!;
      expect(p.id).toMatch(UUID);
      expect(p.id).not.toBe(body.id);
      const out = await directCancer(direct.v1, [ROWS[0]!]);
      expect(p.probabilities).toEqual({ malignant: out[0], benign: out[1] });
      const [p0, p1] = EXPECTED.rows[0]!.v1;
      expect(Math.abs(p.probabilities!['malignant']! - p0)).toBeLessThan(1e-6);
      expect(Math.abs(p.probabilities!['benign']! - p1)).toBeLessThan(1e-6);
      expect(p.label).toBe(p1 > p0 ? 'benign' : 'malignant');
      expect(p.confidence).toBe(Math.max(out[0]!, out[1]!));
      expect(p.top_k).toBeUndefined();
    });

    it('predicts {"instances": [...8 rows]} like scikit-learn (1e-6) and onnxruntime (exactly), with unique ids', async () => {
      const res = await post<PredictBody>('/v1/models/cancer/predict', { instances: ROWS });
      expect(res.status, res.text).toBe(200);
      const { predictions } = res.json;
      expect(res.json).toMatchObject({ model: 'cancer', version: 1 });
      expect(predictions).toHaveLength(8);
      const out = await directCancer(direct.v1, ROWS);
      predictions.forEach((p, i) => {
        const [p0, p1] = EXPECTED.rows[i]!.v1;
        expect(Math.abs(p.probabilities!['malignant']! - p0)).toBeLessThan(1e-6);
        expect(Math.abs(p.probabilities!['benign']! - p1)).toBeLessThan(1e-6);
        expect(p.probabilities!['malignant']).toBe(out[i * 2]);
        expect(p.probabilities!['benign']).toBe(out[i * 2 + 1]);
        expect(p.label).toBe(p1 > p0 ? 'benign' : 'malignant');
        expect(p.confidence).toBe(Math.max(out[i * 2]!, out[i * 2 + 1]!));
      });
      const ids = new Set([res.json.id, ...predictions.map((p) => p.id)]);
      expect(ids.size).toBe(9);
      for (const id of ids) expect(id).toMatch(UUID);
    });

    it('also takes the features nested under the input name', async () => {
      const flat = await post<PredictBody>('/v1/models/cancer/predict', { inputs: ROWS[1] });
      const nested = await post<PredictBody>('/v1/models/cancer/predict', { instances: [{ features: ROWS[1] }] });
      expect(nested.status, nested.text).toBe(200);
      expect(withoutId(nested.json.predictions[0]!)).toEqual(withoutId(flat.json.predictions[0]!));
    });

    it('lists top_k from ?top_k= and from body parameters.top_k', async () => {
      const byQuery = await post<PredictBody>('/v1/models/cancer/predict?top_k=2', { instances: ROWS.slice(0, 3) });
      expect(byQuery.status, byQuery.text).toBe(200);
      for (const p of byQuery.json.predictions) {
        const sorted = Object.entries(p.probabilities!)
          .map(([label, probability]) => ({ label, probability }))
          .sort((a, b) => b.probability - a.probability);
        expect(p.top_k).toEqual(sorted);
        expect(p.top_k![0]!.label).toBe(p.label);
      }
      const byBody = await post<PredictBody>('/v1/models/cancer/predict', { inputs: ROWS[0], parameters: { top_k: 1 } });
      expect(byBody.status, byBody.text).toBe(200);
      const p = byBody.json.predictions[0]!;
      expect(p.top_k).toEqual([{ label: p.label, probability: p.confidence }]);
      const zero = await post<PredictBody>('/v1/models/cancer/predict?top_k=0', { inputs: ROWS[0] });
      expect(zero.json.predictions[0]!.top_k).toBeUndefined();
      await expectError(post('/v1/models/cancer/predict?top_k=-1', { inputs: ROWS[0] }), 400, 'invalid_input', 'querystring.top_k');
      await expectError(post('/v1/models/cancer/predict', { inputs: ROWS[0], parameters: { top_k: 'two' } }), 400, 'invalid_input', 'body.parameters.top_k');
      await expectError(post('/v1/models/cancer/predict', { inputs: ROWS[0], parameters: { temperature: 1 } }), 400, 'invalid_input', "unknown field 'temperature'");
    });

    it('serves production by default, and ?version= or ?alias= when asked', async () => {
      const byDefault = await post<PredictBody>('/v1/models/cancer/predict', { instances: ROWS });
      expect(byDefault.json.version).toBe(1);
      const v1 = await directCancer(direct.v1, ROWS);
      expect(byDefault.json.predictions.flatMap((p) => [p.probabilities!['malignant'], p.probabilities!['benign']])).toEqual([...v1]);

      const byVersion = await post<PredictBody>('/v1/models/cancer/predict?version=2', { instances: ROWS });
      expect(byVersion.status, byVersion.text).toBe(200);
      expect(byVersion.json).toMatchObject({ model: 'cancer', version: 2 });
      const v2 = await directCancer(direct.v2, ROWS);
      byVersion.json.predictions.forEach((p, i) => {
        const [p0, p1] = EXPECTED.rows[i]!.v2;
        expect(Math.abs(p.probabilities!['malignant']! - p0)).toBeLessThan(1e-6);
        expect(Math.abs(p.probabilities!['benign']! - p1)).toBeLessThan(1e-6);
        expect(p.probabilities).toEqual({ malignant: v2[i * 2], benign: v2[i * 2 + 1] });
      });
      // v1 and v2 really differ, so the version checks above mean something
      expect(v1[0]).not.toBe(v2[0]);

      await t.client.setAlias('cancer', 'staging', 2);
      const byAlias = await post<PredictBody>('/v1/models/cancer/predict?alias=staging', { instances: ROWS });
      expect(byAlias.status, byAlias.text).toBe(200);
      expect(byAlias.json.version).toBe(2);
      expect(byAlias.json.predictions.map(withoutId)).toEqual(byVersion.json.predictions.map(withoutId));
      const byProduction = await post<PredictBody>('/v1/models/cancer/predict?alias=production', { inputs: ROWS[0] });
      expect(byProduction.json.version).toBe(1);
      const explicitV1 = await post<PredictBody>('/v1/models/cancer/predict?version=1', { inputs: ROWS[0] });
      expect(explicitV1.json.version).toBe(1);
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 2. Refusals on /predict
  // ------------------------------------------------------------------------------------------------

  describe('POST /v1/models/{name}/predict refusals', () => {
    const good = (): Record<string, unknown> => ({ ...ROWS[0]! });
    const predict = (body: unknown, query = '') => post(`/v1/models/cancer/predict${query}`, body);

    it('refuses bad feature values with 400, naming the feature', async () => {
      const missing = good();
      delete missing['mean_radius'];
      await expectError(predict({ inputs: missing }), 400, 'invalid_input', "feature 'mean_radius' is missing");
      const body = await expectError(predict({ inputs: { ...good(), colour: 'red' } }), 400, 'invalid_input', "feature 'colour' is not one of the model's features");
      expect(body.error.details).toEqual({ feature: 'colour' });
      await expectError(predict({ inputs: { ...good(), mean_area: '493.8' } }), 400, 'invalid_input', `feature 'mean_area': expected number, got string "493.8"`);
      await expectError(predict({ inputs: { ...good(), mean_area: -1 } }), 400, 'invalid_input', "feature 'mean_area': -1 is outside the valid range [0, inf]");
      await expectError(predict({ inputs: { ...good(), mean_area: null } }), 400, 'invalid_input', "feature 'mean_area' is missing");
      // in a list, the instance is named by its index
      await expectError(predict({ instances: [good(), { ...good(), worst_area: -3 }] }), 400, 'invalid_input', "instances[1]: feature 'worst_area': -3 is outside the valid range [0, inf]");
    });

    it('refuses malformed bodies with 400', async () => {
      await expectError(predict({ inputs: good(), instances: [good()] }), 400, 'invalid_input', 'give exactly one of "inputs" (one instance) or "instances" (a list)');
      await expectError(predict({}), 400, 'invalid_input', 'give exactly one of "inputs" (one instance) or "instances" (a list)');
      await expectError(predict({ instances: [1, 2] }), 400, 'invalid_input', "instances[0]: expected an object naming the model's inputs, got 1");
      await expectError(predict({ instances: ['a'] }), 400, 'invalid_input', `expected an object naming the model's inputs, got "a"`);
      await expectError(predict({ instances: [] }), 400, 'invalid_input', 'no instances given');
      await expectError(predict({ inputs: good(), colour: 'red' }), 400, 'invalid_input', "unknown field 'colour'");
      await expectError(send('POST', '/v1/models/cancer/predict', { body: '{"inputs": {"mean_radius": 1', type: 'application/json' }), 400, 'invalid_input', 'request body is not valid JSON');
      await expectError(send('POST', '/v1/models/cancer/predict', { body: '', type: 'application/json' }), 400, 'invalid_input', 'request body is not valid JSON');
    });

    it('refuses prototype-poisoning keys, also when spelt with \\u escapes', async () => {
      const features = JSON.stringify(good());
      for (const body of [`{"inputs": ${features}, "__proto__": {"x": 1}}`, `{"inputs": ${features}, "\\u005f_proto__": {"x": 1}}`, `{"inputs": ${features}, "constructor": {"prototype": {"x": 1}}}`]) {
        await expectError(send('POST', '/v1/models/cancer/predict', { body, type: 'application/json' }), 400, 'invalid_input', 'request body is not valid JSON');
      }
    });

    it('answers 404 for an unknown model or alias and 400 for a bad version parameter', async () => {
      await expectError(post('/v1/models/nope/predict', { inputs: good() }), 404, 'not_found', "model 'nope' does not exist");
      await expectError(predict({ inputs: good() }, '?alias=canary'), 404, 'not_found', "model 'cancer' has no alias 'canary'");
      await expectError(predict({ inputs: good() }, '?version=9'), 404, 'not_found', "model 'cancer' has no version 9");
      await expectError(predict({ inputs: good() }, '?version=two'), 400, 'invalid_input', `'querystring.version': expected integer, got "two"`);
      await expectError(predict({ inputs: good() }, '?version=0'), 400, 'invalid_input', "'querystring.version'");
      await expectError(predict({ inputs: good() }, '?version=1.5'), 400, 'invalid_input', "'querystring.version'");
      await expectError(predict({ inputs: good() }, '?colour=red'), 400, 'invalid_input', "unknown field 'colour'");
    });

    it('refuses a body that is not JSON with 415', async () => {
      await expectError(send('POST', '/v1/models/cancer/predict', { body: '<inputs/>', type: 'application/xml' }), 415, 'unsupported_media_type', "unsupported content type 'application/xml'");
      await expectError(send('POST', '/v1/models/cancer/predict', { body: 'mean_radius=1', type: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type', 'application/x-www-form-urlencoded');
    });

    it('refuses a text/plain body with 415', async () => {
      await expectError(send('POST', '/v1/models/cancer/predict', { body: JSON.stringify({ inputs: ROWS[0] }), type: 'text/plain' }), 415, 'unsupported_media_type', 'text/plain');
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 3. Image model
  // ------------------------------------------------------------------------------------------------

  describe('image model (tiny_cnn)', () => {
    /** Probabilities from a direct onnxruntime run on the hand-made preprocessing, softmax applied. */
    async function directCnn(image: Buffer): Promise<number[]> {
      const input = await preprocessByHand(image);
      const out = await direct.cnn.run({ image: new ort.Tensor('float32', input, [1, 3, 16, 16]) });
      return softmax([...(out['logits']!.data as Float32Array)]);
    }

    function expectProbabilities(p: Prediction, expected: number[]): void {
      expect(Object.keys(p.probabilities!)).toEqual(CNN_LABELS);
      CNN_LABELS.forEach((label, i) => expect(Math.abs(p.probabilities![label]! - expected[i]!), label).toBeLessThan(1e-6));
    }

    it('classifies a red PNG sent as base64 JSON, like a direct onnxruntime run (1e-6)', async () => {
      const red = await solidPng(255, 0, 0);
      const res = await post<PredictBody>('/v1/models/cnn/predict', { inputs: { image: red.toString('base64') } });
      expect(res.status, res.text).toBe(200);
      const p = res.json.predictions[0]!;
      expect(p.label).toBe('red');
      expectProbabilities(p, await directCnn(red));
      // a data URL is the same image
      const dataUrl = await post<PredictBody>('/v1/models/cnn/predict', { inputs: { image: `data:image/png;base64,${red.toString('base64')}` } });
      expect(withoutId(dataUrl.json.predictions[0]!)).toEqual(withoutId(p));
    });

    it('classifies solid green and blue, and a resized noisy image like the hand-made preprocessing', async () => {
      const green = await solidPng(0, 255, 0);
      const blue = await solidPng(0, 0, 255);
      const noise = await noisePng(24, 20, 7);
      const res = await post<PredictBody>('/v1/models/cnn/predict', { instances: [{ image: green.toString('base64') }, { image: blue.toString('base64') }, { image: noise.toString('base64') }] });
      expect(res.status, res.text).toBe(200);
      expect(res.json.predictions.slice(0, 2).map((p) => p.label)).toEqual(['green', 'blue']);
      expectProbabilities(res.json.predictions[0]!, await directCnn(green));
      expectProbabilities(res.json.predictions[1]!, await directCnn(blue));
      expectProbabilities(res.json.predictions[2]!, await directCnn(noise));
    });

    it('classifies the same red PNG sent as a multipart file part named after the input', async () => {
      const red = await solidPng(255, 0, 0);
      const form = new FormData();
      form.set('image', new Blob([red], { type: 'image/png' }), 'red.png');
      const res = await send<PredictBody>('POST', '/v1/models/cnn/predict', { body: form });
      expect(res.status, res.text).toBe(200);
      const p = res.json.predictions[0]!;
      expect(p.label).toBe('red');
      expectProbabilities(p, await directCnn(red));
    });

    it('refuses a GIF with 415, garbage base64 and corrupt PNG bytes with 400', async () => {
      const gif = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 255, g: 0, b: 0 } } }).gif().toBuffer();
      const gifError = await expectError(post('/v1/models/cnn/predict', { inputs: { image: gif.toString('base64') } }), 415, 'unsupported_media_type', 'GIF images are not accepted; send PNG, JPEG or WebP');
      expect(gifError.error.details).toMatchObject({ format: 'gif' });
      await expectError(post('/v1/models/cnn/predict', { inputs: { image: '***not base64***' } }), 400, 'invalid_input', "`input 'image'`: not valid base64");
      const red = await solidPng(255, 0, 0);
      const truncated = red.subarray(0, red.length - 20);
      await expectError(post('/v1/models/cnn/predict', { inputs: { image: truncated.toString('base64') } }), 400, 'invalid_input', "`input 'image'`: not a decodable PNG, JPEG or WebP image");
      const corrupt = Buffer.from(red);
      for (let i = 33; i < corrupt.length - 12; i++) corrupt[i] = 0xab; // keep the signature and IHDR, wreck the rest
      await expectError(post('/v1/models/cnn/predict', { inputs: { image: corrupt.toString('base64') } }), 400, 'invalid_input', 'not a decodable PNG, JPEG or WebP image');
      await expectError(post('/v1/models/cnn/predict', { inputs: { image: 42 } }), 400, 'invalid_input', 'expected a base64-encoded image or a data URL, got number 42');
      await expectError(post('/v1/models/cnn/predict', { inputs: {} }), 400, 'invalid_input', "input 'image' is missing");
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 4. Tensor models
  // ------------------------------------------------------------------------------------------------

  describe('tensor models', () => {
    it('runs multi_input from nested arrays and {data, shape}, like a direct onnxruntime run', async () => {
      const res = await post<PredictBody>('/v1/models/multi/predict', {
        instances: [
          { numeric: [1, 2, 3], ids: [1, 2] },
          { numeric: { data: [0.25, -4, 1.5], shape: [3] }, ids: { data: [10, -4], shape: [2] } },
        ],
      });
      expect(res.status, res.text).toBe(200);
      const out = await direct.multi.run({
        numeric: new ort.Tensor('float32', new Float32Array([1, 2, 3, 0.25, -4, 1.5]), [2, 3]),
        ids: new ort.Tensor('int64', new BigInt64Array([1n, 2n, 10n, -4n]), [2, 2]),
      });
      const score = out['score']!.data as Float32Array;
      expect(res.json.predictions.map(withoutId)).toEqual([
        { value: score[0], outputs: { doubled_ids: [2, 4] } },
        { value: score[1], outputs: { doubled_ids: [20, -8] } },
      ]);
      // score = numeric·[0.5, -1, 2] + 0.1·sum(ids)
      expect(res.json.predictions[0]!.value).toBeCloseTo(4.8, 5);
      await expectError(post('/v1/models/multi/predict', { inputs: { numeric: [1, 2, 3] } }), 400, 'invalid_input', "input 'ids' is missing");
      await expectError(post('/v1/models/multi/predict', { inputs: { numeric: [1, 2, 3], ids: [1.5, 2] } }), 400, 'invalid_input', "input 'ids': expected int64 integers");
      await expectError(post('/v1/models/multi/predict', { inputs: { numeric: [1, 2], ids: [1, 2] } }), 400, 'invalid_input', "input 'numeric': expected shape [3]");
      await expectError(post('/v1/models/multi/predict', { inputs: { numeric: [1, 2, 3], ids: [1, 2], extra: 1 } }), 400, 'invalid_input', "unknown input 'extra'");
    });

    it('serves fixed_batch through its derived card: outputs.y, one instance per run', async () => {
      const res = await post<PredictBody>('/v1/models/fixed/predict', { instances: [{ x: [1, 2, 3, 4] }, { x: [0, -1, 0.5, 2] }] });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ model: 'fixed', version: 1 });
      expect(res.json.predictions.map(withoutId)).toEqual([{ outputs: { y: [3, 6, 9, 12] } }, { outputs: { y: [0, -3, 1.5, 6] } }]);
      const one = await post<PredictBody>('/v1/models/fixed/predict', { inputs: { x: [1, 1, 1, 1] } });
      expect(withoutId(one.json.predictions[0]!)).toEqual({ outputs: { y: [3, 3, 3, 3] } });
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 5. /predict/batch
  // ------------------------------------------------------------------------------------------------

  describe('POST /v1/models/{name}/predict/batch', () => {
    const BROKEN = [7, 42, 150];
    const BROKEN_ERRORS = [
      { row: 7, code: 'invalid_input', message: "feature 'mean_texture' is missing" },
      { row: 42, code: 'invalid_input', message: `feature 'mean_area': expected number, got string "abc"` },
      { row: 150, code: 'invalid_input', message: "feature 'worst_area': -5 is outside the valid range [0, inf]" },
    ];

    it('predicts 200 JSON rows, reporting the 3 broken ones by index and predicting the rest like /predict', async () => {
      const rows: Array<Record<string, unknown>> = Array.from({ length: 200 }, (_, i) => csvRow(i));
      delete rows[7]!['mean_texture'];
      rows[42]!['mean_area'] = 'abc';
      rows[150]!['worst_area'] = -5;
      const res = await post<BatchBody>('/v1/models/cancer/predict/batch', { instances: rows });
      expect(res.status, res.text).toBe(200);
      const body = res.json;
      expect(body).toMatchObject({ model: 'cancer', version: 1, rows: 200, failed: 3 });
      expect(body.id).toMatch(UUID);
      expect(typeof body.latency_ms).toBe('number');
      expect(body.errors).toEqual(BROKEN_ERRORS);
      expect(body.predictions).toHaveLength(200);
      body.predictions.forEach((p, i) => (BROKEN.includes(i) ? expect(p, `row ${i}`).toBeNull() : expect(p, `row ${i}`).not.toBeNull()));
      const goodRows = rows.filter((_, i) => !BROKEN.includes(i));
      const single = await post<PredictBody>('/v1/models/cancer/predict', { instances: goodRows });
      expect(single.status, single.text).toBe(200);
      expect(body.predictions.filter((p) => p !== null).map(withoutId)).toEqual(single.json.predictions.map(withoutId));
      const ids = body.predictions.filter((p) => p !== null).map((p) => p.id);
      expect(new Set(ids).size).toBe(197);
    });

    it('predicts a text/csv body (first 300 lines, diagnosis removed) the same way, broken cells reported by row', async () => {
      const lines = csvWithoutDiagnosis(300);
      const rows = Array.from({ length: 299 }, (_, i) => csvRow(i));
      const col = (name: string) => FEATURES.indexOf(name);
      const edit = (row: number, feature: string, value: string) => {
        const cells = lines[row + 1]!.split(',');
        cells[col(feature)] = value;
        lines[row + 1] = cells.join(',');
      };
      edit(7, 'mean_texture', '');
      edit(42, 'mean_area', 'abc');
      edit(150, 'worst_area', '-5');
      const res = await send<BatchBody>('POST', '/v1/models/cancer/predict/batch', { body: lines.join('\n') + '\n', type: 'text/csv' });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ model: 'cancer', version: 1, rows: 299, failed: 3 });
      expect(res.json.errors).toEqual(BROKEN_ERRORS);
      res.json.predictions.forEach((p, i) => (BROKEN.includes(i) ? expect(p, `row ${i}`).toBeNull() : expect(p, `row ${i}`).not.toBeNull()));
      const single = await post<PredictBody>('/v1/models/cancer/predict', { instances: rows.filter((_, i) => !BROKEN.includes(i)) });
      expect(res.json.predictions.filter((p) => p !== null).map(withoutId)).toEqual(single.json.predictions.map(withoutId));
    });

    it('takes a clean CSV whole, honours ?version= and ?top_k=', async () => {
      const csv = csvWithoutDiagnosis(11).join('\n');
      const res = await send<BatchBody>('POST', '/v1/models/cancer/predict/batch?version=2&top_k=2', { body: csv, type: 'text/csv; charset=utf-8' });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ version: 2, rows: 10, failed: 0, errors: [] });
      const rows = Array.from({ length: 10 }, (_, i) => csvRow(i));
      const out = await directCancer(direct.v2, rows);
      res.json.predictions.forEach((p, i) => {
        expect(p!.probabilities).toEqual({ malignant: out[i * 2], benign: out[i * 2 + 1] });
        expect(p!.top_k).toHaveLength(2);
      });
    });

    it('refuses CSV for a non-tabular model (415) and bodies of the wrong shape (400)', async () => {
      await expectError(send('POST', '/v1/models/cnn/predict/batch', { body: 'image\nabc\n', type: 'text/csv' }), 415, 'unsupported_media_type', "text/csv needs a model with one tabular input; 'cnn' takes image (image)");
      await expectError(send('POST', '/v1/models/multi/predict/batch', { body: 'numeric,ids\n1,2\n', type: 'text/csv' }), 415, 'unsupported_media_type', 'text/csv needs a model with one tabular input');
      await expectError(post('/v1/models/cancer/predict/batch', { rows: [] }), 400, 'invalid_input', 'body must be {"instances": [...]} (JSON) or CSV with a header row (text/csv)');
      await expectError(post('/v1/models/cancer/predict/batch', { instances: [] }), 400, 'invalid_input', 'no instances given');
      await expectError(post('/v1/models/nope/predict/batch', { instances: [ROWS[0]] }), 404, 'not_found', "model 'nope' does not exist");
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 6. MLflow /invocations
  // ------------------------------------------------------------------------------------------------

  describe('POST /v1/models/{name}/invocations (MLflow)', () => {
    it('answers every MLflow input format with the labels /predict gives', async () => {
      const labels = (await post<PredictBody>('/v1/models/cancer/predict', { instances: ROWS })).json.predictions.map((p) => p.label);
      expect(new Set(labels)).toEqual(new Set(['malignant', 'benign'])); // both classes among the rows
      const formats: Record<string, Promise<Res<unknown>>> = {
        dataframe_split: post('/v1/models/cancer/invocations', { dataframe_split: { columns: FEATURES, data: ROWS.map((r) => FEATURES.map((f) => r[f])) } }),
        dataframe_records: post('/v1/models/cancer/invocations', { dataframe_records: ROWS }),
        instances: post('/v1/models/cancer/invocations', { instances: ROWS }),
        inputs_columns: post('/v1/models/cancer/invocations', { inputs: Object.fromEntries(FEATURES.map((f) => [f, ROWS.map((r) => r[f])])) }),
        inputs_list: post('/v1/models/cancer/invocations', { inputs: ROWS, params: {} }),
        csv: send('POST', '/v1/models/cancer/invocations', { body: [FEATURES.join(','), ...ROWS.map((r) => FEATURES.map((f) => r[f]).join(','))].join('\n'), type: 'text/csv' }),
      };
      for (const [format, pending] of Object.entries(formats)) {
        const res = await pending;
        expect(res.status, `${format}: ${res.text}`).toBe(200);
        expect(res.json, format).toEqual({ predictions: labels });
      }
    });

    it('answers a regression model with numbers', async () => {
      const out = await direct.multi.run({
        numeric: new ort.Tensor('float32', new Float32Array([1, 2, 3, 0, 0, 0]), [2, 3]),
        ids: new ort.Tensor('int64', new BigInt64Array([1n, 2n, 10n, -4n]), [2, 2]),
      });
      const scores = [...(out['score']!.data as Float32Array)];
      const columns = await post('/v1/models/multi/invocations', { inputs: { numeric: [[1, 2, 3], [0, 0, 0]], ids: [[1, 2], [10, -4]] } });
      expect(columns.status, columns.text).toBe(200);
      expect(columns.json).toEqual({ predictions: scores });
      const records = await post('/v1/models/multi/invocations', { dataframe_records: [{ numeric: [1, 2, 3], ids: [1, 2] }, { numeric: [0, 0, 0], ids: [10, -4] }] });
      expect(records.json).toEqual({ predictions: scores });
    });

    it('refuses two formats at once, unknown keys (400) and other content types (415)', async () => {
      await expectError(post('/v1/models/cancer/invocations', { dataframe_records: ROWS, instances: ROWS }), 400, 'invalid_input', 'give exactly one of dataframe_split, dataframe_records, instances, inputs; got dataframe_records, instances');
      await expectError(post('/v1/models/cancer/invocations', { records: ROWS }), 400, 'invalid_input', "unknown field(s) 'records'");
      await expectError(post('/v1/models/cancer/invocations', {}), 400, 'invalid_input', 'give exactly one of dataframe_split, dataframe_records, instances, inputs; got none');
      await expectError(post('/v1/models/cancer/invocations', { dataframe_split: { columns: FEATURES, data: [[1, 2]] } }), 400, 'invalid_input', 'dataframe_split.data[0]: expected 30 values');
      await expectError(post('/v1/models/cancer/invocations', { instances: [{ ...ROWS[0], mean_radius: -1 }] }), 400, 'invalid_input', "feature 'mean_radius': -1 is outside the valid range [0, inf]");
      await expectError(send('POST', '/v1/models/cancer/invocations', { body: JSON.stringify({ instances: ROWS }), type: 'text/plain' }), 415, 'unsupported_media_type', "unsupported content type 'text/plain'");
      await expectError(send('POST', '/v1/models/multi/invocations', { body: 'numeric,ids\n1,2\n', type: 'text/csv' }), 415, 'unsupported_media_type', 'text/csv needs a model with one tabular input');
      await expectError(post('/v1/models/nope/invocations', { instances: ROWS }), 404, 'not_found', "model 'nope' does not exist");
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 7. Open Inference Protocol (KServe v2)
  // ------------------------------------------------------------------------------------------------

  describe('Open Inference Protocol /v2', () => {
    const flatRows = (rows: Row[]) => rows.flatMap((r) => FEATURES.map((f) => r[f]!));

    it('answers server metadata, liveness and readiness', async () => {
      expect((await get('/v2')).json).toEqual({ name: 'berth', version: BERTH_VERSION, extensions: [] });
      expect(await get('/v2/health/live')).toMatchObject({ status: 200, json: { live: true } });
      expect(await get('/v2/health/ready')).toMatchObject({ status: 200, json: { ready: true } });
    });

    it('answers model and version metadata and readiness', async () => {
      const meta = {
        name: 'cancer',
        versions: ['2', '1'],
        platform: 'onnx_onnxv1',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 30] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
      };
      expect(await get('/v2/models/cancer')).toMatchObject({ status: 200, json: meta });
      expect((await get('/v2/models/cancer')).json).toEqual(meta);
      expect((await get('/v2/models/cancer/versions/2')).json).toEqual(meta);
      expect((await get('/v2/models/multi')).json).toEqual({
        name: 'multi',
        versions: ['1'],
        platform: 'onnx_onnxv1',
        inputs: [
          { name: 'numeric', datatype: 'FP32', shape: [-1, 3] },
          { name: 'ids', datatype: 'INT64', shape: [-1, 2] },
        ],
        outputs: [
          { name: 'score', datatype: 'FP32', shape: [-1, 1] },
          { name: 'doubled_ids', datatype: 'INT64', shape: [-1, 2] },
        ],
      });
      expect((await get('/v2/models/fixed')).json).toMatchObject({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }] });
      expect(await get('/v2/models/cancer/ready')).toMatchObject({ status: 200, json: { name: 'cancer', ready: true } });
      expect(await get('/v2/models/cancer/versions/2/ready')).toMatchObject({ status: 200, json: { name: 'cancer', ready: true } });
      await expectOipError(get('/v2/models/nope'), 404, "model 'nope' does not exist");
      await expectOipError(get('/v2/models/nope/ready'), 404, "model 'nope' does not exist");
      await expectOipError(get('/v2/models/cancer/versions/9'), 404, "model 'cancer' has no version 9");
      await expectOipError(get('/v2/models/cancer/versions/9/ready'), 404, "model 'cancer' has no version 9");
    });

    it('infers FP32 [2,30] from flat and nested data like a direct onnxruntime run, echoing the id', async () => {
      const rows = ROWS.slice(0, 2);
      const out = await directCancer(direct.v1, rows);
      const expected = { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [...out] };
      const flat = await post<OipInferBody>('/v2/models/cancer/infer', { id: 'req-1', inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: flatRows(rows) }] });
      expect(flat.status, flat.text).toBe(200);
      expect(flat.json).toEqual({ model_name: 'cancer', model_version: '1', id: 'req-1', outputs: [expected] });
      const nested = await post<OipInferBody>('/v2/models/cancer/infer', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: rows.map((r) => FEATURES.map((f) => r[f])) }] });
      expect(nested.status, nested.text).toBe(200);
      expect(nested.json).toEqual({ model_name: 'cancer', model_version: '1', outputs: [expected] });
      const filtered = await post<OipInferBody>('/v2/models/cancer/infer', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: flatRows(rows) }], outputs: [{ name: 'probabilities' }] });
      expect(filtered.json.outputs).toEqual([expected]);
      // a version of its own
      const v2 = await post<OipInferBody>('/v2/models/cancer/versions/2/infer', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: flatRows(rows) }] });
      expect(v2.json).toEqual({ model_name: 'cancer', model_version: '2', outputs: [{ ...expected, data: [...(await directCancer(direct.v2, rows))] }] });
    });

    it('infers multi_input with INT64 data, returning INT64 doubled_ids, and filters outputs', async () => {
      const inputs = [
        { name: 'numeric', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 0.5, 0.25, -1] },
        { name: 'ids', datatype: 'INT64', shape: [2, 2], data: [[1, 2], [-7, 30]] },
      ];
      const out = await direct.multi.run({
        numeric: new ort.Tensor('float32', new Float32Array([1, 2, 3, 0.5, 0.25, -1]), [2, 3]),
        ids: new ort.Tensor('int64', new BigInt64Array([1n, 2n, -7n, 30n]), [2, 2]),
      });
      const all = await post<OipInferBody>('/v2/models/multi/infer', { inputs });
      expect(all.status, all.text).toBe(200);
      expect(all.json).toEqual({
        model_name: 'multi',
        model_version: '1',
        outputs: [
          { name: 'score', datatype: 'FP32', shape: [2, 1], data: [...(out['score']!.data as Float32Array)] },
          { name: 'doubled_ids', datatype: 'INT64', shape: [2, 2], data: [2, 4, -14, 60] },
        ],
      });
      const only = await post<OipInferBody>('/v2/models/multi/infer', { inputs, outputs: [{ name: 'doubled_ids' }] });
      expect(only.json.outputs).toEqual([{ name: 'doubled_ids', datatype: 'INT64', shape: [2, 2], data: [2, 4, -14, 60] }]);
    });

    it('refuses bad tensors with 400 {"error": "..."} and unknown models with 404', async () => {
      const features = (over: Record<string, unknown>) => ({ inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: flatRows(ROWS.slice(0, 2)), ...over }] });
      await expectOipError(post('/v2/models/cancer/infer', features({ datatype: 'FP64' })), 400, "input 'features': datatype FP64 does not match the model's FP32");
      await expectOipError(post('/v2/models/cancer/infer', features({ datatype: 'FLOAT' })), 400, `input 'features': datatype "FLOAT" is not supported`);
      await expectOipError(post('/v2/models/cancer/infer', features({ shape: [2, 29], data: new Array(58).fill(1) })), 400, "input 'features': dimension 1 is 29, the model expects 30");
      await expectOipError(post('/v2/models/cancer/infer', features({ shape: [60] })), 400, "input 'features': shape [60] has rank 1, the model expects [-1,30]");
      await expectOipError(post('/v2/models/cancer/infer', features({ data: new Array(59).fill(1) })), 400, "input 'features': shape [2,30] needs 60 elements, data has 59");
      await expectOipError(post('/v2/models/cancer/infer', features({ data: [...new Array(59).fill(1), 'x'] })), 400, `input 'features': element 59 is "x", expected a FP32 number`);
      await expectOipError(post('/v2/models/cancer/infer', features({ name: 'feats' })), 400, "unknown input 'feats'; the model's inputs are features");
      await expectOipError(post('/v2/models/cancer/infer', { ...features({}), outputs: [{ name: 'logits' }] }), 400, "unknown output 'logits'");
      await expectOipError(post('/v2/models/multi/infer', { inputs: [{ name: 'numeric', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }), 400, 'missing input(s) ids');
      await expectOipError(
        post('/v2/models/multi/infer', { inputs: [{ name: 'numeric', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'ids', datatype: 'INT64', shape: [1, 2], data: [1.5, 2] }] }),
        400,
        "input 'ids': element 0 is 1.5, expected a INT64 number",
      );
      await expectOipError(post('/v2/models/cancer/infer', { inputs: [] }), 400, 'invalid request');
      await expectOipError(post('/v2/models/cancer/infer', {}), 400, "must have required property 'inputs'");
      await expectOipError(post('/v2/models/nope/infer', features({})), 404, "model 'nope' does not exist");
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 8. Prometheus metrics
  // ------------------------------------------------------------------------------------------------

  describe('GET /metrics', () => {
    async function scrape(): Promise<{ text: string; type: string | null }> {
      const res = await get('/metrics');
      expect(res.status).toBe(200);
      return { text: res.text, type: res.headers.get('content-type') };
    }

    it('exposes request counts, latency, batch size, queue time, pending rows and process metrics', async () => {
      // Something served first, so every series this test reads already exists.
      await post('/v1/models/cancer/predict', { inputs: ROWS[0] });
      const before = (await scrape()).text;
      const ok = { model: 'cancer', version: '1', status: 'ok' };
      const bad = { model: 'cancer', version: '1', status: 'invalid_input' };
      const read = (text: string, name: string, labels: Record<string, string>) => sample(text, name, labels) ?? 0;

      for (const n of [1, 2, 3]) expect((await post('/v1/models/cancer/predict', { instances: ROWS.slice(0, n) })).status).toBe(200);
      const missing: Record<string, unknown> = { ...ROWS[0] };
      delete missing['mean_radius'];
      expect((await post('/v1/models/cancer/predict', { inputs: missing })).status).toBe(400);
      const oip = await post('/v2/models/cancer/infer', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: ROWS.slice(0, 2).flatMap((r) => FEATURES.map((f) => r[f])) }] });
      expect(oip.status).toBe(200);
      expect((await post('/v1/models/ghost/predict', { inputs: ROWS[0] })).status).toBe(404);

      const { text, type } = await scrape();
      expect(type).toMatch(/^text\/plain/);
      expect(type).toContain('version=0.0.4');
      for (const [name, kind] of [
        ['berth_inference_requests_total', 'counter'],
        ['berth_inference_predictions_total', 'counter'],
        ['berth_inference_request_duration_seconds', 'histogram'],
        ['berth_inference_batch_size', 'histogram'],
        ['berth_inference_queue_duration_seconds', 'histogram'],
        ['berth_inference_pending_rows', 'gauge'],
        ['berth_process_cpu_seconds_total', 'counter'],
      ] as const) {
        expect(text).toContain(`# TYPE ${name} ${kind}\n`);
        expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      }

      // requests: 3 ok predicts + 1 ok OIP infer; 1 refused; the unknown model makes no series at all
      expect(read(text, 'berth_inference_requests_total', ok) - read(before, 'berth_inference_requests_total', ok)).toBe(4);
      expect(read(text, 'berth_inference_requests_total', bad) - read(before, 'berth_inference_requests_total', bad)).toBe(1);
      expect(text).not.toContain('model="ghost"');
      // rows predicted: 1 + 2 + 3 + 2
      const rows = { model: 'cancer', version: '1' };
      expect(read(text, 'berth_inference_predictions_total', rows) - read(before, 'berth_inference_predictions_total', rows)).toBe(8);

      // latency: one observation per successful request, in every bucket up to +Inf
      const m = { model: 'cancer' };
      const count = (t: string, name: string) => read(t, `${name}_count`, m);
      expect(count(text, 'berth_inference_request_duration_seconds') - count(before, 'berth_inference_request_duration_seconds')).toBe(4);
      const buckets = ['0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
      const values = buckets.map((le) => sample(text, 'berth_inference_request_duration_seconds_bucket', { le, model: 'cancer' }));
      expect(values.every((v) => v !== undefined)).toBe(true);
      for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
      expect(values[values.length - 1]).toBe(count(text, 'berth_inference_request_duration_seconds'));
      expect(read(text, 'berth_inference_request_duration_seconds_sum', m)).toBeGreaterThan(0);

      // batch size and queue time: observed by /predict (3 requests, run alone: 1, 2 and 3 rows)
      expect(count(text, 'berth_inference_batch_size') - count(before, 'berth_inference_batch_size')).toBe(3);
      expect(read(text, 'berth_inference_batch_size_sum', m) - read(before, 'berth_inference_batch_size_sum', m)).toBe(6);
      expect(sample(text, 'berth_inference_batch_size_bucket', { le: '1', model: 'cancer' })).toBeDefined();
      expect(sample(text, 'berth_inference_batch_size_bucket', { le: '4096', model: 'cancer' })).toBeDefined();
      expect(count(text, 'berth_inference_queue_duration_seconds') - count(before, 'berth_inference_queue_duration_seconds')).toBe(3);
      expect(sample(text, 'berth_inference_queue_duration_seconds_bucket', { le: '+Inf', model: 'cancer' })).toBe(count(text, 'berth_inference_queue_duration_seconds'));

      // nothing waits once the requests are answered
      expect(sample(text, 'berth_inference_pending_rows', rows)).toBe(0);
      // default process metrics, under the berth_ prefix
      expect(sample(text, 'berth_process_cpu_seconds_total')).toBeGreaterThan(0);
    });

    it('passes `promtool check metrics`', async () => {
      await post('/v1/models/cancer/predict', { instances: ROWS.slice(0, 2) });
      const { text } = await scrape();
      if (!promtoolInstalled) {
        console.warn('[berth tests] promtool check of /metrics skipped: promtool is not installed (apt-get install prometheus provides it)');
        return;
      }
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      const said = `${check.stdout}${check.stderr}`.trim();
      expect(said).toBe('');
      expect(check.status).toBe(0);
    });
  });

  // ------------------------------------------------------------------------------------------------
  // 9. Health, readiness and the model view
  // ------------------------------------------------------------------------------------------------

  describe('health and model views', () => {
    it('GET /health lists the loaded models and counts requests', async () => {
      expect((await post('/v1/models/cancer/predict', { inputs: ROWS[0] })).status).toBe(200);
      type Health = { status: string; version: string; store: string; uptime_s: number; requests: { total: number; errors: number }; models: Array<Record<string, unknown>>; load_errors: unknown[] };
      const before = (await get<Health>('/health')).json;
      expect((await post('/v1/models/cancer/predict', { inputs: ROWS[1] })).status).toBe(200);
      expect((await post('/v1/models/cancer/predict', { inputs: { ...ROWS[1], mean_radius: -2 } })).status).toBe(400);
      const res = await get<Health>('/health');
      expect(res.status).toBe(200);
      const health = res.json;
      expect(health).toMatchObject({ status: 'ok', version: BERTH_VERSION, store: target.engine, load_errors: [] });
      expect(typeof health.uptime_s).toBe('number');
      expect(health.requests.total - before.requests.total).toBe(2);
      expect(health.requests.errors - before.requests.errors).toBe(1);
      const cancer = health.models.find((m) => m['model'] === 'cancer' && m['version'] === 1);
      expect(cancer).toBeDefined();
      expect(cancer).toMatchObject({ model: 'cancer', version: 1, inflight: 0, queued_rows: 0 });
      expect(['inline', 'worker']).toContain(cancer!['executor']);
      expect(cancer!['serves']).toContain('default');
      expect(Date.parse(String(cancer!['loaded_at']))).not.toBeNaN();
    });

    it('GET /ready is {"ready": true}', async () => {
      const res = await get('/ready');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ ready: true });
    });

    it('GET /v1/models/{name} shows versions, the default version, its card and what is served', async () => {
      expect((await post('/v1/models/cancer/predict', { inputs: ROWS[0] })).status).toBe(200);
      const res = await get<{ name: string; versions: Array<{ version: number; status: string; aliases: string[] }>; default_version: number; card: Record<string, unknown>; serving: Array<Record<string, unknown>> }>('/v1/models/cancer');
      expect(res.status, res.text).toBe(200);
      const model = res.json;
      expect(model.name).toBe('cancer');
      expect(model.versions.map((v) => [v.version, v.status])).toEqual([[2, 'ready'], [1, 'ready']]);
      expect(model.versions[1]!.aliases).toContain('production');
      expect(model.default_version).toBe(1);
      expect(model.card).toMatchObject(JSON.parse(CARD_V1) as Record<string, unknown>);
      const served = model.serving.find((s) => s['version'] === 1);
      expect(served).toMatchObject({ model: 'cancer', version: 1 });
      expect(served!['serves']).toContain('default');
      expect(model.serving.every((s) => s['model'] === 'cancer')).toBe(true);
    });
  });
});
