import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { BerthError } from '../../errors/index.js';
import {
  computeDrift,
  DEFAULT_DRIFT_SHARE,
  DRIFT_METHODS,
  driftHistograms,
  renderDriftHtml,
  sketchReference,
  type ColumnDrift,
  type DriftColumnKind,
  type DriftMethod,
  type DriftReport,
} from '../../monitoring/drift/index.js';
import { readCsvCells, samplesFromCells, type CsvCells } from '../../monitoring/drift/csv.js';
import { output } from '../context.js';
import { collect, type Output } from '../output.js';

/** Exit code of `--fail-on-drift` when dataset drift is found (1 and 2 are errors and usage errors). */
export const DRIFT_EXIT_CODE = 3;

interface DriftFlags {
  reference: string;
  current: string;
  columns?: string;
  method: string[];
  threshold: string[];
  driftShare: string;
  correction: 'none' | 'bonferroni' | 'bh';
  report?: string;
  maxRows?: string;
  failOnDrift?: boolean;
}

/** `key=value` flags into pairs, refusing anything else with the flag's name. */
function pairs(flag: string, values: string[]): Array<[string, string]> {
  return values.map((v) => {
    const eq = v.lastIndexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new BerthError('invalid_input', `${flag} '${v}' must look like ${flag === '--method' ? 'column=method' : 'method=value'}`);
    return [v.slice(0, eq), v.slice(eq + 1)];
  });
}

function method(flag: string, name: string): DriftMethod {
  if (!(DRIFT_METHODS as readonly string[]).includes(name)) throw new BerthError('invalid_input', `${flag}: unknown method '${name}' (known: ${DRIFT_METHODS.join(', ')})`);
  return name as DriftMethod;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new BerthError('invalid_input', `${flag} expects a whole number >= 1, got '${value}'`);
  return n;
}

/**
 * The columns compared: --columns, else the columns of both files, which must agree (a column in one
 * file only is an error naming it and the file).
 */
function columnsOf(ref: CsvCells, cur: CsvCells, asked: string[] | undefined): string[] {
  if (asked) return asked;
  const inCur = new Set(cur.header);
  const inRef = new Set(ref.header);
  const onlyRef = ref.header.filter((c) => !inCur.has(c));
  const onlyCur = cur.header.filter((c) => !inRef.has(c));
  const quote = (cs: string[]) => cs.slice(0, 10).map((c) => `'${c}'`).join(', ') + (cs.length > 10 ? ', ...' : '');
  if (onlyRef.length) throw new BerthError('invalid_input', `column${onlyRef.length > 1 ? 's' : ''} ${quote(onlyRef)} of ${ref.file} ${onlyRef.length > 1 ? 'are' : 'is'} not in ${cur.file} (compare the shared columns with --columns)`);
  if (onlyCur.length) throw new BerthError('invalid_input', `column${onlyCur.length > 1 ? 's' : ''} ${quote(onlyCur)} of ${cur.file} ${onlyCur.length > 1 ? 'are' : 'is'} not in ${ref.file} (compare the shared columns with --columns)`);
  return ref.header;
}

/**
 * A column's kind over both files together (as Evidently types the concatenated data): numeric when
 * every present cell of both files is a number, categorical otherwise.
 */
function jointKinds(ref: CsvCells, cur: CsvCells, columns: string[]): Record<string, DriftColumnKind> {
  const kinds: Record<string, DriftColumnKind> = {};
  for (const name of columns) {
    const numeric = ref.numericLike.get(name) && cur.numericLike.get(name) && (ref.present.get(name) ?? 0) + (cur.present.get(name) ?? 0) > 0;
    kinds[name] = numeric ? 'numeric' : 'categorical';
  }
  return kinds;
}

/** Statistics and p-values: 4 decimals, or 4 significant digits in exponent form when tiny or huge. */
function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 10_000 || Math.abs(value) < 1e-3 ? value.toExponential(3) : value.toFixed(4);
}

/** Shares and thresholds as typed: 0.5, 0.05, 0.6667. */
function short(value: number): string {
  return String(Number(value.toFixed(4)));
}

function verdictLine(report: DriftReport): string {
  const yes = report.dataset_drift;
  return `dataset drift: ${yes ? 'yes' : 'no'} (${report.drifted} of ${report.tested} columns, share ${short(report.share)} ${yes ? '>=' : '<'} threshold ${short(report.drift_share_threshold)})`;
}

function printHuman(out: Output, report: DriftReport, reportFile: string | undefined): void {
  const corrected = report.correction !== 'none';
  const drifted = (c: ColumnDrift) => (!c.tested ? 'not tested' : c.drifted ? 'yes' : 'no');
  out.table(
    ['column', 'kind', 'method', 'statistic', 'p-value/score', ...(corrected ? [`adjusted p (${report.correction})`] : []), 'threshold', 'drifted'],
    report.columns.map((c) => [c.column, c.kind, c.method, fmt(c.statistic), fmt(c.score), ...(corrected ? [fmt(c.adjusted_p_value)] : []), short(c.threshold), drifted(c)]),
  );
  for (const c of report.columns.filter((x) => x.note)) out.line(`  ${c.column}: ${c.note}`);
  out.line(verdictLine(report));
  if (reportFile) out.line(`report written to ${reportFile}`);
}

export function driftCommand(): Command {
  return new Command('drift')
    .description('compare a current CSV with a reference CSV column by column and tell whether the data drifted (Evidently\'s default tests)')
    .requiredOption('--reference <file.csv>', 'the reference data (e.g. the training set): a header line, one column per feature')
    .requiredOption('--current <file.csv>', 'the data to check against it, with the same columns')
    .option('--columns <a,b,...>', 'compare only these columns (default: all; both files must then have the same columns)')
    .option('-m, --method <column=method>', `test for a column instead of the default (repeatable): ${DRIFT_METHODS.join(', ')}`, collect, [])
    .option('-t, --threshold <method=value>', 'threshold of a method (repeatable), e.g. psi=0.2 or ks=0.01 (defaults: 0.05 for p-values, 0.1 for distances)', collect, [])
    .option('--drift-share <share>', 'dataset drift when at least this share of the tested columns drift', String(DEFAULT_DRIFT_SHARE))
    .addOption(new Option('--correction <how>', 'multiple-testing correction of the p-value tests').choices(['none', 'bonferroni', 'bh']).default('none'))
    .option('--report <file.html>', 'also write a self-contained HTML report with the distributions')
    .option('--max-rows <n>', 'read at most this many data rows of each file')
    .option('--fail-on-drift', `exit with code ${DRIFT_EXIT_CODE} when dataset drift is detected (for CI)`)
    .addHelpText(
      'after',
      `
Default tests (Evidently's): with at most 1000 reference values, Kolmogorov-Smirnov for numbers
(chi-square for 3-5 distinct values, the z-test for 2), chi-square for categories (z-test when binary);
with more, normed Wasserstein for numbers (Jensen-Shannon for at most 5 distinct values) and
Jensen-Shannon for categories. A column is numeric when every non-empty cell of both files is a number.
Empty cells are missing and left out of the tests. Drift is a finding, not an error: the exit code is 0
unless --fail-on-drift.

Examples:
  berth drift --reference train.csv --current last_week.csv
  berth drift --reference train.csv --current today.csv --columns age,income --method income=psi --threshold psi=0.2
  berth drift --reference train.csv --current today.csv --correction bh --report drift.html --fail-on-drift`,
    )
    .action(async (opts: DriftFlags, cmd: Command) => {
      const out = output(cmd);
      let asked: string[] | undefined;
      if (opts.columns !== undefined) {
        asked = opts.columns.split(',').map((c) => c.trim()).filter((c) => c !== '');
        if (asked.length === 0) throw new BerthError('invalid_input', '--columns names no column');
        const dup = asked.find((c, i) => asked!.indexOf(c) !== i);
        if (dup !== undefined) throw new BerthError('invalid_input', `--columns names '${dup}' twice`);
      }
      const driftShare = Number(opts.driftShare);
      if (opts.driftShare.trim() === '' || !(driftShare >= 0 && driftShare <= 1)) throw new BerthError('invalid_input', `--drift-share expects a number between 0 and 1, got '${opts.driftShare}'`);
      const thresholds: Partial<Record<DriftMethod, number>> = {};
      for (const [name, value] of pairs('--threshold', opts.threshold)) {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new BerthError('invalid_input', `--threshold ${name}: expected a number >= 0, got '${value}'`);
        thresholds[method('--threshold', name)] = n;
      }
      const methodPairs = pairs('--method', opts.method);
      const maxRows = opts.maxRows === undefined ? undefined : positiveInt('--max-rows', opts.maxRows);

      const ref = await readCsvCells(opts.reference, { columns: asked, maxRows });
      const cur = await readCsvCells(opts.current, { columns: asked, maxRows });
      const columns = columnsOf(ref, cur, asked);
      const methods: Record<string, DriftMethod> = {};
      for (const [column, name] of methodPairs) {
        if (!columns.includes(column)) throw new BerthError('invalid_input', `--method ${column}=${name}: no column '${column}' is compared (columns: ${columns.slice(0, 40).join(', ')})`);
        methods[column] = method('--method', name);
      }
      const kinds = jointKinds(ref, cur, columns);
      const refSamples = samplesFromCells(ref, kinds);
      const curSamples = samplesFromCells(cur, kinds);
      // Files are compared in full: no quantile sketch (that is for references stored by the server).
      const sketch = sketchReference(refSamples, { maxSample: Number.MAX_SAFE_INTEGER });
      const report = computeDrift(sketch, curSamples, { columns, methods, thresholds, driftShare, correction: opts.correction });

      if (opts.report) {
        const html = renderDriftHtml(
          report,
          {
            title: `Data drift: ${path.basename(opts.current)} against ${path.basename(opts.reference)}`,
            reference: opts.reference,
            current: opts.current,
            generatedAt: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
          },
          driftHistograms(sketch, curSamples, columns),
        );
        try {
          writeFileSync(opts.report, html);
        } catch (err) {
          throw new BerthError('invalid_input', `cannot write the report to ${opts.report}: ${(err as Error).message}`);
        }
      }
      out.result(report, () => printHuman(out, report, opts.report));
      if (opts.failOnDrift && report.dataset_drift) process.exitCode = DRIFT_EXIT_CODE;
    });
}
