import type { Kysely } from 'kysely';
import type { Database, PredictionsTable } from '../store/index.js';

/** A logged prediction as monitoring reads it back: JSON parsed, feedback label joined. */
export interface LoggedPrediction extends Omit<PredictionsTable, 'inputs' | 'outputs'> {
  inputs: unknown;
  outputs: unknown;
  /** The feedback label, when one arrived. */
  label?: string | number | boolean;
  feedback_ts?: number;
}

export interface FeedbackRow {
  prediction_id: string;
  label: string | number | boolean;
  ts: number;
}

const ID_CHUNK = 500;

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The SQL of the prediction log and feedback (reads, feedback upserts, retention). */
export class PredictionStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Logged predictions with their feedback label, as every read here wants them. */
  private withFeedback() {
    return this.db
      .selectFrom('predictions as p')
      .leftJoin('prediction_feedback as f', 'f.prediction_id', 'p.id')
      .select(['p.id', 'p.ts', 'p.model', 'p.version', 'p.variant', 'p.abtest', 'p.subject', 'p.endpoint', 'p.status', 'p.error_code', 'p.error', 'p.latency_ms', 'p.inputs', 'p.outputs', 'f.label', 'f.ts as feedback_ts']);
  }

  /** The newest `limit` predictions of a model since `sinceMs` (optionally one version), newest first. */
  async window(model: string, sinceMs: number, options: { version?: number | undefined; limit: number; untilMs?: number | undefined }): Promise<{ rows: LoggedPrediction[]; truncated: boolean }> {
    let q = this.withFeedback().where('p.model', '=', model).where('p.ts', '>=', sinceMs);
    if (options.untilMs !== undefined) q = q.where('p.ts', '<', options.untilMs);
    if (options.version !== undefined) q = q.where('p.version', '=', options.version);
    const rows = await q.orderBy('p.ts', 'desc').orderBy('p.id', 'desc').limit(options.limit + 1).execute();
    const truncated = rows.length > options.limit;
    return { rows: rows.slice(0, options.limit).map(toLogged), truncated };
  }

  /** Pages through a model's log in time order (keyset on ts, id) — for exports of any size. */
  async *scan(model: string, options: { sinceMs: number; untilMs?: number | undefined; pageSize?: number }): AsyncGenerator<LoggedPrediction> {
    const pageSize = options.pageSize ?? 5000;
    let after: { ts: number; id: string } | undefined;
    for (;;) {
      let q = this.withFeedback().where('p.model', '=', model).where('p.ts', '>=', options.sinceMs);
      if (options.untilMs !== undefined) q = q.where('p.ts', '<', options.untilMs);
      if (after) {
        const { ts, id } = after;
        q = q.where((eb) => eb.or([eb('p.ts', '>', ts), eb.and([eb('p.ts', '=', ts), eb('p.id', '>', id)])]));
      }
      const rows = await q.orderBy('p.ts', 'asc').orderBy('p.id', 'asc').limit(pageSize).execute();
      for (const row of rows) yield toLogged(row);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1]!;
      after = { ts: Number(last.ts), id: last.id };
    }
  }

  async get(id: string): Promise<LoggedPrediction | undefined> {
    const row = await this.withFeedback().where('p.id', '=', id).executeTakeFirst();
    return row ? toLogged(row) : undefined;
  }

  /** Which of these ids are in the log. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = ids.slice(i, i + ID_CHUNK);
      const rows = await this.db.selectFrom('predictions').select('id').where('id', 'in', chunk).execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** Stores labels; a later label for the same prediction replaces the earlier one. */
  async upsertFeedback(rows: readonly FeedbackRow[], receivedAt: number): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ID_CHUNK) {
        const values = rows.slice(i, i + ID_CHUNK).map((r) => ({ prediction_id: r.prediction_id, label: JSON.stringify(r.label), ts: r.ts, received_at: receivedAt }));
        await trx
          .insertInto('prediction_feedback')
          .values(values)
          .onConflict((oc) => oc.column('prediction_id').doUpdateSet((eb) => ({ label: eb.ref('excluded.label'), ts: eb.ref('excluded.ts'), received_at: eb.ref('excluded.received_at') })))
          .execute();
      }
    });
  }

  /** Labelled predictions of a model since a time (retraining and A/B outcomes read this). */
  async labelledCount(model: string, sinceMs: number): Promise<number> {
    const row = await this.db
      .selectFrom('prediction_feedback as f')
      .innerJoin('predictions as p', 'p.id', 'f.prediction_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('p.model', '=', model)
      .where('f.received_at', '>=', sinceMs)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Retention: deletes predictions and their feedback older than `beforeMs`, model by model (the (model, ts) index). */
  async deleteBefore(beforeMs: number): Promise<number> {
    const models = await this.db.selectFrom('predictions').select('model').distinct().execute();
    let deleted = 0;
    for (const { model } of models) {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('prediction_feedback').where('prediction_id', 'in', (eb) => eb.selectFrom('predictions').select('id').where('model', '=', model).where('ts', '<', beforeMs)).execute();
        const result = await trx.deleteFrom('predictions').where('model', '=', model).where('ts', '<', beforeMs).executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      });
    }
    return deleted;
  }
}

/** A row as the query reads it: the table's columns and the joined feedback. */
type Row = PredictionsTable & { label: string | null; feedback_ts: number | null };

function toLogged(row: Row): LoggedPrediction {
  const logged: LoggedPrediction = {
    id: row.id,
    ts: Number(row.ts),
    model: row.model,
    version: row.version === null ? null : Number(row.version),
    variant: row.variant,
    abtest: row.abtest,
    subject: row.subject,
    endpoint: row.endpoint,
    status: Number(row.status),
    error_code: row.error_code,
    error: row.error,
    latency_ms: Number(row.latency_ms),
    inputs: parseJson(row.inputs),
    outputs: parseJson(row.outputs),
  };
  if (row.label !== null) {
    logged.label = parseJson(row.label) as string | number | boolean;
    logged.feedback_ts = Number(row.feedback_ts);
  }
  return logged;
}
