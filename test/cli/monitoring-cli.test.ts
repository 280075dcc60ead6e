import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openBerth } from '../../src/context/index.js';
import { PredictionLog, type MonitoringSummary, type ReferenceView, type StoredRule } from '../../src/monitoring/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.join(ROOT, 'data/breast_cancer.csv');
const [sqlite] = storeTargets();

describe('berth versions reference, predictions export, feedback import, monitor, alerts', () => {
  const made = sqlite!.make();
  const home = made.config.home;
  const cli = (...args: string[]) => runCli(args, { env: made.env, cwd: home });
  const ids: string[] = [];
  let now = 0;
  const lines = readFileSync(DATA, 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split(',');

  beforeAll(async () => {
    const registered = json<{ version: number; reference: ReferenceView }>(
      await cli('versions', 'register', 'bc', '--onnx', fixtureModel('breast_cancer_v1.onnx'), '--card', fixtureModel('breast_cancer_v1.card.json'), '--reference', DATA, '--json'),
    );
    expect(registered.reference).toMatchObject({ model: 'bc', version: 1, rows: 569, source: 'breast_cancer.csv' });
    // Predictions as the server would log them (the log's own writer, on this home's store).
    const berth = await openBerth(loadConfig({ env: made.env, cwd: home }).config);
    const log = new PredictionLog(berth.store.db, { flushIntervalMs: 50, flushMaxRows: 1000, maxQueueRows: 10_000, overload: 'drop', blockTimeoutMs: 0, logInputs: true, maxInputBytes: 65_536 });
    now = Date.now();
    log.append(
      lines.slice(1, 101).map((line, i) => {
        const cells = line.split(',');
        const id = randomUUID();
        ids.push(id);
        return { id, ts: now - (100 - i) * 1000, model: 'bc', version: 1, endpoint: 'predict' as const, status: 200, latency_ms: 1 + i / 100, inputs: Object.fromEntries(header.slice(0, 30).map((h, k) => [h, Number(cells[k])])), outputs: { label: cells[30], confidence: 0.9 } };
      }),
    );
    await log.close();
    await berth.close();
  }, 60_000);
  afterAll(() => made.cleanup());

  it('versions reference replaces the reference and shows its columns', async () => {
    const small = path.join(home, 'small.csv');
    writeFileSync(small, lines.slice(0, 51).join('\n'));
    const ref = json<ReferenceView>(await cli('versions', 'reference', 'bc', '1', small, '--json'));
    expect(ref.rows).toBe(50);
    expect(ref.columns).toHaveLength(30);
    const bad = await cli('versions', 'reference', 'bc', '1', path.join(home, 'missing.csv'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot read reference file .*missing\.csv/);
  });

  it('feedback import records labels and reports unknown ids; predictions export writes them back', async () => {
    const file = path.join(home, 'labels.csv');
    writeFileSync(file, ['prediction_id,label', ...ids.slice(0, 40).map((id) => `${id},malignant`), 'not-a-prediction,benign'].join('\n'));
    const imported = json<{ accepted: number; unknown: string[] }>(await cli('feedback', 'import', file, '--json'));
    expect(imported).toEqual({ accepted: 40, unknown: ['not-a-prediction'] });
    const noLabel = path.join(home, 'nolabel.csv');
    writeFileSync(noLabel, 'prediction_id,truth\nx,y\n');
    const refused = await cli('feedback', 'import', noLabel);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/missing column 'label'/);

    const csv = await cli('predictions', 'export', 'bc', '--since', '1h', '--format', 'csv');
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r['id'])).toEqual(ids); // oldest first
    expect(rows[0]!['label']).toBe('malignant');
    expect(rows[60]!['label']).toBe('');
    expect(JSON.parse(rows[0]!['inputs']!)['mean_radius']).toBe(Number(lines[1]!.split(',')[0]));

    const out = path.join(home, 'export.jsonl');
    // Record i was logged at now - (100 - i) s: [now - 50 s, now - 10 s) holds records 50..89.
    const jsonl = await cli('predictions', 'export', 'bc', '--since', new Date(now - 50_000).toISOString(), '--until', new Date(now - 10_000).toISOString(), '--format', 'jsonl', '-o', out);
    expect(jsonl.code).toBe(0);
    const exported = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(exported.map((e) => e.id)).toEqual(ids.slice(50, 90));
    expect((await cli('predictions', 'export', 'bc', '--since', 'yesterday-ish')).stderr).toMatch(/expected a duration like 24h/);
  });

  it('monitor summarizes the window; alerts shows the rules in force', async () => {
    const summary = json<MonitoringSummary>(await cli('monitor', 'bc', '--hours', '1', '--json'));
    expect(summary.totals.requests).toBe(100);
    expect(summary.totals.labelled).toBe(40);
    expect(summary.versions[0]!.performance!.labelled).toBe(40);
    const table = await cli('monitor', 'bc', '--hours', '1');
    expect(table.stdout).toMatch(/bc: HEALTHY over the last 1 h/);
    const rules = json<StoredRule[]>(await cli('alerts', 'rules', '--json'));
    expect(rules.map((r) => r.name)).toContain('default.accuracy-drop.critical');
    expect(json<unknown[]>(await cli('alerts', 'list', '--json'))).toEqual([]);
  });
});
