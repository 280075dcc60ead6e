import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads';
import { BerthError, isBerthError, type ErrorCode } from '../errors/index.js';

/**
 * A worker thread running the module `name` that sits next to the caller (`from` = its import.meta.url).
 * Built code runs `name.js` directly; under the test runner the caller is TypeScript, so a small bootstrap
 * registers tsx in the worker before importing `name.ts`.
 */
export function spawnWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const entry = new URL(`./${name}.ts`, from).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

/** An error as it crosses threads: a BerthError keeps its code (so a 404 stays a 404). */
interface ThreadError {
  code?: ErrorCode;
  message: string;
  details?: Record<string, unknown> | undefined;
}

type ThreadRequest = { seq: number; op: string; args: unknown[] };
type ThreadReply = { seq: number; result: unknown } | { seq: number; error: ThreadError } | { ready: true } | { failed: string };

/** Operations a request thread offers: each takes structured-clonable arguments and resolves to a clonable value. */
export type ThreadOps = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * Calls into a worker thread that answers one request at a time (its module calls serveRequests). The
 * thread starts on first use and again after it died.
 */
export class RequestThread<Ops extends ThreadOps> {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private ready: Promise<Worker> | undefined;
  private worker: Worker | undefined;

  constructor(
    private readonly from: string,
    private readonly name: string,
    private readonly workerData: unknown,
    /** unref: false keeps the process alive while the thread runs (default: it does not). */
    private readonly options: { unref?: boolean } = {},
  ) {}

  /** Starts the thread now (it starts on first call otherwise), so the first call does not wait for it. */
  async start(): Promise<void> {
    await this.thread();
  }

  private thread(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = spawnWorker(this.from, this.name, { workerData: this.workerData });
      if (this.options.unref !== false) worker.unref();
      worker.on('message', (msg: ThreadReply) => {
        if ('ready' in msg) {
          this.worker = worker;
          resolve(worker);
        } else if ('failed' in msg) {
          reject(new Error(`${this.name} thread could not start: ${msg.failed}`));
        } else {
          const waiter = this.pending.get(msg.seq);
          this.pending.delete(msg.seq);
          if ('result' in msg) waiter?.resolve(msg.result);
          else waiter?.reject(msg.error.code ? new BerthError(msg.error.code, msg.error.message, msg.error.details) : new Error(msg.error.message));
        }
      });
      const died = (err: Error) => {
        reject(err);
        for (const waiter of this.pending.values()) waiter.reject(err);
        this.pending.clear();
        this.worker = undefined;
        this.ready = undefined;
      };
      worker.once('error', died);
      worker.once('exit', (code) => died(new Error(`${this.name} thread exited (${code})`)));
    });
    return this.ready;
  }

  async call<K extends keyof Ops & string>(op: K, ...args: Parameters<Ops[K]>): Promise<Awaited<ReturnType<Ops[K]>>> {
    const worker = await this.thread();
    const seq = ++this.seq;
    // The worker module answers with what the op returned (serveRequests); the type is the op's.
    return new Promise<Awaited<ReturnType<Ops[K]>>>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ seq, op, args } satisfies ThreadRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.ready = undefined;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

/** The worker side of a RequestThread: opens its services once, then answers calls in arrival order. */
export function serveRequests(open: () => Promise<ThreadOps>): void {
  const port = parentPort!;
  open().then(
    (ops) => {
      let chain: Promise<void> = Promise.resolve();
      port.on('message', (msg: ThreadRequest) => {
        chain = chain.then(async () => {
          try {
            const op = ops[msg.op];
            if (!op) throw new Error(`unknown operation '${msg.op}'`);
            port.postMessage({ seq: msg.seq, result: await (op as (...args: unknown[]) => Promise<unknown>)(...msg.args) } satisfies ThreadReply);
          } catch (err) {
            const error: ThreadError = isBerthError(err) ? { code: err.code, message: err.message, details: err.details } : { message: err instanceof Error ? err.message : String(err) };
            port.postMessage({ seq: msg.seq, error } satisfies ThreadReply);
          }
        });
      });
      port.postMessage({ ready: true } satisfies ThreadReply);
    },
    (err: unknown) => port.postMessage({ failed: err instanceof Error ? err.message : String(err) } satisfies ThreadReply),
  );
}
