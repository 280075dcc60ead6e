import { Command } from 'commander';
import { trainModel, DEFAULT_TRAINING_EXPERIMENT } from '../../train/index.js';
import { localActor, output, requireLocal, withBerth } from '../context.js';

function seedsOf(value: string): number[] {
  const seeds = value.split(',').map((s) => s.trim());
  return seeds.map((s) => {
    const n = Number(s);
    if (s === '' || !Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`--seeds expects integers in [0, 2^32) separated by commas, got '${value}'`);
    return n;
  });
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 0.9) throw new Error(`--valid-split expects a number in [0, 0.9], got '${value}'`);
  return n;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a tabular classifier or regressor (TypeScript, exported to ONNX), log it as a run and register it')
    .requiredOption('-d, --data <file.csv>', 'training rows: a header line, one column per feature and the label (or dataset:NAME[:VERSION])')
    .requiredOption('-l, --label <column>', 'the column to predict')
    .requiredOption('-m, --model <name>', 'model to register the version under (created if missing)')
    .option('--algo <algo>', 'logreg (multinomial logistic / ridge regression) or mlp', 'logreg')
    .option('--valid-split <share>', 'share of rows held out for validation metrics (stratified)', '0.2')
    .option('--seeds <list>', 'comma-separated seeds: one run each, reported as mean ± std', '1')
    .option('--epochs <n>', 'logreg: most L-BFGS iterations; mlp: epochs')
    .option('--select <how>', 'with several seeds: register the best seed (best) or an averaged ensemble (ensemble)', 'best')
    .option('--metric <name>', 'metric choosing the best seed (default accuracy, or r2 for regression)')
    .option('--no-register', 'train and log only')
    .option('--description <text>', 'description of the registered version')
    .option('-e, --experiment <name>', 'tracking experiment (created if missing)', DEFAULT_TRAINING_EXPERIMENT)
    .addHelpText(
      'after',
      `
Standardization lives inside the exported graph; categorical columns are one-hot encoded by the card, the
same code serving uses. The card lists the features with the categories seen, the labels, the validation
metrics and a reference profile of the training data (drift monitoring uses it). Runs are reproducible
bit for bit for a given seed.

Examples:
  berth train --data data/breast_cancer.csv --label diagnosis --model cancer
  berth train --data train.csv --label price --model houses --algo mlp --seeds 1,2,3 --select ensemble`,
    )
    .action(async (opts: { data: string; label: string; model: string; algo: string; validSplit: string; seeds: string; epochs?: string; select: string; metric?: string; register: boolean; description?: string; experiment: string }, command: Command) => {
      requireLocal(command, 'train');
      const out = output(command);
      if (opts.algo !== 'logreg' && opts.algo !== 'mlp') throw new Error(`--algo expects logreg or mlp, got '${opts.algo}'`);
      if (opts.select !== 'best' && opts.select !== 'ensemble') throw new Error(`--select expects best or ensemble, got '${opts.select}'`);
      const epochs = opts.epochs === undefined ? undefined : Number(opts.epochs);
      if (epochs !== undefined && (!Number.isSafeInteger(epochs) || epochs < 1)) throw new Error(`--epochs expects a positive integer, got '${opts.epochs}'`);
      const result = await withBerth(command, (berth) =>
        trainModel(berth, {
          data: opts.data,
          label: opts.label,
          model: opts.model,
          algo: opts.algo as 'logreg' | 'mlp',
          validSplit: fraction(opts.validSplit),
          seeds: seedsOf(opts.seeds),
          epochs,
          select: opts.select as 'best' | 'ensemble',
          metric: opts.metric,
          register: opts.register,
          description: opts.description,
          experiment: opts.experiment,
          actor: localActor(),
          log: out.json ? undefined : (line) => out.line(line),
        }),
      );
      out.result(result, () => {
        if (result.seeds.length > 1) {
          out.table(['metric', 'mean', 'std', 'min', 'max', 'n'], Object.entries(result.summary).map(([k, s]) => [k, fmt(s.mean), fmt(s.std), fmt(s.min), fmt(s.max), s.n]));
          out.line(result.selected === 'ensemble' ? 'registered an ensemble averaging every seed' : `best seed: ${result.bestSeed}`);
        } else {
          out.table(['metric', 'value'], Object.entries(result.metrics).map(([k, v]) => [k, fmt(v)]));
        }
        out.line(`run ${result.runId}${result.version !== undefined ? `; registered ${result.model} v${result.version} (promote it with berth promote ${result.model} ${result.version})` : ''}`);
      });
    });
}
