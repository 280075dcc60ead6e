import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { parsePipeline, startPipelineSchedules } from '../../src/pipelines/index.js';
import { startBerth } from '../helpers/berth-process.js';
import { storeTargets } from '../helpers/targets.js';

const targets = storeTargets();

describe('pipeline schedules', () => {
  let berth: Berth | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await berth?.close();
    await cleanup?.();
  });

  it('starts a run of a scheduled pipeline file on every tick, and no more once stopped', async () => {
    const made = targets[0]!.make();
    cleanup = made.cleanup;
    // Steps run in this process whichever the engine: the test is about the clock, not about workers.
    berth = await openBerth(loadConfig({ env: { ...made.env, BERTH_PIPELINE_EXECUTOR: 'inprocess' }, cwd: made.config.home }).config);
    const file = path.join(made.config.home, 'tick.yaml');
    writeFileSync(file, 'name: tick\nschedule: "* * * * * *"\nsteps:\n  - id: hello\n    run: echo tick\n');
    const started: string[] = [];
    const scheduled = startPipelineSchedules(berth.pipelines, ['tick.yaml'], made.config.home, { onStart: (_, id) => started.push(id) });
    expect(scheduled.schedules).toEqual([expect.objectContaining({ pipeline: 'tick', cron: '* * * * * *', file })]);
    await sleep(2600);
    scheduled.stop();
    expect(started.length).toBeGreaterThanOrEqual(2);
    const count = started.length;
    await sleep(1200);
    expect(started.length).toBe(count);
    for (const id of started) {
      const run = await berth.pipelines.waitFor(id);
      expect(run).toMatchObject({ state: 'succeeded', trigger: 'schedule' });
    }
  });
});

const startWorker = (env: NodeJS.ProcessEnv, cwd: string) => {
  const worker = startBerth(['worker', '--concurrency', '2'], env, cwd, /berth worker (\S+) taking pipeline steps/);
  return { child: worker.child, id: worker.ready, output: worker.output };
};

const postgres = targets.find((t) => t.engine === 'postgres');

describe.skipIf(!postgres)('pg-boss workers (postgres)', () => {
  const children: ChildProcess[] = [];
  let berth: Berth | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await berth?.close();
    await cleanup?.();
  });

  it('two workers share the steps; a worker killed mid-step leaves a run that is failed as orphaned and resumes', { timeout: 120_000 }, async () => {
    const made = postgres!.make();
    cleanup = made.cleanup;
    const env = { ...process.env, ...made.env, BERTH_LOG_LEVEL: 'warn' };
    // The test process only queues steps: it is not a worker.
    berth = await openBerth(loadConfig({ env: made.env, cwd: made.config.home }).config);
    expect(berth.pipelines.queueKind).toBe('queue');
    const a = startWorker(env, made.config.home);
    const b = startWorker(env, made.config.home);
    children.push(a.child, b.child);
    const ids = await Promise.race([Promise.all([a.id, b.id]), sleep(30_000).then(() => { throw new Error(`workers did not start: ${a.output()} ${b.output()}`); })]);
    const outputs: Array<() => string> = [a.output, b.output];
    /** The run once it ends; a run still going after `ms` fails the test with its state and the workers' output. */
    const settle = (id: string, ms = 30_000) =>
      Promise.race([
        berth!.pipelines.waitFor(id),
        sleep(ms).then(async () => {
          throw new Error(`run ${id} did not end: ${JSON.stringify(await berth!.pipelines.get(id))}\n${outputs.map((o) => o()).join('\n---\n')}`);
        }),
      ]);

    /** Any other wait that outlives `ms` fails the test saying which, with the run and the workers' output. */
    const within = <T>(what: string, promise: Promise<T>, runId?: string, ms = 30_000): Promise<T> =>
      Promise.race([
        promise,
        sleep(ms).then(async () => {
          throw new Error(`${what} took over ${ms} ms: ${runId ? JSON.stringify(await berth!.pipelines.get(runId)) : ''}\n${outputs.map((o) => o()).join('\n---\n')}`);
        }),
      ]);

    const wide = parsePipeline(`name: wide\nsteps:\n${Array.from({ length: 6 }, (_, i) => `  - id: s${i}\n    run: sleep 1\n`).join('')}`);
    const run = await settle((await berth.pipelines.start(wide, { source: 'test', baseDir: made.config.home, actor: 'test' })).id);
    expect(run.state).toBe('succeeded');
    const executors = new Set(run.steps.map((s) => s.executed_by));
    expect(executors).toEqual(new Set(ids));

    // kill -9 the worker running the long step: the survivor's orphan check fails it (its pid is gone).
    b.child.kill('SIGKILL');
    await new Promise((resolve) => b.child.once('exit', resolve));
    const marker = path.join(made.config.home, 'second-time');
    const long = parsePipeline(`name: long
steps:
  - id: first
    run: echo one
  - id: slow
    needs: [first]
    run: |
      if [ -f ${marker} ]; then echo resumed; exit 0; fi
      touch ${marker}
      sleep 60
`);
    const started = await within('start', berth.pipelines.start(long, { source: 'test', baseDir: made.config.home, actor: 'test' }));
    // Killed once the command runs (its marker exists), not between the claim and the spawn.
    for (let i = 0; i < 200 && !existsSync(marker); i++) await sleep(100);
    expect(existsSync(marker)).toBe(true);
    const running = await berth.pipelines.get(started.id);
    expect(running.steps[1]!.state).toBe('running');
    expect(running.steps[1]!.executed_by).toBe(ids[0]);
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    const c = startWorker(env, made.config.home);
    children.push(c.child);
    outputs.push(c.output);
    await within('the third worker to start', c.id, started.id);
    // A new worker recovers orphans when it starts.
    const orphaned = await settle(started.id);
    expect(orphaned.state).toBe('failed');
    expect(orphaned.steps[1]!.error).toMatch(/orphaned/);
    expect(orphaned.steps[0]!.state).toBe('succeeded');

    await within('resume', berth.pipelines.resume(started.id, 'test'), started.id);
    const resumed = await settle(started.id);
    expect(resumed.state).toBe('succeeded');
    expect(resumed.steps[0]!.attempts).toBe(1);
    expect(resumed.steps[1]!.attempts).toBe(2);
    const logs = await within('logs', berth.pipelines.logs(started.id, 'slow'), started.id);
    expect(logs.map((l) => l.state)).toEqual(['failed', 'succeeded']);
    expect(logs[1]!.log).toContain('resumed');
  });
});
