import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../threads/index.js';
import type { Berth } from '../context/index.js';
import { BerthError, type ErrorCode } from '../errors/index.js';
import { experimentId } from '../evaluation/index.js';
import { readTrainingCsv } from './csv.js';
import { ensembleModel, summarizeSeeds } from './ensemble.js';
import type { Algo, EpochMetrics, MetricSummary, TrainOptions, TrainResult } from './types.js';

/** Where training runs are logged unless told otherwise. */
export const DEFAULT_TRAINING_EXPERIMENT = 'training';

export interface TrainModelOptions {
  /** A CSV file, or `dataset:NAME[:VERSION]` for a registered dataset. */
  data: string;
  label: string;
  model: string;
  algo?: Algo | undefined;
  validSplit?: number | undefined;
  /** One run per seed; several give mean ± std and the choice below. Default [1]. */
  seeds?: number[] | undefined;
  epochs?: number | undefined;
  /** With several seeds: register the best seed's model (by `metric`) or an ensemble averaging them all. */
  select?: 'best' | 'ensemble' | undefined;
  /** Default accuracy (classification) or r2 (regression); higher is better. */
  metric?: string | undefined;
  register?: boolean | undefined;
  description?: string | undefined;
  experiment?: string | undefined;
  actor: string;
  parentRunId?: string | undefined;
  signal?: AbortSignal | undefined;
  log?: ((line: string) => void) | undefined;
  onEpoch?: ((seed: number, metrics: EpochMetrics) => void) | undefined;
}

export interface TrainModelResult {
  model: string;
  version?: number;
  /** The run the registered version comes from (the parent run with several seeds). */
  runId: string;
  rows: number;
  dropped: number;
  metrics: Record<string, number>;
  seeds: Array<{ seed: number; runId: string; metrics: Record<string, number> }>;
  summary: Record<string, MetricSummary>;
  selected: 'single' | 'best' | 'ensemble';
  bestSeed?: number;
}

type WorkerResult = Omit<TrainResult, 'predict'>;

function spawnTrainer(workerData: unknown): Worker {
  return spawnWorker(import.meta.url, 'train-worker', { workerData });
}

function trainOnWorker(records: Array<Record<string, string>>, options: Omit<TrainOptions, 'onEpoch'>, onEpoch: (m: EpochMetrics) => void, signal?: AbortSignal): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = spawnTrainer({ records, options });
    const abort = () => {
      void worker.terminate();
      reject(new Error('training was cancelled'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    const done = () => signal?.removeEventListener('abort', abort);
    worker.on('message', (msg: { type: 'epoch'; metrics: EpochMetrics } | { type: 'done'; result: WorkerResult } | { type: 'error'; error: { message: string; code?: string; details?: Record<string, unknown> } }) => {
      if (msg.type === 'epoch') onEpoch(msg.metrics);
      else if (msg.type === 'done') {
        done();
        void worker.terminate();
        resolve(msg.result);
      } else {
        done();
        void worker.terminate();
        reject(msg.error.code ? new BerthError(msg.error.code as ErrorCode, msg.error.message, msg.error.details) : new Error(msg.error.message));
      }
    });
    worker.on('error', (err) => {
      done();
      reject(err);
    });
  });
}

async function readData(berth: Pick<Berth, 'datasets'>, data: string): Promise<{ text: string; name: string; sha256: string; uri: string }> {
  const m = /^dataset:([^:]+)(?::(\d+))?$/.exec(data);
  let bytes: Buffer;
  let name: string;
  let uri: string;
  if (m) {
    const version = m[2] !== undefined ? Number(m[2]) : undefined;
    const view = await berth.datasets.get(m[1]!, version);
    bytes = await berth.datasets.read(m[1]!, view.version);
    name = `${m[1]}:${view.version}`;
    uri = data;
  } else {
    try {
      bytes = readFileSync(data);
    } catch (err) {
      throw new BerthError('invalid_input', `cannot read training data ${data}: ${(err as Error).message}`);
    }
    name = path.basename(data);
    uri = path.resolve(data);
  }
  return { text: bytes.toString('utf8'), name, sha256: createHash('sha256').update(bytes).digest('hex'), uri };
}

function toParam(key: string, value: string) {
  return { key, value: value.slice(0, 6000) };
}

/**
 * `berth train` and the pipelines' train step: trains one model per seed (each on a worker thread, each
 * a tracking run with params and per-epoch metrics), summarizes the seeds as mean ± std, and registers
 * the best seed's model or an ensemble of all, with its card and its lineage (run, dataset).
 */
export async function trainModel(berth: Pick<Berth, 'datasets' | 'tracking' | 'runArtifacts' | 'registry'>, options: TrainModelOptions): Promise<TrainModelResult> {
  const log = options.log ?? (() => undefined);
  const seeds = options.seeds?.length ? options.seeds : [1];
  if (new Set(seeds).size !== seeds.length) throw new BerthError('invalid_input', `seeds must be distinct, got ${seeds.join(',')}`);
  const data = await readData(berth, options.data);
  const records = readTrainingCsv(data.text);
  log(`training ${options.model} on ${data.name} (${records.length} rows, label '${options.label}', ${options.algo ?? 'logreg'}, seeds ${seeds.join(',')})`);
  const experiment = await experimentId(berth, options.experiment ?? DEFAULT_TRAINING_EXPERIMENT);
  const group = `${options.model}-${Date.now().toString(36)}`;

  const parent =
    seeds.length > 1
      ? await berth.tracking.createRun({
          experiment_id: experiment,
          run_name: `train ${options.model} (${seeds.length} seeds)`,
          user_id: options.actor,
          tags: [
            { key: 'mlflow.source.name', value: 'berth train' },
            { key: 'berth.model', value: options.model },
            ...(options.parentRunId ? [{ key: 'mlflow.parentRunId', value: options.parentRunId }] : []),
          ],
        })
      : undefined;

  const results: Array<{ seed: number; runId: string; result: WorkerResult }> = [];
  try {
    for (const seed of seeds) {
      const run = await berth.tracking.createRun({
        experiment_id: experiment,
        run_name: `train ${options.model} seed ${seed}`,
        user_id: options.actor,
        tags: [
          { key: 'mlflow.source.name', value: 'berth train' },
          { key: 'berth.model', value: options.model },
          { key: 'group', value: group },
          ...((parent?.info.run_id ?? options.parentRunId) ? [{ key: 'mlflow.parentRunId', value: (parent?.info.run_id ?? options.parentRunId)! }] : []),
        ],
      });
      const runId = run.info.run_id;
      try {
        const result = await trainOnWorker(
          records,
          { label: options.label, algo: options.algo, validSplit: options.validSplit, seed, epochs: options.epochs, description: options.description },
          (m) => options.onEpoch?.(seed, m),
          options.signal,
        );
        const now = Date.now();
        const epochMetrics = result.history.flatMap((h) =>
          Object.entries(h)
            .filter(([k, v]) => k !== 'epoch' && typeof v === 'number' && Number.isFinite(v))
            .map(([key, value]) => ({ key, value: value as number, timestamp: now, step: h.epoch })),
        );
        const finals = Object.entries(result.metrics).filter(([, v]) => Number.isFinite(v)).map(([key, value]) => ({ key, value, timestamp: now, step: 0 }));
        await berth.tracking.logBatch(runId, {
          params: [...Object.entries(result.params).map(([k, v]) => toParam(k, v)), toParam('data', data.name), toParam('data_sha256', data.sha256), toParam('label', options.label), toParam('model', options.model), toParam('rows_dropped', String(result.dropped))].slice(0, 100),
        });
        const all = [...finals, ...epochMetrics];
        for (let i = 0; i < all.length; i += 1000) await berth.tracking.logBatch(runId, { metrics: all.slice(i, i + 1000) });
        await berth.tracking.logInputs(runId, [{ dataset: { name: data.name.slice(0, 500), digest: data.sha256, source_type: 'local', source: JSON.stringify({ uri: data.uri }) }, tags: [{ key: 'mlflow.data.context', value: 'training' }] }]);
        await berth.runArtifacts.put(runId, 'model.onnx', result.onnx);
        await berth.runArtifacts.put(runId, 'card.json', Buffer.from(`${JSON.stringify(result.card, null, 2)}\n`));
        await berth.tracking.updateRun(runId, { status: 'FINISHED', end_time: Date.now() });
        log(`seed ${seed}: ${Object.entries(result.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}${result.dropped ? ` (${result.dropped} rows dropped)` : ''}`);
        results.push({ seed, runId, result });
      } catch (err) {
        await berth.tracking.updateRun(runId, { status: options.signal?.aborted ? 'KILLED' : 'FAILED', end_time: Date.now() }).catch(() => undefined);
        throw err;
      }
    }
  } catch (err) {
    if (parent) await berth.tracking.updateRun(parent.info.run_id, { status: 'FAILED', end_time: Date.now() }).catch(() => undefined);
    throw err;
  }

  const first = results[0]!.result;
  const metric = options.metric ?? (first.card.task === 'regression' ? 'r2' : 'accuracy');
  const summary = summarizeSeeds(results.map((r) => r.result));
  let chosen: { onnx: Uint8Array; card: WorkerResult['card']; metrics: Record<string, number> };
  let selected: TrainModelResult['selected'] = 'single';
  let bestSeed: number | undefined;
  if (results.length === 1) {
    chosen = first;
  } else if ((options.select ?? 'best') === 'ensemble') {
    const ensemble = ensembleModel(results.map((r) => r.result));
    chosen = { ...ensemble, metrics: Object.fromEntries(Object.entries(summary).map(([k, s]) => [k, s.mean])) };
    selected = 'ensemble';
  } else {
    if (first.metrics[metric] === undefined) throw new BerthError('invalid_input', `metric '${metric}' is not one the trainer reports (${Object.keys(first.metrics).join(', ')})`);
    const best = results.reduce((a, b) => ((b.result.metrics[metric] ?? -Infinity) > (a.result.metrics[metric] ?? -Infinity) ? b : a));
    chosen = best.result;
    selected = 'best';
    bestSeed = best.seed;
  }
  const runId = parent?.info.run_id ?? results[0]!.runId;
  if (parent) {
    const now = Date.now();
    const metrics = Object.entries(summary).flatMap(([k, s]) => [
      { key: `${k}_mean`, value: s.mean, timestamp: now, step: 0 },
      { key: `${k}_std`, value: s.std, timestamp: now, step: 0 },
    ]);
    await berth.tracking.logBatch(runId, { params: [toParam('seeds', seeds.join(',')), toParam('select', selected), toParam('metric', metric), toParam('group', group)], metrics, tags: bestSeed !== undefined ? [{ key: 'berth.best_seed', value: String(bestSeed) }] : [] });
    await berth.runArtifacts.put(runId, 'model.onnx', chosen.onnx);
    await berth.tracking.updateRun(runId, { status: 'FINISHED', end_time: Date.now() });
  }

  let version: number | undefined;
  if (options.register ?? true) {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-train-'));
    try {
      const file = path.join(dir, 'model.onnx');
      writeFileSync(file, chosen.onnx);
      const view = await berth.registry.registerVersion(
        {
          model: options.model,
          file,
          card: { ...chosen.card, metrics: chosen.metrics, source: { run: runId, dataset: `sha256:${data.sha256}` } },
          description: options.description ?? `trained by Berth (${options.algo ?? 'logreg'}, ${selected === 'ensemble' ? `ensemble of seeds ${seeds.join(',')}` : `seed ${bestSeed ?? seeds[0]}`}) on ${data.name}`,
          source_run: runId,
          source_dataset: `sha256:${data.sha256}`,
        },
        options.actor,
      );
      version = view.version;
      log(`registered ${options.model} v${version}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    model: options.model,
    ...(version !== undefined ? { version } : {}),
    runId,
    rows: records.length,
    dropped: first.dropped,
    metrics: chosen.metrics,
    seeds: results.map((r) => ({ seed: r.seed, runId: r.runId, metrics: r.result.metrics })),
    summary,
    selected,
    ...(bestSeed !== undefined ? { bestSeed } : {}),
  };
}
