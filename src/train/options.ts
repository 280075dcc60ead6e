import { BerthError, describeValue } from '../errors/index.js';
import { checkSeed, checkValidSplit } from './split.js';
import type { Algo, TrainOptions } from './types.js';

export const DEFAULTS = {
  algo: 'logreg' as Algo,
  validSplit: 0.2,
  seed: 1,
  /** Most L-BFGS iterations; breast cancer converges in well under 100. */
  logregEpochs: 1000,
  mlpEpochs: 200,
  /** scikit-learn's C = 1. */
  logregL2: 1,
  /** scikit-learn MLP's alpha. */
  mlpL2: 1e-4,
  learningRate: 1e-3,
  hidden: [32],
  batchSize: 32,
};

const MAX_EPOCHS = 100_000;
const MAX_LAYER_WIDTH = 4096;

/** Options with defaults filled in and every value checked. */
export interface Settings {
  algo: Algo;
  validSplit: number;
  seed: number;
  epochs: number;
  l2: number;
  learningRate: number;
  hidden: number[];
  batchSize: number;
}

function refuse(option: string, expected: string, got: unknown): BerthError {
  return new BerthError('invalid_input', `${option}: expected ${expected}, got ${describeValue(got)}`, { option });
}

function positiveInteger(option: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw refuse(option, `an integer in [1, ${max}]`, value);
  return value;
}

export function resolveOptions(options: TrainOptions): Settings {
  if (options === null || typeof options !== 'object') throw refuse('options', 'an object with at least a label', options);
  const algo = options.algo ?? DEFAULTS.algo;
  if (algo !== 'logreg' && algo !== 'mlp') throw refuse('algo', "'logreg' or 'mlp'", algo);
  if (options.task !== undefined && options.task !== 'classification' && options.task !== 'regression') {
    throw refuse('task', "'classification' or 'regression'", options.task);
  }
  if (algo === 'logreg') {
    // Refused rather than ignored: a caller who sets them believes they change something.
    for (const option of ['learningRate', 'hidden', 'batchSize'] as const) {
      if (options[option] !== undefined) {
        throw new BerthError('invalid_input', `${option} applies to algo 'mlp' only (logreg is fitted by L-BFGS on the whole training set)`, { option });
      }
    }
  }
  const validSplit = options.validSplit ?? DEFAULTS.validSplit;
  checkValidSplit(validSplit);
  const seed = options.seed ?? DEFAULTS.seed;
  checkSeed(seed);
  const epochs = positiveInteger('epochs', options.epochs ?? (algo === 'logreg' ? DEFAULTS.logregEpochs : DEFAULTS.mlpEpochs), MAX_EPOCHS);
  const l2 = options.l2 ?? (algo === 'logreg' ? DEFAULTS.logregL2 : DEFAULTS.mlpL2);
  if (typeof l2 !== 'number' || !Number.isFinite(l2) || l2 < 0) throw refuse('l2', 'a finite number ≥ 0', l2);
  const learningRate = options.learningRate ?? DEFAULTS.learningRate;
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) throw refuse('learningRate', 'a finite number > 0', learningRate);
  const hidden = options.hidden ?? DEFAULTS.hidden;
  if (!Array.isArray(hidden) || hidden.length === 0) throw refuse('hidden', 'a non-empty list of layer sizes', hidden);
  hidden.forEach((size, i) => positiveInteger(`hidden[${i}]`, size, MAX_LAYER_WIDTH));
  const batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULTS.batchSize, 1_000_000);
  if (options.description !== undefined && (typeof options.description !== 'string' || options.description.length > 20_000)) {
    throw refuse('description', 'a string of at most 20000 characters', options.description);
  }
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') throw refuse('onEpoch', 'a function', options.onEpoch);
  return { algo, validSplit, seed, epochs, l2, learningRate, hidden: [...hidden], batchSize };
}
