import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../threads/index.js';
import type { StoreOptions } from '../store/index.js';
import { handoffRow, type HandoffRow, type PredictionRecord, type PredictionSink, type SerializeOptions } from './prediction-log.js';

export type LogWriterRequest = { seq: number; rows: HandoffRow[]; close?: undefined } | { close: true };
export type LogWriterReply = { seq: number; error?: string } | { ready: true } | { closed: true } | { failed: string };

function spawnWriter(workerData: unknown): Worker {
  return spawnWorker(import.meta.url, 'log-writer-worker', { workerData });
}

/**
 * A PredictionSink on a worker thread with its own connection to the same database: the inserts (the bulk of
 * the cost, ~25 µs a row measured under load) leave the event loop, which only turns records into rows of
 * strings and numbers and posts them (a single instance's inputs travel as its request body, cut out there).
 */
export class WorkerLogSink implements PredictionSink {
  private seq = 0;
  private pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly store: StoreOptions,
    private readonly serialize: SerializeOptions,
  ) {}

  /** The writer thread, started on first use and again after it died (the log retries the batch). */
  private writer(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = spawnWriter({ store: this.store, serialize: this.serialize });
      worker.on('message', (msg: LogWriterReply) => {
        if ('ready' in msg) {
          this.worker = worker;
          resolve(worker);
        } else if ('seq' in msg) {
          const waiter = this.pending.get(msg.seq);
          this.pending.delete(msg.seq);
          if (msg.error === undefined) waiter?.resolve();
          else waiter?.reject(new Error(`prediction log write failed: ${msg.error}`));
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
      worker.once('exit', (code) => died(new Error(`prediction log writer exited (${code})`)));
    });
    return this.ready;
  }

  async start(): Promise<void> {
    await this.writer();
  }

  async write(batch: readonly PredictionRecord[]): Promise<void> {
    const worker = await this.writer();
    const seq = ++this.seq;
    // Rows of strings and numbers cost far less to copy across threads than the nested objects.
    const rows = batch.map((r) => handoffRow(r, this.serialize));
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, rows } satisfies LogWriterRequest);
    });
  }

  close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      const done = () => void worker.terminate().then(() => resolve(), () => resolve());
      const timer = setTimeout(done, 10_000);
      worker.on('message', (msg: LogWriterReply) => {
        if ('closed' in msg) {
          clearTimeout(timer);
          done();
        }
      });
      worker.postMessage({ close: true } satisfies LogWriterRequest);
    });
    return this.closing;
  }
}
