import { BerthError } from '../errors/index.js';
import { allocate, type TensorData, type TypedArray } from './dtypes.js';
import type { Dtype } from './dtypes.js';

/** Several instances of every input, encoded back to back: `rows` instances, each `rowDims` big. */
export interface EncodedRows {
  rows: number;
  inputs: Record<string, { type: Dtype; data: TypedArray; rowDims: number[] }>;
}

export interface BatchResult {
  /** The outputs of the whole batch the request rode in. */
  outputs: Record<string, TensorData>;
  /** Where this request's rows start in those outputs. */
  offset: number;
  batchRows: number;
  queuedSeconds: number;
}

export interface BatcherOptions {
  /** Most rows in one run; 1 turns batching off. */
  maxBatchSize: number;
  /** How long a request may wait for a fuller batch; 0 = run whatever is queued as soon as a run slot frees. */
  maxQueueDelayUs: number;
  /** Rows allowed to wait; beyond that requests are refused with 503. */
  maxQueueRows: number;
  /** Runs in flight at once (worker threads). */
  parallelism: number;
}

interface Queued {
  encoded: EncodedRows;
  enqueuedAt: number;
  resolve: (result: BatchResult) => void;
  reject: (err: Error) => void;
}

/** Whether two requests' instances have the same shape for every input (so they can share a run). */
function sameShapes(a: EncodedRows, b: EncodedRows): boolean {
  for (const name in a.inputs) {
    const x = a.inputs[name]!.rowDims;
    const y = b.inputs[name]?.rowDims;
    if (x === y) continue;
    if (!y || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/**
 * Triton-style dynamic batching for one loaded version. Requests queue; whenever a run slot is free the
 * queued rows (same per-instance shapes, up to maxBatchSize) are concatenated into one run and the
 * outputs shared back. With no delay configured nothing waits on purpose: a batch is whatever queued
 * while the previous run was busy.
 */
export class Batcher {
  private readonly queue: Queued[] = [];
  private queuedRows = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(
    private readonly run: (feeds: Record<string, TensorData>) => Promise<Record<string, TensorData>>,
    private readonly options: BatcherOptions,
  ) {}

  get pendingRows(): number {
    return this.queuedRows;
  }

  submit(encoded: EncodedRows): Promise<BatchResult> {
    if (encoded.rows > this.options.maxBatchSize) {
      return Promise.reject(new BerthError('internal', `batcher got ${encoded.rows} rows, more than max_batch_size ${this.options.maxBatchSize}`));
    }
    if (this.queuedRows + encoded.rows > this.options.maxQueueRows) {
      return Promise.reject(
        new BerthError('unavailable', `the model's queue is full (${this.queuedRows} rows waiting, limit ${this.options.maxQueueRows}); retry shortly`, { retry_after_s: 1 }),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ encoded, enqueuedAt: performance.now(), resolve, reject });
      this.queuedRows += encoded.rows;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.options.parallelism || this.queue.length === 0 || this.scheduled) return;
    const delayUs = this.options.maxQueueDelayUs;
    if (delayUs > 0 && this.queuedRows < this.options.maxBatchSize) {
      const waitedUs = (performance.now() - this.queue[0]!.enqueuedAt) * 1000;
      if (waitedUs < delayUs) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.schedule();
          }, Math.max(0, (delayUs - waitedUs) / 1000));
        }
        return;
      }
    }
    this.scheduled = true;
    // Let the event loop finish reading this tick's requests first: they join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.running >= this.options.parallelism || this.queue.length === 0) return;
    const head = this.queue[0]!;
    const taken: Queued[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length; ) {
      const item = this.queue[i]!;
      if ((item === head || sameShapes(item.encoded, head.encoded)) && rows + item.encoded.rows <= this.options.maxBatchSize) {
        taken.push(item);
        rows += item.encoded.rows;
        this.queue.splice(i, 1);
      } else {
        i += 1;
      }
      if (rows === this.options.maxBatchSize) break;
    }
    this.queuedRows -= rows;
    this.running += 1;
    const started = performance.now();
    const feeds = concatenate(taken, rows);
    this.run(feeds)
      .then((outputs) => {
        let offset = 0;
        for (const item of taken) {
          item.resolve({ outputs, offset, batchRows: rows, queuedSeconds: (started - item.enqueuedAt) / 1000 });
          offset += item.encoded.rows;
        }
      })
      .catch((err: Error) => {
        for (const item of taken) item.reject(err);
      })
      .finally(() => {
        this.running -= 1;
        this.schedule();
      });
    if (this.queue.length > 0) this.schedule();
  }

  /** Refuses everything still queued (the version is being unloaded). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const item of this.queue.splice(0)) item.reject(new BerthError('unavailable', 'the model version was unloaded; retry', { retry_after_s: 1 }));
    this.queuedRows = 0;
  }
}

function concatenate(items: Queued[], rows: number): Record<string, TensorData> {
  const first = items[0]!.encoded;
  const feeds: Record<string, TensorData> = {};
  for (const [name, input] of Object.entries(first.inputs)) {
    if (items.length === 1) {
      feeds[name] = { type: input.type, data: input.data, dims: [rows, ...input.rowDims] };
      continue;
    }
    const rowSize = input.rowDims.reduce((n, d) => n * d, 1);
    const data = allocate(input.type, rows * rowSize);
    let at = 0;
    for (const item of items) {
      const part = item.encoded.inputs[name]!.data;
      (data as Float32Array).set(part as Float32Array, at);
      at += part.length;
    }
    feeds[name] = { type: input.type, data, dims: [rows, ...input.rowDims] };
  }
  return feeds;
}
