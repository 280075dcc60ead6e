import { BerthError, describeValue } from '../errors/index.js';
import { isPlainObject } from '../validation/index.js';
import { predictionId } from './prediction-id.js';
import { isFixedDim, type CardInput, type GraphSignature, type ModelCard, type VersionView } from '../registry/index.js';
import { Batcher, type BatchResult, type EncodedRows } from './batcher.js';
import { decodeBase64Image, encodeImage, imageInstanceShape, type ImageLimits } from './codecs/image-codec.js';
import { encodeTabular, tabularLayout, type TabularLayout } from './codecs/tabular-codec.js';
import { encodeTensor } from './codecs/tensor-codec.js';
import { decodeRow, outputLayouts, type OutputLayout, type Prediction } from './decoders.js';
import { allocate, allocateSmall, elementCount, isDtype, type Dtype, type TensorData, type TypedArray } from './dtypes.js';
import type { Executor } from './executor.js';

/** How one graph input is filled from a request. Dims exclude the batch dimension; -1 = any size. */
type InputPlan =
  | { kind: 'tabular'; name: string; type: Dtype; rowDims: number[]; layout: TabularLayout }
  | { kind: 'tensor'; name: string; type: Dtype; rowDims: number[] }
  | { kind: 'image'; name: string; type: Dtype; rowDims: number[]; spec: Extract<CardInput, { kind: 'image' }> };

export interface BatchingOptions {
  maxBatchSize: number;
  maxQueueDelayUs: number;
  maxQueueRows: number;
}

export interface PredictOptions {
  topK?: number | undefined;
}

export interface PredictResult {
  predictions: Prediction[];
  /** Rows of the largest batch this request rode in (for metrics). */
  batchRows: number;
  queuedSeconds: number;
}

/** Image bytes handed over by a multipart request, by input name. */
export type ImageUploads = Record<string, Uint8Array>;

function planInput(input: CardInput, signature: GraphSignature): InputPlan {
  const graph = signature.inputs.find((g) => g.name === input.name)!;
  const type = (isDtype(graph.dtype) ? graph.dtype : 'float32') as Dtype;
  switch (input.kind) {
    case 'tabular': {
      const layout = tabularLayout(input);
      return { kind: 'tabular', name: input.name, type, rowDims: [layout.width], layout };
    }
    case 'image':
      return { kind: 'image', name: input.name, type, rowDims: imageInstanceShape(input), spec: input };
    case 'tensor': {
      const dims = input.shape.length > 0 ? input.shape : graph.shape;
      return { kind: 'tensor', name: input.name, type, rowDims: dims.slice(1).map((d) => (typeof d === 'number' ? d : -1)) };
    }
  }
}

/**
 * A model version ready to serve: its executor, how requests become tensors (from the card) and how
 * outputs become answers. `acquire`/`release` count requests in flight so a hot swap can unload the old
 * version only once they have finished.
 */
export class LoadedModel {
  readonly inputs: InputPlan[];
  private readonly inputNames: ReadonlySet<string>;
  /** One tabular input: an instance is its features, nothing else to check per key. */
  private readonly onlyTabular: boolean;
  private readonly hasImages: boolean;
  readonly outputs: OutputLayout[];
  readonly batcher: Batcher;
  /** False when the graph's batch dimension is fixed: every instance then runs on its own. */
  readonly dynamicBatch: boolean;
  readonly loadedAt = Date.now();
  private inflight = 0;
  private retired = false;
  private unloading: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(
    readonly version: VersionView,
    readonly executor: Executor,
    private readonly batching: BatchingOptions,
    private readonly imageLimits: ImageLimits,
  ) {
    const card: ModelCard = version.card;
    this.inputs = card.inputs.map((i) => planInput(i, version.signature));
    this.inputNames = new Set(this.inputs.map((i) => i.name));
    this.onlyTabular = this.inputs.length === 1 && this.inputs[0]!.kind === 'tabular';
    this.hasImages = this.inputs.some((i) => i.kind === 'image');
    this.outputs = outputLayouts(card.outputs);
    this.dynamicBatch = version.signature.inputs.every((g) => g.shape.length > 0 && !isFixedDim(g.shape[0]!));
    this.batcher = new Batcher((feeds) => this.executor.run(feeds), {
      maxBatchSize: this.dynamicBatch ? batching.maxBatchSize : 1,
      maxQueueDelayUs: batching.maxQueueDelayUs,
      maxQueueRows: batching.maxQueueRows,
      parallelism: executor.parallelism,
    });
  }

  get name(): string {
    return this.version.model;
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  /** Counts a request in flight; false once the version is retiring (the caller resolves again). */
  tryAcquire(): boolean {
    if (this.retired) return false;
    this.inflight += 1;
    return true;
  }

  release(): void {
    this.inflight -= 1;
    if (this.retired && this.inflight === 0) this.drained?.();
  }

  /** Stops taking new work; resolves once requests in flight have finished and the session is freed. */
  retire(): Promise<void> {
    this.retired = true;
    this.unloading ??= (async () => {
      if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.batcher.close();
      await this.executor.release();
    })();
    return this.unloading;
  }

  /** Encodes instances (objects naming each input) into back-to-back rows, refusing bad values by name. */
  async encode(instances: readonly unknown[], where: (i: number) => string, uploads?: ImageUploads): Promise<EncodedRows> {
    return this.encodeRows(instances, where, this.hasImages ? await this.encodeImages(instances, where, uploads) : undefined);
  }

  /** Refuses an instance that is not an object naming the model's inputs. */
  private checkInstance(instance: unknown, at: string): asserts instance is Record<string, unknown> {
    if (!isPlainObject(instance)) throw new BerthError('invalid_input', `${at}expected an object naming the model's inputs, got ${describeValue(instance)}`);
    if (this.onlyTabular) return;
    for (const key of Object.keys(instance)) {
      if (!this.inputNames.has(key) && !this.inputs.some((p) => p.kind === 'tabular' && (p.layout.names.has(key) || p.layout.spec.allow_extra))) {
        throw new BerthError('invalid_input', `${at}unknown input '${key}'; the model's inputs are ${[...this.inputNames].join(', ')}`);
      }
    }
  }

  /** Decodes and preprocesses every image input of every instance (sharp works asynchronously), by input name. */
  private async encodeImages(instances: readonly unknown[], where: (i: number) => string, uploads?: ImageUploads): Promise<Map<string, TypedArray[]>> {
    const images = new Map<string, TypedArray[]>();
    for (const plan of this.inputs) {
      if (plan.kind !== 'image') continue;
      const rows: TypedArray[] = [];
      for (let i = 0; i < instances.length; i++) {
        const instance = instances[i] as Record<string, unknown>;
        const at = where(i);
        // Each instance is checked once, in the first image input's pass (encodeRows does not repeat it).
        if (images.size === 0) this.checkInstance(instance, at);
        const upload = uploads?.[plan.name];
        const value = instance[plan.name];
        if (upload === undefined && value === undefined) throw new BerthError('invalid_input', `${at}input '${plan.name}' is missing: send the image as base64 in JSON or as a multipart file part named '${plan.name}'`);
        const bytes = upload ?? decodeBase64Image(value, `${at}input '${plan.name}'`, this.imageLimits);
        rows.push(await encodeImage(plan.spec, bytes, this.imageLimits, `${at}input '${plan.name}'`));
      }
      images.set(plan.name, rows);
    }
    return images;
  }

  /** The synchronous part of `encode`: every input but images, which come already encoded. */
  private encodeRows(instances: readonly unknown[], where: (i: number) => string, images?: ReadonlyMap<string, TypedArray[]>): EncodedRows {
    const n = instances.length;
    const encoded: EncodedRows = { rows: n, inputs: {} };
    for (let p = 0; p < this.inputs.length; p++) {
      const plan = this.inputs[p]!;
      const fixedSize = plan.rowDims.every((d) => d >= 0) ? elementCount(plan.rowDims) : undefined;
      let data: TypedArray | undefined = fixedSize !== undefined ? allocateSmall(plan.type, n * fixedSize) : undefined;
      let rowDims = plan.rowDims;
      for (let i = 0; i < n; i++) {
        const instance = instances[i] as Record<string, unknown>;
        const at = where(i);
        // Each instance is checked once: in the first input's pass, unless encodeImages checked it already.
        if (p === 0 && !images) this.checkInstance(instance, at);
        if (plan.kind === 'tabular') {
          const nested = instance[plan.name];
          const features = isPlainObject(nested) && !plan.layout.names.has(plan.name) ? nested : instance;
          encodeTabular(plan.layout, features, data as Float32Array, i * plan.rowDims[0]!, at, features === instance ? this.inputNames : undefined);
          continue;
        }
        let row: { data: TypedArray; dims: number[] };
        if (plan.kind === 'image') {
          row = { data: images!.get(plan.name)![i]!, dims: plan.rowDims };
        } else {
          const value = instance[plan.name];
          if (value === undefined) throw new BerthError('invalid_input', `${at}input '${plan.name}' is missing`);
          row = encodeTensor(plan.type, plan.rowDims, value, `${at}input '${plan.name}'`);
        }
        if (!data) {
          // Variable per-instance dims: the first instance fixes them for this request.
          rowDims = row.dims;
          data = allocateSmall(plan.type, n * elementCount(rowDims));
        } else if (fixedSize === undefined && row.dims.join('x') !== rowDims.join('x')) {
          throw new BerthError('invalid_input', `${at}input '${plan.name}': every instance in one request must have the same shape (${JSON.stringify(rowDims)}), got ${JSON.stringify(row.dims)}`);
        }
        (data as Float32Array).set(row.data as Float32Array, i * row.data.length);
      }
      encoded.inputs[plan.name] = { type: plan.type, data: data ?? allocate(plan.type, 0), rowDims };
    }
    return encoded;
  }

  /** Runs encoded rows through the batcher, in chunks the batcher accepts, and decodes each instance. */
  predictEncoded(encoded: EncodedRows, options: PredictOptions = {}): Promise<PredictResult> {
    const topK = options.topK ?? 0;
    const chunk = this.dynamicBatch ? this.batching.maxBatchSize : 1;
    // Nearly every request fits one run: no splitting, one promise.
    if (encoded.rows <= chunk) {
      return this.batcher.submit(encoded).then((result) => ({ predictions: this.decode(result, encoded.rows, topK), batchRows: result.batchRows, queuedSeconds: result.queuedSeconds }));
    }
    return this.predictChunks(splitRows(encoded, chunk), chunk, topK);
  }

  private async predictChunks(parts: EncodedRows[], chunk: number, topK: number): Promise<PredictResult> {
    // A large request goes in windows, so it never fills the queue by itself (and other requests keep
    // getting runs in between).
    const window = Math.max(1, Math.floor(this.batching.maxQueueRows / (2 * chunk)));
    const results: BatchResult[] = [];
    for (let start = 0; start < parts.length; start += window) {
      results.push(...(await Promise.all(parts.slice(start, start + window).map((part) => this.batcher.submit(part)))));
    }
    const predictions: Prediction[] = [];
    let batchRows = 0;
    let queuedSeconds = 0;
    results.forEach((result, p) => {
      batchRows = Math.max(batchRows, result.batchRows);
      queuedSeconds = Math.max(queuedSeconds, result.queuedSeconds);
      predictions.push(...this.decode(result, parts[p]!.rows, topK));
    });
    return { predictions, batchRows, queuedSeconds };
  }

  /** Decodes the `rows` instances a request had in a batch's outputs, each with a new prediction id. */
  private decode(result: BatchResult, rows: number, topK: number): Prediction[] {
    const predictions = new Array<Prediction>(rows);
    for (let r = 0; r < rows; r++) predictions[r] = decodeRow(predictionId(), result.outputs, result.offset + r, this.outputs, topK);
    return predictions;
  }

  /** Encodes and predicts; models without image inputs encode synchronously (no await on the predict path). */
  predict(instances: readonly unknown[], options: PredictOptions = {}, uploads?: ImageUploads): Promise<PredictResult> {
    const where = instances.length === 1 ? () => '' : (i: number) => `instances[${i}]: `;
    if (this.hasImages) return this.encode(instances, where, uploads).then((encoded) => this.predictEncoded(encoded, options));
    let encoded: EncodedRows;
    try {
      encoded = this.encodeRows(instances, where);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.predictEncoded(encoded, options);
  }

  /** Raw tensors in, raw tensors out (Open Inference Protocol); batched along the first dimension when it is dynamic. */
  async infer(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const rows = Object.values(feeds)[0]?.dims[0] ?? 1;
    if (!this.dynamicBatch || rows > this.batching.maxBatchSize) return this.executor.run(feeds);
    const encoded: EncodedRows = { rows, inputs: {} };
    for (const [name, t] of Object.entries(feeds)) encoded.inputs[name] = { type: t.type, data: t.data, rowDims: t.dims.slice(1) };
    const result = await this.batcher.submit(encoded);
    if (result.batchRows === rows) return result.outputs;
    const out: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(result.outputs)) {
      const rowSize = elementCount(t.dims.slice(1));
      out[name] = { type: t.type, data: t.data.slice(result.offset * rowSize, (result.offset + rows) * rowSize) as TypedArray, dims: [rows, ...t.dims.slice(1)] };
    }
    return out;
  }
}

/** Splits rows into parts of at most `size` rows (views, no copies). */
function splitRows(encoded: EncodedRows, size: number): EncodedRows[] {
  if (encoded.rows <= size) return [encoded];
  const parts: EncodedRows[] = [];
  for (let start = 0; start < encoded.rows; start += size) {
    const rows = Math.min(size, encoded.rows - start);
    const part: EncodedRows = { rows, inputs: {} };
    for (const [name, input] of Object.entries(encoded.inputs)) {
      const rowSize = elementCount(input.rowDims);
      // A copy, not a view: a worker executor takes ownership of the buffers it is sent.
      part.inputs[name] = { type: input.type, data: input.data.slice(start * rowSize, (start + rows) * rowSize) as TypedArray, rowDims: input.rowDims };
    }
    parts.push(part);
  }
  return parts;
}
