import { parentPort, workerData } from 'node:worker_threads';
import { trainTabular } from './train-tabular.js';
import type { TrainOptions } from './types.js';

/** Trains one seed off the event loop: a server keeps answering predictions while a pipeline trains. */
interface Job {
  records: Array<Record<string, string>>;
  options: Omit<TrainOptions, 'onEpoch'>;
}

const job = workerData as Job;
try {
  const result = trainTabular(job.records, { ...job.options, onEpoch: (m) => parentPort!.postMessage({ type: 'epoch', metrics: m }) });
  const { predict: _predict, ...rest } = result;
  parentPort!.postMessage({ type: 'done', result: rest });
} catch (err) {
  const e = err as Error & { code?: string; details?: Record<string, unknown> };
  parentPort!.postMessage({ type: 'error', error: { message: e.message, code: e.code, details: e.details } });
}
