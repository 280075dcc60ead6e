import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { parsePipeline, readPipelineFile, type PipelineEvent, type PipelineRunView, type StepView } from '../../src/pipelines/index.js';
import { refusalOf } from '../helpers/refusals.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

/**
 * The pipeline runner end to end on each store engine: real shell steps (/bin/sh), real built-ins
 * (train, evaluate, promote, batch-predict), real SQLite and Postgres, steps executed in this process.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const BC_CSV = path.join(REPO_ROOT, 'data', 'breast_cancer.csv');
const BC_ROWS = readFileSync(BC_CSV, 'utf8').trimEnd().split('\n').length - 1;

/** A step writes its start and end times (epoch ms) into its outputs around `sleep`. */
const timed = (sleepSeconds: number, extra = '') =>
  `s=$(date +%s%3N); sleep ${sleepSeconds}; e=$(date +%s%3N); echo "{\\"start\\": $s, \\"end\\": $e${extra}}" > "$BERTH_OUTPUT"`;

function step(run: PipelineRunView, id: string): StepView {
  const found = run.steps.find((s) => s.id === id);
  if (!found) throw new Error(`run ${run.id} has no step ${id}`);
  return found;
}

function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(child.pid!));
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe.each(storeTargets())('pipeline runs ($engine)', (target) => {
  let berth: Berth | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let home: string;

  beforeEach(async () => {
    const made = target.make();
    cleanup = made.cleanup;
    home = made.config.home;
    const { config } = loadConfig({ env: { ...made.env, BERTH_PIPELINE_EXECUTOR: 'inprocess' }, cwd: made.config.home });
    expect(config.pipelines.concurrency).toBe(2);
    berth = await openBerth(config);
  });
  afterEach(async () => {
    try {
      await berth?.close();
    } finally {
      berth = undefined;
      await cleanup?.();
    }
  });

  const b = (): Berth => berth!;

  /** Writes the pipeline into the home folder (its steps run there) and starts a run of it. */
  const start = (yaml: string, params?: Record<string, string>) => {
    const file = path.join(home, `pipeline-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    const { spec, baseDir, source } = readPipelineFile(file);
    return b().pipelines.start(spec, { params, source, baseDir, actor: 'test' });
  };
  const run = async (yaml: string, params?: Record<string, string>) => b().pipelines.waitFor((await start(yaml, params)).id, undefined, 50);
  const inHome = (name: string) => path.join(home, name);
  /** The tracking run once the runner has closed it (that happens just after the run row ends). */
  const closedTrackingRun = (id: string) =>
    until(`tracking run ${id} to close`, async () => {
      const t = await b().tracking.getRun(id);
      return t.info.status === 'RUNNING' ? undefined : t;
    });

  it('runs a DAG: outputs flow through $BERTH_OUTPUT and ${{ }}, params are typed, order is kept, independent steps overlap', async () => {
    const yaml = `
name: dag
params:
  n: 1
  greeting: hello
steps:
  - id: a
    run: |
      ${timed(0.1, ', \\"double\\": $(( ${{ params.n }} * 2 )), \\"word\\": \\"from-a\\", \\"param_env\\": \\"$BERTH_PARAM_N\\"')}
  - id: b
    needs: a
    env:
      FROM_A: "\${{ steps.a.outputs.word }}-\${{ params.greeting }}"
    run: |
      ${timed(0.8, ', \\"echo\\": \\"$FROM_A\\"')}
  - id: c
    needs: [a]
    run: |
      ${timed(0.8, ', \\"triple\\": $(( ${{ steps.a.outputs.double }} + ${{ params.n }} ))')}
  - id: d
    needs: [b, c]
    run: |
      ${timed(0, ', \\"joined\\": \\"${{ steps.b.outputs.echo }}/${{ steps.c.outputs.triple }}\\"')}
`;
    const done = await run(yaml, { n: '3' });
    expect(done.state).toBe('succeeded');
    expect(done.error).toBeNull();
    // The string override is coerced to the declared type (a number), the other param keeps its default.
    expect(done.params).toEqual({ n: 3, greeting: 'hello' });
    const [a, bb, c, d] = ['a', 'b', 'c', 'd'].map((id) => step(done, id));
    for (const s of [a!, bb!, c!, d!]) expect(s).toMatchObject({ state: 'succeeded', attempts: 1, error: null });
    expect(a!.outputs).toMatchObject({ double: 6, word: 'from-a', param_env: '3' });
    expect(bb!.outputs.echo).toBe('from-a-hello'); // through env
    expect(c!.outputs.triple).toBe(9); // through run: 6 + 3
    expect(d!.outputs.joined).toBe('from-a-hello/9');
    // Dependency order, from the steps' own clocks.
    const t = (s: StepView, k: 'start' | 'end') => s.outputs[k] as number;
    expect(t(bb!, 'start')).toBeGreaterThanOrEqual(t(a!, 'end'));
    expect(t(c!, 'start')).toBeGreaterThanOrEqual(t(a!, 'end'));
    expect(t(d!, 'start')).toBeGreaterThanOrEqual(Math.max(t(bb!, 'end'), t(c!, 'end')));
    // b and c need only a: with concurrency 2 they ran at the same time.
    expect(t(bb!, 'start')).toBeLessThan(t(c!, 'end'));
    expect(t(c!, 'start')).toBeLessThan(t(bb!, 'end'));
    expect(d!.duration_ms).not.toBeNull();
  });

  it('refuses undeclared params and values of the wrong type, and starts nothing', async () => {
    const spec = parsePipeline('name: params\nparams:\n  n: 1\n  flag: false\nsteps:\n  - id: a\n    run: "true"\n');
    const opts = { source: 'inline', baseDir: home, actor: 'test' };
    const undeclared = await refusalOf(b().pipelines.start(spec, { ...opts, params: { nope: '1' } }));
    expect(undeclared.code).toBe('invalid_input');
    expect(undeclared.message).toContain("'nope'");
    expect(undeclared.message).toContain('n, flag');
    const notNumber = await refusalOf(b().pipelines.start(spec, { ...opts, params: { n: 'three' } }));
    expect(notNumber.code).toBe('invalid_input');
    expect(notNumber.message).toMatch(/param 'n': expected a number/);
    const notBool = await refusalOf(b().pipelines.start(spec, { ...opts, params: { flag: 'yes' } }));
    expect(notBool.message).toMatch(/param 'flag': expected true or false/);
    expect(await b().pipelines.list()).toEqual([]);
    const ok = await b().pipelines.waitFor((await b().pipelines.start(spec, { ...opts, params: { n: '2.5', flag: 'true' } })).id, undefined, 50);
    expect(ok.params).toEqual({ n: 2.5, flag: true });
  });

  it('retries a failing step with growing delays and keeps every attempt with its own log', async () => {
    const events: PipelineEvent[] = [];
    b().pipelines.onEvent((e) => {
      if (e.type !== 'log') events.push(e);
    });
    const done = await run(`
name: flaky
steps:
  - id: flaky
    retries: 2
    retry_delay: 150ms
    retry_backoff: 3
    run: |
      echo "out of attempt $BERTH_ATTEMPT"
      echo "err of attempt $BERTH_ATTEMPT" >&2
      if [ "$BERTH_ATTEMPT" -lt 3 ]; then exit 7; fi
      echo '{"ok": true}' > "$BERTH_OUTPUT"
`);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'flaky')).toMatchObject({ state: 'succeeded', attempts: 3, outputs: { ok: true }, error: null });
    const attempts = await b().pipelines.logs(done.id, 'flaky');
    expect(attempts.map((a) => [a.attempt, a.state, a.exit_code])).toEqual([
      [1, 'failed', 7],
      [2, 'failed', 7],
      [3, 'succeeded', 0],
    ]);
    expect(attempts[0]!.error).toBe('exit code 7');
    expect(attempts[2]!.error).toBeNull();
    attempts.forEach((a, i) => {
      expect(a.log).toContain(`out of attempt ${i + 1}`);
      expect(a.log).toContain(`err of attempt ${i + 1}`);
      for (const other of [1, 2, 3].filter((n) => n !== i + 1)) expect(a.log).not.toContain(`attempt ${other}`);
    });
    // Backoff: 150 ms, then 150 × 3 = 450 ms.
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([150, 450]);
    expect(events.filter((e) => e.type === 'attempt').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    const gap = (i: number) => Date.parse(attempts[i + 1]!.started_at) - Date.parse(attempts[i]!.ended_at!);
    expect(gap(0)).toBeGreaterThanOrEqual(150);
    expect(gap(1)).toBeGreaterThanOrEqual(450);
    // logs() without a step gives every step's attempts; an unknown step is refused.
    expect(await b().pipelines.logs(done.id)).toHaveLength(3);
    expect((await refusalOf(b().pipelines.logs(done.id, 'nope'))).code).toBe('not_found');
  });

  it('keeps a log holding a NUL byte (which Postgres text cannot store) without failing the step', async () => {
    const done = await run(`
name: nul
steps:
  - id: nul
    run: |
      printf 'before\\000after\\n'
      echo '{"fine": true}' > "$BERTH_OUTPUT"
`);
    expect(step(done, 'nul')).toMatchObject({ state: 'succeeded', attempts: 1, outputs: { fine: true }, error: null });
    const [attempt] = await b().pipelines.logs(done.id, 'nul');
    expect(attempt).toMatchObject({ state: 'succeeded', exit_code: 0 });
    expect(attempt!.log).toMatch(/^before.after\n$/);
  });

  it('fails the run when a step fails beyond its retries: dependents are skipped, an independent branch still runs', async () => {
    const done = await run(`
name: broken
steps:
  - id: prep
    run: echo prepared
  - id: broken
    needs: prep
    retries: 1
    retry_delay: 0
    run: echo "boom $BERTH_ATTEMPT" >&2; exit 3
  - id: after
    needs: broken
    run: touch after-ran
  - id: later
    needs: [after, prep]
    run: touch later-ran
  - id: side
    run: sleep 0.5; touch side-ran
`);
    expect(done.state).toBe('failed');
    expect(done.error).toContain("step 'broken' failed");
    expect(done.error).toContain('exit code 3');
    expect(step(done, 'prep').state).toBe('succeeded');
    expect(step(done, 'broken')).toMatchObject({ state: 'failed', attempts: 2, error: 'exit code 3' });
    expect(step(done, 'after')).toMatchObject({ state: 'skipped', attempts: 0 });
    expect(step(done, 'after').error).toMatch(/needs 'broken', which failed/);
    expect(step(done, 'later')).toMatchObject({ state: 'skipped', attempts: 0 });
    expect(step(done, 'later').error).toMatch(/needs 'after', which was skipped/);
    expect(step(done, 'side')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(existsSync(inHome('side-ran'))).toBe(true);
    expect(existsSync(inHome('after-ran'))).toBe(false);
    expect(existsSync(inHome('later-ran'))).toBe(false);
    const logs = await b().pipelines.logs(done.id, 'broken');
    expect(logs.map((l) => l.log.trim())).toEqual(['boom 1', 'boom 2']);
    // The tracking run of a failed pipeline run is FAILED.
    const tracking = await closedTrackingRun(done.tracking_run_id!);
    expect(tracking.info.status).toBe('FAILED');
    expect(tracking.data.tags).toContainEqual({ key: 'berth.pipeline_state', value: 'failed' });
  });

  it('skips a step whose if is false, and its dependents; runs it when the if is true', async () => {
    const yaml = `
name: conditional
params:
  deploy: false
steps:
  - id: check
    run: |
      echo '{"score": 0.7}' > "$BERTH_OUTPUT"
  - id: good
    needs: check
    if: steps.check.outputs.score > 0.5
    run: touch good-ran
  - id: poor
    needs: check
    if: \${{ steps.check.outputs.score < 0.5 }}
    run: touch poor-ran
  - id: deploy
    needs: check
    if: params.deploy
    run: touch deploy-ran-$BERTH_RUN_ID
  - id: announce
    needs: deploy
    run: touch announce-ran-$BERTH_RUN_ID
`;
    const first = await run(yaml);
    expect(first.state).toBe('succeeded');
    expect(step(first, 'good')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(step(first, 'poor')).toMatchObject({ state: 'skipped', attempts: 0 });
    expect(step(first, 'poor').error).toMatch(/^if is false/);
    expect(step(first, 'deploy')).toMatchObject({ state: 'skipped', attempts: 0 });
    expect(step(first, 'announce')).toMatchObject({ state: 'skipped', attempts: 0 });
    expect(step(first, 'announce').error).toMatch(/needs 'deploy', which was skipped/);
    expect(existsSync(inHome('good-ran'))).toBe(true);
    expect(existsSync(inHome('poor-ran'))).toBe(false);
    expect(existsSync(inHome(`deploy-ran-${first.id}`))).toBe(false);
    expect(existsSync(inHome(`announce-ran-${first.id}`))).toBe(false);

    const second = await run(yaml, { deploy: 'true' });
    expect(second.state).toBe('succeeded');
    expect(step(second, 'deploy')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(step(second, 'announce')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(existsSync(inHome(`deploy-ran-${second.id}`))).toBe(true);
    expect(existsSync(inHome(`announce-ran-${second.id}`))).toBe(true);
  });

  it('fails a step that runs past its timeout, long before the command would have ended', async () => {
    const t0 = Date.now();
    const done = await run(`
name: slow
steps:
  - id: slow
    timeout: 1s
    run: echo started; sleep 30; echo finished
  - id: next
    needs: slow
    run: "true"
`);
    const took = Date.now() - t0;
    expect(done.state).toBe('failed');
    expect(step(done, 'slow')).toMatchObject({ state: 'failed', attempts: 1, error: 'timed out after 1s' });
    expect(step(done, 'next').state).toBe('skipped');
    expect(done.error).toContain('timed out');
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(10_000);
    const [attempt] = await b().pipelines.logs(done.id, 'slow');
    expect(attempt!.log).toContain('started');
    expect(attempt!.log).toContain('timed out');
    expect(attempt!.log).not.toContain('finished');
  });

  it('cancels a run: running steps stop at once, waiting and pending steps never run; the cancel is audited', async () => {
    const started = await start(`
name: cancellable
steps:
  - id: long1
    run: touch long1-started; sleep 30; touch long1-finished
  - id: long2
    run: touch long2-started; sleep 30
  - id: long3
    run: touch long3-started; sleep 30
  - id: next
    needs: long1
    run: touch next-ran
`);
    // Concurrency 2: long1 and long2 run, long3 waits in the queue, next waits for long1.
    await until('both long steps to start', () => (existsSync(inHome('long1-started')) && existsSync(inHome('long2-started')) ? true : undefined));
    const running = await b().pipelines.get(started.id);
    expect(running.state).toBe('running');
    expect(step(running, 'long3').state).toBe('queued');
    const t0 = Date.now();
    const after = await b().pipelines.cancel(started.id, 'test');
    expect(after.cancel_requested).toBe(true);
    const done = await b().pipelines.waitFor(started.id, undefined, 50);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(done.state).toBe('cancelled');
    expect(done.error).toBe('cancelled');
    expect(step(done, 'long1')).toMatchObject({ state: 'cancelled', attempts: 1 });
    expect(step(done, 'long2')).toMatchObject({ state: 'cancelled', attempts: 1 });
    expect(step(done, 'long3')).toMatchObject({ state: 'cancelled', attempts: 0 });
    expect(step(done, 'next')).toMatchObject({ state: 'cancelled', attempts: 0 });
    // Nothing else ran, even after a moment.
    await sleep(1500);
    for (const f of ['long1-finished', 'long3-started', 'next-ran']) expect(existsSync(inHome(f)), f).toBe(false);
    expect(await b().pipelines.logs(started.id, 'long3')).toEqual([]);
    const [attempt] = await b().pipelines.logs(started.id, 'long1');
    expect(attempt).toMatchObject({ state: 'cancelled' });
    expect((await refusalOf(b().pipelines.cancel(started.id, 'test'))).code).toBe('conflict');
    const tracking = await closedTrackingRun(done.tracking_run_id!);
    expect(tracking.info.status).toBe('KILLED');

    const starts = await b().registry.audit({ action: 'pipeline.start' });
    expect(starts).toEqual([expect.objectContaining({ actor: 'test', target_type: 'pipeline_run', target: started.id, after: { pipeline: 'cancellable', params: {}, trigger: 'manual' } })]);
    const cancels = await b().registry.audit({ action: 'pipeline.cancel' });
    expect(cancels).toEqual([expect.objectContaining({ actor: 'test', target_type: 'pipeline_run', target: started.id })]);
  });

  it('resumes a failed run from the failed step: succeeded steps keep their outputs and do not run again', async () => {
    const done = await run(`
name: resumable
steps:
  - id: one
    run: |
      echo ran >> one-runs; echo '{"token": "abc"}' > "$BERTH_OUTPUT"
  - id: two
    needs: one
    run: test -f ready && echo "\${{ steps.one.outputs.token }}" > two-out
  - id: three
    needs: two
    run: touch three-ran
`);
    expect(done.state).toBe('failed');
    expect(step(done, 'two')).toMatchObject({ state: 'failed', attempts: 1 });
    expect(step(done, 'three').state).toBe('skipped');
    // Resumed before the cause is fixed, it fails again at the same step (still no ready file).
    await b().pipelines.resume(done.id, 'early');
    const again = await b().pipelines.waitFor(done.id, undefined, 50);
    expect(again.state).toBe('failed');
    expect(step(again, 'two').attempts).toBe(2);

    writeFileSync(inHome('ready'), '');
    const resumed = await b().pipelines.resume(done.id, 'test');
    expect(['running', 'succeeded']).toContain(resumed.state);
    const finished = await b().pipelines.waitFor(done.id, undefined, 50);
    expect(finished.state).toBe('succeeded');
    expect(finished.error).toBeNull();
    expect(step(finished, 'one')).toMatchObject({ state: 'succeeded', attempts: 1, outputs: { token: 'abc' } });
    expect(step(finished, 'two')).toMatchObject({ state: 'succeeded', attempts: 3 });
    expect(step(finished, 'three')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(readFileSync(inHome('one-runs'), 'utf8')).toBe('ran\n');
    expect(readFileSync(inHome('two-out'), 'utf8')).toBe('abc\n');
    expect((await b().pipelines.logs(done.id, 'two')).map((a) => [a.attempt, a.state])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    const refused = await refusalOf(b().pipelines.resume(done.id, 'test'));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain('succeeded');
    const resumes = await b().registry.audit({ action: 'pipeline.resume' });
    expect(resumes.map((e) => [e.actor, e.target])).toEqual([
      ['test', done.id],
      ['early', done.id],
    ]);
    const tracking = await closedTrackingRun(finished.tracking_run_id!);
    expect(tracking.info.status).toBe('FINISHED');
  });

  it('fails what a dead process left running as orphaned, and a resume finishes it', async () => {
    const yaml = `
name: orphan
steps:
  - id: one
    run: |
      echo '{"n": 1}' > "$BERTH_OUTPUT"
  - id: two
    needs: one
    run: test -f ready
  - id: three
    needs: two
    run: touch three-ran
`;
    // A real run that stopped in step two; its rows are then made to look as a process that died
    // during step two's first attempt leaves them.
    const base = await run(yaml);
    expect(step(base, 'two').state).toBe('failed');
    const pid = await deadPid();
    const db = b().store.db;
    const orphan = async (id: string, owner: string, heartbeatAt: number) => {
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('pipeline_runs').set({ state: 'running', error: null, ended_at: null, executor: `inprocess:${owner}`, heartbeat_at: heartbeatAt }).where('id', '=', id).execute();
        await tx.updateTable('pipeline_steps').set({ state: 'running', error: null, ended_at: null, owner, heartbeat_at: heartbeatAt }).where('run_id', '=', id).where('step_id', '=', 'two').execute();
        await tx.updateTable('pipeline_steps').set({ state: 'pending', error: null, ended_at: null }).where('run_id', '=', id).where('step_id', '=', 'three').execute();
        await tx.updateTable('pipeline_step_attempts').set({ state: 'running', error: null, exit_code: null, ended_at: null }).where('run_id', '=', id).where('step_id', '=', 'two').execute();
      });
    };
    await orphan(base.id, `${hostname()}:${pid}`, Date.now());
    // Two more, which must be left alone: one run by a live process of this host, one by a process of
    // another host that reported a moment ago.
    const alive = await run(yaml);
    await orphan(alive.id, `${hostname()}:${process.ppid}`, Date.now());
    const remote = await run(yaml);
    const now = Date.now();
    await orphan(remote.id, 'another-host:4242', now);

    // Two recoveries at once (a server and a CLI starting together, or the heartbeat): the run is
    // failed once, by one of them (the audit below has exactly one event).
    const [first, second] = await Promise.all([b().pipelines.recoverOrphans(), b().pipelines.recoverOrphans()]);
    expect([...first!, ...second!].filter((id) => id === base.id).length).toBeLessThanOrEqual(1);
    const failed = await b().pipelines.get(base.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/^step 'two' failed: orphaned: the process running it \(.*:\d+\) stopped/);
    expect(failed.error).toContain(String(pid));
    expect(step(failed, 'one').state).toBe('succeeded');
    expect(step(failed, 'two')).toMatchObject({ state: 'failed', attempts: 1 });
    expect(step(failed, 'two').error).toMatch(/^orphaned/);
    expect(step(failed, 'three').state).toBe('skipped');
    const [attempt] = await b().pipelines.logs(base.id, 'two');
    expect(attempt).toMatchObject({ state: 'failed' });
    expect(attempt!.error).toMatch(/^orphaned/);
    expect(attempt!.ended_at).not.toBeNull();
    expect((await b().pipelines.get(alive.id)).state).toBe('running');
    expect((await b().pipelines.get(remote.id)).state).toBe('running');
    // Recovered once: a second pass finds nothing more to do.
    expect(await b().pipelines.recoverOrphans()).toEqual([]);
    const orphanedEvents = await b().registry.audit({ action: 'pipeline.orphaned' });
    expect(orphanedEvents.map((e) => e.target)).toEqual([base.id]);

    // The other host has not reported for longer than stale_seconds (60 s by default): orphaned too.
    expect(await b().pipelines.recoverOrphans(now + 60_001)).toEqual([remote.id]);
    expect(step(await b().pipelines.get(remote.id), 'two').error).toContain('another-host:4242');
    expect((await b().pipelines.get(alive.id)).state).toBe('running');

    writeFileSync(inHome('ready'), '');
    await b().pipelines.resume(base.id, 'test');
    const finished = await b().pipelines.waitFor(base.id, undefined, 50);
    expect(finished.state).toBe('succeeded');
    expect(finished.executor).toBe(`inprocess:${hostname()}:${process.pid}`);
    expect(step(finished, 'one').attempts).toBe(1);
    expect(step(finished, 'two')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(step(finished, 'three').state).toBe('succeeded');
  });

  it('tracks each run: experiment pipeline:<name>, params, per-step durations and numeric outputs', async () => {
    const done = await run(
      `
name: tracked
params:
  rows: 10
  label: diagnosis
steps:
  - id: prepare
    run: |
      sleep 0.2; echo '{"rows": \${{ params.rows }}, "share": 0.25, "note": "text"}' > "$BERTH_OUTPUT"
  - id: score
    needs: prepare
    run: |
      echo '{"accuracy": 0.93}' > "$BERTH_OUTPUT"
`,
      { rows: '40' },
    );
    expect(done.state).toBe('succeeded');
    expect(done.tracking_run_id).toBeTruthy();
    const experiment = await b().tracking.getExperimentByName('pipeline:tracked');
    const tracking = await closedTrackingRun(done.tracking_run_id!);
    expect(tracking.info.experiment_id).toBe(experiment.experiment_id);
    expect(tracking.info.status).toBe('FINISHED');
    expect(tracking.info.user_id).toBe('test');
    expect(tracking.info.end_time).toBeGreaterThan(0);
    expect(Object.fromEntries(tracking.data.params.map((p) => [p.key, p.value]))).toEqual({ rows: '40', label: 'diagnosis' });
    expect(tracking.data.tags).toEqual(expect.arrayContaining([
      { key: 'berth.pipeline', value: 'tracked' },
      { key: 'berth.pipeline_run', value: done.id },
      { key: 'berth.pipeline_state', value: 'succeeded' },
    ]));
    const metrics = Object.fromEntries(tracking.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics['prepare.rows']).toBe(40);
    expect(metrics['prepare.share']).toBe(0.25);
    expect(metrics['score.accuracy']).toBe(0.93);
    expect(metrics['prepare.attempts']).toBe(1);
    expect(metrics['prepare.note']).toBeUndefined();
    expect(metrics['prepare.duration_s']).toBeGreaterThanOrEqual(0.2);
    expect(metrics['prepare.duration_s']).toBeCloseTo(step(done, 'prepare').duration_ms! / 1000, 6);
    expect(metrics['score.duration_s']).toBeGreaterThanOrEqual(0);
    // A second run of the same pipeline lands in the same experiment.
    const second = await run('name: tracked\nsteps:\n  - id: only\n    run: "true"\n');
    expect((await b().tracking.getRun(second.tracking_run_id!)).info.experiment_id).toBe(experiment.experiment_id);
  });

  it('runs the built-ins end to end: train, evaluate, promote; refuses an unknown with argument', async () => {
    const done = await run(`
name: bc-release
steps:
  - id: train
    uses: train
    with:
      data: ${BC_CSV}
      label: diagnosis
      model: bc
  - id: evaluate
    needs: train
    uses: evaluate
    with:
      model: bc
      version: \${{ steps.train.outputs.version }}
      data: ${BC_CSV}
      label: diagnosis
  - id: promote
    needs: evaluate
    uses: promote
    with:
      model: bc
      version: \${{ steps.train.outputs.version }}
`);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    const version = step(done, 'train').outputs.version;
    expect(version).toBe(1);
    expect((await b().registry.getVersion('bc', 1)).version).toBe(1);
    expect((await b().registry.resolveVersion('bc', { alias: 'production' })).version).toBe(version);
    expect(step(done, 'evaluate').outputs).toMatchObject({ version: 1, evaluated: BC_ROWS, refused: 0 });
    expect(step(done, 'evaluate').outputs.accuracy).toBeGreaterThan(0.9);
    expect(step(done, 'promote').outputs).toMatchObject({ alias: 'production', version: 1 });
    // The built-ins' log is what they report.
    const [promoteLog] = await b().pipelines.logs(done.id, 'promote');
    expect(promoteLog!.log).toContain('bc@production');

    const bad = await run(`
name: bad-builtin
steps:
  - id: promote
    uses: promote
    with:
      model: bc
      version: 1
      colour: red
`);
    expect(bad.state).toBe('failed');
    expect(step(bad, 'promote').state).toBe('failed');
    expect(step(bad, 'promote').error).toContain('unknown argument with.colour');
    expect(bad.error).toContain('with.colour');
  });

  it('batch-predicts a CSV with a registered version into JSONL, one line per row', async () => {
    await b().registry.registerVersion({ model: 'bc', file: fixtureModel('breast_cancer_v1.onnx'), card: readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8') }, 'test');
    await b().registry.promote('bc', 1, 'test', {});
    const done = await run(`
name: bc-score
steps:
  - id: predict
    uses: batch-predict
    with:
      model: bc
      alias: production
      data: ${BC_CSV}
      output: out/predictions.jsonl
`);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    const output = inHome('out/predictions.jsonl');
    expect(step(done, 'predict').outputs).toMatchObject({ version: 1, rows: BC_ROWS, predicted: BC_ROWS, refused: 0, output });
    const lines = readFileSync(output, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(BC_ROWS);
    expect(lines.map((l) => l.row)).toEqual([...Array(BC_ROWS).keys()]);
    expect(lines.every((l) => l.error === undefined && l.label !== undefined)).toBe(true);
  });
});
