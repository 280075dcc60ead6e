import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Berth } from '../context/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import {
  compareVersions,
  evaluateModel,
  higherIsBetterDefault,
  logRun,
  predictRows,
  readCsv,
  renderReportHtml,
  rowsFor,
  type CsvData,
  type ModelEvaluation,
} from '../evaluation/index.js';
import { computeDrift, readCsvColumns, sketchReference, featuresOf, tabularInputOf, PredictionStore } from '../monitoring/index.js';
import { trainModel } from '../train/index.js';
import type { BuiltinContext, BuiltinStepRunner } from './pipelines.js';
import type { BuiltinStep } from './spec.js';

/** Where the built-in evaluate/compare steps log their runs unless `with.experiment` says otherwise. */
export const PIPELINE_EVALUATION_EXPERIMENT = 'evaluations';

type Args = Record<string, unknown>;

function field(step: string, name: string): string {
  return `${step}: with.${name}`;
}

function str(args: Args, step: string, name: string, fallback?: string): string {
  const v = args[name];
  if (v === undefined || v === null || v === '') {
    if (fallback !== undefined) return fallback;
    throw new BerthError('invalid_input', `${field(step, name)} is required (a string)`);
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new BerthError('invalid_input', `${field(step, name)}: expected a string, got ${describeValue(v)}`);
  return String(v);
}

function optStr(args: Args, step: string, name: string): string | undefined {
  return args[name] === undefined || args[name] === null || args[name] === '' ? undefined : str(args, step, name);
}

function num(args: Args, step: string, name: string, fallback?: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = args[name];
  if (raw === undefined || raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new BerthError('invalid_input', `${field(step, name)} is required (a number)`);
  }
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const range = [opts.min !== undefined ? `>= ${opts.min}` : '', opts.max !== undefined ? `<= ${opts.max}` : ''].filter(Boolean).join(' and ');
    throw new BerthError('invalid_input', `${field(step, name)}: expected ${opts.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got ${describeValue(raw)}`);
  }
  return n;
}

function optNum(args: Args, step: string, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  return args[name] === undefined || args[name] === null || args[name] === '' ? undefined : num(args, step, name, undefined, opts);
}

function bool(args: Args, step: string, name: string, fallback: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new BerthError('invalid_input', `${field(step, name)}: expected true or false, got ${describeValue(v)}`);
}

function checkKnown(args: Args, step: string, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) throw new BerthError('invalid_input', `${step}: unknown argument with.${key} (known: ${known.join(', ')})`);
  }
}

/** A path in `with`, relative to the pipeline file's folder. */
function file(ctx: BuiltinContext, value: string): string {
  return path.resolve(ctx.baseDir, value);
}

function scalarMetrics(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([k, v]) => !k.includes('.') && Number.isFinite(v)));
}

async function evaluateOn(berth: Berth, ctx: BuiltinContext, model: string, selector: { version?: number | undefined; alias?: string | undefined }, csv: CsvData, label: string, experiment: string): Promise<{ ev: ModelEvaluation; runId: string }> {
  const view = await berth.registry.resolveVersion(model, selector);
  const { rows } = rowsFor(view, csv, label);
  const ev = await evaluateModel(berth, { model, version: view.version, rows, label });
  ctx.log(`evaluated ${model} v${ev.version} on ${csv.name}: ${ev.evaluated} rows, ${ev.refused.length} refused`);
  const html = renderReportHtml(ev, { data: csv.name, dataSha256: csv.sha256 });
  const runId = await logRun(berth, experiment, ev, csv, html, { actor: ctx.actor, source: `pipeline ${ctx.pipeline} step ${ctx.stepId}`, parentRunId: ctx.trackingRunId ?? undefined });
  return { ev, runId };
}

function selectorOf(args: Args, step: string, prefix = ''): { version?: number | undefined; alias?: string | undefined } {
  const version = optNum(args, step, `${prefix}version`, { integer: true, min: 1 });
  const alias = optStr(args, step, `${prefix}alias`);
  if (version !== undefined && alias !== undefined) throw new BerthError('invalid_input', `${step}: give with.${prefix}version or with.${prefix}alias, not both`);
  return { version, alias };
}

/** A CSV row for each labelled production prediction: the logged features plus the feedback label. */
async function labelledProduction(berth: Berth, model: string, label: string, sinceMs: number): Promise<Array<Record<string, string>>> {
  const store = new PredictionStore(berth.store.db);
  const rows: Array<Record<string, string>> = [];
  const inputs = new Map<number, string>();
  for await (const p of store.scan(model, { sinceMs })) {
    if (p.label === undefined || p.label === null || p.status !== 200 || p.version === null) continue;
    let inputName = inputs.get(p.version);
    if (inputName === undefined) {
      const view = await berth.registry.getVersion(model, p.version).catch(() => undefined);
      inputName = (view && tabularInputOf(view)?.name) ?? '';
      inputs.set(p.version, inputName);
    }
    if (!inputName) continue;
    const features = featuresOf(p.inputs, inputName);
    if (!features) continue;
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(features)) row[k] = v === null || v === undefined ? '' : String(v);
    row[label] = String(p.label);
    rows.push(row);
  }
  return rows;
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeCsv(target: string, columns: readonly string[], rows: ReadonlyArray<Record<string, string>>): void {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c] ?? '')).join(','));
  writeFileSync(target, `${lines.join('\n')}\n`);
}

/**
 * The built-in steps: Berth's own operations as pipeline steps, each one call into the module that owns
 * it, with its arguments checked by name. They return the outputs later steps read (`steps.X.outputs`).
 */
export function builtinSteps(berth: Berth): BuiltinStepRunner {
  const steps: Record<BuiltinStep, (args: Args, ctx: BuiltinContext) => Promise<Record<string, unknown>>> = {
    async train(args, ctx) {
      checkKnown(args, 'train', ['data', 'label', 'model', 'algo', 'valid_split', 'seed', 'seeds', 'epochs', 'select', 'register', 'description', 'experiment']);
      const seedsRaw = args.seeds;
      const seeds = seedsRaw === undefined ? [num(args, 'train', 'seed', 1, { integer: true })] : (Array.isArray(seedsRaw) ? seedsRaw : String(seedsRaw).split(',')).map((s: unknown, i) => num({ [`seeds[${i}]`]: s }, 'train', `seeds[${i}]`, undefined, { integer: true }));
      const algo = str(args, 'train', 'algo', 'logreg');
      if (algo !== 'logreg' && algo !== 'mlp') throw new BerthError('invalid_input', `train: with.algo: expected logreg or mlp, got ${describeValue(algo)}`);
      const select = str(args, 'train', 'select', 'best');
      if (select !== 'best' && select !== 'ensemble') throw new BerthError('invalid_input', `train: with.select: expected best or ensemble, got ${describeValue(select)}`);
      const result = await trainModel(berth, {
        data: file(ctx, str(args, 'train', 'data')),
        label: str(args, 'train', 'label'),
        model: str(args, 'train', 'model'),
        algo,
        validSplit: num(args, 'train', 'valid_split', 0.2, { min: 0, max: 0.9 }),
        seeds,
        epochs: optNum(args, 'train', 'epochs', { integer: true, min: 1 }),
        select,
        register: bool(args, 'train', 'register', true),
        description: optStr(args, 'train', 'description'),
        experiment: optStr(args, 'train', 'experiment'),
        actor: ctx.actor,
        parentRunId: ctx.trackingRunId ?? undefined,
        signal: ctx.signal,
        log: ctx.log,
      });
      return { ...(result.version !== undefined ? { version: result.version } : {}), run_id: result.runId, rows: result.rows, dropped: result.dropped, ...scalarMetrics(result.metrics) };
    },

    async evaluate(args, ctx) {
      checkKnown(args, 'evaluate', ['model', 'version', 'alias', 'data', 'label', 'experiment']);
      const label = str(args, 'evaluate', 'label');
      const csv = readCsv(file(ctx, str(args, 'evaluate', 'data')), label);
      const { ev, runId } = await evaluateOn(berth, ctx, str(args, 'evaluate', 'model'), selectorOf(args, 'evaluate'), csv, label, str(args, 'evaluate', 'experiment', PIPELINE_EVALUATION_EXPERIMENT));
      return { version: ev.version, run_id: runId, rows: ev.rows, evaluated: ev.evaluated, refused: ev.refused.length, ...scalarMetrics(ev.metrics) };
    },

    async compare(args, ctx) {
      checkKnown(args, 'compare', ['model', 'champion_version', 'champion_alias', 'challenger', 'data', 'label', 'metric', 'higher_is_better', 'min_delta', 'min_relative', 'guardrails', 'experiment']);
      const model = str(args, 'compare', 'model');
      const label = str(args, 'compare', 'label');
      const csv = readCsv(file(ctx, str(args, 'compare', 'data')), label);
      const experiment = str(args, 'compare', 'experiment', PIPELINE_EVALUATION_EXPERIMENT);
      const championSel = selectorOf(args, 'compare', 'champion_');
      const champion = await evaluateOn(berth, ctx, model, championSel.version === undefined && championSel.alias === undefined ? { alias: 'production' } : championSel, csv, label, experiment);
      const challengerVersion = num(args, 'compare', 'challenger', undefined, { integer: true, min: 1 });
      if (challengerVersion === champion.ev.version) throw new BerthError('invalid_input', `compare: the challenger v${challengerVersion} is the champion itself`);
      const challenger = await evaluateOn(berth, ctx, model, { version: challengerVersion }, csv, label, experiment);
      const metric = str(args, 'compare', 'metric', champion.ev.task === 'classification' ? 'accuracy' : 'rmse');
      const higherIsBetter = args.higher_is_better === undefined ? higherIsBetterDefault(metric) : bool(args, 'compare', 'higher_is_better', true);
      if (higherIsBetter === undefined) throw new BerthError('invalid_input', `compare: say whether a larger '${metric}' is better with with.higher_is_better`);
      const verdict = compareVersions(champion.ev, challenger.ev, metric, {
        higherIsBetter,
        minAbsolute: optNum(args, 'compare', 'min_delta', { min: 0 }),
        minRelative: optNum(args, 'compare', 'min_relative', { min: 0 }),
      });
      // Guardrails: other metrics the challenger may not worsen by more than the given amount.
      const guardrailFailures: string[] = [];
      const guardrails = args.guardrails ?? {};
      if (guardrails === null || typeof guardrails !== 'object' || Array.isArray(guardrails)) throw new BerthError('invalid_input', `compare: with.guardrails: expected an object of metric: allowed worsening, got ${describeValue(guardrails)}`);
      for (const [g, allowedRaw] of Object.entries(guardrails as Record<string, unknown>)) {
        const allowed = num({ v: allowedRaw }, 'compare', 'v', undefined, { min: 0 });
        const a = champion.ev.metrics[g];
        const b = challenger.ev.metrics[g];
        const up = higherIsBetterDefault(g);
        if (a === undefined || b === undefined || up === undefined) throw new BerthError('invalid_input', `compare: guardrail metric '${g}' is not a known metric of both evaluations`);
        const worsening = up ? a - b : b - a;
        if (worsening > allowed + 1e-12) guardrailFailures.push(`${g} worsened by ${worsening.toPrecision(4)} (allowed ${allowed})`);
      }
      const better = verdict.winner === 'b' && guardrailFailures.length === 0;
      const reason = guardrailFailures.length ? `${verdict.reason}; guardrails failed: ${guardrailFailures.join('; ')}` : verdict.reason;
      ctx.log(`verdict: ${reason}`);
      return {
        better,
        winner: better ? 'challenger' : verdict.winner === 'a' ? 'champion' : verdict.winner === 'b' ? 'champion' : 'tie',
        reason,
        metric,
        champion_version: champion.ev.version,
        challenger_version: challenger.ev.version,
        champion_value: verdict.a,
        challenger_value: verdict.b,
        delta: verdict.delta,
        guardrail_failures: guardrailFailures,
        champion_run_id: champion.runId,
        challenger_run_id: challenger.runId,
      };
    },

    async register(args, ctx) {
      checkKnown(args, 'register', ['model', 'onnx', 'card', 'description', 'source_run']);
      const model = str(args, 'register', 'model');
      const cardArg = optStr(args, 'register', 'card');
      const view = await berth.registry.registerVersion(
        {
          model,
          file: file(ctx, str(args, 'register', 'onnx')),
          card: cardArg === undefined ? undefined : (await import('node:fs')).readFileSync(file(ctx, cardArg), 'utf8'),
          description: optStr(args, 'register', 'description'),
          source_run: optStr(args, 'register', 'source_run') ?? ctx.trackingRunId ?? undefined,
        },
        ctx.actor,
      );
      return { version: view.version, sha256: view.sha256 };
    },

    async promote(args, ctx) {
      checkKnown(args, 'promote', ['model', 'version', 'alias', 'reason']);
      const model = str(args, 'promote', 'model');
      const move = await berth.registry.promote(model, num(args, 'promote', 'version', undefined, { integer: true, min: 1 }), ctx.actor, {
        alias: str(args, 'promote', 'alias', 'production'),
        reason: str(args, 'promote', 'reason', `pipeline ${ctx.pipeline} run ${ctx.runId}`),
      });
      ctx.log(`${model}@${move.alias}: v${move.from_version ?? '-'} → v${move.to_version}`);
      return { alias: move.alias, version: move.to_version, previous: move.from_version };
    },

    async abtest(args, ctx) {
      checkKnown(args, 'abtest', ['model', 'name', 'challenger', 'champion_alias', 'challenger_weight', 'primary_metric', 'higher_is_better', 'min_samples_per_arm', 'start']);
      const model = str(args, 'abtest', 'model');
      const challenger = num(args, 'abtest', 'challenger', undefined, { integer: true, min: 1 });
      const weight = num(args, 'abtest', 'challenger_weight', 0.5, { min: 0.01, max: 0.99 });
      const name = str(args, 'abtest', 'name', `${model}-v${challenger}-${ctx.runId.slice(0, 8)}`);
      await berth.abtests.create(
        {
          name,
          model,
          description: `challenger v${challenger} from pipeline ${ctx.pipeline} run ${ctx.runId}`,
          variants: [
            { key: 'champion', alias: str(args, 'abtest', 'champion_alias', 'production'), weight: 1 - weight },
            { key: 'challenger', version: challenger, weight },
          ],
          ...(args.primary_metric !== undefined ? { primary_metric: str(args, 'abtest', 'primary_metric') } : {}),
          ...(args.higher_is_better !== undefined ? { higher_is_better: bool(args, 'abtest', 'higher_is_better', true) } : {}),
          ...(args.min_samples_per_arm !== undefined ? { min_samples_per_arm: num(args, 'abtest', 'min_samples_per_arm', undefined, { integer: true, min: 1 }) } : {}),
        },
        ctx.actor,
      );
      const view = bool(args, 'abtest', 'start', true) ? await berth.abtests.start(name, ctx.actor) : await berth.abtests.get(name);
      return { abtest: view.name, status: view.status };
    },

    async 'batch-predict'(args, ctx) {
      checkKnown(args, 'batch-predict', ['model', 'version', 'alias', 'data', 'output']);
      const model = str(args, 'batch-predict', 'model');
      const resolved = await berth.registry.resolveVersion(model, selectorOf(args, 'batch-predict'));
      const { version: view, bytes } = await berth.registry.readArtifact(resolved.model, resolved.version);
      // No label column: rows are the model's inputs only.
      const csv = readCsv(file(ctx, str(args, 'batch-predict', 'data')));
      const { rows } = rowsFor(view, csv, '');
      const { predicted, refused } = await predictRows(berth, view, bytes, rows.map((features, row) => ({ row, features })));
      const target = file(ctx, str(args, 'batch-predict', 'output', path.join(ctx.workDir, `${ctx.stepId}.predictions.jsonl`)));
      mkdirSync(path.dirname(target), { recursive: true });
      const lines = predicted.map((p) => JSON.stringify({ row: p.row, ...p.prediction }));
      for (const r of refused) lines.push(JSON.stringify({ row: r.row, error: r.message }));
      writeFileSync(target, lines.length ? `${lines.join('\n')}\n` : '');
      ctx.log(`${predicted.length} rows predicted with ${model} v${view.version}, ${refused.length} refused → ${target}`);
      return { version: view.version, rows: rows.length, predicted: predicted.length, refused: refused.length, output: target };
    },

    async drift(args, ctx) {
      checkKnown(args, 'drift', ['reference', 'current', 'columns', 'drift_share']);
      const columnsArg = args.columns;
      const columns = columnsArg === undefined ? undefined : Array.isArray(columnsArg) ? columnsArg.map(String) : String(columnsArg).split(',');
      const reference = await readCsvColumns(file(ctx, str(args, 'drift', 'reference')), columns ? { columns } : {});
      const current = await readCsvColumns(file(ctx, str(args, 'drift', 'current')), { columns: reference.columns.map((c) => c.name) });
      const report = computeDrift(sketchReference(reference.columns), current.columns, { driftShare: optNum(args, 'drift', 'drift_share', { min: 0, max: 1 }) });
      const drifted = report.columns.filter((c) => c.drifted).map((c) => c.column);
      ctx.log(`drifted columns: ${drifted.length ? drifted.join(', ') : 'none'}`);
      return { dataset_drift: report.dataset_drift, share: report.share, drifted: report.drifted, tested: report.tested, drifted_columns: drifted };
    },

    async assemble(args, ctx) {
      checkKnown(args, 'assemble', ['model', 'reference', 'label', 'since', 'holdout_share', 'min_holdout']);
      const model = str(args, 'assemble', 'model');
      const label = str(args, 'assemble', 'label');
      const reference = readCsv(file(ctx, str(args, 'assemble', 'reference')), label);
      const sinceMs = num(args, 'assemble', 'since', 0, { min: 0 });
      const holdoutShare = num(args, 'assemble', 'holdout_share', 0.3, { min: 0.05, max: 0.9 });
      const minHoldout = num(args, 'assemble', 'min_holdout', 30, { integer: true, min: 1 });
      const production = await labelledProduction(berth, model, label, sinceMs);
      // The newest labelled production rows are the holdout: champion and challenger are judged on the
      // data the model now meets, which neither has trained on. Too few, and a slice of the reference is used.
      let holdout: Array<Record<string, string>>;
      let trainRows: Array<Record<string, string>>;
      let holdoutSource: string;
      const take = Math.round(production.length * holdoutShare);
      if (take >= minHoldout) {
        holdout = production.slice(production.length - take);
        trainRows = [...reference.records, ...production.slice(0, production.length - take)];
        holdoutSource = 'production';
      } else {
        const cut = Math.max(1, Math.round(reference.records.length * holdoutShare));
        holdout = [...reference.records.slice(reference.records.length - cut), ...production];
        trainRows = reference.records.slice(0, reference.records.length - cut);
        holdoutSource = 'reference';
      }
      mkdirSync(ctx.workDir, { recursive: true });
      const trainFile = path.join(ctx.workDir, 'train.csv');
      const holdoutFile = path.join(ctx.workDir, 'holdout.csv');
      writeCsv(trainFile, reference.columns, trainRows);
      writeCsv(holdoutFile, reference.columns, holdout);
      ctx.log(`assembled ${trainRows.length} training rows (${reference.records.length} reference + labelled production) and ${holdout.length} holdout rows (${holdoutSource})`);
      return { train: trainFile, holdout: holdoutFile, train_rows: trainRows.length, holdout_rows: holdout.length, production_rows: production.length, holdout_source: holdoutSource };
    },
  };
  return async (uses, args, ctx) => {
    const run = steps[uses];
    if (!run) throw new BerthError('invalid_input', `unknown built-in step '${uses}'`);
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new BerthError('invalid_input', `${uses}: with must be an object`);
    return run(args, ctx);
  };
}
