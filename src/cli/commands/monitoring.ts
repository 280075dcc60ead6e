import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import { BerthError } from '../../errors/index.js';
import { MAX_FEEDBACK_ITEMS, type LoggedPrediction, type MonitoringSummary } from '../../monitoring/index.js';
import { output, withApi, withBerth } from '../context.js';
import { shortTime } from '../output.js';

/** "24h", "7d", "30m", "90s" before now, or an ISO-8601 time → epoch ms. */
export function parseSince(text: string, now = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new BerthError('invalid_input', `--since/--until: expected a duration like 24h, 7d, 30m, 90s or an ISO-8601 time, got '${text}'`);
  return ms;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const EXPORT_COLUMNS = ['id', 'time', 'model', 'version', 'variant', 'abtest', 'subject', 'endpoint', 'status', 'error_code', 'error', 'latency_ms', 'inputs', 'outputs', 'label'] as const;

function exportRow(p: LoggedPrediction): Record<(typeof EXPORT_COLUMNS)[number], unknown> {
  return { ...p, time: new Date(p.ts).toISOString(), label: p.label ?? null };
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

export function predictionsCommand(): Command {
  const predictions = new Command('predictions').description('the prediction log');
  predictions
    .command('export <model>')
    .description('write logged predictions (with their feedback labels) as CSV or JSON lines, oldest first')
    .option('--since <when>', 'start: a duration back from now (24h, 7d) or an ISO time', '24h')
    .option('--until <when>', 'end (exclusive): a duration back from now or an ISO time')
    .addOption(new Option('--format <format>', 'csv or jsonl').choices(['csv', 'jsonl']).default('jsonl'))
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .action(async (model: string, opts: { since: string; until?: string; format: 'csv' | 'jsonl'; out?: string }, cmd: Command) => {
      const sinceMs = parseSince(opts.since);
      const untilMs = opts.until ? parseSince(opts.until) : undefined;
      const count = await withBerth(cmd, async (berth) => {
        await berth.registry.getModel(model);
        const stream = opts.out ? createWriteStream(opts.out) : process.stdout;
        let n = 0;
        if (opts.format === 'csv') await write(stream, `${EXPORT_COLUMNS.join(',')}\n`);
        for await (const p of berth.monitoring.predictions.scan(model, { sinceMs, untilMs })) {
          const row = exportRow(p);
          await write(stream, opts.format === 'csv' ? `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\n` : `${JSON.stringify(row)}\n`);
          n++;
        }
        if (stream !== process.stdout) await new Promise<void>((resolve, reject) => (stream as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
        return n;
      });
      if (opts.out) process.stderr.write(`exported ${count} predictions of ${model} to ${opts.out}\n`);
    });
  return predictions;
}

export function feedbackCommand(): Command {
  const feedback = new Command('feedback').description('ground truth for logged predictions');
  feedback
    .command('import <file>')
    .description(`record labels from a CSV with columns prediction_id, label[, timestamp] (sent in chunks of ${MAX_FEEDBACK_ITEMS})`)
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { parse } = await import('csv-parse/sync');
      let rows: Array<Record<string, string>>;
      try {
        rows = parse(readFileSync(file), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
      } catch (err) {
        throw new BerthError('invalid_input', `cannot read ${file} as CSV with a header row: ${(err as Error).message}`);
      }
      if (rows.length === 0) throw new BerthError('invalid_input', `${file} has no rows`);
      const header = Object.keys(rows[0]!);
      for (const column of ['prediction_id', 'label']) if (!header.includes(column)) throw new BerthError('invalid_input', `${file}: missing column '${column}' (columns: ${header.join(', ')})`);
      const items = rows.map((r) => {
        const label = r['label']!;
        const numeric = label !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(label);
        return { prediction_id: r['prediction_id'], label: numeric ? Number(label) : label, ...(r['timestamp'] ? { timestamp: /^\d+$/.test(r['timestamp']) ? Number(r['timestamp']) : r['timestamp'] } : {}) };
      });
      const result = await withApi(cmd, async (api) => {
        let accepted = 0;
        const unknown: string[] = [];
        for (let i = 0; i < items.length; i += MAX_FEEDBACK_ITEMS) {
          const r = await api.recordFeedback(items.slice(i, i + MAX_FEEDBACK_ITEMS));
          accepted += r.accepted;
          unknown.push(...r.unknown);
        }
        return { accepted, unknown };
      });
      const out = output(cmd);
      out.result(result, () => {
        out.line(`recorded ${result.accepted} labels from ${file}`);
        if (result.unknown.length > 0) out.line(`${result.unknown.length} prediction ids are not in the log (first: ${result.unknown.slice(0, 5).join(', ')})`);
      });
    });
  return feedback;
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;
}

function printSummary(cmd: Command, s: MonitoringSummary): void {
  const out = output(cmd);
  out.line(`${s.model}: ${s.status.toUpperCase()} over the last ${s.hours} h (${shortTime(s.since)} – ${shortTime(s.until)})${s.sampled ? ', newest predictions sampled' : ''}`);
  out.line(`  ${s.totals.requests} requests, ${s.totals.refused} refused, ${s.totals.errors} errors, ${s.totals.labelled} labelled; alerts firing: ${s.alerts.CRITICAL} critical, ${s.alerts.WARNING} warning, ${s.alerts.INFO} info`);
  out.table(
    ['version', 'status', 'requests', 'p50 ms', 'p99 ms', 'refused', 'accuracy', 'drop', 'drift share', 'drifted'],
    s.versions.map((v) => [
      v.version,
      v.status,
      v.requests,
      v.latency_ms ? v.latency_ms.p50.toFixed(2) : '-',
      v.latency_ms ? v.latency_ms.p99.toFixed(2) : '-',
      pct(v.refused_share),
      pct(v.performance?.accuracy),
      v.performance?.accuracy_drop === undefined ? '-' : pct(v.performance.accuracy_drop),
      v.drift ? pct(v.drift.share) : '-',
      v.drift ? v.drift.columns.filter((c) => c.drifted).map((c) => c.column).slice(0, 5).join(', ') || 'none' : (v.drift_note ?? '-'),
    ]),
  );
  for (const a of s.active_alerts) out.line(`  [${a.severity}] ${a.state} ${a.rule}: ${a.message}`);
}

export function monitorCommand(): Command {
  return new Command('monitor')
    .description('monitoring summary of a model: status, traffic, latency, accuracy, drift, alerts per version')
    .argument('<model>')
    .option('--hours <h>', 'window length in hours (default monitoring.window_hours)')
    .action(async (model: string, opts: { hours?: string }, cmd: Command) => {
      const hours = opts.hours === undefined ? undefined : Number(opts.hours);
      if (hours !== undefined && !(hours > 0)) throw new BerthError('invalid_input', `--hours: expected a positive number, got '${opts.hours}'`);
      const summary = await withApi(cmd, (api) => api.monitoringSummary(model, { hours }));
      output(cmd).result(summary, () => printSummary(cmd, summary));
    });
}

export function alertsCommand(): Command {
  const alerts = new Command('alerts').description('alerts and alert rules');
  alerts
    .command('list')
    .description('alerts, newest first (default: active ones)')
    .option('--model <name>', 'only this model')
    .addOption(new Option('--state <state>', 'active, pending, firing, resolved or all').choices(['active', 'pending', 'firing', 'resolved', 'all']).default('active'))
    .option('--limit <n>', 'at most this many', '200')
    .action(async (opts: { model?: string; state: string; limit: string }, cmd: Command) => {
      const state = opts.state === 'all' ? undefined : (opts.state as 'active' | 'pending' | 'firing' | 'resolved');
      const list = await withApi(cmd, (api) => api.listAlerts({ model: opts.model, state, limit: Number(opts.limit) }));
      const out = output(cmd);
      out.result(list, () => out.table(['id', 'severity', 'state', 'model', 'version', 'rule', 'value', 'started', 'resolved'], list.map((a) => [a.id, a.severity, a.state, a.model, a.version, a.rule, a.value ?? '-', shortTime(a.started_at), shortTime(a.resolved_at)])));
    });
  alerts
    .command('rules')
    .description('the alert rules in force (defaults, config file, API)')
    .action(async (_opts: unknown, cmd: Command) => {
      const rules = await withApi(cmd, (api) => api.listAlertRules());
      const out = output(cmd);
      out.result(rules, () => out.table(['name', 'source', 'model', 'condition', 'window', 'for', 'severity'], rules.map((r) => [r.name, r.source, r.model, `${r.metric}${r.feature ? `(${r.feature})` : ''} ${r.operator} ${r.threshold}`, `${r.window_hours ?? 1} h`, `${r.for_seconds ?? 0} s`, r.severity])));
    });
  return alerts;
}
