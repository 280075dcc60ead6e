import { Command } from 'commander';
import { openBerth, type Berth } from '../../context/index.js';
import type { PipelineState } from '../../store/index.js';
import { readPipelineFile, type PipelineRunView } from '../../pipelines/index.js';
import { globals, loadCliConfig, localActor, output, requireLocal, withBerth } from '../context.js';
import { collect, parsePairs, shortTime, type Output } from '../output.js';

const STATES: PipelineState[] = ['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const MARK: Record<PipelineState, string> = { pending: '·', queued: '…', running: '▶', succeeded: '✓', failed: '✗', skipped: '-', cancelled: '⊘' };

function seconds(ms: number | null): string {
  return ms === null ? '' : `${(ms / 1000).toFixed(1)}s`;
}

function printRun(out: Output, run: PipelineRunView): void {
  out.line(`run ${run.id}  pipeline ${run.pipeline}  ${run.state}${run.error ? `: ${run.error}` : ''}`);
  out.line(`trigger ${run.trigger}, by ${run.created_by}, created ${shortTime(run.created_at)}${run.tracking_run_id ? `, tracking run ${run.tracking_run_id}` : ''}`);
  if (Object.keys(run.params).length) out.line(`params ${JSON.stringify(run.params)}`);
  out.table(
    ['step', 'state', 'attempts', 'took', 'outputs / error'],
    run.steps.map((s) => [s.id, `${MARK[s.state]} ${s.state}`, s.attempts, seconds(s.duration_ms), s.error ?? (Object.keys(s.outputs).length ? JSON.stringify(s.outputs).slice(0, 120) : '')]),
  );
}

/** Prints a line per step state change while waiting for the run; returns the finished run. */
async function follow(berth: Berth, out: Output, runId: string): Promise<PipelineRunView> {
  const seen = new Map<string, string>();
  let waitingSince = Date.now();
  let hinted = false;
  const stopEvents = berth.pipelines.onEvent((event) => {
    if (out.json) return;
    if (event.type === 'retry') out.line(`  ${event.stepId}: attempt ${event.attempt} failed (${event.error}); retrying in ${(event.delayMs / 1000).toFixed(1)}s`);
    if (event.type === 'log') for (const line of event.chunk.split('\n').filter(Boolean)) out.line(`  ${event.stepId} | ${line}`);
  });
  try {
    return await berth.pipelines.waitFor(runId, (run) => {
      if (out.json) return;
      for (const s of run.steps) {
        const key = `${s.state}:${s.attempts}`;
        if (seen.get(s.id) === key) continue;
        seen.set(s.id, key);
        if (s.state === 'pending') continue;
        waitingSince = Date.now();
        const detail = s.state === 'running' ? `attempt ${s.attempts}` : s.state === 'succeeded' ? seconds(s.duration_ms) : (s.error ?? '');
        out.line(`${MARK[s.state]} ${s.id} ${s.state}${detail ? ` (${detail})` : ''}`);
      }
      if (!hinted && berth.pipelines.queueKind === 'queue' && run.steps.some((s) => s.state === 'queued') && Date.now() - waitingSince > 5000) {
        hinted = true;
        out.line('  (steps wait for a worker: start one with `berth worker` against the same database)');
      }
    });
  } finally {
    stopEvents();
  }
}

export function pipelineCommand(): Command {
  const cmd = new Command('pipeline').description('run pipelines (YAML steps: shell commands and built-ins, a DAG with retries, timeouts and outputs)');

  cmd
    .command('run')
    .description('start a run of a pipeline file and show its progress until it ends')
    .argument('<file>', 'pipeline YAML')
    .option('-p, --param <k=v>', 'override a declared param (repeatable)', collect)
    .option('--detach', 'print the run id and return without waiting')
    .action(async (file: string, opts: { param?: string[]; detach?: boolean }, command: Command) => {
      requireLocal(command, 'pipeline run');
      const out = output(command);
      const { spec, baseDir, source } = readPipelineFile(file);
      const params = parsePairs(opts.param, 'param');
      await withBerth(command, async (berth) => {
        const started = await berth.pipelines.start(spec, { params, source, baseDir, trigger: 'manual', actor: localActor() });
        if (!out.json) out.line(`run ${started.id} of pipeline ${spec.name} (${berth.pipelines.queueKind === 'queue' ? 'steps go to workers through pg-boss' : 'steps run in this process'})`);
        if (opts.detach) {
          if (berth.pipelines.queueKind === 'inprocess') throw new Error('--detach needs a worker to run the steps: it works with the pg-boss executor (Postgres); on SQLite the run lives in this process');
          out.result(started, () => undefined);
          return;
        }
        const run = await follow(berth, out, started.id);
        out.result(run, () => printRun(out, run));
        if (run.state !== 'succeeded') process.exitCode = 1;
      });
    });

  cmd
    .command('runs')
    .description('list pipeline runs, newest first')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--state <state>', `only runs in this state (${STATES.join(', ')})`)
    .option('-n, --limit <n>', 'at most this many', '50')
    .action(async (opts: { pipeline?: string; state?: string; limit: string }, command: Command) => {
      requireLocal(command, 'pipeline runs');
      const out = output(command);
      if (opts.state !== undefined && !STATES.includes(opts.state as PipelineState)) throw new Error(`--state must be one of ${STATES.join(', ')}, got '${opts.state}'`);
      const runs = await withBerth(command, (berth) => berth.pipelines.list({ pipeline: opts.pipeline, state: opts.state as PipelineState | undefined, limit: Number(opts.limit) }));
      out.result(runs, () =>
        out.table(
          ['run', 'pipeline', 'state', 'trigger', 'created', 'steps'],
          runs.map((r) => [r.id, r.pipeline, r.state, r.trigger, shortTime(r.created_at), r.steps.map((s) => `${MARK[s.state]}${s.id}`).join(' ')]),
        ),
      );
    });

  cmd
    .command('show')
    .description('a run: its params, steps, attempts, outputs and errors')
    .argument('<run>', 'run id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      requireLocal(command, 'pipeline show');
      const out = output(command);
      const run = await withBerth(command, (berth) => berth.pipelines.get(id));
      out.result(run, () => printRun(out, run));
    });

  cmd
    .command('logs')
    .description('the captured logs of a run, attempt by attempt')
    .argument('<run>', 'run id')
    .option('-s, --step <id>', 'only this step')
    .action(async (id: string, opts: { step?: string }, command: Command) => {
      requireLocal(command, 'pipeline logs');
      const out = output(command);
      const attempts = await withBerth(command, (berth) => berth.pipelines.logs(id, opts.step));
      out.result(attempts, () => {
        for (const a of attempts) {
          out.line(`── ${a.step} attempt ${a.attempt}: ${a.state}${a.error ? ` (${a.error})` : ''} ──`);
          if (a.log) process.stdout.write(a.log.endsWith('\n') ? a.log : `${a.log}\n`);
        }
      });
    });

  cmd
    .command('cancel')
    .description('cancel a run: running steps are stopped, pending ones never start')
    .argument('<run>', 'run id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      requireLocal(command, 'pipeline cancel');
      const out = output(command);
      const run = await withBerth(command, (berth) => berth.pipelines.cancel(id, localActor()));
      out.result(run, () => out.line(`cancel requested for run ${id}: ${run.state}`));
    });

  cmd
    .command('resume')
    .description('run a failed or cancelled run again from its first unfinished step')
    .argument('<run>', 'run id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      requireLocal(command, 'pipeline resume');
      const out = output(command);
      await withBerth(command, async (berth) => {
        await berth.pipelines.resume(id, localActor());
        const run = await follow(berth, out, id);
        out.result(run, () => printRun(out, run));
        if (run.state !== 'succeeded') process.exitCode = 1;
      });
    });

  return cmd;
}

/** `berth worker`: takes pipeline steps from pg-boss until stopped (SIGINT/SIGTERM finish running steps first). */
export function workerCommand(): Command {
  return new Command('worker')
    .description('execute pipeline steps queued in Postgres (pg-boss); run several on several machines to share the work')
    .option('--concurrency <n>', 'steps at once (default pipelines.concurrency)')
    .action(async (opts: { concurrency?: string }, command: Command) => {
      requireLocal(command, 'worker');
      const { config } = loadCliConfig(globals(command));
      const berth = await openBerth(config);
      if (berth.pipelines.queueKind !== 'queue') {
        await berth.close();
        throw new Error('berth worker takes steps from pg-boss: set BERTH_DATABASE_URL to a Postgres database (on SQLite, steps run in the process that starts the run)');
      }
      const orphaned = await berth.pipelines.recoverOrphans();
      if (orphaned.length) process.stderr.write(`marked ${orphaned.length} orphaned run(s) failed: ${orphaned.join(', ')}\n`);
      const concurrency = opts.concurrency !== undefined ? Number(opts.concurrency) : config.pipelines.concurrency;
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency expects a positive integer, got '${opts.concurrency}'`);
      berth.pipelines.onEvent((event) => {
        if (event.type === 'attempt') process.stdout.write(`${new Date().toISOString()} ${event.runId} ${event.stepId}: attempt ${event.attempt}\n`);
        if (event.type === 'retry') process.stdout.write(`${new Date().toISOString()} ${event.runId} ${event.stepId}: attempt ${event.attempt} failed (${event.error}), retry in ${event.delayMs} ms\n`);
      });
      await berth.pipelines.startWorking(concurrency);
      process.stdout.write(`berth worker ${berth.pipelines.owner} taking pipeline steps (concurrency ${concurrency})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await berth.close();
    });
}
