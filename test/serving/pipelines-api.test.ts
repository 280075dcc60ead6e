import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptView, PipelineRunView } from '../../src/pipelines/index.js';
import type { PolicyView, RetrainEventView } from '../../src/retraining/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FIXTURES, fixtureModel, storeTargets } from '../helpers/targets.js';

/**
 * The pipelines and retraining REST API end to end against the real server: runs started from YAML,
 * polled, their logs read, cancelled and resumed; a retraining policy set, a manual trigger waiting for
 * approval, approved, its pipeline run to the end and the outcome in the history.
 */
const REFERENCE = path.resolve(FIXTURES, '../../data/breast_cancer.csv');
const MODEL = 'breast-cancer';
const TERMINAL = ['succeeded', 'failed', 'cancelled', 'skipped'];

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const HELLO = `name: hello-api
params: {greeting: hi, count: 1, loud: false}
steps:
  - id: first
    run: echo "first \${{ params.greeting }}"
  - id: second
    needs: first
    run: echo "second $BERTH_PARAM_GREETING from $BERTH_STEP_ID"
`;

// The marker file says the command really started (a cancel then has a process to stop).
const SLEEPER = `name: sleeper
steps:
  - id: nap
    run: touch "$BERTH_WORK_DIR/nap.$BERTH_ATTEMPT.started"; sleep 30
  - id: after
    needs: nap
    run: echo never
`;

describe.each(storeTargets())('pipelines and retraining API ($engine)', (target) => {
  let t: TestServer;

  const call = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${route}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const runOf = (id: string) => call<PipelineRunView>('GET', `/v1/pipelines/runs/${id}`);
  /** Polls the run until `done` holds (by default: it ended). */
  const pollRun = async (id: string, done: (run: PipelineRunView) => boolean = (r) => TERMINAL.includes(r.state), timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await runOf(id);
      expect(status).toBe(200);
      if (done(body)) return body;
      if (Date.now() > until) throw new Error(`run ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(body)}`);
      await sleep(100);
    }
  };

  beforeAll(async () => {
    t = await startTestServer(target, { BERTH_PIPELINE_EXECUTOR: 'inprocess' });
    await t.client.registerVersion({ model: MODEL, file: fixtureModel('breast_cancer_v1.onnx'), card: readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8') });
    await t.client.promote(MODEL, 1);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('starts a pipeline sent as YAML, runs it to the end and serves its logs', async () => {
    const started = await call<PipelineRunView>('POST', '/v1/pipelines/runs', { pipeline: HELLO, params: { greeting: 'hello-api', count: 3, loud: true } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ pipeline: 'hello-api', source: 'api', trigger: 'api', created_by: 'anonymous' });
    // Values keep the type each param declares.
    expect(started.body.params).toEqual({ greeting: 'hello-api', count: 3, loud: true });
    expect(started.body.steps.map((s) => s.id)).toEqual(['first', 'second']);

    const run = await pollRun(started.body.id);
    expect(run.state, run.error ?? '').toBe('succeeded');
    expect(run.steps.map((s) => [s.id, s.state, s.attempts])).toEqual([['first', 'succeeded', 1], ['second', 'succeeded', 1]]);

    const logs = await call<{ run: string; attempts: AttemptView[] }>('GET', `/v1/pipelines/runs/${run.id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.body.attempts.map((a) => [a.step, a.attempt, a.state])).toEqual([['first', 1, 'succeeded'], ['second', 1, 'succeeded']]);
    expect(logs.body.attempts[0]!.log).toContain('first hello-api');
    expect(logs.body.attempts[1]!.log).toContain('second hello-api from second');
    const one = await call<{ attempts: AttemptView[] }>('GET', `/v1/pipelines/runs/${run.id}/logs?step=second`);
    expect(one.body.attempts.map((a) => a.step)).toEqual(['second']);
    const noStep = await call<ErrorBody>('GET', `/v1/pipelines/runs/${run.id}/logs?step=nope`);
    expect(noStep.status).toBe(404);
    expect(noStep.body.error.message).toMatch(/no step 'nope'/);

    const listed = await call<{ runs: PipelineRunView[] }>('GET', '/v1/pipelines/runs?pipeline=hello-api&state=succeeded&limit=5');
    expect(listed.status).toBe(200);
    expect(listed.body.runs.map((r) => r.id)).toEqual([run.id]);
    expect((await call<{ runs: PipelineRunView[] }>('GET', '/v1/pipelines/runs?state=failed')).body.runs).toEqual([]);
    const badState = await call<ErrorBody>('GET', '/v1/pipelines/runs?state=done');
    expect(badState.status).toBe(400);
    expect(badState.body.error.message).toMatch(/querystring\.state/);

    const unknown = await call<ErrorBody>('GET', '/v1/pipelines/runs/no-such-run');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await call<ErrorBody>('GET', '/v1/pipelines/runs/no-such-run/logs')).status).toBe(404);
    expect((await call<ErrorBody>('POST', '/v1/pipelines/runs/no-such-run/cancel')).status).toBe(404);
    // Only a failed or cancelled run can be resumed; an ended one cannot be cancelled.
    expect((await call<ErrorBody>('POST', `/v1/pipelines/runs/${run.id}/resume`)).status).toBe(409);
    expect((await call<ErrorBody>('POST', `/v1/pipelines/runs/${run.id}/cancel`)).status).toBe(409);
  }, 90_000);

  it('refuses bad pipelines with the problem named, and bodies over 1 MB', async () => {
    const yaml = await call<ErrorBody>('POST', '/v1/pipelines/runs', { pipeline: 'name: broken\nsteps:\n  - id: a\n    run: [unclosed\n' });
    expect(yaml.status).toBe(400);
    expect(yaml.body.error.code).toBe('invalid_input');
    expect(yaml.body.error.message).toMatch(/not valid YAML at line \d+/);

    const needs = await call<ErrorBody>('POST', '/v1/pipelines/runs', { pipeline: HELLO.replace('needs: first', 'needs: missing') });
    expect(needs.status).toBe(400);
    expect(needs.body.error.message).toMatch(/steps\[1\]\.needs: step 'second' needs 'missing'/);
    expect(needs.body.error.details?.['field']).toBe('steps[1].needs');

    const param = await call<ErrorBody>('POST', '/v1/pipelines/runs', { pipeline: HELLO, params: { nope: 1 } });
    expect(param.status).toBe(400);
    expect(param.body.error.message).toMatch(/param 'nope' is not declared/);

    const missing = await call<ErrorBody>('POST', '/v1/pipelines/runs', { params: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/body\.pipeline/);
    const extra = await call<ErrorBody>('POST', '/v1/pipelines/runs', { pipeline: HELLO, schedule: 'now' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/unknown field 'schedule'/);

    const huge = await call<ErrorBody>('POST', '/v1/pipelines/runs', { pipeline: `${HELLO}# ${'x'.repeat(1024 * 1024)}\n` });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');

    // Nothing was started by any of them.
    expect((await call<{ runs: PipelineRunView[] }>('GET', '/v1/pipelines/runs?pipeline=broken')).body.runs).toEqual([]);
  });

  it('cancels a running step, then resumes the run from it', async () => {
    const started = await call<PipelineRunView>('POST', '/v1/pipelines/runs', { pipeline: SLEEPER });
    expect(started.status).toBe(201);
    const id = started.body.id;
    const startedFile = (attempt: number) => path.join(t.berth.config.home, 'pipelines', id, `nap.${attempt}.started`);
    await pollRun(id, () => existsSync(startedFile(1)), 20_000);

    const began = Date.now();
    const cancel = await call<PipelineRunView>('POST', `/v1/pipelines/runs/${id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.cancel_requested).toBe(true);
    const cancelled = await pollRun(id, undefined, 20_000);
    expect(Date.now() - began).toBeLessThan(15_000); // the sleep was stopped, not waited out
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.steps.map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
    expect((await call<ErrorBody>('POST', `/v1/pipelines/runs/${id}/cancel`)).status).toBe(409);

    const resumed = await call<PipelineRunView>('POST', `/v1/pipelines/runs/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(['pending', 'running']).toContain(resumed.body.state);
    await pollRun(id, (r) => r.steps[0]!.attempts === 2 && existsSync(startedFile(2)), 20_000);
    expect((await call('POST', `/v1/pipelines/runs/${id}/cancel`)).status).toBe(200);
    expect((await pollRun(id, undefined, 20_000)).state).toBe('cancelled');
  }, 90_000);

  it('refuses invalid retraining policies with the field named, and unknown models', async () => {
    const policy = { data: { reference: REFERENCE, label: 'diagnosis' }, triggers: { feedback: { min_labels: 0 } } };
    const bad = await call<ErrorBody>('PUT', `/v1/models/${MODEL}/retraining`, policy);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('triggers.feedback.min_labels');
    const unknownKey = await call<ErrorBody>('PUT', `/v1/models/${MODEL}/retraining`, { ...policy, triggers: {}, constraints: { approval: true } });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error.message).toMatch(/body\.constraints.*unknown field 'approval'/);

    const noModel = await call<ErrorBody>('PUT', '/v1/models/no-such-model/retraining', { ...policy, triggers: {} });
    expect(noModel.status).toBe(404);
    expect((await call<ErrorBody>('GET', '/v1/models/no-such-model/retraining')).status).toBe(404);
    expect((await call<ErrorBody>('GET', '/v1/models/no-such-model/retraining/history')).status).toBe(404);
    expect((await call<ErrorBody>('POST', '/v1/models/no-such-model/retraining/trigger', { reason: 'x' })).status).toBe(404);
    // A known model without a policy.
    const none = await call<ErrorBody>('GET', `/v1/models/${MODEL}/retraining`);
    expect(none.status).toBe(404);
    expect(none.body.error.message).toMatch(/has no retraining policy/);
    expect((await call<ErrorBody>('GET', '/v1/retraining/events/424242')).status).toBe(404);
    const badId = await call<ErrorBody>('GET', '/v1/retraining/events/abc');
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toMatch(/params\.id/);
  });

  it('sets a policy, waits for approval, retrains once approved and records the outcome', async () => {
    const policy = { data: { reference: REFERENCE, label: 'diagnosis' }, triggers: {}, constraints: { approval_required: true } };
    const set = await call<PolicyView>('PUT', `/v1/models/${MODEL}/retraining`, policy);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ model: MODEL, policy, updated_by: 'anonymous' });
    expect((await call<PolicyView>('GET', `/v1/models/${MODEL}/retraining`)).body.policy).toEqual(policy);

    const noReason = await call<ErrorBody>('POST', `/v1/models/${MODEL}/retraining/trigger`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/body\.reason/);

    const triggered = await call<RetrainEventView>('POST', `/v1/models/${MODEL}/retraining/trigger`, { reason: 'api test' });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(201);
    expect(triggered.body).toMatchObject({ model: MODEL, trigger: 'manual', decision: 'pending', reason: 'api test', pipeline_run_id: null, created_by: 'anonymous' });
    const id = triggered.body.id;

    const approved = await call<RetrainEventView>('POST', `/v1/retraining/events/${id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.decision).toBe('approved');
    expect(approved.body.decided_by).toBe('anonymous');
    expect(approved.body.pipeline_run_id).toEqual(expect.any(String));

    const again = await call<ErrorBody>('POST', `/v1/retraining/events/${id}/approve`);
    expect(again.status).toBe(409);
    const reject = await call<ErrorBody>('POST', `/v1/retraining/events/${id}/reject`, { reason: 'too late' });
    expect(reject.status).toBe(409);
    expect(reject.body.error.message).toMatch(/is approved, not pending/);

    const run = await pollRun(approved.body.pipeline_run_id!, undefined, 120_000);
    expect(run.trigger).toBe(`retraining:${id}`);
    expect(run.state, `${run.error}: ${JSON.stringify(run.steps.map((s) => [s.id, s.state, s.error]))}`).toBe('succeeded');

    // The outcome is recorded as the run ends (a listener of the run's end): poll the history for it.
    let event: RetrainEventView | undefined;
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(100)) {
      const history = await call<{ events: RetrainEventView[] }>('GET', `/v1/models/${MODEL}/retraining/history?limit=10`);
      expect(history.status).toBe(200);
      event = history.body.events.find((e) => e.id === id);
      if (event?.outcome) break;
    }
    expect(event, 'the event is in the history').toBeDefined();
    expect(['promoted', 'rejected']).toContain(event!.outcome);
    expect(event!.outcome_reason).toEqual(expect.stringMatching(/\S/));
    expect(event!.pipeline_run_id).toBe(run.id);
    expect(event!.champion_version).toBe(1);
    expect(event!.challenger_version).toBe(2);
    expect((await call<RetrainEventView>('GET', `/v1/retraining/events/${id}`)).body).toEqual(event);

    // A pending event can be rejected, with the reason recorded.
    const second = await call<RetrainEventView>('POST', `/v1/models/${MODEL}/retraining/trigger`, { reason: 'once more', force: true });
    expect(second.status).toBe(201);
    expect(second.body.decision).toBe('pending');
    const rejected = await call<RetrainEventView>('POST', `/v1/retraining/events/${second.body.id}/reject`, { reason: 'not now' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ decision: 'rejected', outcome: 'rejected', outcome_reason: 'rejected by anonymous: not now', pipeline_run_id: null });

    // Without a policy, a pending event cannot be approved (and stays pending).
    const third = await call<RetrainEventView>('POST', `/v1/models/${MODEL}/retraining/trigger`, { reason: 'orphan', force: true });
    expect(third.body.decision).toBe('pending');
    const deleted = await call('DELETE', `/v1/models/${MODEL}/retraining`);
    expect(deleted.status).toBe(200);
    expect((await call<ErrorBody>('GET', `/v1/models/${MODEL}/retraining`)).status).toBe(404);
    expect((await call<ErrorBody>('DELETE', `/v1/models/${MODEL}/retraining`)).status).toBe(404);
    const orphan = await call<ErrorBody>('POST', `/v1/retraining/events/${third.body.id}/approve`);
    expect(orphan.status).toBe(404);
    expect(orphan.body.error.message).toMatch(/has no retraining policy/);
    expect((await call<RetrainEventView>('GET', `/v1/retraining/events/${third.body.id}`)).body.decision).toBe('pending');
    // The history outlives the policy.
    expect((await call<{ events: RetrainEventView[] }>('GET', `/v1/models/${MODEL}/retraining/history`)).body.events.map((e) => e.id)).toEqual([third.body.id, second.body.id, id]);
  }, 180_000);

  it('lists the new paths in the OpenAPI document, with the policy schema as the PUT body', async () => {
    const doc = (await call<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> }>('GET', '/docs/json')).body;
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/v1/pipelines/runs',
      '/v1/pipelines/runs/{id}',
      '/v1/pipelines/runs/{id}/logs',
      '/v1/pipelines/runs/{id}/cancel',
      '/v1/pipelines/runs/{id}/resume',
      '/v1/models/{name}/retraining',
      '/v1/models/{name}/retraining/history',
      '/v1/models/{name}/retraining/trigger',
      '/v1/retraining/events/{id}',
      '/v1/retraining/events/{id}/approve',
      '/v1/retraining/events/{id}/reject',
    ]) {
      expect(paths).toContain(p);
    }
    expect(Object.keys(doc.paths['/v1/pipelines/runs']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/models/{name}/retraining']!).sort()).toEqual(['delete', 'get', 'put']);
    const body = doc.paths['/v1/models/{name}/retraining']!['put']!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties ?? {})).toEqual(expect.arrayContaining(['data', 'triggers', 'constraints', 'train', 'compare', 'action']));
  });

  it('needs the admin scope to start pipelines (their steps run shell commands) and write to change policies', async () => {
    const reader = await t.berth.keys.create({ name: 'reader', scopes: ['read'] }, 'test');
    const writer = await t.berth.keys.create({ name: 'writer', scopes: ['write'] }, 'test');
    const auth = { authorization: `Bearer ${reader.key}` };
    expect((await call('GET', '/v1/pipelines/runs', undefined, auth)).status).toBe(200);
    const start = await call<ErrorBody>('POST', '/v1/pipelines/runs', { pipeline: HELLO }, { authorization: `Bearer ${writer.key}` });
    expect(start.status).toBe(403);
    expect(start.body.error.message).toMatch(/scope 'admin'/);
    expect((await call<ErrorBody>('PUT', `/v1/models/${MODEL}/retraining`, { data: { reference: REFERENCE, label: 'diagnosis' }, triggers: {} }, auth)).status).toBe(403);
    expect((await call<ErrorBody>('GET', '/v1/pipelines/runs')).status).toBe(401);
  });
});
