import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  compareVersions,
  logRun,
  readCsv,
  rowsFor,
  type CsvData,
  evaluateModel,
  evaluationSummary,
  higherIsBetterDefault,
  renderReportHtml,
  type ModelEvaluation,
  type ReportOptions,
  type Verdict,
} from '../../evaluation/index.js';
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

function nonNegative(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${flag} expects a number >= 0, got '${value}'`);
  return n;
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
          runIds.push(await logRun(berth, opts.experiment, ev, csv, html, { alias: opts.alias, verdict, actor: localActor() }));
          if (other) runIds.push(await logRun(berth, opts.experiment, other, csv, renderReportHtml(other, { data: csv.name, dataSha256: csv.sha256 }), { verdict, actor: localActor() }));
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
