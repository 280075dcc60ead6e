/**
 * An evaluation as a tracked unit of work, shared by `berth evaluate` and the pipelines' built-in
 * evaluate/compare steps: a labelled CSV read once (with its sha256), its rows shaped for a version's
 * inputs, and the tracking run that records the metrics, the data and the HTML report.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Berth } from '../context/index.js';
import { BerthError } from '../errors/index.js';
import type { VersionView } from '../registry/index.js';
import { checkKey } from '../tracking/index.js';
import { evaluationSummary, type ModelEvaluation, type Verdict } from './evaluate-model.js';

export interface CsvData {
  file: string;
  name: string;
  sha256: string;
  columns: string[];
  records: Array<Record<string, string>>;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Reads a CSV once (with its sha256); with `label`, the column must be in the header. */
export function readCsv(file: string, label?: string): CsvData {
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
  if (label !== undefined && !columns.includes(label)) {
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
export function rowsFor(version: VersionView, csv: CsvData, label: string): { rows: Array<Record<string, unknown>>; ignored: string[] } {
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

/** The experiment by name, created on first use. */
export async function experimentId(berth: Pick<Berth, 'tracking'>, name: string): Promise<string> {
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
export async function logRun(
  berth: Pick<Berth, 'tracking' | 'runArtifacts'>,
  experiment: string,
  ev: ModelEvaluation,
  csv: CsvData,
  html: string,
  extra: { alias?: string | undefined; verdict?: Verdict | undefined; actor: string; source?: string | undefined; parentRunId?: string | undefined },
): Promise<string> {
  const run = await berth.tracking.createRun({
    experiment_id: await experimentId(berth, experiment),
    run_name: `evaluate ${ev.model} v${ev.version}`,
    user_id: extra.actor,
    tags: [
      { key: 'mlflow.source.name', value: extra.source ?? 'berth evaluate' },
      ...(extra.parentRunId ? [{ key: 'mlflow.parentRunId', value: extra.parentRunId }] : []),
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

