import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Berth } from '../../context/index.js';
import { BerthError } from '../../errors/index.js';
import {
  compareVersions,
  evaluateModel,
  evaluationSummary,
  higherIsBetterDefault,
  renderReportHtml,
  type ModelEvaluation,
  type ReportOptions,
  type Verdict,
} from '../../evaluation/index.js';
import type { VersionView } from '../../registry/index.js';
import { checkKey } from '../../tracking/index.js';
import { globals, localActor, output, withBerth } from '../context.js';
import type { Output } from '../output.js';
import { positiveInt } from './versions.js';

/** Where evaluation runs are logged unless --experiment says otherwise. */
export const DEFAULT_EVALUATION_EXPERIMENT = 'evaluations';

interface EvaluateFlags {
  modelVersion?: string;
  alias?: string;
  data: string;
  label: string;
  positive?: string;
  experiment: string;
  track: boolean;
  report?: string;
  compare?: string;
  metric?: string;
  max?: boolean;
  min?: boolean;
  minDelta?: string;
  minRelative?: string;
}

interface CsvData {
  file: string;
  name: string;
  sha256: string;
  columns: string[];
  records: Array<Record<string, string>>;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function readCsv(file: string, label: string): CsvData {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read data file ${file}: ${(err as Error).message}`);
  }
  let records: Array<Record<string, string>>;
  let columns: string[] = [];
  try {
    records = parseCsv(bytes, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        columns = header;
        return header;
      },
    }) as Array<Record<string, string>>;
  } catch (err) {
    throw new BerthError('invalid_input', `cannot parse ${file} as CSV: ${(err as Error).message}`);
  }
  if (!columns.includes(label)) {
    throw new BerthError('invalid_input', `the label column '${label}' is not in ${file} (columns: ${columns.slice(0, 40).join(', ')}${columns.length > 40 ? ', ...' : ''})`);
  }
  if (records.length === 0) throw new BerthError('invalid_input', `${file} has a header but no data rows`);
  return { file, name: path.basename(file), sha256: createHash('sha256').update(bytes).digest('hex'), columns, records };
}

/**
 * CSV cells as the version's inputs expect them: numbers for the card's number features (a cell that
 * is not a number stays a string, so the model refuses that row by name), strings otherwise, JSON
 * arrays for tensor inputs; an empty cell is a missing value. Columns that are neither an input nor the
 * label are dropped (returned in `ignored`) unless a tabular input accepts extra fields.
 */
function rowsFor(version: VersionView, csv: CsvData, label: string): { rows: Array<Record<string, unknown>>; ignored: string[] } {
  const numeric = new Set<string>();
  const known = new Set<string>([label]);
  const tensors = new Set<string>();
  let keepAll = false;
  for (const input of version.card.inputs) {
    known.add(input.name);
    if (input.kind === 'tabular') {
      if (input.allow_extra) keepAll = true;
      for (const f of input.features) {
        known.add(f.name);
        if (f.type === 'number') numeric.add(f.name);
      }
    } else if (input.kind === 'tensor') {
      tensors.add(input.name);
    }
  }
  const ignored = keepAll ? [] : csv.columns.filter((c) => !known.has(c));
  const drop = new Set(ignored);
  const rows = csv.records.map((record) => {
    const row: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(record)) {
      if (raw === '' || drop.has(key)) continue;
      if (key === label) row[key] = raw;
      else if (numeric.has(key)) row[key] = NUMBER.test(raw) ? Number(raw) : raw;
      else if (tensors.has(key)) row[key] = parseTensorCell(raw);
      else row[key] = raw;
    }
    return row;
  });
  return { rows, ignored };
}

function parseTensorCell(raw: string): unknown {
  if (NUMBER.test(raw)) return Number(raw);
  if (raw.startsWith('[')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

function nonNegative(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${flag} expects a number >= 0, got '${value}'`);
  return n;
}

/** The experiment by name, created on first use. */
async function experimentId(berth: Berth, name: string): Promise<string> {
  try {
    return (await berth.tracking.getExperimentByName(name)).experiment_id;
  } catch (err) {
    if (!(err instanceof BerthError && err.code === 'not_found')) throw err;
  }
  try {
    return await berth.tracking.createExperiment({ name });
  } catch (err) {
    if (err instanceof BerthError && err.code === 'conflict') return (await berth.tracking.getExperimentByName(name)).experiment_id;
    throw err;
  }
}

function isMetricKey(key: string): boolean {
  try {
    checkKey('metric', key);
    return true;
  } catch {
    return false;
  }
}

/**
 * One tracking run per evaluated version: params (model, version, label, data file and its sha256),
 * every scalar metric plus the row counts, the data file as a dataset input, and two artifacts:
 * `report.html` (always) and `evaluation.json` (the summary, as `--json` prints it).
 */
async function logRun(
  berth: Berth,
  experiment: string,
  ev: ModelEvaluation,
  csv: CsvData,
  html: string,
  extra: { alias?: string | undefined; verdict?: Verdict | undefined },
): Promise<string> {
  const run = await berth.tracking.createRun({
    experiment_id: await experimentId(berth, experiment),
    run_name: `evaluate ${ev.model} v${ev.version}`,
    user_id: localActor(),
    tags: [
      { key: 'mlflow.source.name', value: 'berth evaluate' },
      { key: 'berth.model', value: ev.model },
      { key: 'berth.version', value: String(ev.version) },
      { key: 'berth.task', value: ev.task },
    ],
  });
  const runId = run.info.run_id;
  try {
    const params = [
      { key: 'model', value: ev.model },
      { key: 'version', value: String(ev.version) },
      { key: 'task', value: ev.task },
      { key: 'label', value: ev.label },
      { key: 'data', value: csv.name.slice(0, 6000) },
      { key: 'data_sha256', value: csv.sha256 },
      { key: 'rows', value: String(ev.rows) },
    ];
    if (extra.alias) params.push({ key: 'alias', value: extra.alias });
    if (ev.task === 'classification' && ev.curves) params.push({ key: 'positive', value: ev.curves.positive.slice(0, 6000) });
    const now = Date.now();
    const metrics = Object.entries({ ...ev.metrics, rows_evaluated: ev.evaluated, rows_refused: ev.refused.length })
      .filter(([key, value]) => Number.isFinite(value) && isMetricKey(key))
      .map(([key, value]) => ({ key, value, timestamp: now, step: 0 }));
    const tags = extra.verdict
      ? [
          { key: 'berth.compare.metric', value: extra.verdict.metric },
          { key: 'berth.compare.winner', value: extra.verdict.winner },
          { key: 'berth.compare.reason', value: extra.verdict.reason.slice(0, 5000) },
        ]
      : [];
    await berth.tracking.logBatch(runId, { params, tags, metrics: metrics.slice(0, 900) });
    for (let i = 900; i < metrics.length; i += 1000) await berth.tracking.logBatch(runId, { metrics: metrics.slice(i, i + 1000) });
    await berth.tracking.logInputs(runId, [
      {
        dataset: { name: csv.name.slice(0, 500), digest: csv.sha256.slice(0, 128), source_type: 'local', source: JSON.stringify({ uri: path.resolve(csv.file) }) },
        tags: [{ key: 'mlflow.data.context', value: 'evaluation' }],
      },
    ]);
    await berth.runArtifacts.put(runId, 'report.html', Buffer.from(html, 'utf8'));
    await berth.runArtifacts.put(runId, 'evaluation.json', Buffer.from(`${JSON.stringify(evaluationSummary(ev), null, 2)}\n`, 'utf8'));
    await berth.tracking.updateRun(runId, { status: 'FINISHED', end_time: Date.now() });
  } catch (err) {
    await berth.tracking.updateRun(runId, { status: 'FAILED', end_time: Date.now() }).catch(() => undefined);
    throw err;
  }
  return runId;
}

function fmt(value: number | undefined): string {
  if (value === undefined) return '';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 10_000 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toPrecision(4) : value.toFixed(4);
}

function printHuman(out: Output, ev: ModelEvaluation, csv: CsvData, ignored: string[], other: ModelEvaluation | undefined, verdict: Verdict | undefined, runIds: string[], experiment: string, reportFile: string | undefined): void {
  const describe = (x: ModelEvaluation) => `${x.model} v${x.version} on ${csv.name} (label '${x.label}'): ${x.rows} rows, ${x.evaluated} evaluated, ${x.refused.length} refused`;
  out.line(describe(ev));
  if (other) out.line(describe(other));
  if (ignored.length) out.line(`ignored columns (not inputs of the model): ${ignored.join(', ')}`);
  const keys = Object.keys(ev.metrics).filter((k) => !k.includes('.'));
  if (other) {
    out.table(['metric', `v${ev.version}`, `v${other.version}`, 'change'], keys.map((k) => {
      const b = other.metrics[k];
      return [k, fmt(ev.metrics[k]), fmt(b), b === undefined ? '' : `${b - ev.metrics[k]! > 0 ? '+' : ''}${fmt(b - ev.metrics[k]!)}`];
    }));
  } else {
    out.table(['metric', 'value', ...(keys.some((k) => ev.cardMetrics[k] !== undefined) ? ['on the card'] : [])], keys.map((k) => [k, fmt(ev.metrics[k]), fmt(ev.cardMetrics[k])]));
  }
  if (ev.task === 'classification') {
    out.table(['label', 'precision', 'recall', 'f1', 'support'], ev.report.perClass.map((c) => [c.label, fmt(c.precision), fmt(c.recall), fmt(c.f1), c.support]));
  }
  for (const x of other ? [ev, other] : [ev]) {
    if (x.refused.length === 0) continue;
    out.line(`refused rows of v${x.version} (data rows counted from 0; CSV line = row + 2):`);
    for (const r of x.refused.slice(0, 20)) out.line(`  row ${r.row}: ${r.message}`);
    if (x.refused.length > 20) out.line(`  ... and ${x.refused.length - 20} more`);
  }
  if (verdict) out.line(`verdict: ${verdict.reason}`);
  if (runIds.length) out.line(`logged run${runIds.length > 1 ? 's' : ''} ${runIds.join(', ')} in experiment '${experiment}'`);
  if (reportFile) out.line(`report written to ${reportFile}`);
}

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('evaluate a model version on a labelled CSV: metrics, an HTML report, a tracking run; --compare gates a challenger')
    .argument('<name>', 'model name')
    .option('-v, --model-version <version>', 'the version to evaluate (default: the production alias, else the latest ready version)')
    .option('-a, --alias <alias>', 'evaluate the version this alias points to')
    .requiredOption('-d, --data <file.csv>', 'labelled rows: a header line, one column per feature, and the label column')
    .requiredOption('-l, --label <column>', 'the column holding the true label (classification) or target value (regression)')
    .option('--positive <label>', "positive label of the binary metrics (default: the card's second label)")
    .option('-e, --experiment <name>', 'tracking experiment the run is logged in (created if missing)', DEFAULT_EVALUATION_EXPERIMENT)
    .option('--no-track', 'do not log a tracking run')
    .option('-r, --report <file.html>', 'write the HTML report here (it is always stored as the run artifact report.html)')
    .option('--compare <version>', 'also evaluate this version (the challenger) on the same rows and print the verdict')
    .option('-m, --metric <name>', 'the metric the comparison is decided on, e.g. accuracy, f1_macro, roc_auc, log_loss, rmse')
    .addOption(new Option('--max', 'higher is better (default for accuracy, f1, roc_auc, r2, ...)').conflicts('min'))
    .addOption(new Option('--min', 'lower is better (default for log_loss, brier_score, mae, rmse, ...)').conflicts('max'))
    .option('--min-delta <x>', 'the challenger must improve the metric by at least this much (absolute)')
    .option('--min-relative <y>', 'the challenger must improve the metric by at least this fraction of the champion value (0.01 = 1%)')
    .addHelpText(
      'after',
      `
The version is chosen with --model-version or --alias (the global -V/--version prints Berth's own version).
Rows the model refuses (a missing value, text in a number column, an unknown label) are listed by index and
left out of the metrics. Every evaluation is logged as a run named "evaluate NAME vN" in the experiment
(default '${DEFAULT_EVALUATION_EXPERIMENT}') with the HTML report as its artifact report.html, unless --no-track.

Examples:
  berth evaluate cancer --data test.csv --label diagnosis --report report.html
  berth evaluate cancer --alias production --data test.csv --label diagnosis --compare 3 --metric roc_auc --min-delta 0.005`,
    )
    .action(async (name: string, opts: EvaluateFlags, cmd: Command) => {
      const out = output(cmd);
      if (globals(cmd).url) throw new Error('berth evaluate loads the model itself and works on the local store (--home / BERTH_HOME); drop --url');
      const version = opts.modelVersion === undefined ? undefined : positiveInt(opts.modelVersion);
      if (version !== undefined && opts.alias !== undefined) throw new Error('give either --model-version or --alias, not both');
      const challenger = opts.compare === undefined ? undefined : positiveInt(opts.compare);
      const minAbsolute = nonNegative('--min-delta', opts.minDelta);
      const minRelative = nonNegative('--min-relative', opts.minRelative);
      let higherIsBetter: boolean | undefined;
      if (challenger !== undefined) {
        if (!opts.metric) throw new Error('--compare needs --metric (the metric the verdict is decided on), e.g. --metric accuracy --max');
        higherIsBetter = opts.max ? true : opts.min ? false : higherIsBetterDefault(opts.metric);
        if (higherIsBetter === undefined) throw new Error(`say whether a larger '${opts.metric}' is better (--max) or worse (--min)`);
      } else if (opts.metric || opts.max || opts.min || minAbsolute !== undefined || minRelative !== undefined) {
        throw new Error('--metric, --max, --min, --min-delta and --min-relative only apply with --compare VERSION');
      }

      const csv = readCsv(opts.data, opts.label);
      const result = await withBerth(cmd, async (berth) => {
        const champion = await berth.registry.resolveVersion(name, { version, alias: opts.alias });
        if (challenger === champion.version) throw new Error(`--compare ${challenger} is the version being evaluated; compare with another version`);
        const first = rowsFor(champion, csv, opts.label);
        const ev = await evaluateModel(berth, { model: name, version: champion.version, rows: first.rows, label: opts.label, positive: opts.positive });
        let other: ModelEvaluation | undefined;
        let verdict: Verdict | undefined;
        if (challenger !== undefined) {
          const view = await berth.registry.getVersion(name, challenger);
          other = await evaluateModel(berth, { model: name, version: view.version, rows: rowsFor(view, csv, opts.label).rows, label: opts.label, positive: opts.positive });
          verdict = compareVersions(ev, other, opts.metric!, { higherIsBetter: higherIsBetter!, minAbsolute, minRelative });
        }
        const reportOptions: ReportOptions = { data: csv.name, dataSha256: csv.sha256, comparison: other && verdict ? { other, verdict } : undefined };
        const html = renderReportHtml(ev, reportOptions);
        if (opts.report) writeFileSync(opts.report, html);
        const runIds: string[] = [];
        if (opts.track) {
          runIds.push(await logRun(berth, opts.experiment, ev, csv, html, { alias: opts.alias, verdict }));
          if (other) runIds.push(await logRun(berth, opts.experiment, other, csv, renderReportHtml(other, { data: csv.name, dataSha256: csv.sha256 }), { verdict }));
        }
        return { ev, other, verdict, ignored: first.ignored, runIds };
      });

      const { ev, other, verdict, ignored, runIds } = result;
      const data = { file: csv.file, sha256: csv.sha256, rows: csv.records.length, ignored_columns: ignored };
      const json = {
        ...evaluationSummary(ev),
        data,
        run_id: runIds[0] ?? null,
        experiment: opts.track ? opts.experiment : null,
        report_file: opts.report ?? null,
        ...(other && verdict
          ? { compare: { ...evaluationSummary(other), run_id: runIds[1] ?? null }, verdict }
          : {}),
      };
      out.result(json, () => printHuman(out, ev, csv, ignored, other, verdict, runIds, opts.experiment, opts.report));
    });
}
