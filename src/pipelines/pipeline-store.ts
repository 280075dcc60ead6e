import type { Kysely, Transaction } from 'kysely';
import { BerthError } from '../errors/index.js';
import type { Database, PipelineRunsTable, PipelineState, PipelineStepsTable } from '../store/index.js';
import type { PipelineSpec } from './spec.js';

/** The most log kept per attempt; the runner keeps the tail. */
export const MAX_ATTEMPT_LOG_BYTES = 1024 * 1024;

export interface StepView {
  id: string;
  position: number;
  kind: 'run' | 'uses';
  /** The command or the built-in's name. */
  action: string;
  needs: string[];
  state: PipelineState;
  attempts: number;
  outputs: Record<string, unknown>;
  error: string | null;
  /** `host:pid` of the process that executed the step's last attempt. */
  executed_by: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
}

export interface PipelineRunView {
  id: string;
  pipeline: string;
  state: PipelineState;
  params: Record<string, unknown>;
  source: string;
  trigger: string;
  tracking_run_id: string | null;
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  cancel_requested: boolean;
  executor: string;
  steps: StepView[];
}

export interface AttemptView {
  step: string;
  attempt: number;
  state: PipelineState;
  exit_code: number | null;
  error: string | null;
  started_at: string;
  ended_at: string | null;
  log: string;
}

export interface StoredRun {
  row: PipelineRunsTable;
  spec: PipelineSpec;
  params: Record<string, unknown>;
  steps: PipelineStepsTable[];
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export const TERMINAL_STATES: ReadonlySet<PipelineState> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Postgres returns bigint columns as strings; every time here is epoch ms that fits a double. */
function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function normalizeRun(row: PipelineRunsTable): PipelineRunsTable {
  return {
    ...row,
    created_at: Number(row.created_at),
    started_at: numberOrNull(row.started_at),
    ended_at: numberOrNull(row.ended_at),
    heartbeat_at: numberOrNull(row.heartbeat_at),
    cancel_requested: Number(row.cancel_requested),
  };
}

function normalizeStep(row: PipelineStepsTable): PipelineStepsTable {
  return { ...row, started_at: numberOrNull(row.started_at), ended_at: numberOrNull(row.ended_at), heartbeat_at: numberOrNull(row.heartbeat_at) };
}

export function runView(stored: StoredRun): PipelineRunView {
  const { row, spec } = stored;
  const byId = new Map(spec.steps.map((s) => [s.id, s]));
  return {
    id: row.id,
    pipeline: row.pipeline,
    state: row.state,
    params: stored.params,
    source: row.source,
    trigger: row.trigger,
    tracking_run_id: row.tracking_run_id,
    error: row.error,
    created_by: row.created_by,
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
    cancel_requested: row.cancel_requested !== 0,
    executor: row.executor,
    steps: stored.steps.map((s) => {
      const step = byId.get(s.step_id);
      return {
        id: s.step_id,
        position: s.position,
        kind: step?.uses !== undefined ? 'uses' : 'run',
        action: step?.uses ?? step?.run ?? '',
        needs: step?.needs ?? [],
        state: s.state,
        attempts: s.attempts,
        outputs: parseJson<Record<string, unknown>>(s.outputs),
        error: s.error,
        executed_by: s.owner,
        started_at: iso(s.started_at),
        ended_at: iso(s.ended_at),
        duration_ms: s.started_at !== null && s.ended_at !== null ? s.ended_at - s.started_at : null,
      };
    }),
  };
}

/** Rows of pipeline runs, their steps and attempts. The runner owns the state machine; this only reads and writes. */
export class PipelineStore {
  constructor(readonly db: Kysely<Database>) {}

  async insertRun(tx: Transaction<Database>, run: PipelineRunsTable, steps: ReadonlyArray<{ id: string }>): Promise<void> {
    await tx.insertInto('pipeline_runs').values(run).execute();
    await tx
      .insertInto('pipeline_steps')
      .values(steps.map((s, position) => ({ run_id: run.id, step_id: s.id, position, state: 'pending' as const, attempts: 0, outputs: '{}', error: null, owner: null, heartbeat_at: null, started_at: null, ended_at: null })))
      .execute();
  }

  async load(db: Kysely<Database>, id: string): Promise<StoredRun> {
    const row = await db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `pipeline run '${id}' does not exist`);
    const steps = await db.selectFrom('pipeline_steps').selectAll().where('run_id', '=', id).orderBy('position').execute();
    const normalized = normalizeRun(row);
    return { row: normalized, spec: parseJson<PipelineSpec>(normalized.spec), params: parseJson<Record<string, unknown>>(normalized.params), steps: steps.map(normalizeStep) };
  }

  /** Locks the run row for the rest of the transaction (Postgres); SQLite transactions are already exclusive. */
  async lock(tx: Transaction<Database>, id: string, engine: 'sqlite' | 'postgres'): Promise<void> {
    if (engine === 'postgres') await tx.selectFrom('pipeline_runs').select('id').where('id', '=', id).forUpdate().execute();
  }

  async list(filter: { pipeline?: string | undefined; state?: PipelineState | undefined; limit?: number | undefined }): Promise<PipelineRunView[]> {
    let q = this.db.selectFrom('pipeline_runs').select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(Math.min(Math.max(filter.limit ?? 50, 1), 500));
    if (filter.pipeline) q = q.where('pipeline', '=', filter.pipeline);
    if (filter.state) q = q.where('state', '=', filter.state);
    const ids = await q.execute();
    const runs: PipelineRunView[] = [];
    for (const { id } of ids) runs.push(runView(await this.load(this.db, id)));
    return runs;
  }

  async attempts(runId: string, stepId?: string): Promise<AttemptView[]> {
    let q = this.db.selectFrom('pipeline_step_attempts').selectAll().where('run_id', '=', runId);
    if (stepId) q = q.where('step_id', '=', stepId);
    const rows = await q.orderBy('started_at').orderBy('attempt').execute();
    return rows.map((r) => ({
      step: r.step_id,
      attempt: r.attempt,
      state: r.state,
      exit_code: r.exit_code,
      error: r.error,
      started_at: iso(r.started_at)!,
      ended_at: iso(r.ended_at),
      log: r.log,
    }));
  }

  /** Active runs (pending, running) with their executor, for orphan recovery and heartbeats. */
  async active(): Promise<PipelineRunsTable[]> {
    const rows = await this.db.selectFrom('pipeline_runs').selectAll().where('state', 'in', ['pending', 'running']).execute();
    return rows.map(normalizeRun);
  }
}
