import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { predictionId } from '../../src/inference/index.js';
import type { PredictionRecord } from '../../src/monitoring/index.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

/**
 * Guardrails are aggregated by the database (a busy test's window is millions of rows): the p99 must be
 * numpy's 'linear' percentile of the window's latencies and the error rate the share of 5xx, over the
 * window only, per variant.
 */
describe.each(storeTargets())('A/B guardrails aggregated by the database ($engine)', (target) => {
  const made = target.make();
  let berth: Berth;
  const now = Date.now();

  beforeAll(async () => {
    const { config } = loadConfig({ env: made.env, cwd: made.config.home });
    berth = await openBerth(config);
    for (const file of ['breast_cancer_v1', 'breast_cancer_v2', 'breast_cancer_v1']) {
      await berth.registry.registerVersion({ model: 'bc', file: fixtureModel(`${file}.onnx`), card: readFileSync(fixtureModel(`${file}.card.json`), 'utf8') }, 'test');
    }
    await berth.abtests.create(
      {
        name: 'g',
        model: 'bc',
        variants: [{ version: 1, weight: 0.34 }, { version: 2, weight: 0.33 }, { version: 3, weight: 0.33 }],
        guardrails: [
          { metric: 'latency_p99_ms', threshold: 99.02, min_requests: 50, window_minutes: 15 },
          { metric: 'error_rate', threshold: 0.05, min_requests: 50, window_minutes: 15 },
        ],
      },
      'test',
    );
    await berth.abtests.start('g', 'test');
    const record = (variant: string, version: number, latency: number, status: number, ts: number): PredictionRecord => ({
      id: predictionId(ts),
      ts,
      model: 'bc',
      version,
      abtest: 'g',
      variant,
      endpoint: 'predict',
      status,
      latency_ms: latency,
    });
    const records: PredictionRecord[] = [];
    // B: latencies 1..100 (p99 = 99.01), 4% errors; outside the window, far slower and failing.
    for (let i = 1; i <= 100; i++) records.push(record('B', 2, i, i <= 4 ? 500 : 200, now - 60_000));
    for (let i = 0; i < 50; i++) records.push(record('B', 2, 10_000, 500, now - 20 * 60_000));
    // C: fast, 6% errors. A (the control) is never judged.
    for (let i = 1; i <= 100; i++) records.push(record('C', 3, 1, i <= 6 ? 503 : 200, now - 60_000));
    for (let i = 0; i < 100; i++) records.push(record('A', 1, 50_000, 500, now - 60_000));
    const log = berth.monitoring.startLog()!;
    await log.append(records);
    await log.flush();
  }, 60_000);
  afterAll(async () => {
    await berth.close();
    await made.cleanup();
  });

  it('pauses only the variant over a threshold, with the value computed over the window', async () => {
    const events = await berth.abtests.checkGuardrails(now);
    expect(events.map((e) => e.alert.rule)).toEqual(['abtest.g.C.error_rate']);
    const paused = (await berth.abtests.get('g')).spec.paused_variants;
    expect(Object.keys(paused)).toEqual(['C']);
    expect(paused['C']).toBe('guardrail error_rate = 0.06 > 0.05 over 15 min (100 requests)');
  });

  it("computes p99 latency as numpy's linear percentile (99.01 for 1..100)", async () => {
    const row = await berth.store.db.selectFrom('abtests').select(['spec']).where('name', '=', 'g').executeTakeFirstOrThrow();
    const spec = JSON.parse(row.spec) as { guardrails: Array<{ threshold: number }> };
    spec.guardrails[0]!.threshold = 99.0;
    await berth.store.db.updateTable('abtests').set({ spec: JSON.stringify(spec) }).where('name', '=', 'g').execute();
    const events = await berth.abtests.checkGuardrails(now);
    expect(events.map((e) => e.alert.rule)).toEqual(['abtest.g.B.latency_p99_ms']);
    expect((await berth.abtests.get('g')).spec.paused_variants['B']).toBe('guardrail latency_p99_ms = 99.01 > 99 over 15 min (100 requests)');
  });
});
