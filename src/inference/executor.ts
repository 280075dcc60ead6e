import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../threads/index.js';
import type * as ort from 'onnxruntime-node';
import { BerthError } from '../errors/index.js';
import { ownsBuffer, type Dtype, type TensorData, type TypedArray } from './dtypes.js';

export interface SessionOptions {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimization: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Runs a model. `inline` on the event loop (fastest for tiny models), `worker` on worker threads. */
export interface Executor {
  readonly kind: 'inline' | 'worker';
  /** Runs that may be in flight at once. */
  readonly parallelism: number;
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

type Ort = typeof ort;
let ortModule: Promise<Ort> | undefined;
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

export function ortOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: options.graphOptimization,
    executionMode: 'sequential',
  };
}

export function toOrtFeeds(ortLib: Ort, feeds: Record<string, TensorData>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ortLib.Tensor(t.type, t.data as ort.Tensor['data'] & TypedArray, t.dims);
  return out;
}

export function fromOrtOutputs(results: Record<string, ort.OnnxValue>): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const [name, value] of Object.entries(results)) {
    const tensor = value as ort.Tensor;
    out[name] = { type: tensor.type as Dtype, data: tensor.data as TypedArray, dims: [...tensor.dims] };
  }
  return out;
}

export class InlineExecutor implements Executor {
  readonly kind = 'inline';
  readonly parallelism = 1;

  private constructor(
    private readonly ortLib: Ort,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(model: Uint8Array, options: SessionOptions): Promise<InlineExecutor> {
    const ortLib = await loadOrt();
    return new InlineExecutor(ortLib, await ortLib.InferenceSession.create(model, ortOptions(options)));
  }

  async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    return fromOrtOutputs(await this.session.run(toOrtFeeds(this.ortLib, feeds)));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

interface Pending {
  resolve: (outputs: Record<string, TensorData>) => void;
  reject: (err: Error) => void;
}

/** Messages between the executor and its worker threads (see ort-worker.ts). */
export type WorkerRequest = { id: number; feeds: Record<string, TensorData> };
export type WorkerResponse = { id: number; outputs?: Record<string, TensorData>; error?: string } | { ready: true } | { failed: string };

function spawnOrtWorker(workerData: unknown, transferList: ArrayBuffer[]): Worker {
  return spawnWorker(import.meta.url, 'ort-worker', { workerData, transferList });
}

/** Buffers to move (not copy) to the other thread; the same buffer listed twice would be an error. */
export function transferables(tensors: Record<string, TensorData>): ArrayBuffer[] {
  return [...new Set(Object.values(tensors).map((t) => t.data.buffer as ArrayBuffer))];
}

/**
 * Sessions on worker threads: a heavy model's run does not stall the HTTP event loop. Each worker holds
 * its own session; a batch goes to whichever worker is free.
 */
export class WorkerExecutor implements Executor {
  readonly kind = 'worker';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(w: Worker) => void> = [];

  private constructor(private readonly workers: Worker[]) {
    this.idle.push(...workers);
    for (const worker of workers) {
      worker.on('message', (msg: WorkerResponse) => {
        if (!('id' in msg)) return;
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        this.free(worker);
        if (msg.error !== undefined) p.reject(new BerthError('internal', `model run failed: ${msg.error}`));
        else p.resolve(msg.outputs!);
      });
      worker.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    }
  }

  get parallelism(): number {
    return this.workers.length;
  }

  static async create(model: Uint8Array, options: SessionOptions, threads: number): Promise<WorkerExecutor> {
    const workers = await Promise.all(
      Array.from({ length: threads }, async () => {
        const copy = new Uint8Array(model); // each worker gets (and keeps) its own copy
        const worker = spawnOrtWorker({ model: copy, options: ortOptions(options) }, [copy.buffer as ArrayBuffer]);
        await new Promise<void>((resolve, reject) => {
          const onMessage = (msg: WorkerResponse) => {
            if ('ready' in msg) resolve();
            else if ('failed' in msg) reject(new BerthError('invalid_onnx', `model failed to load on a worker thread: ${msg.failed}`));
            else return;
            worker.off('message', onMessage);
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
        });
        return worker;
      }),
    );
    return new WorkerExecutor(workers);
  }

  private free(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private acquire(): Promise<Worker> {
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const worker = await this.acquire();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A view on a shared buffer (allocateSmall) is copied: transferring would detach the others' data.
      const own: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(feeds)) own[name] = ownsBuffer(t.data) ? t : { ...t, data: t.data.slice() as TypedArray };
      const message: WorkerRequest = { id, feeds: own };
      worker.postMessage(message, transferables(own));
    });
  }

  async release(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
