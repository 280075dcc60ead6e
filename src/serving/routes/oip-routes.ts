import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BERTH_VERSION } from '../../config/index.js';
import { BerthError, describeValue, isBerthError } from '../../errors/index.js';
import {
  DTYPE_OF_OIP,
  OIP_DATATYPES,
  allocate,
  elementCount,
  isDtype,
  jsonElement,
  predictionId,
  type LoadedModel,
  type ModelManager,
  type TensorData,
} from '../../inference/index.js';
import type { Registry, TensorSignature } from '../../registry/index.js';
import type { ServingMetrics } from '../metrics.js';
import type { PredictionLog } from '../../monitoring/index.js';

export interface OipRoutesOptions {
  manager: ModelManager;
  registry: Registry;
  metrics: ServingMetrics;
  isReady: () => boolean;
  /** The prediction log: one record per infer call (tensors are not split into rows). */
  log?: PredictionLog | undefined;
}

const OipError = Type.Object({ error: Type.String() }, { description: 'Open Inference Protocol error body.' });

const TensorIn = Type.Object({
  name: Type.String(),
  shape: Type.Array(Type.Integer({ minimum: 0 })),
  datatype: Type.String(),
  parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  data: Type.Array(Type.Unknown()),
});

const InferRequest = Type.Object({
  id: Type.Optional(Type.String()),
  parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  inputs: Type.Array(TensorIn, { minItems: 1 }),
  outputs: Type.Optional(Type.Array(Type.Object({ name: Type.String(), parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }))),
});

const TensorMeta = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()) });

const ModelParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });

function oipDatatype(dtype: string): string {
  return isDtype(dtype) ? OIP_DATATYPES[dtype] : 'BYTES';
}

function metaOf(t: TensorSignature): { name: string; datatype: string; shape: number[] } {
  return { name: t.name, datatype: oipDatatype(t.dtype), shape: t.shape.map((d) => (typeof d === 'number' ? d : -1)) };
}

/** An OIP input tensor → Berth tensor, checked against the graph: name, datatype, rank, fixed dims, element count. */
function toTensor(input: { name: string; shape: number[]; datatype: string; data: unknown[] }, graph: TensorSignature): TensorData {
  const dtype = DTYPE_OF_OIP[input.datatype];
  if (!dtype) throw new BerthError('invalid_input', `input '${input.name}': datatype ${describeValue(input.datatype)} is not supported (use one of ${Object.keys(DTYPE_OF_OIP).join(', ')})`);
  if (dtype !== graph.dtype) throw new BerthError('invalid_input', `input '${input.name}': datatype ${input.datatype} does not match the model's ${oipDatatype(graph.dtype)}`);
  if (graph.shape.length > 0) {
    if (input.shape.length !== graph.shape.length) throw new BerthError('invalid_input', `input '${input.name}': shape ${JSON.stringify(input.shape)} has rank ${input.shape.length}, the model expects ${JSON.stringify(metaOf(graph).shape)}`);
    graph.shape.forEach((d, i) => {
      if (typeof d === 'number' && d >= 0 && input.shape[i] !== d) throw new BerthError('invalid_input', `input '${input.name}': dimension ${i} is ${input.shape[i]}, the model expects ${d}`);
    });
  }
  const flat = input.data.flat(Infinity);
  const count = elementCount(input.shape);
  if (flat.length !== count) throw new BerthError('invalid_input', `input '${input.name}': shape ${JSON.stringify(input.shape)} needs ${count} elements, data has ${flat.length}`);
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) {
    const v = flat[i];
    if (dtype === 'bool') {
      if (typeof v !== 'boolean') throw new BerthError('invalid_input', `input '${input.name}': BOOL data must be true/false, got ${describeValue(v)} at ${i}`);
      data[i] = v ? 1 : 0;
    } else if (typeof v !== 'number' || !Number.isFinite(v) || (!dtype.startsWith('float') && !Number.isInteger(v))) {
      throw new BerthError('invalid_input', `input '${input.name}': element ${i} is ${describeValue(v)}, expected a ${input.datatype} number`);
    } else if (dtype === 'int64' || dtype === 'uint64') {
      (data as BigInt64Array)[i] = BigInt(v);
    } else {
      data[i] = v;
    }
  }
  return { type: dtype, data, dims: input.shape };
}

/**
 * Open Inference Protocol (KServe v2) REST: server and model metadata, health, and tensor-level infer.
 * Errors here use the protocol's `{"error": "..."}` body, not Berth's.
 */
export async function oipRoutes(fastify: FastifyInstance, opts: OipRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { manager, registry } = opts;

  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = isBerthError(error) ? error.status : error.validation ? 400 : (error.statusCode ?? 500);
    if (status >= 500 && !(isBerthError(error) && error.code === 'unavailable')) request.log.error({ reqId: request.id, err: error }, 'OIP request failed');
    const retryAfter = isBerthError(error) ? error.details?.['retry_after_s'] : undefined;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    const message = error.validation ? `invalid request: ${error.message}` : status >= 500 && !isBerthError(error) ? 'internal error' : error.message;
    void reply.status(status).send({ error: message });
  });
  fastify.setNotFoundHandler((request, reply) => void reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.get('', { schema: { tags: ['oip'], summary: 'Server metadata', response: { 200: Type.Object({ name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) }) } } }, async () => ({
    name: 'berth',
    version: BERTH_VERSION,
    extensions: [],
  }));

  app.get('/health/live', { schema: { tags: ['oip'], summary: 'Server live' } }, async () => ({ live: true }));
  app.get('/health/ready', { schema: { tags: ['oip'], summary: 'Server ready (models loaded, store answers)' } }, async (_req, reply) =>
    opts.isReady() ? { ready: true } : reply.status(503).send({ ready: false }),
  );

  async function metadata(name: string, version?: number) {
    const [model, versions] = await Promise.all([registry.getModel(name), registry.listVersions(name, { status: 'ready' })]);
    const target = version !== undefined ? await registry.getVersion(name, version) : await registry.resolveVersion(name);
    return {
      name: model.name,
      versions: versions.map((v) => String(v.version)),
      platform: 'onnx_onnxv1',
      inputs: target.signature.inputs.map(metaOf),
      outputs: target.signature.outputs.map(metaOf),
    };
  }
  const MetadataResponse = Type.Object({ name: Type.String(), versions: Type.Array(Type.String()), platform: Type.String(), inputs: Type.Array(TensorMeta), outputs: Type.Array(TensorMeta) });

  app.get('/models/:name', { config: { scope: 'read' }, schema: { tags: ['oip'], summary: 'Model metadata', params: ModelParams, response: { 200: MetadataResponse, 404: OipError } } }, (req) => metadata(req.params.name));
  app.get('/models/:name/versions/:version', { config: { scope: 'read' }, schema: { tags: ['oip'], summary: 'Model version metadata', params: VersionParams, response: { 200: MetadataResponse, 404: OipError } } }, (req) =>
    metadata(req.params.name, req.params.version),
  );

  async function ready(name: string, version: number | undefined, reply: FastifyReply) {
    try {
      const model = await manager.acquire(name, { version });
      model.release();
      return { name, ready: true };
    } catch (err) {
      if (isBerthError(err) && err.code === 'not_found') throw err;
      return reply.status(503).send({ name, ready: false });
    }
  }
  app.get('/models/:name/ready', { config: { scope: 'read' }, schema: { tags: ['oip'], summary: 'Model ready', params: ModelParams } }, (req, reply) => ready(req.params.name, undefined, reply));
  app.get('/models/:name/versions/:version/ready', { config: { scope: 'read' }, schema: { tags: ['oip'], summary: 'Model version ready', params: VersionParams } }, (req, reply) =>
    ready(req.params.name, req.params.version, reply),
  );

  async function infer(name: string, version: number | undefined, body: { id?: string | undefined; inputs: Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }>; outputs?: Array<{ name: string }> | undefined }) {
    const started = performance.now();
    const model: LoadedModel = await manager.acquire(name, { version });
    const labels = { model: name, version: String(model.version.version) };
    try {
      const graphInputs = new Map(model.version.signature.inputs.map((g) => [g.name, g]));
      const feeds: Record<string, TensorData> = {};
      for (const input of body.inputs) {
        const graph = graphInputs.get(input.name);
        if (!graph) throw new BerthError('invalid_input', `unknown input '${input.name}'; the model's inputs are ${[...graphInputs.keys()].join(', ')}`);
        if (feeds[input.name]) throw new BerthError('invalid_input', `input '${input.name}' is given twice`);
        feeds[input.name] = toTensor(input, graph);
      }
      const missing = [...graphInputs.keys()].filter((n) => !feeds[n]);
      if (missing.length > 0) throw new BerthError('invalid_input', `missing input(s) ${missing.join(', ')}`);
      const batch = new Set(Object.values(feeds).map((t) => t.dims[0]));
      if (batch.size > 1) throw new BerthError('invalid_input', `inputs disagree on the batch dimension: ${[...batch].join(' vs ')}`);
      const wanted = body.outputs?.map((o) => o.name);
      const graphOutputs = model.version.signature.outputs.map((o) => o.name);
      for (const o of wanted ?? []) if (!graphOutputs.includes(o)) throw new BerthError('invalid_input', `unknown output '${o}'; the model's outputs are ${graphOutputs.join(', ')}`);
      const outputs = await model.infer(feeds);
      const response = {
        model_name: name,
        model_version: String(model.version.version),
        ...(body.id !== undefined ? { id: body.id } : {}),
        outputs: (wanted ?? graphOutputs).map((o) => {
          const t = outputs[o]!;
          return { name: o, datatype: OIP_DATATYPES[t.type], shape: t.dims, data: Array.from(t.data as ArrayLike<number | bigint>, (v) => jsonElement(t.type, v)) };
        }),
      };
      opts.metrics.requests.inc({ ...labels, status: 'ok' });
      opts.metrics.duration.observe({ model: name }, (performance.now() - started) / 1000);
      opts.metrics.predictions.inc(labels, Object.values(feeds)[0]?.dims[0] ?? 1);
      const pending = opts.log?.append([{ id: predictionId(), ts: Date.now(), model: name, version: model.version.version, endpoint: 'oip', status: 200, latency_ms: performance.now() - started, inputs: { inputs: body.inputs }, outputs: { outputs: response.outputs } }]);
      if (pending) await pending;
      return response;
    } catch (err) {
      opts.metrics.requests.inc({ ...labels, status: isBerthError(err) ? err.code : 'internal' });
      void opts.log?.append([{ id: predictionId(), ts: Date.now(), model: name, version: model.version.version, endpoint: 'oip', status: isBerthError(err) ? err.status : 500, error_code: isBerthError(err) ? err.code : 'internal', error: err instanceof Error ? err.message : String(err), latency_ms: performance.now() - started, inputs: { inputs: body.inputs } }]);
      throw err;
    } finally {
      model.release();
    }
  }

  const InferResponse = Type.Object({
    model_name: Type.String(),
    model_version: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    outputs: Type.Array(Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()), data: Type.Array(Type.Unknown()) })),
  });
  const inferSchema = { tags: ['oip'], summary: 'Inference (tensors in, tensors out)', body: InferRequest, response: { 200: InferResponse, 400: OipError, 404: OipError, 503: OipError } };
  app.post('/models/:name/infer', { config: { scope: 'predict' }, schema: { ...inferSchema, params: ModelParams } }, (req) => infer(req.params.name, undefined, req.body));
  app.post('/models/:name/versions/:version/infer', { config: { scope: 'predict' }, schema: { ...inferSchema, params: VersionParams } }, (req) => infer(req.params.name, req.params.version, req.body));
}
