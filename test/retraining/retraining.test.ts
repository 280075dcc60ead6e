import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from '../../src/train/index.js';
import type { RetrainEventView } from '../../src/retraining/index.js';
import { refusalOf } from '../helpers/refusals.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FIXTURES, storeTargets } from '../helpers/targets.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CSV = path.join(ROOT, 'data/breast_cancer.csv');
const [HEADER, ...LINES] = readFileSync(CSV, 'utf8').trim().split('\n');
const NAMES = HEADER!.split(',').slice(0, 30);
const ROWS = LINES.map((l) => l.split(','));

describe.each(storeTargets())('retraining policies and triggers ($engine)', (target) => {
  let t: TestServer;
  let home: string;
  let noop: string;
  let models = 0;

  beforeAll(async () => {
    t = await startTestServer(target, { BERTH_PIPELINE_EXECUTOR: 'inprocess', BERTH_RETRAIN_EVERY_SECONDS: '86400', BERTH_EVALUATE_EVERY_SECONDS: '86400', BERTH_FLUSH_INTERVAL_MS: '30' });
    home = t.berth.config.home;
    // A pipeline that does nothing: the trigger and constraint tests are about decisions, not training.
    noop = path.join(home, 'noop.yaml');
    writeFileSync(noop, 'name: noop\nparams: {model: x}\nsteps:\n  - id: noop\n    run: echo "retraining ${{ params.model }}"\n');
  });
  afterAll(async () => {
    await t.stop();
  });

  /** A fresh model holding the breast-cancer fixture as v1, in production. */
  async function fixtureModel(): Promise<string> {
    const name = `bc-${++models}`;
    await t.berth.registry.createModel({ name }, 'test');
    await t.berth.registry.registerVersion({ model: name, file: path.join(FIXTURES, 'models/breast_cancer_v1.onnx'), card: readFileSync(path.join(FIXTURES, 'models/breast_cancer_v1.card.json'), 'utf8') }, 'test');
    await t.berth.registry.promote(name, 1, 'test');
    return name;
  }

  async function predict(model: string, rows: string[][], scale = 1): Promise<Array<{ id: string; label: string }>> {
    const out: Array<{ id: string; label: string }> = [];
    for (const row of rows) {
      const res = await fetch(`${t.url}/v1/models/${model}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: Object.fromEntries(NAMES.map((n, j) => [n, Number(row[j]) * scale])) }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { predictions: Array<{ id: string; label: string }> };
      out.push(body.predictions[0]!);
    }
    await sleep(300);
    return out;
  }

  const policy = (extra: Record<string, unknown>) => ({ data: { reference: CSV, label: 'diagnosis' }, pipeline: noop, ...extra });
  const waitOutcome = async (event: RetrainEventView): Promise<RetrainEventView> => {
    if (event.pipeline_run_id) await t.berth.pipelines.waitFor(event.pipeline_run_id);
    for (let i = 0; i < 50; i++) {
      const e = await t.berth.retraining.event(event.id);
      if (e.outcome !== null) return e;
      await sleep(100);
    }
    throw new Error(`event ${event.id} has no outcome`);
  };

  it('validates policies: unknown models, bad fields, and pipelines that do not parse are refused by name', async () => {
    const model = await fixtureModel();
    expect(await refusalOf(t.berth.retraining.setPolicy('nope', policy({ triggers: {} }), 'test'))).toMatchObject({ code: 'not_found' });
    const bad = await refusalOf(t.berth.retraining.setPolicy(model, policy({ triggers: { feedback: { min_labels: 0 } } }), 'test'));
    expect(bad.code).toBe('invalid_input');
    expect(bad.message).toContain('triggers.feedback.min_labels');
    expect((await refusalOf(t.berth.retraining.setPolicy(model, policy({ triggers: {}, surprise: 1 }), 'test'))).message).toContain('surprise');
    const broken = path.join(home, 'broken.yaml');
    writeFileSync(broken, 'name: broken\nsteps:\n  - id: a\n    needs: [b]\n    run: "true"\n');
    expect((await refusalOf(t.berth.retraining.setPolicy(model, policy({ triggers: {}, pipeline: broken }), 'test'))).message).toMatch(/unknown|b/);
    expect(await refusalOf(t.berth.retraining.getPolicy(model))).toMatchObject({ code: 'not_found' });
    const set = await t.berth.retraining.setPolicy(model, policy({ triggers: { age: { max_days: 30 } } }), 'test');
    expect(set.policy.triggers.age?.max_days).toBe(30);
    expect((await t.berth.registry.audit({ model })).map((e) => e.action)).toContain('retrain_policy.set');
  });

  it('waits for approval, suppresses while pending, and starts the pipeline only once approved', async () => {
    const model = await fixtureModel();
    await t.berth.retraining.setPolicy(model, policy({ triggers: {}, constraints: { approval_required: true } }), 'test');
    const pending = await t.berth.retraining.trigger(model, { reason: 'new labels', actor: 'alice' });
    expect(pending.decision).toBe('pending');
    expect(pending.pipeline_run_id).toBeNull();
    const second = await t.berth.retraining.trigger(model, { reason: 'again', actor: 'alice' });
    expect(second.decision).toBe('suppressed');
    expect(second.reason).toContain(`event ${pending.id} is waiting for approval`);
    const approved = await t.berth.retraining.approve(pending.id, 'bob');
    expect(approved.decision).toBe('approved');
    expect(approved.decided_by).toBe('bob');
    expect(approved.pipeline_run_id).not.toBeNull();
    const done = await waitOutcome(approved);
    expect(done.outcome).toBe('rejected');
    expect(await refusalOf(t.berth.retraining.approve(pending.id, 'bob'))).toMatchObject({ code: 'conflict' });
    const third = await t.berth.retraining.trigger(model, { reason: 'once more', actor: 'alice' });
    const rejected = await t.berth.retraining.reject(third.id, 'bob', 'not now');
    expect(rejected).toMatchObject({ decision: 'rejected', outcome: 'rejected', outcome_reason: 'rejected by bob: not now', pipeline_run_id: null });
    const history = await t.berth.retraining.history(model);
    expect(history.map((e) => e.decision)).toEqual(['rejected', 'suppressed', 'approved']);
  });

  it('limits retrainings per day and between runs; --force lifts those limits', async () => {
    const model = await fixtureModel();
    await t.berth.retraining.setPolicy(model, policy({ triggers: {}, constraints: { max_per_day: 1 } }), 'test');
    const first = await waitOutcome(await t.berth.retraining.trigger(model, { reason: 'first', actor: 'test' }));
    expect(first.decision).toBe('fired');
    const second = await t.berth.retraining.trigger(model, { reason: 'second', actor: 'test' });
    expect(second.decision).toBe('suppressed');
    expect(second.reason).toMatch(/max_per_day 1: 1 retraining\(s\) in the last 24 h/);
    const forced = await waitOutcome(await t.berth.retraining.trigger(model, { reason: 'forced', actor: 'test', force: true }));
    expect(forced.decision).toBe('fired');
    // A day later the limit no longer applies.
    const later = await t.berth.retraining.trigger(model, { reason: 'tomorrow', actor: 'test', now: Date.now() + 25 * 3600_000 });
    expect(later.decision).toBe('fired');
    await waitOutcome(later);
  });

  it('fires on new files in a watched folder, and not again for the same files', async () => {
    const model = await fixtureModel();
    const inbox = path.join(home, `inbox-${model}`);
    mkdirSync(inbox);
    await t.berth.retraining.setPolicy(model, policy({ triggers: { files: { dirs: [inbox], patterns: ['*.csv'] } } }), 'test');
    expect((await t.berth.retraining.evaluate()).filter((e) => e.model === model)).toEqual([]);
    writeFileSync(path.join(inbox, 'notes.txt'), 'not data');
    writeFileSync(path.join(inbox, 'batch-1.csv'), 'a,b\n1,2\n');
    // The kernel stamps files from a coarse clock that can lag Date.now() by a few ms, so the file could look
    // older than the version (CI failed once on this). Stamp it explicitly: after the version, before the
    // trigger fires (the next "since").
    await new Promise((resolve) => setTimeout(resolve, 5));
    const stamp = new Date(Date.now() - 1);
    utimesSync(path.join(inbox, 'batch-1.csv'), stamp, stamp);
    // Older than the production version: not new.
    writeFileSync(path.join(inbox, 'old.csv'), 'a,b\n1,2\n');
    utimesSync(path.join(inbox, 'old.csv'), new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));
    const fired = (await t.berth.retraining.evaluate()).filter((e) => e.model === model);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ trigger: 'files', decision: 'fired' });
    expect(fired[0]!.reason).toContain('batch-1.csv');
    expect(fired[0]!.reason).not.toContain('notes.txt');
    expect(fired[0]!.reason).not.toContain('old.csv');
    await waitOutcome(fired[0]!);
    expect((await t.berth.retraining.evaluate()).filter((e) => e.model === model)).toEqual([]);
  });

  it('fires when the production version is older than max_days', async () => {
    const model = await fixtureModel();
    await t.berth.retraining.setPolicy(model, policy({ triggers: { age: { max_days: 7 } } }), 'test');
    expect((await t.berth.retraining.evaluate()).filter((e) => e.model === model)).toEqual([]);
    const fired = (await t.berth.retraining.evaluate(Date.now() + 8 * 86_400_000)).filter((e) => e.model === model);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.trigger).toBe('age');
    expect(fired[0]!.reason).toMatch(/v1 was trained 8\.0 days ago \(>= 7\)/);
    await waitOutcome(fired[0]!);
  });

  it('fires on an accuracy drop measured from feedback, and on feature drift against the reference', async () => {
    const model = await fixtureModel();
    await t.berth.retraining.setPolicy(model, policy({ triggers: { accuracy_drop: { min_drop: 0.1, min_labels: 30 } } }), 'test');
    const served = await predict(model, ROWS.slice(0, 40));
    expect((await t.berth.retraining.evaluate()).filter((e) => e.model === model)).toEqual([]);
    // Half the labels contradict the model: accuracy 0.5 against the card's 0.986.
    const result = await t.berth.monitoring.feedback.record(served.map((p, i) => ({ prediction_id: p.id, label: i % 2 ? p.label : p.label === 'benign' ? 'malignant' : 'benign' })));
    expect(result.accepted).toBe(40);
    const fired = (await t.berth.retraining.evaluate()).filter((e) => e.model === model);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.trigger).toBe('accuracy_drop');
    expect(fired[0]!.detail).toMatchObject({ version: 1, accuracy: 0.5, labelled: 40 });
    await waitOutcome(fired[0]!);

    const drifting = await fixtureModel();
    const reference = await fetch(`${t.url}/v1/models/${drifting}/versions/1/reference`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: readFileSync(CSV) });
    expect(reference.status).toBeLessThan(300);
    await t.berth.retraining.setPolicy(drifting, policy({ triggers: { drift: { min_share: 0.5 } } }), 'test');
    // A representative sample does not drift; the same rows with every feature quadrupled do.
    const sample = Array.from({ length: 60 }, (_, i) => ROWS[(i * 37) % ROWS.length]!);
    await predict(drifting, sample);
    expect((await t.berth.retraining.evaluate()).filter((e) => e.model === drifting)).toEqual([]);
    await predict(drifting, sample.concat(sample), 4);
    const drift = (await t.berth.retraining.evaluate()).filter((e) => e.model === drifting);
    expect(drift).toHaveLength(1);
    expect(drift[0]!.trigger).toBe('drift');
    expect(drift[0]!.detail['share'] as number).toBeGreaterThanOrEqual(0.5);
    await waitOutcome(drift[0]!);
  });

  it("runs the built-in pipeline: a better challenger goes into an A/B test when the policy's action says so", async () => {
    // A weak champion: trained on 60 rows only.
    const name = `weak-${++models}`;
    const small = path.join(home, 'small.csv');
    writeFileSync(small, [HEADER, ...LINES.slice(0, 60)].join('\n'));
    await trainModel(t.berth, { data: small, label: 'diagnosis', model: name, actor: 'test' });
    await t.berth.registry.promote(name, 1, 'test');
    await t.berth.retraining.setPolicy(name, { data: { reference: CSV, label: 'diagnosis' }, triggers: {}, action: 'abtest', compare: { metric: 'accuracy' } }, 'test');
    const event = await waitOutcome(await t.berth.retraining.trigger(name, { reason: 'more data', actor: 'test' }));
    expect(event.outcome, event.outcome_reason ?? '').toBe('abtest');
    expect(event.challenger_version).toBe(2);
    const run = await t.berth.pipelines.get(event.pipeline_run_id!);
    expect(run.steps.map((s) => [s.id, s.state])).toEqual([
      ['assemble', 'succeeded'],
      ['train', 'succeeded'],
      ['compare', 'succeeded'],
      ['promote', 'skipped'],
      ['abtest', 'succeeded'],
    ]);
    expect(run.steps[0]!.outputs).toMatchObject({ holdout_source: 'reference', production_rows: 0 });
    const tests = await t.berth.abtests.list({ model: name });
    expect(tests).toHaveLength(1);
    expect(tests[0]!.status).toBe('running');
    // Production did not move: the test decides.
    expect((await t.berth.registry.resolveVersion(name, { alias: 'production' })).version).toBe(1);
  });

  it('rolls back only on a CRITICAL alert on the promoted version within its watch window', async () => {
    const model = await fixtureModel();
    await t.berth.registry.registerVersion({ model, file: path.join(FIXTURES, 'models/breast_cancer_v2.onnx'), card: readFileSync(path.join(FIXTURES, 'models/breast_cancer_v2.card.json'), 'utf8') }, 'test');
    await t.berth.registry.promote(model, 2, 'test');
    await t.berth.retraining.setPolicy(model, policy({ triggers: {} }), 'test');
    const db = t.berth.store.db;
    const now = Date.now();
    const inserted = await db
      .insertInto('retrain_events')
      .values({ model, trigger: 'manual', decision: 'fired', reason: 'test', detail: '{}', pipeline_run_id: null, outcome: 'promoted', outcome_reason: 'better', champion_version: 1, challenger_version: 2, watch_until: now + 3600_000, created_by: 'test', created_at: now, decided_by: null, decided_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const alert = (severity: 'WARNING' | 'CRITICAL', version: number) => ({
      kind: 'fired' as const,
      alert: { id: 1, rule: 'r', model, version, severity, metric: 'accuracy_drop', state: 'firing' as const, value: 0.3, threshold: 0.05, message: 'accuracy fell', started_at: '', fired_at: '', resolved_at: null },
    });
    await t.berth.retraining.watchAlert(alert('WARNING', 2));
    await t.berth.retraining.watchAlert(alert('CRITICAL', 1));
    await t.berth.retraining.watchAlert(alert('CRITICAL', 2), now + 2 * 3600_000);
    expect((await t.berth.registry.resolveVersion(model, { alias: 'production' })).version).toBe(2);
    await t.berth.retraining.watchAlert(alert('CRITICAL', 2));
    expect((await t.berth.registry.resolveVersion(model, { alias: 'production' })).version).toBe(1);
    const event = await t.berth.retraining.event(inserted.id);
    expect(event.outcome).toBe('rolled_back');
    expect(event.outcome_reason).toContain("CRITICAL alert 'r' on v2");
    const history = await t.berth.registry.aliasHistory(model, 'production');
    expect(JSON.stringify(history[0])).toMatch(/rolled back/);
  });
});
