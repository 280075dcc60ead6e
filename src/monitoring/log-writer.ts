import { RequestThread } from '../threads/index.js';
import type { StoreOptions } from '../store/index.js';
import type { LogWriterOps } from './log-writer-worker.js';
import { handoffRow, type PredictionRecord, type PredictionSink, type SerializeOptions } from './prediction-log.js';

/**
 * A PredictionSink on a worker thread with its own connection to the same database: the inserts (the bulk of
 * the cost, ~25 µs a row measured under load) leave the event loop, which only turns records into rows of
 * strings and numbers and posts them (a single instance's inputs travel as its request body, cut out there).
 */
export class WorkerLogSink implements PredictionSink {
  private readonly thread: RequestThread<LogWriterOps>;
  private started = false;

  constructor(store: StoreOptions, private readonly serialize: SerializeOptions) {
    // Kept referenced: a process awaiting its last writes must not exit under them.
    this.thread = new RequestThread<LogWriterOps>(import.meta.url, 'log-writer-worker', { store, serialize }, { unref: false });
  }

  async start(): Promise<void> {
    await this.thread.start();
    this.started = true;
  }

  async write(batch: readonly PredictionRecord[]): Promise<void> {
    this.started = true;
    // Rows of strings and numbers cost far less to copy across threads than the nested objects.
    await this.thread.call('write', batch.map((r) => handoffRow(r, this.serialize)));
  }

  async close(): Promise<void> {
    if (!this.started) return;
    // The writer finishes what was sent before, then closes its connection; a stuck one is cut after 10 s.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.thread.call('close').catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    await this.thread.close();
  }
}
