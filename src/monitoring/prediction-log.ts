import { sql, PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from '../store/index.js';
import { inputsJsonOf } from './inputs-json.js';

/** One served or refused prediction as the predict path hands it over (objects, not yet JSON). */
export interface PredictionRecord {
  id: string;
  ts: number;
  model: string;
  version: number | null;
  variant?: string | null;
  abtest?: string | null;
  subject?: string | null;
  endpoint: 'predict' | 'batch' | 'invocations' | 'oip';
  status: number;
  error_code?: string | null;
  error?: string | null;
  latency_ms: number;
  /** The instance as the client sent it (serialized at flush time, off the request path). */
  inputs?: unknown;
  /**
   * A one-instance request's JSON body, whose top-level `inputs` object is the instance: the writer's thread
   * cuts that text out (inputsJsonOf), so the request path neither clones, serializes nor scans anything.
   */
  body?: string;
  outputs?: unknown;
}

export interface PredictionLogOptions {
  flushIntervalMs: number;
  flushMaxRows: number;
  maxQueueRows: number;
  overload: 'drop' | 'block';
  blockTimeoutMs: number;
  logInputs: boolean;
  maxInputBytes: number;
}

export interface PredictionLogStats {
  written: number;
  dropped: number;
  failed_writes: number;
  queued: number;
}

export interface PredictionLogEvents {
  /** A write failed; the rows stay queued and are retried with backoff. */
  onWriteError?: (err: unknown) => void;
  /** Rows were dropped because the queue was full. */
  onDrop?: (rows: number) => void;
  onWritten?: (rows: number) => void;
}

const MAX_BACKOFF_MS = 5000;

/**
 * The asynchronous, batched writer of the prediction log. The predict path only pushes objects onto a
 * bounded in-memory queue; a timer writes them in multi-row inserts at most `flushIntervalMs` after the
 * first one arrived, so a prediction answered more than one interval (plus one write) ago is on disk.
 * A full queue drops (and counts) or, with overload 'block', holds the caller up to `blockTimeoutMs`.
 * A failed write keeps the rows and retries with backoff; close() flushes everything.
 */
export class PredictionLog {
  private queue: PredictionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private backoffMs = 0;
  private closed = false;
  private waiters: Array<() => void> = [];
  private counters = { written: 0, dropped: 0, failed_writes: 0 };

  private readonly sink: PredictionSink;

  /** `target`: a database to write to on this thread, or a sink (e.g. the worker-thread writer). */
  constructor(
    target: Kysely<Database> | PredictionSink,
    private readonly options: PredictionLogOptions,
    private readonly events: PredictionLogEvents = {},
  ) {
    this.sink = 'write' in target && typeof target.write === 'function' && !('selectFrom' in target) ? target : directSink(target as Kysely<Database>, options);
  }

  /** Readies the sink; a server awaits this before it answers, so the flush interval holds from the first prediction. */
  async start(): Promise<void> {
    await this.sink.start?.();
  }

  stats(): PredictionLogStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /**
   * Queues records. Returns nothing when they fit (the usual case, no await needed); with overload
   * 'block' and a full queue, a promise that settles once they fit or the block timeout passed.
   */
  append(records: readonly PredictionRecord[]): void | Promise<void> {
    if (records.length === 0) return;
    const room = this.options.maxQueueRows - this.queue.length;
    if (room >= records.length && !this.closed) {
      this.push(records);
      return;
    }
    if (this.options.overload === 'block' && !this.closed && this.options.blockTimeoutMs > 0) return this.appendBlocking(records);
    this.push(records.slice(0, Math.max(0, this.closed ? 0 : room)));
    this.drop(records.length - Math.max(0, this.closed ? 0 : room));
  }

  private async appendBlocking(records: readonly PredictionRecord[]): Promise<void> {
    const deadline = Date.now() + this.options.blockTimeoutMs;
    let rest = records;
    while (rest.length > 0 && !this.closed) {
      const room = this.options.maxQueueRows - this.queue.length;
      if (room > 0) {
        this.push(rest.slice(0, room));
        rest = rest.slice(room);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      this.scheduleFlush(0);
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timeout);
          resolve();
        });
      });
    }
    this.drop(rest.length);
  }

  private push(records: readonly PredictionRecord[]): void {
    for (const r of records) this.queue.push(r);
    if (this.queue.length >= this.options.flushMaxRows) this.scheduleFlush(0);
    else this.scheduleFlush(this.options.flushIntervalMs);
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.counters.dropped += n;
    this.events.onDrop?.(n);
  }

  /** Arms the flush timer unless one is armed already (an armed timer never moves later). */
  private scheduleFlush(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, Math.max(delayMs, this.backoffMs));
    // The log must not keep a finished CLI or test process alive; close() flushes explicitly.
    this.timer.unref();
  }

  /** Writes everything queued so far, after any write in progress. Throws if a write fails. */
  flush(): Promise<void> {
    // Flushes run one after another so two callers never write the same rows.
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(): Promise<void> {
    const target = this.queue.length;
    let done = 0;
    while (done < target && this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.flushMaxRows);
      try {
        await this.sink.write(batch);
      } catch (err) {
        this.counters.failed_writes++;
        this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(this.options.flushIntervalMs, this.backoffMs * 2));
        this.events.onWriteError?.(err);
        if (!this.closed) this.scheduleFlush(this.backoffMs);
        throw err;
      }
      this.backoffMs = 0;
      this.queue.splice(0, batch.length);
      done += batch.length;
      this.counters.written += batch.length;
      this.events.onWritten?.(batch.length);
      for (const wake of this.waiters.splice(0)) wake();
    }
    if (this.queue.length > 0 && !this.closed) this.scheduleFlush(this.options.flushIntervalMs);
  }

  /** Stops accepting records and writes what is queued (retrying a failed write a few times). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.flush();
          break;
        } catch (err) {
          if (attempt >= 4) {
            this.drop(this.queue.length);
            this.queue = [];
            throw err;
          }
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
    } finally {
      for (const wake of this.waiters.splice(0)) wake();
      await this.sink.close?.();
    }
  }
}

/** Where batches go: a database on this thread, or a writer thread. Resolves once the rows are committed. */
export interface PredictionSink {
  write(batch: readonly PredictionRecord[]): Promise<void>;
  /** Gets ready to write (e.g. starts a thread and connects), so the first flush does not wait for it. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

export type SerializeOptions = Pick<PredictionLogOptions, 'logInputs' | 'maxInputBytes'>;

function serializeInputs(inputs: unknown, options: SerializeOptions, isJson = false): string | null {
  if (!options.logInputs || inputs === undefined) return null;
  const text = isJson ? (inputs as string) : JSON.stringify(inputs);
  if (text === undefined) return null;
  if (text.length > options.maxInputBytes) return JSON.stringify({ _omitted: `inputs of ${text.length} bytes exceed monitoring.max_logged_input_bytes (${options.maxInputBytes})` });
  return text;
}

export function directSink(db: Kysely<Database>, options: SerializeOptions): PredictionSink {
  return { write: (batch) => writePredictionRows(db, batch.map((r) => predictionRow(r, options))) };
}

export const PREDICTION_COLUMNS = ['id', 'ts', 'model', 'version', 'variant', 'abtest', 'subject', 'endpoint', 'status', 'error_code', 'error', 'latency_ms', 'inputs', 'outputs'] as const;

/** A row of `predictions`, in PREDICTION_COLUMNS order, JSON columns serialized. */
export type PredictionRow = Array<string | number | null>;

/**
 * A row as the event loop hands it to the writer: PredictionRow plus one flag, 1 when the `inputs` slot
 * still holds the whole request body (see PredictionRecord.body) for completeRow to cut out.
 */
export type HandoffRow = Array<string | number | null>;

const INPUTS = 12;

/** A record as a HandoffRow: the cheap part of serializing, done on the event loop. */
export function handoffRow(r: PredictionRecord, options: SerializeOptions): HandoffRow {
  const fromBody = r.body !== undefined && options.logInputs;
  return [
    r.id,
    r.ts,
    r.model,
    r.version,
    r.variant ?? null,
    r.abtest ?? null,
    r.subject ?? null,
    r.endpoint,
    r.status,
    r.error_code ?? null,
    r.error === undefined || r.error === null ? null : r.error.slice(0, 2000),
    r.latency_ms,
    fromBody ? r.body! : serializeInputs(r.inputs, options),
    r.outputs === undefined ? null : JSON.stringify(r.outputs),
    fromBody ? 1 : 0,
  ];
}

/** The writer's half: cuts a single instance out of its request body (in place) and drops the flag. */
export function completeRow(row: HandoffRow, options: SerializeOptions): PredictionRow {
  if (row[PREDICTION_COLUMNS.length] === 1) {
    const inputs = inputsJsonOf(row[INPUTS] as string);
    row[INPUTS] = inputs === undefined ? null : serializeInputs(inputs, options, true);
  }
  row.length = PREDICTION_COLUMNS.length;
  return row;
}

/** A record as the row of `predictions` (both halves, on this thread). */
export function predictionRow(r: PredictionRecord, options: SerializeOptions): PredictionRow {
  return completeRow(handoffRow(r, options), options);
}

/** One multi-row insert through the query builder; a retried batch is idempotent (ids already written are skipped). */
export async function writePredictionRows(db: Kysely<Database>, rows: readonly PredictionRow[]): Promise<void> {
  // The rows travel as one JSON parameter (json_each / jsonb_array_elements): much faster than a VALUES
  // list with a dozen parameters per row.
  const payload = JSON.stringify(rows);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`insert into predictions (id, ts, model, version, variant, abtest, subject, endpoint, status, error_code, error, latency_ms, inputs, outputs)
      select e->>0, (e->>1)::bigint, e->>2, (e->>3)::int, e->>4, e->>5, e->>6, e->>7, (e->>8)::int, e->>9, e->>10, (e->>11)::double precision, e->>12, e->>13
      from jsonb_array_elements(${payload}::jsonb) as e
      on conflict (id) do nothing`.execute(db);
    return;
  }
  await sql`insert or ignore into predictions (id, ts, model, version, variant, abtest, subject, endpoint, status, error_code, error, latency_ms, inputs, outputs)
    select j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7,
      j.value ->> 8, j.value ->> 9, j.value ->> 10, j.value ->> 11, j.value ->> 12, j.value ->> 13
    from json_each(${payload}) as j`.execute(db);
}
