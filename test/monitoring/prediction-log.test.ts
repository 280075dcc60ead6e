import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteFile } from '../../src/config/index.js';
import { PredictionLog, PredictionStore, WorkerLogSink, type PredictionLogOptions, type PredictionRecord } from '../../src/monitoring/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { storeTargets } from '../helpers/targets.js';

const OPTIONS: PredictionLogOptions = { flushIntervalMs: 50, flushMaxRows: 100, maxQueueRows: 1000, overload: 'drop', blockTimeoutMs: 0, logInputs: true, maxInputBytes: 200 };

function record(i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  return { id: randomUUID(), ts: Date.now(), model: 'm', version: 1, endpoint: 'predict', status: 200, latency_ms: 1.5, inputs: { x: i }, outputs: { label: 'a', confidence: 0.9 }, ...extra };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(storeTargets())('PredictionLog ($engine)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let predictions: PredictionStore;
  const count = async () => Number((await sql<{ n: number }>`select count(*) as n from predictions`.execute(store.db)).rows[0]!.n);

  beforeEach(async () => {
    const made = target.make();
    cleanup = made.cleanup;
    const c = made.config;
    store = await openStore(c.database.url ? { engine: 'postgres', url: c.database.url, schema: c.database.schema, poolSize: 4 } : { engine: 'sqlite', file: sqliteFile(c), busyTimeoutMs: 5000 });
    predictions = new PredictionStore(store.db);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('writes within one flush interval without the caller waiting, and keeps every field', async () => {
    const log = new PredictionLog(store.db, OPTIONS);
    const records = Array.from({ length: 250 }, (_, i) => record(i, i === 0 ? { subject: 's-1', variant: 'B', abtest: 't', error_code: null } : {}));
    expect(log.append(records)).toBeUndefined(); // no promise: the predict path does not wait
    expect(log.stats().queued).toBeGreaterThan(0);
    const deadline = Date.now() + 5000;
    while ((await count()) < 250 && Date.now() < deadline) await sleep(20);
    expect(await count()).toBe(250);
    expect(log.stats()).toEqual({ written: 250, dropped: 0, failed_writes: 0, queued: 0 });
    const first = await predictions.get(records[0]!.id);
    expect(first).toMatchObject({ id: records[0]!.id, model: 'm', version: 1, subject: 's-1', variant: 'B', abtest: 't', endpoint: 'predict', status: 200, latency_ms: 1.5, inputs: { x: 0 }, outputs: { label: 'a', confidence: 0.9 } });
    await log.close();
  });

  it('drops and counts when the queue is full (overload: drop), and close() flushes the rest', async () => {
    const dropped: number[] = [];
    const log = new PredictionLog(store.db, { ...OPTIONS, flushIntervalMs: 10_000, flushMaxRows: 10_000, maxQueueRows: 100 }, { onDrop: (n) => dropped.push(n) });
    log.append(Array.from({ length: 80 }, (_, i) => record(i)));
    log.append(Array.from({ length: 50 }, (_, i) => record(i)));
    expect(log.stats()).toMatchObject({ queued: 100, dropped: 30 });
    expect(dropped).toEqual([30]);
    await log.close();
    expect(await count()).toBe(100);
    // After close nothing more is accepted; it is counted, not lost silently.
    log.append([record(1)]);
    expect(log.stats().dropped).toBe(31);
  });

  it('blocks the caller up to block_timeout_ms when full (overload: block) and admits it once a write makes room', async () => {
    const log = new PredictionLog(store.db, { ...OPTIONS, flushIntervalMs: 10_000, flushMaxRows: 50, maxQueueRows: 50, overload: 'block', blockTimeoutMs: 2000 });
    log.append(Array.from({ length: 50 }, (_, i) => record(i)));
    const pending = log.append([record(99)]);
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(log.stats().dropped).toBe(0);
    await log.close();
    expect(await count()).toBe(51);
  });

  it('keeps rows through a failed write and retries with backoff', async () => {
    const errors: unknown[] = [];
    const log = new PredictionLog(store.db, { ...OPTIONS, flushIntervalMs: 20 }, { onWriteError: (e) => errors.push(e) });
    await sql`alter table predictions rename to predictions_away`.execute(store.db);
    log.append(Array.from({ length: 10 }, (_, i) => record(i)));
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) await sleep(10);
    expect(errors.length).toBeGreaterThan(0);
    expect(log.stats().queued).toBe(10);
    await sql`alter table predictions_away rename to predictions`.execute(store.db);
    while ((await count()) < 10 && Date.now() < deadline) await sleep(20);
    expect(await count()).toBe(10);
    expect(log.stats()).toMatchObject({ written: 10, dropped: 0, queued: 0 });
    await log.close();
  });

  it('logs oversized inputs as a size note, and does not keep inputs when log_inputs is off', async () => {
    const log = new PredictionLog(store.db, OPTIONS);
    const big = record(0, { inputs: { image: 'x'.repeat(500) } });
    log.append([big]);
    await log.flush();
    expect((await predictions.get(big.id))!.inputs).toEqual({ _omitted: expect.stringMatching(/inputs of 512 bytes exceed monitoring.max_logged_input_bytes \(200\)/) as unknown });
    const quiet = new PredictionLog(store.db, { ...OPTIONS, logInputs: false });
    const r = record(1);
    quiet.append([r]);
    await quiet.close();
    expect((await predictions.get(r.id))!.inputs).toBeNull();
    await log.close();
  });

  it('writes through the worker-thread sink (its own connection) and closes it', async () => {
    const log = new PredictionLog(new WorkerLogSink(store.options, OPTIONS), OPTIONS);
    const records = Array.from({ length: 300 }, (_, i) => record(i));
    log.append(records);
    await log.flush();
    expect(await count()).toBe(300);
    expect((await predictions.get(records[7]!.id))!.inputs).toEqual({ x: 7 });
    log.append([record(300)]);
    await log.close();
    expect(await count()).toBe(301);
  });

  it('writes a retried id once (idempotent inserts)', async () => {
    const log = new PredictionLog(store.db, OPTIONS);
    const r = record(0);
    log.append([r, { ...r }]);
    await log.close();
    expect(await count()).toBe(1);
  });
});
