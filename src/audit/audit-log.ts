import type { Kysely } from 'kysely';
import type { Database } from '../store/index.js';
import { nowIso } from '../store/index.js';

export type AuditTargetType = 'model' | 'version' | 'alias' | 'api_key' | 'dataset' | 'alert_rule' | 'abtest' | 'pipeline_run' | 'retrain_policy' | 'retrain_event';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType: AuditTargetType;
  /** `model`, `model/3`, `model@alias`, or a key id. */
  target: string;
  /** The model concerned, if any. */
  model?: string | undefined;
  before?: unknown;
  after?: unknown;
}

export interface AuditEvent {
  id: number;
  time: string;
  actor: string;
  action: string;
  target_type: string;
  target: string;
  model: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  /** Events about this model, its versions and aliases. */
  model?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  /** Only events with id below this (keyset paging, newest first). */
  before_id?: number | undefined;
  limit?: number | undefined;
}

/** Written inside the caller's transaction, so a mutation and its audit event land together or not at all. */
export async function recordAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      created_at: nowIso(),
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType,
      target: entry.target,
      model: entry.model ?? null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
}

export async function queryAudit(db: Kysely<Database>, query: AuditQuery): Promise<AuditEvent[]> {
  let q = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(Math.min(query.limit ?? 100, 1000));
  if (query.model !== undefined) q = q.where('model', '=', query.model);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
  if (query.before_id !== undefined) q = q.where('id', '<', query.before_id);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    time: r.created_at,
    actor: r.actor,
    action: r.action,
    target_type: r.target_type,
    target: r.target,
    model: r.model,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
  }));
}
