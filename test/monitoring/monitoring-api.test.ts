import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, type MonitoringSummary } from '../../src/monitoring/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FIXTURES, fixtureModel, storeTargets } from '../helpers/targets.js';

/**
 * The end-to-end run: real traffic through the real server, feedback, then a shifted input
 * distribution with wrong labels — accuracy, drift, data quality and alerts (incl. a signed webhook to a
 * local receiver) must respond. Alert evaluation is triggered through POST /v1/alerts/evaluate, the same
 * code the server's schedule runs.
 */

const CSV_TEXT = readFileSync(path.resolve(FIXTURES, '../../data/breast_cancer.csv'), 'utf8');
const LINES = CSV_TEXT.trimEnd().split('\n');
const HEADER = LINES[0]!.split(',');
const FEATURES = HEADER.filter((c) => c !== 'diagnosis');
const ROWS = LINES.slice(1).map((line) => {
  const cells = line.split(',');
  return { features: Object.fromEntries(FEATURES.map((f) => [f, Number(cells[HEADER.indexOf(f)])])), diagnosis: cells[HEADER.indexOf('diagnosis')]! };
});
const SECRET = 'webhook-secret';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe.each(storeTargets())('monitoring end to end ($engine)', (target) => {
  let t: TestServer;
  let receiver: Server;
  const received: Received[] = [];
  let configDir: string;

  const post = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const get = async <T = Record<string, unknown>>(route: string) => {
    const res = await fetch(`${t.url}${route}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const predictRow = async (features: Record<string, unknown>, subject?: string) => post('/v1/models/bc/predict', { inputs: features }, subject ? { 'x-berth-subject': subject } : {});

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(received.length === 1 ? 500 : 200).end(); // the first delivery fails: it must be retried
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as { port: number }).port;
    configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-monitoring-config-'));
    const configFile = path.join(configDir, 'berth.yaml');
    writeFileSync(
      configFile,
      [
        'monitoring:',
        '  evaluate_every_seconds: 3600',
        '  min_samples: 20',
        '  webhooks:',
        `    - url: http://127.0.0.1:${port}/hook`,
        `      secret: ${SECRET}`,
        '      min_severity: WARNING',
      ].join('\n'),
    );
    t = await startTestServer(target, { BERTH_CONFIG: configFile });
    await t.client.registerVersion({ model: 'bc', file: fixtureModel('breast_cancer_v1.onnx'), card: readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8') });
    await t.client.promote('bc', 1);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(configDir, { recursive: true, force: true });
  });

  it('sets a drift reference from the training CSV (refusing one that lacks features)', async () => {
    const bad = await fetch(`${t.url}/v1/models/bc/versions/1/reference`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'mean_radius,diagnosis\n1,benign\n' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/lacks feature column\(s\) 'mean_texture'/);

    const res = await fetch(`${t.url}/v1/models/bc/versions/1/reference`, { method: 'PUT', headers: { 'content-type': 'text/csv', 'x-berth-source': 'breast_cancer.csv' }, body: CSV_TEXT });
    const body = (await res.json()) as { rows: number; columns: unknown[]; predictions: { rows: number; label_counts: Record<string, number> } };
    expect(res.status).toBe(200);
    expect(body.rows).toBe(569);
    expect(body.columns).toHaveLength(30);
    expect(body.predictions.rows).toBe(569);
    expect(body.predictions.label_counts['benign']! + body.predictions.label_counts['malignant']!).toBe(569);
  });

  let firstIds: string[] = [];

  it('logs every prediction and takes feedback; healthy while inputs look like the reference', async () => {
    // Every other row of the dataset: the CSV is not shuffled, so its first rows are not a fair sample.
    const sample = ROWS.filter((_, i) => i % 2 === 0).slice(0, 200);
    firstIds = [];
    for (const [i, row] of sample.entries()) {
      const res = await predictRow(row.features, `user-${i}`);
      expect(res.status).toBe(200);
      firstIds.push((res.body['predictions'] as Array<{ id: string }>)[0]!.id);
    }
    // Refused requests are logged too (data quality reads them).
    const { mean_radius: _dropped, ...missing } = sample[0]!.features;
    expect((await predictRow(missing)).status).toBe(400);
    expect((await predictRow({ ...sample[1]!.features, mean_texture: 'lots' })).status).toBe(400);

    const feedback = await post('/v1/feedback', { items: [...sample.map((row, i) => ({ prediction_id: firstIds[i], label: row.diagnosis })), { prediction_id: 'no-such-prediction', label: 'benign' }] });
    expect(feedback.status).toBe(200);
    expect(feedback.body).toEqual({ accepted: 200, unknown: ['no-such-prediction'] });

    const logged = await get<{ id: string; version: number; subject: string; label: string; inputs: Record<string, number>; outputs: { label: string } }>(`/v1/predictions/${firstIds[3]}`);
    expect(logged.status).toBe(200);
    expect(logged.body).toMatchObject({ id: firstIds[3], version: 1, subject: 'user-3', label: sample[3]!.diagnosis });
    expect(logged.body.inputs['mean_radius']).toBe(sample[3]!.features['mean_radius']);

    const summary = (await get<MonitoringSummary>('/v1/models/bc/monitoring?hours=1')).body;
    expect(summary.status).toBe('healthy');
    const v1 = summary.versions.find((v) => v.version === 1)!;
    expect(v1.requests).toBe(202);
    expect(v1.served).toBe(200);
    expect(v1.refused_by_reason).toEqual({ invalid_input: 2 });
    expect(v1.performance!.labelled).toBe(200);
    expect(v1.performance!.accuracy).toBeGreaterThan(0.93);
    expect(v1.latency_ms!.p99).toBeGreaterThan(0);
    const radius = v1.data_quality!.features.find((f) => f.feature === 'mean_radius')!;
    expect(radius.missing_share).toBeCloseTo(1 / 202, 10);
    const texture = v1.data_quality!.features.find((f) => f.feature === 'mean_texture')!;
    expect(texture.type_error_share).toBeCloseTo(1 / 202, 10);
    expect(v1.drift!.dataset_drift).toBe(false);

    const evaluation = await post('/v1/alerts/evaluate', {});
    expect(evaluation.status).toBe(200);
    expect((await get<{ alerts: unknown[] }>('/v1/alerts?model=bc')).body.alerts).toEqual([]);
  }, 120_000);

  it('sees accuracy fall, inputs drift and alerts fire (webhook signed and retried) when the world shifts', async () => {
    const shifted = ROWS.filter((_, i) => i % 2 === 1).slice(0, 200).map((row) => ({
      features: Object.fromEntries(Object.entries(row.features).map(([k, v]) => [k, k.startsWith('mean_') ? v * 1.6 : v])),
      // The truth flips: what was benign is now reported malignant and vice versa.
      label: row.diagnosis === 'benign' ? 'malignant' : 'benign',
    }));
    const ids: string[] = [];
    for (const row of shifted) ids.push(((await predictRow(row.features)).body['predictions'] as Array<{ id: string }>)[0]!.id);
    const feedback = await post('/v1/feedback', { items: shifted.map((row, i) => ({ prediction_id: ids[i], label: row.label })) });
    expect(feedback.body['accepted']).toBe(200);

    const drift = (await get<{ versions: Array<{ version: number; drift: { share: number; dataset_drift: boolean; columns: Array<{ column: string; method: string; drifted: boolean }>; prediction: Array<{ column: string }> } }> }>('/v1/models/bc/drift?hours=1')).body;
    const d = drift.versions[0]!.drift;
    expect(d.columns).toHaveLength(30);
    // A 569-row reference: numeric features are tested with KS, as Evidently does for references <= 1000 rows.
    expect(d.columns.find((c) => c.column === 'mean_radius')!.method).toBe('ks');
    expect(d.columns.find((c) => c.column === 'mean_radius')!.drifted).toBe(true);
    expect(d.columns.find((c) => c.column === 'radius_error')!.drifted).toBe(false);
    expect(d.prediction.map((c) => c.column).sort()).toEqual(['confidence', 'label']);

    const events = (await post('/v1/alerts/evaluate', {})).body['events'] as Array<{ kind: string; alert: { rule: string; severity: string } }>;
    const fired = events.filter((e) => e.kind === 'fired').map((e) => e.alert.rule).sort();
    expect(fired).toEqual(['default.accuracy-drop.critical', 'default.accuracy-drop.warning', 'default.drift.warning']);
    // Evaluating again does not fire the same alerts twice.
    expect((await post('/v1/alerts/evaluate', {})).body['events']).toEqual([]);

    const summary = (await get<MonitoringSummary>('/v1/models/bc/monitoring?hours=1')).body;
    expect(summary.status).toBe('critical');
    expect(summary.alerts.CRITICAL).toBe(1);
    expect(summary.versions[0]!.performance!.accuracy_drop).toBeGreaterThan(0.05);

    // Three deliveries (WARNING and CRITICAL pass min_severity); the first answer was a 500, so one is retried.
    const deadline = Date.now() + 10_000;
    while (received.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(4);
    for (const r of received) {
      expect(r.headers['x-berth-signature']).toBe(signBody(SECRET, r.body));
      expect(r.headers['x-berth-event']).toBe('alert.fired');
    }
    const rules = new Set(received.map((r) => (JSON.parse(r.body) as { alert: { rule: string } }).alert.rule));
    expect([...rules].sort()).toEqual(fired);

    // The evaluation refreshed the gauges; the exposition still passes promtool.
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_prediction_log_written_total \d+/);
    expect(Number(/berth_drift_share\{model="bc",version="1"\} ([\d.e-]+)/.exec(metrics)?.[1])).toBeGreaterThan(0.1);
    expect(metrics).toMatch(/berth_drift_score\{model="bc",version="1",feature="mean_radius",method="ks"\} [\d.e-]+/);
    expect(metrics).toMatch(/berth_data_quality_share\{model="bc",version="1",kind="missing"\} [\d.e-]+/);
    expect(metrics).toMatch(/berth_alerts_firing\{model="bc",severity="CRITICAL"\} 1/);
    expect(Number(/berth_model_accuracy\{model="bc",version="1"\} ([\d.e-]+)/.exec(metrics)?.[1])).toBeLessThan(0.9);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    if (promtool.error) console.warn('[berth tests] promtool check skipped: promtool is not installed (apt-get install prometheus provides it)');
    else expect(`${promtool.stdout}${promtool.stderr}`.trim()).toBe('');
  }, 120_000);

  it('refuses bad feedback with the field named, and unknown single ids with 404', async () => {
    const bad = await post('/v1/feedback', { items: [{ prediction_id: firstIds[0], label: 'benign' }, { prediction_id: firstIds[1], label: null }] });
    expect(bad.status).toBe(400);
    expect((bad.body['error'] as { message: string }).message).toMatch(/items\[1\]: label: expected a class name/);
    const missing = await post('/v1/predictions/nope/feedback', { label: 'benign' });
    expect(missing.status).toBe(404);
    const ok = await post(`/v1/predictions/${firstIds[0]}/feedback`, { label: 'malignant' });
    expect(ok.body).toEqual({ accepted: 1, unknown: [] });
    expect((await get<{ label: string }>(`/v1/predictions/${firstIds[0]}`)).body.label).toBe('malignant');
  });
});
