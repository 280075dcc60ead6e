import type { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { BerthError, isBerthError, type ErrorCode } from '../errors/index.js';
import type { StoreOptions } from '../store/index.js';
import { spawnWorker } from '../threads/index.js';
import type { ModelWindow, WindowQuery } from './monitoring.js';

export type WindowThreadRequest = { seq: number; model: string; query: WindowQuery } | { close: true };
export type WindowThreadReply =
  | { seq: number; window: ModelWindow }
  | { seq: number; error: { code?: ErrorCode; message: string; details?: Record<string, unknown> | undefined } }
  | { ready: true }
  | { failed: string };

/** An error as it crosses threads: a BerthError keeps its code (so a 404 stays a 404). */
export function errorReply(err: unknown): { code?: ErrorCode; message: string; details?: Record<string, unknown> | undefined } {
  if (isBerthError(err)) return { code: err.code, message: err.message, details: err.details };
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * Window summaries computed on a worker thread with its own store connection. Reading and summarizing a
 * window is all synchronous work (better-sqlite3, JSON, drift): measured, a 200,000-row window held the
 * event loop for 8 s, so in a serving process every prediction waited for each scheduled evaluation.
 * The thread starts on first use and again after it died.
 */
export class WindowThread {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (w: ModelWindow) => void; reject: (err: Error) => void }>();
  private ready: Promise<Worker> | undefined;
  private worker: Worker | undefined;

  constructor(
    private readonly store: StoreOptions,
    private readonly config: Config,
  ) {}

  private thread(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = spawnWorker(import.meta.url, 'window-worker', { workerData: { store: this.store, config: this.config } });
      worker.unref();
      worker.on('message', (msg: WindowThreadReply) => {
        if ('ready' in msg) {
          this.worker = worker;
          resolve(worker);
        } else if ('failed' in msg) {
          reject(new Error(`monitoring window thread could not start: ${msg.failed}`));
        } else {
          const waiter = this.pending.get(msg.seq);
          this.pending.delete(msg.seq);
          if ('window' in msg) waiter?.resolve(msg.window);
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
      worker.once('exit', (code) => died(new Error(`monitoring window thread exited (${code})`)));
    });
    return this.ready;
  }

  async window(model: string, query: WindowQuery): Promise<ModelWindow> {
    const worker = await this.thread();
    const seq = ++this.seq;
    return new Promise<ModelWindow>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, model, query } satisfies WindowThreadRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.ready = undefined;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
