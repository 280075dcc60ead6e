import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRule } from '../../src/config/index.js';
import { sqliteFile } from '../../src/config/index.js';
import { Alerts, breaches, ruleValue, signBody, webhookHandler, type AlertEvent, type VersionWindow } from '../../src/monitoring/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { refusalOf } from '../helpers/refusals.js';
import { storeTargets } from '../helpers/targets.js';

const RULE: AlertRule = { name: 'latency', model: '*', metric: 'latency_p99_ms', operator: '>', threshold: 100, severity: 'CRITICAL', for_seconds: 60 };

function window(overrides: Partial<VersionWindow> = {}): VersionWindow {
  return {
    version: 1,
    requests: 100,
    served: 98,
    refused: 1,
    errors: 1,
    error_rate: 0.01,
    refused_share: 0.01,
    refused_by_reason: {},
    throughput_rps: 1,
    latency_ms: { p50: 1, p95: 2, p99: 3, mean: 1, max: 4 },
    predictions: {},
    performance: { task: 'classification', labelled: 50, accuracy: 0.9, card_accuracy: 0.95, accuracy_drop: 0.05 },
    data_quality: null,
    drift: null,
    ...overrides,
  };
}

describe('rule values', () => {
  it('reads each metric from a window, and says nothing when there is too little data', () => {
    const w = window();
    expect(ruleValue({ ...RULE, metric: 'accuracy_drop' }, w, 30)).toBeCloseTo(0.05, 12);
    expect(ruleValue({ ...RULE, metric: 'accuracy_drop' }, w, 51)).toBeUndefined();
    expect(ruleValue({ ...RULE, metric: 'error_rate' }, w, 30)).toBe(0.01);
    expect(ruleValue({ ...RULE, metric: 'latency_p99_ms' }, w, 30)).toBe(3);
    expect(ruleValue({ ...RULE, metric: 'drift_share' }, w, 30)).toBeUndefined();
    expect(breaches({ operator: '>=', threshold: 0.05 }, 0.05)).toBe(true);
    expect(breaches({ operator: '>', threshold: 0.05 }, 0.05)).toBe(false);
    expect(breaches({ operator: '<', threshold: 0.8 }, 0.7)).toBe(true);
  });
});

describe.each(storeTargets())('alert state machine ($engine)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let alerts: Alerts;
  let events: AlertEvent[];

  beforeEach(async () => {
    const made = target.make();
    cleanup = made.cleanup;
    const c = made.config;
    store = await openStore(c.database.url ? { engine: 'postgres', url: c.database.url, schema: c.database.schema, poolSize: 4 } : { engine: 'sqlite', file: sqliteFile(c), busyTimeoutMs: 5000 });
    alerts = new Alerts(store.db, [RULE], true);
    events = [];
    alerts.onAlert((e) => {
      events.push(e);
    });
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('goes pending → firing after `for_seconds` → resolved, running handlers once per transition', async () => {
    const t0 = 1_700_000_000_000;
    expect(await alerts.observe(RULE, 'm', 1, 150, t0)).toBeUndefined();
    expect((await alerts.list({ state: 'active' }))[0]).toMatchObject({ state: 'pending', value: 150 });
    expect(await alerts.observe(RULE, 'm', 1, 160, t0 + 30_000)).toBeUndefined(); // not yet 60 s
    const fired = await alerts.observe(RULE, 'm', 1, 170, t0 + 61_000);
    expect(fired).toMatchObject({ kind: 'fired', alert: { state: 'firing', severity: 'CRITICAL', value: 170 } });
    expect(await alerts.observe(RULE, 'm', 1, 180, t0 + 120_000)).toBeUndefined(); // still firing: no second event
    expect(await alerts.observe(RULE, 'm', 1, undefined, t0 + 130_000)).toBeUndefined(); // unknown value: unchanged
    const resolved = await alerts.observe(RULE, 'm', 1, 50, t0 + 180_000);
    expect(resolved).toMatchObject({ kind: 'resolved', alert: { state: 'resolved', value: 50 } });
    expect(events.map((e) => e.kind)).toEqual(['fired', 'resolved']);
    // A new breach opens a new alert; the history keeps the old one.
    await alerts.observe({ ...RULE, for_seconds: 0 }, 'm', 1, 200, t0 + 200_000);
    const all = await alerts.list();
    expect(all.map((a) => a.state)).toEqual(['firing', 'resolved']);
  });

  it('a pending alert that recovers before firing resolves without an event; versions are separate', async () => {
    await alerts.observe(RULE, 'm', 1, 150, 0);
    await alerts.observe(RULE, 'm', 2, 150, 0);
    await alerts.observe(RULE, 'm', 1, 10, 1000);
    expect(events).toEqual([]);
    expect((await alerts.list({ state: 'active' })).map((a) => a.version)).toEqual([2]);
  });

  it('concurrent observers (replicas) open and fire one alert only', async () => {
    const rule = { ...RULE, for_seconds: 0 };
    const results = await Promise.all(Array.from({ length: 5 }, () => alerts.observe(rule, 'm', 1, 500, 5)));
    expect(results.filter((r) => r?.kind === 'fired')).toHaveLength(1);
    expect(await alerts.list({ state: 'active' })).toHaveLength(1);
  });

  it('creates and deletes API rules (audited), refusing duplicates, bad rules and built-in ones', async () => {
    const created = await alerts.createRule({ name: 'acc', model: 'm', metric: 'accuracy', operator: '<', threshold: 0.8, severity: 'WARNING' }, 'tester');
    expect(created.source).toBe('api');
    expect((await alerts.rules()).map((r) => `${r.source}:${r.name}`)).toContain('api:acc');
    expect((await refusalOf(alerts.createRule({ name: 'acc', model: 'm', metric: 'accuracy', operator: '<', threshold: 0.8, severity: 'WARNING' }, 'tester'))).code).toBe('conflict');
    const bad = await refusalOf(alerts.createRule({ name: 'x', model: 'm', metric: 'accuracy', operator: '~', threshold: 1, severity: 'WARNING' }, 'tester'));
    expect(bad.code).toBe('invalid_input');
    expect(bad.message).toMatch(/operator/);
    expect((await refusalOf(alerts.deleteRule('default.error-rate.critical', 'tester'))).message).toMatch(/built-in defaults/);
    await alerts.deleteRule('acc', 'tester');
    expect((await alerts.rules()).some((r) => r.name === 'acc')).toBe(false);
    const audit = await store.db.selectFrom('audit_events').select(['action', 'target']).where('target_type', '=', 'alert_rule').execute();
    expect(audit.map((a) => a.action)).toEqual(['alert_rule.create', 'alert_rule.delete']);
  });
});

describe('webhook handler', () => {
  const server = createServer();
  const bodies: Array<{ signature: string | undefined; body: string }> = [];
  let failuresLeft = 0;
  let url = '';

  beforeEach(async () => {
    bodies.length = 0;
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push({ signature: req.headers['x-berth-signature'] as string | undefined, body });
        res.writeHead(failuresLeft-- > 0 ? 503 : 204).end();
      });
    });
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterEach(() => {
    failuresLeft = 0;
  });

  const event: AlertEvent = { kind: 'fired', alert: { id: 1, rule: 'r', model: 'm', version: 1, severity: 'WARNING', metric: 'error_rate', state: 'firing', value: 0.5, threshold: 0.02, message: 'm', started_at: '', fired_at: '', resolved_at: null } };

  it('signs the body with HMAC-SHA256 and retries with backoff until delivered', async () => {
    failuresLeft = 2;
    const hook = webhookHandler({ url, secret: 's3cret' }, { baseDelayMs: 10 });
    await hook(event);
    await hook.idle();
    expect(bodies).toHaveLength(3);
    for (const b of bodies) expect(b.signature).toBe(signBody('s3cret', b.body));
    expect(JSON.parse(bodies[2]!.body)).toMatchObject({ event: 'fired', alert: { rule: 'r' } });
  });

  it('reports a delivery that keeps failing, and skips events below min_severity', async () => {
    failuresLeft = 10;
    const failures: string[] = [];
    const hook = webhookHandler({ url, min_severity: 'WARNING' }, { attempts: 3, baseDelayMs: 5, onFailure: (_t, _e, error) => failures.push(error) });
    await hook(event);
    await hook(event.alert.severity === 'WARNING' ? { ...event, alert: { ...event.alert, severity: 'INFO' } } : event);
    await hook.idle();
    expect(bodies).toHaveLength(3);
    expect(bodies[0]!.signature).toBeUndefined();
    expect(failures).toEqual(['HTTP 503']);
  });
});
