import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parse as parseCsv } from 'csv-parse/sync';
import Type from 'typebox';
import { BerthError, describeValue, isBerthError } from '../../errors/index.js';
import { isPlainObject } from '../../validation/index.js';
import { predictionId, type EncodedRows, type ImageUploads, type LoadedModel, type ModelManager, type Prediction } from '../../inference/index.js';
import type { PredictionLog, PredictionRecord } from '../../monitoring/index.js';
import { routeRequest, shadowed, type AbTestRouting, type Route, type RoutedTest } from '../../abtest/index.js';
import { errorResponses, ModelParams } from '../schemas.js';
import type { ServingMetrics, VersionMetrics } from '../metrics.js';
import { readImageParts } from './image-parts.js';

export interface PredictRoutesOptions {
  manager: ModelManager;
  metrics: ServingMetrics;
  maxInstances: number;
  maxImageBytes: number;
  /** The prediction log; absent when monitoring.enabled is false. */
  log?: PredictionLog | undefined;
  /** Running A/B tests by model (routes /predict requests that name no version or alias). */
  routing?: AbTestRouting | undefined;
  onShadowError?: (err: unknown) => void;
}

type Endpoint = PredictionRecord['endpoint'];

/** What a request logs: which endpoint, whose subject, and the instances as sent (read only on failure). */
interface LogContext {
  endpoint: Endpoint;
  subject: string | null;
  inputs: () => unknown;
  route?: Route | undefined;
}

/** Segment attributes of a request: its `attributes` plus the first instance's fields (nested input objects flattened one level). */
function attributesOf(attributes: Record<string, unknown> | undefined, instance: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(attributes ?? {}) };
  if (instance !== null && typeof instance === 'object' && !Array.isArray(instance)) {
    for (const [key, value] of Object.entries(instance)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, value);
      else out[key] = value;
    }
  }
  return out;
}

/** The subject of a request: the X-Berth-Subject header (A/B assignment and per-subject queries use it). */
export function subjectOf(request: FastifyRequest): string | null {
  const header = request.headers['x-berth-subject'];
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 256) : null;
}

const Selector = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Serve this version.' })),
    alias: Type.Optional(Type.String({ maxLength: 64, description: 'Serve the version this alias points to (default: production, else the latest version).' })),
    top_k: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Classification: also list the k most likely labels.' })),
  },
  { additionalProperties: false },
);

const PredictionSchema = Type.Object(
  {
    id: Type.String({ description: 'Unique id of this prediction (feedback joins on it).' }),
    label: Type.Optional(Type.String()),
    confidence: Type.Optional(Type.Number()),
    probabilities: Type.Optional(Type.Record(Type.String(), Type.Number())),
    top_k: Type.Optional(Type.Array(Type.Object({ label: Type.String(), probability: Type.Number() }))),
    value: Type.Optional(Type.Unknown()),
    outputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true },
);

const PredictResponse = Type.Object({
  id: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  predictions: Type.Array(PredictionSchema),
  latency_ms: Type.Number(),
  abtest: Type.Optional(Type.String({ description: 'The A/B test that routed this request.' })),
  variant: Type.Optional(Type.String({ description: 'Its variant (the served version is `version`).' })),
  assignment: Type.Optional(Type.Union([Type.Literal('subject'), Type.Literal('random')], { description: 'subject: hashed from the subject id; random: no subject was given.' })),
});

type Selection = { version?: number | undefined; alias?: string | undefined; top_k?: number | undefined };

/** CSV rows of a tabular model: numbers where the card says number, strings elsewhere, empty = missing. */
function csvRecords(text: string, model: LoadedModel): Array<Record<string, unknown>> {
  const tabular = model.inputs.length === 1 && model.inputs[0]!.kind === 'tabular' ? model.inputs[0] : undefined;
  if (!tabular || tabular.kind !== 'tabular') throw new BerthError('unsupported_media_type', `text/csv needs a model with one tabular input; '${model.name}' takes ${model.inputs.map((i) => `${i.name} (${i.kind})`).join(', ')}`);
  let rows: Array<Record<string, string>>;
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>;
  } catch (err) {
    throw new BerthError('invalid_input', `CSV body could not be parsed: ${(err as Error).message}`);
  }
  const numeric = new Set(tabular.layout.spec.features.filter((f) => f.type === 'number').map((f) => f.name));
  return rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(row)) {
      if (raw === '') continue;
      record[key] = numeric.has(key) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : raw;
    }
    return record;
  });
}

/** MLflow scoring-server payloads → instances (objects naming inputs or features). */
function mlflowInstances(body: unknown, model: LoadedModel): unknown[] {
  if (!isPlainObject(body)) throw new BerthError('invalid_input', `body must be a JSON object with one of dataframe_split, dataframe_records, instances, inputs; got ${describeValue(body)}`);
  const keys = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'].filter((k) => k in body);
  const unknown = Object.keys(body).filter((k) => !['dataframe_split', 'dataframe_records', 'instances', 'inputs', 'params'].includes(k));
  if (unknown.length > 0) throw new BerthError('invalid_input', `unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}: expected one of dataframe_split, dataframe_records, instances, inputs (and optional params)`);
  if (keys.length !== 1) throw new BerthError('invalid_input', `give exactly one of dataframe_split, dataframe_records, instances, inputs; got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
  const key = keys[0]!;
  const value = body[key];
  const single = model.inputs.length === 1 ? model.inputs[0]! : undefined;
  const wrap = (item: unknown): unknown => (single && single.kind !== 'tabular' && !isPlainObject(item) ? { [single.name]: item } : item);
  if (key === 'dataframe_split') {
    if (!isPlainObject(value) || !Array.isArray(value['columns']) || !Array.isArray(value['data'])) {
      throw new BerthError('invalid_input', `dataframe_split must be {"columns": [...], "data": [[...], ...]}, got ${describeValue(value)}`);
    }
    const columns = value['columns'] as unknown[];
    return (value['data'] as unknown[]).map((row, r) => {
      if (!Array.isArray(row) || row.length !== columns.length) throw new BerthError('invalid_input', `dataframe_split.data[${r}]: expected ${columns.length} values, got ${describeValue(row)}`);
      return Object.fromEntries(columns.map((c, i) => [String(c), row[i]]));
    });
  }
  if (key === 'dataframe_records' || key === 'instances') {
    if (!Array.isArray(value)) throw new BerthError('invalid_input', `${key} must be an array, got ${describeValue(value)}`);
    return value.map(wrap);
  }
  // `inputs`: a list like instances, or columns {name: [v0, v1, ...]}.
  if (Array.isArray(value)) return value.map(wrap);
  if (!isPlainObject(value)) throw new BerthError('invalid_input', `inputs must be an array or an object of columns, got ${describeValue(value)}`);
  const columns = Object.entries(value);
  const lengths = new Set(columns.map(([, v]) => (Array.isArray(v) ? v.length : -1)));
  if (lengths.has(-1) || lengths.size !== 1) throw new BerthError('invalid_input', 'inputs as an object must map each name to an array, all of the same length');
  const n = [...lengths][0]!;
  return Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map(([name, v]) => [name, (v as unknown[])[i]])));
}

/** MLflow answers with bare values: the label (classification), the value (regression), else the outputs. */
function mlflowValue(p: Prediction): unknown {
  if (p.label !== undefined) return p.label;
  if (p.value !== undefined) return p.value;
  const outputs = Object.values(p.outputs ?? {});
  return outputs.length === 1 ? outputs[0] : p.outputs;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as text, kept only while the prediction log is on (it logs one instance from it). */
    berthBodyText: string | undefined;
    /** A multipart body, left unread for the handler (predict's image uploads). */
    berthMultipart: boolean;
  }
}

export async function predictRoutes(fastify: FastifyInstance, opts: PredictRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { manager, metrics, log } = opts;

  /** Hands served predictions to the log writer; never waits on the database (see PredictionLog). */
  function logServed(ctx: LogContext, model: LoadedModel, instances: readonly unknown[], predictions: ReadonlyArray<Prediction | null>, seconds: number, body?: string): void | Promise<void> {
    if (!log) return;
    const ts = Date.now();
    const latency = Math.round(seconds * 1e6) / 1e3;
    const records: PredictionRecord[] = [];
    predictions.forEach((p, i) => {
      if (!p) return;
      const record: PredictionRecord = { id: p.id, ts, model: model.name, version: model.version.version, subject: ctx.subject, endpoint: ctx.endpoint, status: 200, latency_ms: latency, outputs: p };
      if (ctx.route) {
        record.abtest = ctx.route.abtest;
        record.variant = ctx.route.variant;
      }
      if (body !== undefined) record.body = body;
      else record.inputs = instances[i];
      records.push(record);
    });
    return log.append(records);
  }

  function logRefused(ctx: LogContext, model: LoadedModel, inputs: unknown, err: unknown, seconds: number): void {
    if (!log) return;
    const status = isBerthError(err) ? err.status : 500;
    void log.append([
      {
        id: predictionId(),
        ts: Date.now(),
        model: model.name,
        version: model.version.version,
        subject: ctx.subject,
        endpoint: ctx.endpoint,
        abtest: ctx.route?.abtest ?? null,
        variant: ctx.route?.variant ?? null,
        status,
        error_code: isBerthError(err) ? err.code : 'internal',
        error: err instanceof Error ? err.message : String(err),
        latency_ms: Math.round(seconds * 1e6) / 1e3,
        inputs,
      },
    ]);
  }

  // Only JSON, CSV (batch, invocations) and multipart (images) are inputs here; plain text is a mistake.
  fastify.removeContentTypeParser('text/plain');
  // JSON as Fastify parses it (same prototype-poisoning guards), keeping the text while the log is on: it
  // stores a single instance's JSON as sent instead of cloning and re-serializing the parsed object.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.decorateRequest('berthBodyText', undefined);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (log) request.berthBodyText = body as string;
    parseJson(request, body as string, done);
  });
  fastify.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Multipart bodies (images) are left unread here; the predict handler streams their parts (readImageParts).
  fastify.decorateRequest('berthMultipart', false);
  fastify.addContentTypeParser('multipart/form-data', (request, _payload, done) => {
    request.berthMultipart = true;
    done(null);
  });

  /**
   * Acquires the version, runs `work`, and records the outcome in metrics whatever happens. `work` and the
   * caller get the version's metrics, looked up once per request.
   */
  async function withModel<T>(
    name: string,
    q: Selection,
    ctx: LogContext,
    work: (model: LoadedModel, served: VersionMetrics) => Promise<T>,
  ): Promise<{ model: LoadedModel; result: T; seconds: number; served: VersionMetrics }> {
    const started = performance.now();
    if (q.version !== undefined && q.alias !== undefined) throw new BerthError('invalid_input', 'give either ?version or ?alias, not both');
    const selector = { version: q.version, alias: q.alias };
    const model = manager.acquireReady(name, selector) ?? (await manager.acquire(name, selector));
    const served = metrics.forVersion(name, model.version.version);
    try {
      const result = await work(model, served);
      const seconds = (performance.now() - started) / 1000;
      served.served(seconds);
      return { model, result, seconds, served };
    } catch (err) {
      served.failed(isBerthError(err) ? err.code : 'internal');
      logRefused(ctx, model, ctx.inputs(), err, (performance.now() - started) / 1000);
      throw err;
    } finally {
      model.release();
    }
  }

  /**
   * A shadow version gets a copy of the request after the response has gone: its outputs are logged
   * (variant `shadow`), never returned, and its failures never reach the client.
   */
  async function runShadow(test: RoutedTest, version: number, instances: unknown[], uploads: ImageUploads | undefined, subject: string | null, body: string | undefined): Promise<void> {
    const started = performance.now();
    let model: LoadedModel | undefined;
    try {
      model = await manager.acquire(test.model, { version });
      const result = await model.predict(instances, {}, uploads);
      const ctx: LogContext = { endpoint: 'predict', subject, route: { abtest: test.name, variant: 'shadow', version, assignment: subject === null ? 'random' : 'subject' }, inputs: () => undefined };
      void logServed(ctx, model, instances, result.predictions, (performance.now() - started) / 1000, body);
    } catch (err) {
      opts.onShadowError?.(err);
    } finally {
      model?.release();
    }
  }

  function checkCount(n: number): void {
    if (n === 0) throw new BerthError('invalid_input', 'no instances given');
    if (n > opts.maxInstances) throw new BerthError('payload_too_large', `${n} instances in one request; the limit is ${opts.maxInstances} (inference.max_instances)`);
  }

  app.post('/models/:name/predict', {
    config: { scope: 'predict' },
    // A multipart body is read part by part in the handler; the JSON schema below is for JSON bodies.
    preValidation: (request, _reply, done) => {
      if (request.berthMultipart) request.body = {};
      done();
    },
    schema: {
      tags: ['predict'],
      summary: 'Predict: one instance {"inputs": {...}} or many {"instances": [...]}; images also as multipart',
      description:
        'An instance names each model input: a tabular input by its features (or the features object under the input name), a tensor input as its value without the batch dimension, an image as base64 (or a multipart file part named after the input).',
      params: ModelParams,
      querystring: Selector,
      body: Type.Optional(
        Type.Object(
          {
            inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            instances: Type.Optional(Type.Array(Type.Unknown())),
            parameters: Type.Optional(Type.Object({ top_k: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })) }, { additionalProperties: false })),
            subject: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Who the prediction is for: A/B assignment hashes it (the X-Berth-Subject header works too).' })),
            attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Request attributes A/B segments may test, beside the features.' })),
          },
          { additionalProperties: false },
        ),
      ),
      response: { 200: PredictResponse, 503: Type.Ref('ErrorResponse'), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    let instances: unknown[];
    let uploads: ImageUploads | undefined;
    let topK = q.top_k;
    let bodySubject: string | undefined;
    let attributes: Record<string, unknown> | undefined;
    if (typeof request.body === 'string') throw new BerthError('unsupported_media_type', 'predict takes application/json (or multipart/form-data for images); use /predict/batch for text/csv');
    if (request.berthMultipart) {
      const parsed = await readImageParts(request, opts.maxImageBytes);
      instances = [parsed.instance];
      uploads = parsed.uploads;
    } else {
      const body = request.body;
      if (!body) throw new BerthError('invalid_input', 'body must be {"inputs": {...}} or {"instances": [...]}');
      if ((body.inputs === undefined) === (body.instances === undefined)) {
        throw new BerthError('invalid_input', 'give exactly one of "inputs" (one instance) or "instances" (a list)');
      }
      instances = body.inputs !== undefined ? [body.inputs] : body.instances!;
      topK ??= body.parameters?.top_k;
      bodySubject = body.subject;
      attributes = body.attributes;
    }
    checkCount(instances.length);
    const subject = bodySubject ?? subjectOf(request);
    // A running A/B test routes requests that name no version or alias.
    const test = q.version === undefined && q.alias === undefined ? opts.routing?.testFor(request.params.name) : undefined;
    const route = test ? routeRequest(test, subject, () => attributesOf(attributes, instances[0])) : undefined;
    const ctx: LogContext = { endpoint: 'predict', subject, route, inputs: () => (instances.length === 1 ? instances[0] : { instances }) };
    const { model, result, seconds, served } = await withModel(request.params.name, route ? { version: route.version } : q, ctx, (m) => m.predict(instances, { topK }, uploads));
    served.predicted(instances.length, result.batchRows, result.queuedSeconds);
    // One instance sent as {"inputs": {...}} is logged from the body text (cut out on the writer's thread).
    const body = !uploads && instances.length === 1 && request.body?.inputs !== undefined ? request.berthBodyText : undefined;
    const pending = logServed(ctx, model, instances, result.predictions, seconds, body);
    if (pending) await pending;
    if (test && route) for (const shadow of test.shadows) if (shadowed(test, shadow.share, subject)) setImmediate(() => void runShadow(test, shadow.version, instances, uploads, subject, body));
    // One shape with or without a test (undefined fields are not serialized): no copy of the response.
    return {
      id: randomUUID(),
      model: model.name,
      version: model.version.version,
      predictions: result.predictions,
      latency_ms: Math.round(seconds * 1e6) / 1e3,
      abtest: route?.abtest,
      variant: route?.variant,
      assignment: route?.assignment,
    };
  });

  app.post('/models/:name/predict/batch', {
    config: { scope: 'predict' },
    bodyLimit: 256 * 1024 * 1024,
    schema: {
      tags: ['predict'],
      summary: 'Predict many rows (JSON {"instances": [...]} or text/csv); bad rows are reported by index, the rest still predicted',
      params: ModelParams,
      querystring: Selector,
      response: {
        200: Type.Object({
          id: Type.String(),
          model: Type.String(),
          version: Type.Integer(),
          rows: Type.Integer(),
          failed: Type.Integer(),
          predictions: Type.Array(Type.Union([PredictionSchema, Type.Null()]), { description: 'Aligned with the input rows; null where the row was refused.' }),
          errors: Type.Array(Type.Object({ row: Type.Integer(), code: Type.String(), message: Type.String() })),
          latency_ms: Type.Number(),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const q = request.query;
    const ctx: LogContext = { endpoint: 'batch', subject: subjectOf(request), inputs: () => undefined };
    let batchRows: unknown[] = [];
    const { model, result, seconds } = await withModel(request.params.name, q, ctx, async (m, served) => {
      let rows: unknown[];
      if (typeof request.body === 'string') {
        if (!String(request.headers['content-type']).startsWith('text/csv')) throw new BerthError('unsupported_media_type', 'batch bodies are application/json or text/csv');
        rows = csvRecords(request.body, m);
      }
      else if (isPlainObject(request.body) && Array.isArray(request.body['instances']) && Object.keys(request.body).length === 1) rows = request.body['instances'];
      else throw new BerthError('invalid_input', 'body must be {"instances": [...]} (JSON) or CSV with a header row (text/csv)');
      checkCount(rows.length);
      batchRows = rows;
      // Rows are encoded one by one so a bad row is reported by index instead of failing the rest.
      const good: Array<{ row: number; encoded: EncodedRows }> = [];
      const errors: Array<{ row: number; code: string; message: string }> = [];
      for (let i = 0; i < rows.length; i++) {
        try {
          good.push({ row: i, encoded: await m.encode([rows[i]], () => '') });
        } catch (err) {
          if (!isBerthError(err)) throw err;
          errors.push({ row: i, code: err.code, message: err.message });
        }
      }
      const predictions: Array<Prediction | null> = new Array<Prediction | null>(rows.length).fill(null);
      if (good.length > 0) {
        const merged = mergeRows(good.map((g) => g.encoded));
        const out = await m.predictEncoded(merged, { topK: q.top_k });
        good.forEach((g, k) => (predictions[g.row] = out.predictions[k]!));
        served.predicted(good.length, out.batchRows, out.queuedSeconds);
      }
      return { predictions, errors, rows: rows.length };
    });
    const pending = logServed(ctx, model, batchRows, result.predictions, seconds);
    for (const e of result.errors) logRefused(ctx, model, batchRows[e.row], new BerthError(e.code as 'invalid_input', e.message), seconds);
    if (pending) await pending;
    return {
      id: randomUUID(),
      model: model.name,
      version: model.version.version,
      rows: result.rows,
      failed: result.errors.length,
      predictions: result.predictions,
      errors: result.errors,
      latency_ms: Math.round(seconds * 1e6) / 1e3,
    };
  });

  app.post('/models/:name/invocations', {
    config: { scope: 'predict' },
    bodyLimit: 256 * 1024 * 1024,
    schema: {
      tags: ['predict'],
      summary: 'MLflow scoring-server compatible: dataframe_split, dataframe_records, instances, inputs (+ params), or text/csv',
      params: ModelParams,
      querystring: Selector,
      response: { 200: Type.Object({ predictions: Type.Array(Type.Unknown()) }), ...errorResponses },
    },
  }, async (request) => {
    const contentType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (contentType !== 'application/json' && contentType !== 'text/csv') {
      throw new BerthError('unsupported_media_type', `invocations take application/json or text/csv, got '${contentType || 'none'}'`);
    }
    const ctx: LogContext = { endpoint: 'invocations', subject: subjectOf(request), inputs: () => undefined };
    let instances: unknown[] = [];
    const { model, result, seconds, served } = await withModel(request.params.name, request.query, ctx, async (m) => {
      instances = typeof request.body === 'string' ? csvRecords(request.body, m) : mlflowInstances(request.body, m);
      checkCount(instances.length);
      return m.predict(instances, {});
    });
    served.predicted(result.predictions.length, result.batchRows, result.queuedSeconds);
    const pending = logServed(ctx, model, instances, result.predictions, seconds);
    if (pending) await pending;
    return { predictions: result.predictions.map(mlflowValue) };
  });
}

function mergeRows(parts: EncodedRows[]): EncodedRows {
  if (parts.length === 1) return parts[0]!;
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const merged: EncodedRows = { rows, inputs: {} };
  for (const [name, first] of Object.entries(parts[0]!.inputs)) {
    const shapes = new Set(parts.map((p) => p.inputs[name]!.rowDims.join('x')));
    if (shapes.size > 1) throw new BerthError('invalid_input', `input '${name}': rows have different shapes (${[...shapes].join(', ')}); send them in separate requests`);
    const total = parts.reduce((n, p) => n + p.inputs[name]!.data.length, 0);
    const data = new (first.data.constructor as new (n: number) => typeof first.data)(total);
    let at = 0;
    for (const p of parts) {
      const d = p.inputs[name]!.data;
      (data as Float32Array).set(d as Float32Array, at);
      at += d.length;
    }
    merged.inputs[name] = { type: first.type, data, rowDims: first.rowDims };
  }
  return merged;
}
