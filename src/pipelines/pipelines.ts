import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { Database, Engine, PipelineState, PipelineStepsTable } from '../store/index.js';
import { experimentId } from '../evaluation/index.js';
import type { TrackingStore } from '../tracking/index.js';
import { parseDuration } from './durations.js';
import { evaluateCondition, interpolate, interpolateValue, type ExpressionContext } from './expressions.js';
import type { JobQueue, StepJob } from './job-queue.js';
import { MAX_ATTEMPT_LOG_BYTES, PipelineStore, runView, TERMINAL_STATES, type AttemptView, type PipelineRunView, type StoredRun } from './pipeline-store.js';
import { runShellStep } from './shell-step.js';
import { parsePipeline, retryDelayMs, type BuiltinStep, type PipelineSpec, type StepSpec } from './spec.js';

/** What a built-in step (`uses:`) gets besides its `with` arguments. */
export interface BuiltinContext {
  runId: string;
  stepId: string;
  attempt: number;
  pipeline: string;
  /** A folder of this run for files the step writes (assembled data, predictions). */
  workDir: string;
  /** The pipeline file's folder: relative paths in `with` resolve against it. */
  baseDir: string;
  trackingRunId: string | null;
  actor: string;
  signal: AbortSignal;
  log(line: string): void;
}

export type BuiltinStepRunner = (uses: BuiltinStep, args: Record<string, unknown>, ctx: BuiltinContext) => Promise<Record<string, unknown>>;

export interface PipelinesOptions {
  db: Kysely<Database>;
  engine: Engine;
  tracking: TrackingStore;
  queue: JobQueue;
  builtins: BuiltinStepRunner;
  /** Runs' work folders live under `<home>/pipelines/<run id>`. */
  home: string;
  /** How often a process executing steps proves it is alive (ms). */
  heartbeatMs?: number;
  /** A heartbeat older than this marks the step's executor dead (ms). */
  staleMs?: number;
}

export interface StartOptions {
  /** Overrides of the pipeline's declared params, as given on the command line. */
  params?: Record<string, string | number | boolean> | undefined;
  /** The pipeline file (or `builtin:...`), shown in listings. */
  source: string;
  /** Where relative paths of the pipeline resolve. */
  baseDir: string;
  trigger?: string | undefined;
  actor: string;
}

/** Live events of steps this process executes (the CLI prints them). */
export type PipelineEvent =
  | { type: 'attempt'; runId: string; stepId: string; attempt: number }
  | { type: 'retry'; runId: string; stepId: string; attempt: number; delayMs: number; error: string }
  | { type: 'log'; runId: string; stepId: string; chunk: string };

export const PIPELINES_EXPERIMENT_PREFIX = 'pipeline:';

const CANCEL_POLL_MS = 1000;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Postgres text cannot hold NUL; a command printing one must not fail the write of its own log. */
function storable<T extends string | null>(text: T): T {
  return (text === null ? text : text.replace(/\u0000/g, '\uFFFD')) as T;
}

/** Parses `--param k=v` values into the declared param's type; undeclared names are refused. */
export function resolveParams(spec: PipelineSpec, overrides: Record<string, string | number | boolean> = {}): Record<string, unknown> {
  const declared = spec.params ?? {};
  const params: Record<string, unknown> = { ...declared };
  for (const [key, raw] of Object.entries(overrides)) {
    if (!(key in declared)) {
      throw new BerthError('invalid_input', `param '${key}' is not declared by pipeline '${spec.name}' (declared: ${Object.keys(declared).join(', ') || 'none'})`, { param: key });
    }
    const kind = typeof declared[key];
    if (typeof raw !== 'string' || kind === 'string') {
      params[key] = kind === 'string' ? String(raw) : raw;
    } else if (kind === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new BerthError('invalid_input', `param '${key}': expected a number, got ${describeValue(raw)}`, { param: key });
      params[key] = n;
    } else if (raw === 'true' || raw === 'false') {
      params[key] = raw === 'true';
    } else {
      throw new BerthError('invalid_input', `param '${key}': expected true or false, got ${describeValue(raw)}`, { param: key });
    }
  }
  return params;
}

/** Reads and validates a pipeline file; its folder is where its relative paths resolve. */
export function readPipelineFile(file: string): { spec: PipelineSpec; baseDir: string; source: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BerthError('invalid_input', `cannot read pipeline file ${file}: ${errorText(err)}`);
  }
  return { spec: parsePipeline(text, file), baseDir: path.dirname(path.resolve(file)), source: path.resolve(file) };
}

function ownerAlive(owner: string): boolean | undefined {
  const at = owner.lastIndexOf(':');
  const host = owner.slice(0, at);
  const pid = Number(owner.slice(at + 1));
  if (host !== hostname() || !Number.isInteger(pid)) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Pipeline runs: a DAG of steps whose state lives in the store. `advance` decides which steps are ready
 * (needs succeeded, `if` true) and queues them; whoever takes a step (this process, or a `berth worker`
 * through pg-boss) executes its attempts, records them, then advances the run again. Each run is also a
 * tracking run (params, per-step durations and numeric outputs as metrics).
 */
export class Pipelines {
  readonly store: PipelineStore;
  readonly owner = `${hostname()}:${process.pid}`;
  private readonly finishedListeners: Array<(run: PipelineRunView) => Promise<void> | void> = [];
  private readonly eventListeners: Array<(event: PipelineEvent) => void> = [];
  private readonly executing = new Map<string, AbortController>();
  private readonly ownedRuns = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private working = false;

  constructor(private readonly options: PipelinesOptions) {
    this.store = new PipelineStore(options.db);
  }

  get queueKind(): 'inprocess' | 'queue' {
    return this.options.queue.kind;
  }

  onRunFinished(listener: (run: PipelineRunView) => Promise<void> | void): () => void {
    this.finishedListeners.push(listener);
    return () => this.finishedListeners.splice(this.finishedListeners.indexOf(listener), 1);
  }

  onEvent(listener: (event: PipelineEvent) => void): () => void {
    this.eventListeners.push(listener);
    return () => this.eventListeners.splice(this.eventListeners.indexOf(listener), 1);
  }

  private emit(event: PipelineEvent): void {
    for (const l of this.eventListeners) l(event);
  }

  /** Takes steps from the queue (in-process runs always; queued runs when this process is a worker). */
  async startWorking(concurrency = 2): Promise<void> {
    if (this.working) return;
    this.working = true;
    await this.options.queue.work((job) => this.executeStep(job), concurrency);
    this.timer ??= setInterval(() => void this.heartbeat().catch(() => undefined), this.options.heartbeatMs ?? 5000);
    this.timer.unref();
  }

  /**
   * Takes steps once there is work: at once when this process starts a run, else when a queued step
   * shows up (checked every `checkMs`). Keeps a server that never runs pipelines from starting pg-boss.
   */
  workWhenNeeded(concurrency: number, checkMs = 5000): () => void {
    this.lazyConcurrency = concurrency;
    const timer = setInterval(() => {
      if (this.working) return clearInterval(timer);
      void this.options.db
        .selectFrom('pipeline_steps')
        .select('run_id')
        .where('state', '=', 'queued')
        .limit(1)
        .executeTakeFirst()
        .then((row) => (row ? this.startWorking(concurrency) : undefined))
        .catch(() => undefined);
    }, checkMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private lazyConcurrency: number | undefined;

  async start(spec: PipelineSpec, options: StartOptions): Promise<PipelineRunView> {
    if (this.lazyConcurrency !== undefined && !this.working) await this.startWorking(this.lazyConcurrency);
    const params = resolveParams(spec, options.params);
    const id = crypto.randomUUID();
    const now = Date.now();
    const trackingRunId = await this.openTrackingRun(spec, id, params, options);
    const executor = this.options.queue.kind === 'inprocess' ? `inprocess:${this.owner}` : 'queue';
    await this.options.db.transaction().execute(async (tx) => {
      await this.store.insertRun(
        tx,
        {
          id,
          pipeline: spec.name,
          state: 'pending',
          spec: JSON.stringify(spec),
          params: JSON.stringify(params),
          source: options.source.slice(0, 1024),
          base_dir: options.baseDir.slice(0, 1024),
          trigger: (options.trigger ?? 'manual').slice(0, 64),
          tracking_run_id: trackingRunId,
          error: null,
          created_by: options.actor,
          created_at: now,
          started_at: null,
          ended_at: null,
          cancel_requested: 0,
          executor,
          heartbeat_at: now,
        },
        spec.steps,
      );
      await recordAudit(tx, { actor: options.actor, action: 'pipeline.start', targetType: 'pipeline_run', target: id, after: { pipeline: spec.name, params, trigger: options.trigger ?? 'manual' } });
    });
    if (executor !== 'queue') this.ownedRuns.add(id);
    await this.advance(id);
    return this.get(id);
  }

  async get(id: string): Promise<PipelineRunView> {
    return runView(await this.store.load(this.options.db, id));
  }

  list(filter: { pipeline?: string | undefined; state?: PipelineState | undefined; limit?: number | undefined } = {}): Promise<PipelineRunView[]> {
    return this.store.list(filter);
  }

  async logs(id: string, step?: string): Promise<AttemptView[]> {
    const run = await this.get(id);
    if (step !== undefined && !run.steps.some((s) => s.id === step)) throw new BerthError('not_found', `pipeline run '${id}' has no step '${step}' (steps: ${run.steps.map((s) => s.id).join(', ')})`);
    return this.store.attempts(id, step);
  }

  /** Asks every process executing the run to stop; pending steps are cancelled once running ones stop. */
  async cancel(id: string, actor: string): Promise<PipelineRunView> {
    await this.options.db.transaction().execute(async (tx) => {
      await this.store.lock(tx, id, this.options.engine);
      const run = await this.store.load(tx, id);
      if (TERMINAL_STATES.has(run.row.state)) throw new BerthError('conflict', `pipeline run '${id}' already ended (${run.row.state})`);
      await tx.updateTable('pipeline_runs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
      await recordAudit(tx, { actor, action: 'pipeline.cancel', targetType: 'pipeline_run', target: id });
    });
    this.executing.forEach((controller, key) => {
      if (key.startsWith(`${id}/`)) controller.abort();
    });
    await this.advance(id);
    return this.get(id);
  }

  /** Runs a failed or cancelled run again from its first unfinished step; succeeded steps keep their outputs. */
  async resume(id: string, actor: string): Promise<PipelineRunView> {
    const executor = this.options.queue.kind === 'inprocess' ? `inprocess:${this.owner}` : 'queue';
    let trackingRunId: string | null = null;
    await this.options.db.transaction().execute(async (tx) => {
      await this.store.lock(tx, id, this.options.engine);
      const run = await this.store.load(tx, id);
      if (run.row.state !== 'failed' && run.row.state !== 'cancelled') {
        throw new BerthError('conflict', `pipeline run '${id}' is ${run.row.state}; only a failed or cancelled run can be resumed`);
      }
      trackingRunId = run.row.tracking_run_id;
      await tx
        .updateTable('pipeline_steps')
        .set({ state: 'pending', error: null, owner: null, heartbeat_at: null, ended_at: null })
        .where('run_id', '=', id)
        .where('state', '!=', 'succeeded')
        .execute();
      await tx.updateTable('pipeline_runs').set({ state: 'running', error: null, ended_at: null, cancel_requested: 0, executor, heartbeat_at: Date.now() }).where('id', '=', id).execute();
      await recordAudit(tx, { actor, action: 'pipeline.resume', targetType: 'pipeline_run', target: id });
    });
    if (trackingRunId) await this.options.tracking.updateRun(trackingRunId, { status: 'RUNNING' }).catch(() => undefined);
    if (executor !== 'queue') this.ownedRuns.add(id);
    await this.advance(id);
    return this.get(id);
  }

  /** Polls the run until it ends; `onUpdate` sees every change of a step's state or attempt count. */
  async waitFor(id: string, onUpdate?: (run: PipelineRunView) => void, pollMs = 200): Promise<PipelineRunView> {
    let last = '';
    for (;;) {
      const run = await this.get(id);
      const signature = run.steps.map((s) => `${s.state}:${s.attempts}`).join('|') + run.state;
      if (signature !== last) {
        last = signature;
        onUpdate?.(run);
      }
      if (TERMINAL_STATES.has(run.state)) return run;
      await sleep(pollMs);
    }
  }

  /**
   * Moves the run forward: skips steps whose needs did not succeed or whose `if` is false, queues the
   * ready ones, and ends the run when nothing is left. Under the run's lock, so two workers finishing
   * steps at once never queue the same step twice.
   */
  async advance(id: string): Promise<void> {
    const queued: StepJob[] = [];
    let finished: StoredRun | undefined;
    await this.options.db.transaction().execute(async (tx) => {
      await this.store.lock(tx, id, this.options.engine);
      const run = await this.store.load(tx, id);
      if (TERMINAL_STATES.has(run.row.state)) return;
      const now = Date.now();
      const states = new Map(run.steps.map((s) => [s.step_id, s]));
      const set = async (step: PipelineStepsTable, state: PipelineState, error: string | null) => {
        step.state = state;
        step.error = error;
        await tx.updateTable('pipeline_steps').set({ state, error, ...(state !== 'queued' ? { ended_at: now } : {}) }).where('run_id', '=', id).where('step_id', '=', step.step_id).execute();
      };
      let changed = true;
      while (changed) {
        changed = false;
        for (const spec of run.spec.steps) {
          const step = states.get(spec.id)!;
          // A cancel also stops queued steps (waiting for a slot or a worker): their claim then fails.
          if (step.state !== 'pending' && !(step.state === 'queued' && run.row.cancel_requested)) continue;
          if (run.row.cancel_requested) {
            await set(step, 'cancelled', 'the run was cancelled');
            changed = true;
            continue;
          }
          const blocked = spec.needs.find((n) => ['failed', 'cancelled', 'skipped'].includes(states.get(n)!.state));
          if (blocked) {
            await set(step, 'skipped', `needs '${blocked}', which ${states.get(blocked)!.state === 'skipped' ? 'was skipped' : states.get(blocked)!.state}`);
            changed = true;
            continue;
          }
          if (!spec.needs.every((n) => states.get(n)!.state === 'succeeded')) continue;
          let run_it = true;
          if (spec.if !== undefined) {
            try {
              run_it = evaluateCondition(spec.if, this.context(run, states, spec, step.attempts + 1));
            } catch (err) {
              await set(step, 'failed', `if: ${errorText(err)}`);
              changed = true;
              continue;
            }
          }
          if (!run_it) {
            await set(step, 'skipped', `if is false: ${spec.if}`);
            changed = true;
            continue;
          }
          await set(step, 'queued', null);
          queued.push({ runId: id, stepId: spec.id });
        }
      }
      const all = [...states.values()];
      if (all.some((s) => s.state === 'pending' || s.state === 'queued' || s.state === 'running')) {
        if (run.row.state === 'pending') await tx.updateTable('pipeline_runs').set({ state: 'running', started_at: now }).where('id', '=', id).execute();
        return;
      }
      const failed = all.find((s) => s.state === 'failed');
      const state: PipelineState = failed ? 'failed' : run.row.cancel_requested || all.some((s) => s.state === 'cancelled') ? 'cancelled' : 'succeeded';
      const error = failed ? `step '${failed.step_id}' failed: ${failed.error ?? 'unknown error'}` : state === 'cancelled' ? 'cancelled' : null;
      await tx.updateTable('pipeline_runs').set({ state, error, ended_at: now, started_at: run.row.started_at ?? now }).where('id', '=', id).execute();
      finished = await this.store.load(tx, id);
    });
    for (const job of queued) await this.options.queue.send(job);
    if (finished) await this.finish(finished);
  }

  private async finish(stored: StoredRun): Promise<void> {
    this.ownedRuns.delete(stored.row.id);
    const view = runView(stored);
    if (stored.row.tracking_run_id) await this.closeTrackingRun(stored.row.tracking_run_id, view).catch(() => undefined);
    for (const listener of this.finishedListeners) {
      try {
        await listener(view);
      } catch (err) {
        process.emitWarning(`pipeline run ${view.id}: a finish listener failed: ${errorText(err)}`);
      }
    }
  }

  private context(run: StoredRun, states: Map<string, PipelineStepsTable>, step: StepSpec, attempt: number): ExpressionContext {
    const steps: ExpressionContext['steps'] = {};
    for (const [stepId, s] of states) steps[stepId] = { state: s.state, outputs: JSON.parse(s.outputs) as Record<string, unknown> };
    return { params: run.params, steps, env: { ...(run.spec.env ?? {}), ...(step.env ?? {}) }, run: { id: run.row.id, attempt } };
  }

  /** Executes one queued step: its attempts with retries and backoff, each recorded with its log. */
  async executeStep(job: StepJob): Promise<void> {
    const { runId, stepId } = job;
    const now = Date.now();
    const claimed = await this.options.db
      .updateTable('pipeline_steps')
      .set({ state: 'running', owner: this.owner, heartbeat_at: now, started_at: now, ended_at: null })
      .where('run_id', '=', runId)
      .where('step_id', '=', stepId)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return;
    const cancelRow = await this.options.db.selectFrom('pipeline_runs').select('cancel_requested').where('id', '=', runId).executeTakeFirst();
    if (!cancelRow || Number(cancelRow.cancel_requested) !== 0) {
      await this.options.db.updateTable('pipeline_steps').set({ state: 'cancelled', error: 'the run was cancelled', ended_at: Date.now() }).where('run_id', '=', runId).where('step_id', '=', stepId).execute();
      return void (await this.advance(runId));
    }
    const controller = new AbortController();
    const key = `${runId}/${stepId}`;
    this.executing.set(key, controller);
    const poll = setInterval(() => void this.pollStep(runId, stepId, controller).catch(() => undefined), CANCEL_POLL_MS);
    poll.unref();
    try {
      await this.runAttempts(runId, stepId, controller.signal);
    } catch (err) {
      await this.options.db
        .updateTable('pipeline_steps')
        .set({ state: 'failed', error: `internal error: ${errorText(err)}`, ended_at: Date.now() })
        .where('run_id', '=', runId)
        .where('step_id', '=', stepId)
        .execute();
    } finally {
      clearInterval(poll);
      this.executing.delete(key);
    }
    await this.advance(runId);
  }

  private async pollStep(runId: string, stepId: string, controller: AbortController): Promise<void> {
    const now = Date.now();
    await this.options.db.updateTable('pipeline_steps').set({ heartbeat_at: now }).where('run_id', '=', runId).where('step_id', '=', stepId).execute();
    const row = await this.options.db.selectFrom('pipeline_runs').select('cancel_requested').where('id', '=', runId).executeTakeFirst();
    if (!row || Number(row.cancel_requested) !== 0) controller.abort();
  }

  private async runAttempts(runId: string, stepId: string, signal: AbortSignal): Promise<void> {
    const run = await this.store.load(this.options.db, runId);
    const spec = run.spec.steps.find((s) => s.id === stepId);
    if (!spec) throw new Error(`step '${stepId}' is not in the run's pipeline`);
    const states = new Map(run.steps.map((s) => [s.step_id, s]));
    let attempt = states.get(stepId)!.attempts;
    const workDir = path.join(this.options.home, 'pipelines', runId);
    mkdirSync(workDir, { recursive: true });
    for (;;) {
      attempt += 1;
      const started = Date.now();
      await this.options.db.insertInto('pipeline_step_attempts').values({ run_id: runId, step_id: stepId, attempt, state: 'running', exit_code: null, error: null, log: '', started_at: started, ended_at: null }).execute();
      await this.options.db.updateTable('pipeline_steps').set({ attempts: attempt }).where('run_id', '=', runId).where('step_id', '=', stepId).execute();
      this.emit({ type: 'attempt', runId, stepId, attempt });
      const ctx = this.context(run, states, spec, attempt);
      const ran = await this.runAttempt(run, spec, ctx, attempt, workDir, signal);
      const result = { ...ran, log: storable(ran.log), error: storable(ran.error) };
      const state: PipelineState = result.ok ? 'succeeded' : result.cancelled ? 'cancelled' : 'failed';
      await this.options.db
        .updateTable('pipeline_step_attempts')
        .set({ state, exit_code: result.exitCode, error: result.error, log: result.log, ended_at: Date.now() })
        .where('run_id', '=', runId)
        .where('step_id', '=', stepId)
        .where('attempt', '=', attempt)
        .execute();
      const finish = (s: PipelineState, outputs: Record<string, unknown>, error: string | null) =>
        this.options.db
          .updateTable('pipeline_steps')
          .set({ state: s, outputs: JSON.stringify(outputs), error, ended_at: Date.now() })
          .where('run_id', '=', runId)
          .where('step_id', '=', stepId)
          .execute();
      if (result.ok) return void (await finish('succeeded', result.outputs, null));
      if (result.cancelled) return void (await finish('cancelled', {}, 'the run was cancelled'));
      const retries = spec.retries ?? 0;
      if (attempt - states.get(stepId)!.attempts > retries) return void (await finish('failed', {}, result.error));
      const delayMs = retryDelayMs(spec, attempt - states.get(stepId)!.attempts);
      this.emit({ type: 'retry', runId, stepId, attempt, delayMs, error: result.error ?? '' });
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        return void (await finish('cancelled', {}, 'the run was cancelled'));
      }
    }
  }

  private async runAttempt(
    run: StoredRun,
    spec: StepSpec,
    ctx: ExpressionContext,
    attempt: number,
    workDir: string,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; cancelled: boolean; exitCode: number | null; error: string | null; log: string; outputs: Record<string, unknown> }> {
    const timeoutMs = spec.timeout !== undefined ? parseDuration(spec.timeout, `steps.${spec.id}.timeout`) : undefined;
    const runId = run.row.id;
    const onLog = (chunk: string) => this.emit({ type: 'log', runId, stepId: spec.id, chunk });
    if (spec.run !== undefined) {
      let command: string;
      let env: Record<string, string>;
      try {
        command = interpolate(spec.run, ctx);
        env = Object.fromEntries(Object.entries({ ...(run.spec.env ?? {}), ...(spec.env ?? {}) }).map(([k, v]) => [k, interpolate(String(v), ctx)]));
      } catch (err) {
        return { ok: false, cancelled: false, exitCode: null, error: errorText(err), log: `${errorText(err)}\n`, outputs: {} };
      }
      for (const [k, v] of Object.entries(run.params)) env[`BERTH_PARAM_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = typeof v === 'string' ? v : JSON.stringify(v);
      env.BERTH_RUN_ID = runId;
      env.BERTH_STEP_ID = spec.id;
      env.BERTH_ATTEMPT = String(attempt);
      env.BERTH_WORK_DIR = workDir;
      const cwd = path.resolve(run.row.base_dir, run.spec.working_dir ?? '.', spec.working_dir ?? '.');
      const result = await runShellStep({
        command,
        cwd,
        env,
        outputFile: path.join(workDir, `${spec.id}.${attempt}.output.json`),
        timeoutMs,
        signal,
        maxLogBytes: MAX_ATTEMPT_LOG_BYTES,
        onLog,
      });
      const error = result.ok
        ? null
        : result.cancelled
          ? 'cancelled'
          : result.timedOut
            ? `timed out after ${spec.timeout}`
            : result.outputsError
              ? `outputs: ${result.outputsError}`
              : result.signal
                ? `killed by ${result.signal}`
                : `exit code ${result.exitCode}`;
      return { ok: result.ok, cancelled: result.cancelled, exitCode: result.exitCode, error, log: result.log, outputs: result.outputs };
    }
    // A built-in step: its log is what it reports; a timeout aborts it like a cancel, but counts as a failure.
    const lines: string[] = [];
    let size = 0;
    const log = (line: string) => {
      const text = `${line}\n`;
      size += text.length;
      lines.push(text);
      while (size > MAX_ATTEMPT_LOG_BYTES && lines.length > 1) size -= lines.shift()!.length;
      onLog(text);
    };
    const controller = new AbortController();
    const relay = () => controller.abort();
    signal.addEventListener('abort', relay, { once: true });
    let timedOut = false;
    const timer = timeoutMs !== undefined ? setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs) : undefined;
    try {
      const args = interpolateValue(spec.with ?? {}, ctx) as Record<string, unknown>;
      const work = this.options.builtins(spec.uses!, args, {
        runId,
        stepId: spec.id,
        attempt,
        pipeline: run.spec.name,
        workDir,
        baseDir: run.row.base_dir,
        trackingRunId: run.row.tracking_run_id,
        actor: `pipeline:${run.spec.name}`,
        signal: controller.signal,
        log,
      });
      const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      const outputs = await Promise.race([work, aborted]);
      log(`outputs: ${JSON.stringify(outputs)}`);
      return { ok: true, cancelled: false, exitCode: null, error: null, log: lines.join(''), outputs };
    } catch (err) {
      const cancelled = signal.aborted && !timedOut;
      const error = timedOut ? `timed out after ${spec.timeout}` : cancelled ? 'cancelled' : errorText(err);
      log(`error: ${error}`);
      return { ok: false, cancelled, exitCode: null, error, log: lines.join(''), outputs: {} };
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', relay);
    }
  }

  /**
   * Fails what a dead process left behind: a step whose executor is gone (same host, pid not running)
   * or silent for longer than `staleMs`, and in-process runs whose process is gone. Returns the runs touched.
   */
  async recoverOrphans(now = Date.now()): Promise<string[]> {
    const staleMs = this.options.staleMs ?? 60_000;
    const touched: string[] = [];
    for (const run of await this.store.active()) {
      if (this.ownedRuns.has(run.id)) continue;
      const steps = await this.options.db.selectFrom('pipeline_steps').selectAll().where('run_id', '=', run.id).execute();
      if (run.executor.startsWith('inprocess:')) {
        const owner = run.executor.slice('inprocess:'.length);
        const alive = owner === this.owner ? this.ownedRuns.has(run.id) : ownerAlive(owner);
        const stale = run.heartbeat_at === null || now - run.heartbeat_at > staleMs;
        if (alive === true || (alive === undefined && !stale)) continue;
        if (await this.failOrphan(run, `orphaned: the process running it (${owner}) stopped`, steps.map((s) => ({ id: s.step_id, owner: null })), now)) touched.push(run.id);
        continue;
      }
      const dead = steps.filter((s) => {
        if (s.state !== 'running' || s.owner === null) return false;
        if (s.owner === this.owner) return !this.executing.has(`${run.id}/${s.step_id}`);
        const alive = ownerAlive(s.owner);
        return alive === false || (alive === undefined && (s.heartbeat_at === null || now - Number(s.heartbeat_at) > staleMs));
      });
      if (dead.length === 0) continue;
      if (await this.failOrphan(run, `orphaned: the worker running it stopped`, dead.map((s) => ({ id: s.step_id, owner: s.owner })), now)) touched.push(run.id);
    }
    return touched;
  }

  /**
   * Fails the steps as found by `recoverOrphans`, unless another process got there first (two recoveries
   * at once) or the run moved on since it was read (resumed elsewhere, a step taken by a live worker):
   * under the run's lock, only a still-active run of the same executor and steps of the same owner
   * (`null`: any) are touched. Returns whether anything was failed.
   */
  private async failOrphan(seen: { id: string; executor: string }, reason: string, steps: Array<{ id: string; owner: string | null }>, now: number): Promise<boolean> {
    const runId = seen.id;
    let failed = 0;
    await this.options.db.transaction().execute(async (tx) => {
      await this.store.lock(tx, runId, this.options.engine);
      const current = await tx.selectFrom('pipeline_runs').select(['state', 'executor']).where('id', '=', runId).executeTakeFirst();
      if (!current || (current.state !== 'pending' && current.state !== 'running') || current.executor !== seen.executor) return;
      for (const { id: stepId, owner } of steps) {
        let update = tx
          .updateTable('pipeline_steps')
          .set({ state: 'failed', error: reason, ended_at: now })
          .where('run_id', '=', runId)
          .where('step_id', '=', stepId)
          .where('state', 'in', ['running', 'queued']);
        if (owner !== null) update = update.where('owner', '=', owner);
        const result = await update.executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) continue;
        failed += 1;
        await tx
          .updateTable('pipeline_step_attempts')
          .set({ state: 'failed', error: reason, ended_at: now })
          .where('run_id', '=', runId)
          .where('step_id', '=', stepId)
          .where('state', '=', 'running')
          .execute();
      }
      if (failed > 0) await recordAudit(tx, { actor: `berth:${this.owner}`, action: 'pipeline.orphaned', targetType: 'pipeline_run', target: runId, after: { reason } });
    });
    await this.advance(runId);
    return failed > 0;
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    if (this.ownedRuns.size > 0) await this.options.db.updateTable('pipeline_runs').set({ heartbeat_at: now }).where('id', 'in', [...this.ownedRuns]).execute();
    await this.recoverOrphans(now);
  }

  private async openTrackingRun(spec: PipelineSpec, id: string, params: Record<string, unknown>, options: StartOptions): Promise<string> {
    const run = await this.options.tracking.createRun({
      experiment_id: await experimentId({ tracking: this.options.tracking }, `${PIPELINES_EXPERIMENT_PREFIX}${spec.name}`),
      run_name: `${spec.name} ${id.slice(0, 8)}`,
      user_id: options.actor,
      tags: [
        { key: 'mlflow.source.name', value: options.source.slice(0, 5000) },
        { key: 'berth.pipeline', value: spec.name },
        { key: 'berth.pipeline_run', value: id },
        { key: 'berth.trigger', value: (options.trigger ?? 'manual').slice(0, 5000) },
      ],
    });
    const entries = Object.entries(params).slice(0, 100);
    if (entries.length) await this.options.tracking.logBatch(run.info.run_id, { params: entries.map(([key, value]) => ({ key, value: (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 6000) })) });
    return run.info.run_id;
  }

  private async closeTrackingRun(trackingRunId: string, run: PipelineRunView): Promise<void> {
    const now = Date.now();
    const metrics: Array<{ key: string; value: number; timestamp: number; step: number }> = [];
    for (const step of run.steps) {
      if (step.duration_ms !== null) metrics.push({ key: `${step.id}.duration_s`, value: step.duration_ms / 1000, timestamp: now, step: 0 });
      metrics.push({ key: `${step.id}.attempts`, value: step.attempts, timestamp: now, step: 0 });
      for (const [k, v] of Object.entries(step.outputs)) {
        if (typeof v === 'number' && Number.isFinite(v) && /^[\w\-. /]{1,200}$/.test(k)) metrics.push({ key: `${step.id}.${k}`, value: v, timestamp: now, step: 0 });
      }
    }
    for (let i = 0; i < metrics.length; i += 1000) await this.options.tracking.logBatch(trackingRunId, { metrics: metrics.slice(i, i + 1000) });
    await this.options.tracking.setTag(trackingRunId, 'berth.pipeline_state', run.state);
    const status = run.state === 'succeeded' ? 'FINISHED' : run.state === 'cancelled' ? 'KILLED' : 'FAILED';
    await this.options.tracking.updateRun(trackingRunId, { status, end_time: now });
  }

  /** Stops taking steps; running ones get `graceMs` to finish, then are cancelled. */
  async close(graceMs = 30_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const stopping = this.options.queue.stop();
    const grace = setTimeout(() => this.executing.forEach((c) => c.abort()), graceMs);
    try {
      await stopping;
    } finally {
      clearTimeout(grace);
    }
  }
}

