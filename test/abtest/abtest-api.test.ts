import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketRanges, chooseVariant, hashSubject, type AbTestResults, type AbTestView } from '../../src/abtest/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { startServer, type RunningServer } from '../../src/serving/index.js';
import { FIXTURES, fixtureModel, storeTargets } from '../helpers/targets.js';

/**
 * The A/B issue end to end against the real server: two versions split by subject, a third shadowed,
 * outcomes joined to variants, results, a guardrail pausing a variant, and assignment equal to
 * GrowthBook's hashing and stable across a server restart.
 */
const LINES = readFileSync(path.resolve(FIXTURES, '../../data/breast_cancer.csv'), 'utf8').trimEnd().split('\n');
const HEADER = LINES[0]!.split(',');
const ROWS = LINES.slice(1).map((line) => {
  const cells = line.split(',');
  return { features: Object.fromEntries(HEADER.slice(0, 30).map((h, i) => [h, Number(cells[i])])), diagnosis: cells[30]! };
});
const SEED = 'fixed-seed-for-the-test';

interface PredictAnswer {
  version: number;
  abtest?: string;
  variant?: string;
  assignment?: string;
  predictions: Array<{ id: string; label: string }>;
}

describe.each(storeTargets())('A/B tests end to end ($engine)', (target) => {
  const made = target.make();
  let berth: Berth;
  let server: RunningServer;
  let url: string;

  const start = async () => {
    const { config } = loadConfig({ env: { ...made.env, BERTH_WATCH_INTERVAL_MS: '100' }, cwd: made.config.home });
    berth = await openBerth(config);
    server = await startServer(berth, { host: '127.0.0.1', port: 0, logger: false, schedule: false });
    url = server.url;
  };
  const stop = async () => {
    await server.close();
    await berth.close();
  };
  const call = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${route}`, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };
  const predict = (i: number, subject?: string) => call<PredictAnswer>('POST', '/v1/models/bc/predict', { inputs: ROWS[i % ROWS.length]!.features, ...(subject ? { subject } : {}) });

  beforeAll(async () => {
    await start();
    for (const file of ['breast_cancer_v1', 'breast_cancer_v2', 'breast_cancer_v1']) {
      await berth.registry.registerVersion({ model: 'bc', file: fixtureModel(`${file}.onnx`), card: readFileSync(fixtureModel(`${file}.card.json`), 'utf8') }, 'test');
    }
    await berth.registry.promote('bc', 1, 'test', {});
  }, 60_000);
  afterAll(async () => {
    await stop();
    await made.cleanup();
  });

  let test: AbTestView;

  it('refuses bad tests with the field named', async () => {
    const weights = await call<{ error: { message: string } }>('POST', '/v1/abtests', { name: 'bad', model: 'bc', variants: [{ version: 1, weight: 0.5 }, { version: 2, weight: 0.6 }] });
    expect(weights.status).toBe(400);
    expect(weights.body.error.message).toMatch(/weights must sum to 1/);
    const version = await call<{ error: { message: string } }>('POST', '/v1/abtests', { name: 'bad', model: 'bc', variants: [{ version: 1, weight: 0.5 }, { version: 9, weight: 0.5 }] });
    expect(version.status).toBe(404);
    const segment = await call<{ error: { message: string } }>('POST', '/v1/abtests', { name: 'bad', model: 'bc', segment: 'age between 1 and 2', variants: [{ version: 1, weight: 0.5 }, { version: 2, weight: 0.5 }] });
    expect(segment.status).toBe(400);
    expect(segment.body.error.message).toMatch(/segment: cannot read/);
  });

  it('creates, starts and routes by subject exactly as GrowthBook hashing says; shadows a third version', async () => {
    const created = await call<AbTestView>('POST', '/v1/abtests', {
      name: 'v2-vs-v1',
      model: 'bc',
      seed: SEED,
      variants: [{ version: 1, weight: 0.5 }, { version: 2, weight: 0.5 }],
      shadows: [{ version: 3, share: 1 }],
      primary_metric: 'conversion',
      min_samples_per_arm: 20,
      guardrails: [{ metric: 'latency_p99_ms', threshold: 10_000, min_requests: 10 }],
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('draft');
    test = (await call<AbTestView>('POST', '/v1/abtests/v2-vs-v1/start')).body;
    expect(test.status).toBe('running');
    expect(test.phases).toHaveLength(1);

    const ranges = bucketRanges(2, 1, [0.5, 0.5]);
    for (let i = 0; i < 120; i++) {
      const subject = `user-${i}`;
      const answer = (await predict(i, subject)).body;
      const expected = chooseVariant(hashSubject(SEED, subject, 2), ranges);
      expect(answer.variant).toBe(['A', 'B'][expected]);
      expect(answer.version).toBe(expected + 1);
      expect(answer.abtest).toBe('v2-vs-v1');
      expect(answer.assignment).toBe('subject');
    }
    // The same subject lands in the same variant every time.
    const again = await Promise.all([1, 2, 3].map(() => predict(0, 'user-7')));
    expect(new Set(again.map((a) => a.body.variant)).size).toBe(1);
    // No subject: random assignment, said in the response.
    expect((await predict(0)).body.assignment).toBe('random');
    // An explicit version bypasses the test.
    expect((await call<PredictAnswer>('POST', '/v1/models/bc/predict?version=1', { inputs: ROWS[0]!.features, subject: 'user-1' })).body.abtest).toBeUndefined();

    // Shadow copies are logged (variant 'shadow', version 3) and never returned.
    await new Promise((r) => setTimeout(r, 300));
    const logged = (await call<{ predictions: Array<{ variant: string; version: number; abtest: string }> }>('GET', '/v1/models/bc/predictions?hours=1&limit=1000')).body.predictions;
    const shadows = logged.filter((p) => p.variant === 'shadow');
    expect(shadows.length).toBeGreaterThanOrEqual(120);
    expect(new Set(shadows.map((p) => p.version))).toEqual(new Set([3]));
  }, 120_000);

  it('joins outcomes to the variant each subject was served, and analyzes them', async () => {
    // More subjects, so the always-valid (sequential) interval can conclude.
    for (let start = 120; start < 420; start += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => predict(start + k, `user-${start + k}`)));
    const items = Array.from({ length: 420 }, (_, i) => {
      const subject = `user-${i}`;
      const variant = chooseVariant(hashSubject(SEED, subject, 2), bucketRanges(2, 1, [0.5, 0.5]));
      // B converts clearly better: 80% vs 30%.
      return { subject, metric: 'conversion', value: (i * 7919) % 100 < (variant === 1 ? 80 : 30) ? 1 : 0 };
    });
    const outcome = await call<{ accepted: number; unknown_subjects: string[] }>('POST', '/v1/abtests/v2-vs-v1/outcomes', { items: [...items, { subject: 'never-seen', metric: 'conversion', value: true }] });
    expect(outcome.body).toEqual({ accepted: 420, unknown_subjects: ['never-seen'] });
    const bad = await call<{ error: { message: string } }>('POST', '/v1/abtests/v2-vs-v1/outcomes', { items: [{ subject: 'user-1', metric: 'conversion', value: 'yes' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/items\[0\]\.value: expected a finite number or a boolean/);

    const results = (await call<AbTestResults>('GET', '/v1/abtests/v2-vs-v1/results')).body;
    expect(results.srm.mismatch).toBe(false);
    const units = results.variants.map((v) => v.subjects);
    expect(units[0]! + units[1]!).toBe(421); // 420 subjects + the one random request
    const conversion = results.metrics.find((m) => m.metric === 'conversion')!;
    expect(conversion.kind).toBe('binary');
    expect(conversion.treatment.variant).toBe('B');
    expect(conversion.control.n + conversion.treatment.n).toBe(420);
    expect(conversion.relative).toBeGreaterThan(0.5);
    expect(conversion.p_value).toBeLessThan(0.001);
    expect(conversion.sequential_p_value).toBeGreaterThanOrEqual(conversion.p_value); // the price of peeking safely
    expect(results.decision.action, results.decision.reason).toBe('promote');
    expect(results.decision.variant).toBe('B');
  });

  it('keeps every assignment across a server restart (assignment is data plus a hash, nothing in memory)', async () => {
    const before = await Promise.all(Array.from({ length: 20 }, (_, i) => predict(i, `user-${i}`)));
    await stop();
    await start();
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => predict(i, `user-${i}`)));
    expect(after.map((a) => [a.body.variant, a.body.version])).toEqual(before.map((b) => [b.body.variant, b.body.version]));
  });

  it('assigns the same way in another process (a second `berth serve` on the same store)', async () => {
    const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/berth.js'), 'serve', '--port', '0'], { cwd: made.config.home, env: { ...process.env, ...made.env, BERTH_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const other = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /serving at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`berth serve exited ${code}: ${out}`)));
      });
      for (let i = 0; i < 20; i++) {
        const here = (await predict(i, `user-${i}`)).body;
        const res = await fetch(`${other}/v1/models/bc/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: ROWS[i]!.features, subject: `user-${i}` }) });
        const there = (await res.json()) as PredictAnswer;
        expect([there.variant, there.version]).toEqual([here.variant, here.version]);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('a guardrail pauses the failing variant: its traffic returns to the control and an alert fires', async () => {
    // Tighten the guardrail so B "fails" it: every request is slower than 0.000001 ms.
    const row = await berth.store.db.selectFrom('abtests').select(['spec']).where('name', '=', 'v2-vs-v1').executeTakeFirstOrThrow();
    const spec = JSON.parse(row.spec) as { guardrails: Array<{ threshold: number }> };
    spec.guardrails[0]!.threshold = 0.000001;
    await berth.store.db.updateTable('abtests').set({ spec: JSON.stringify(spec) }).where('name', '=', 'v2-vs-v1').execute();
    const events = (await call<{ events: Array<{ kind: string; alert: { rule: string; severity: string } }> }>('POST', '/v1/alerts/evaluate')).body.events;
    expect(events.map((e) => [e.kind, e.alert.rule, e.alert.severity])).toContainEqual(['fired', 'abtest.v2-vs-v1.B.latency_p99_ms', 'CRITICAL']);
    const shown = (await call<AbTestView>('GET', '/v1/abtests/v2-vs-v1')).body;
    expect(shown.spec.paused_variants['B']).toMatch(/guardrail latency_p99_ms/);
    await new Promise((r) => setTimeout(r, 300)); // the routing cache follows within its interval
    const subjectInB = Array.from({ length: 50 }, (_, i) => `user-${i}`).find((s) => chooseVariant(hashSubject(SEED, s, 2), bucketRanges(2, 1, [0.5, 0.5])) === 1)!;
    const answer = (await predict(1, subjectInB)).body;
    expect(answer.version).toBe(1);
    expect(answer.variant).toBe('A');
  });

  it('a weight change starts a new phase with a new seed', async () => {
    const reweighted = (await call<AbTestView>('PATCH', '/v1/abtests/v2-vs-v1', { weights: [0.9, 0.1] })).body;
    expect(reweighted.phase).toBe(2);
    expect(reweighted.phases[1]!.seed).not.toBe(SEED);
    expect(reweighted.phases[0]!.ended_at).not.toBeNull();
  });

  it('stops and promotes the winner in one step', async () => {
    const stopped = (await call<AbTestView>('POST', '/v1/abtests/v2-vs-v1/stop', { promote: 'B', reason: 'B converts better' })).body;
    expect(stopped.status).toBe('stopped');
    expect(stopped.winner).toBe('B');
    expect((await berth.registry.resolveVersion('bc', {})).version).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect((await predict(0, 'user-1')).body.abtest).toBeUndefined();
    const audit = await berth.registry.audit({ model: 'bc' });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['abtest.create', 'abtest.start', 'abtest.variant.pause', 'abtest.reweight', 'abtest.stop']));
  });
});
