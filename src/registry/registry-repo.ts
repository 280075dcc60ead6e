import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { AliasHistoryRow, AliasRow, Database, ModelRow, ModelVersionRow, NewModelVersionRow } from '../store/index.js';
import { nowIso } from '../store/index.js';
import type { Tags } from './types.js';

/** Every query the registry makes. Functions take a Kysely handle, which may be a transaction. */

type Db = Kysely<Database>;

export function findModel(db: Db, name: string): Promise<ModelRow | undefined> {
  return db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listModelRows(db: Db, opts: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<ModelRow[]> {
  let q = db.selectFrom('models').selectAll().orderBy('name').limit(opts.limit);
  // A range instead of LIKE: model names may contain `_`, a LIKE wildcard.
  if (opts.prefix) q = q.where('name', '>=', opts.prefix).where('name', '<', `${opts.prefix}\uffff`);
  if (opts.after) q = q.where('name', '>', opts.after);
  return q.execute();
}

/** Inserts the model unless it exists; true when this call created it. */
export async function insertModelIfMissing(db: Db, name: string, description: string): Promise<boolean> {
  const now = nowIso();
  const result = await db
    .insertInto('models')
    .values({ name, description, last_version: 0, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Touches the model row. Inside a transaction this is the per-model lock: on Postgres it takes the row
 * lock, on SQLite the transaction already holds the write lock (BEGIN IMMEDIATE). Every registry
 * mutation of a model starts here, so version numbering and alias moves are serialized per model.
 */
export function lockModel(db: Db, name: string): Promise<ModelRow | undefined> {
  return db.updateTable('models').set({ updated_at: nowIso() }).where('name', '=', name).returningAll().executeTakeFirst();
}

export async function nextVersionNumber(db: Db, modelId: number): Promise<number> {
  const row = await db
    .updateTable('models')
    .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
    .where('id', '=', modelId)
    .returning(['last_version'])
    .executeTakeFirstOrThrow();
  return row.last_version;
}

export async function updateModelDescription(db: Db, modelId: number, description: string): Promise<void> {
  await db.updateTable('models').set({ description, updated_at: nowIso() }).where('id', '=', modelId).execute();
}

export async function deleteModelRow(db: Db, modelId: number): Promise<void> {
  await db.deleteFrom('models').where('id', '=', modelId).execute();
}

export async function insertVersion(db: Db, row: NewModelVersionRow): Promise<ModelVersionRow> {
  return db.insertInto('model_versions').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findVersion(db: Db, modelId: number, version: number): Promise<ModelVersionRow | undefined> {
  return db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
}

export function listVersionRows(db: Db, modelId: number, status?: string): Promise<ModelVersionRow[]> {
  let q = db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).orderBy('version', 'desc');
  if (status) q = q.where('status', '=', status as 'ready' | 'archived');
  return q.execute();
}

export async function versionStats(db: Db, modelIds: number[]): Promise<Map<number, { latest: number | null; count: number }>> {
  const out = new Map<number, { latest: number | null; count: number }>();
  if (modelIds.length === 0) return out;
  const rows = await db
    .selectFrom('model_versions')
    .select((eb) => ['model_id', eb.fn.max('version').as('latest'), eb.fn.countAll().as('count')])
    .where('model_id', 'in', modelIds)
    .groupBy('model_id')
    .execute();
  for (const r of rows) out.set(r.model_id, { latest: r.latest === null ? null : Number(r.latest), count: Number(r.count) });
  return out;
}

export async function updateVersionFields(db: Db, versionId: number, fields: { description?: string; status?: 'ready' | 'archived' }): Promise<void> {
  await db.updateTable('model_versions').set({ ...fields, updated_at: nowIso() }).where('id', '=', versionId).execute();
}

export async function deleteVersionRow(db: Db, versionId: number): Promise<void> {
  await db.deleteFrom('model_versions').where('id', '=', versionId).execute();
}

/**
 * Serializes everything that decides whether a blob is still needed: a registration making sure its blob
 * is there, and a cleanup deleting an unreferenced one. On SQLite the transaction's write lock already does
 * it; on Postgres a transaction-scoped advisory lock per sha256 does.
 */
export async function lockArtifact(db: Db, sha256: string): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${sha256}, 0))`.execute(db);
  }
}

export async function countVersionsWithSha(db: Db, sha256: string): Promise<number> {
  const row = await db.selectFrom('model_versions').select((eb) => eb.fn.countAll().as('n')).where('sha256', '=', sha256).executeTakeFirstOrThrow();
  return Number(row.n);
}

// --- tags -------------------------------------------------------------------------------------------

function groupTags<R extends { key: string; value: string }>(rows: R[], ownerOf: (row: R) => number): Map<number, Tags> {
  const out = new Map<number, Tags>();
  for (const r of rows) {
    const tags = out.get(ownerOf(r)) ?? {};
    tags[r.key] = r.value;
    out.set(ownerOf(r), tags);
  }
  return out;
}

export async function modelTags(db: Db, modelIds: number[]): Promise<Map<number, Tags>> {
  if (modelIds.length === 0) return new Map();
  const rows = await db.selectFrom('model_tags').selectAll().where('model_id', 'in', modelIds).orderBy('key').execute();
  return groupTags(rows, (r) => r.model_id);
}

export async function versionTags(db: Db, versionIds: number[]): Promise<Map<number, Tags>> {
  if (versionIds.length === 0) return new Map();
  const rows = await db.selectFrom('version_tags').selectAll().where('version_id', 'in', versionIds).orderBy('key').execute();
  return groupTags(rows, (r) => r.version_id);
}

export async function upsertModelTags(db: Db, modelId: number, tags: Tags): Promise<void> {
  for (const [key, value] of Object.entries(tags)) {
    await db
      .insertInto('model_tags')
      .values({ model_id: modelId, key, value })
      .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value }))
      .execute();
  }
}

export async function deleteModelTags(db: Db, modelId: number, keys: string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom('model_tags').where('model_id', '=', modelId).where('key', 'in', keys).execute();
}

export async function upsertVersionTags(db: Db, versionId: number, tags: Tags): Promise<void> {
  for (const [key, value] of Object.entries(tags)) {
    await db
      .insertInto('version_tags')
      .values({ version_id: versionId, key, value })
      .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ value }))
      .execute();
  }
}

export async function deleteVersionTags(db: Db, versionId: number, keys: string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom('version_tags').where('version_id', '=', versionId).where('key', 'in', keys).execute();
}

// --- aliases ----------------------------------------------------------------------------------------

export function aliasRows(db: Db, modelIds: number[]): Promise<AliasRow[]> {
  if (modelIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('aliases').selectAll().where('model_id', 'in', modelIds).orderBy('alias').execute();
}

export function findAlias(db: Db, modelId: number, alias: string): Promise<AliasRow | undefined> {
  return db.selectFrom('aliases').selectAll().where('model_id', '=', modelId).where('alias', '=', alias).executeTakeFirst();
}

export async function writeAlias(db: Db, modelId: number, alias: string, version: number, actor: string): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('aliases')
    .values({ model_id: modelId, alias, version, updated_by: actor, updated_at: now })
    .onConflict((oc) => oc.columns(['model_id', 'alias']).doUpdateSet({ version, updated_by: actor, updated_at: now }))
    .execute();
}

export async function deleteAliasRow(db: Db, modelId: number, alias: string): Promise<void> {
  await db.deleteFrom('aliases').where('model_id', '=', modelId).where('alias', '=', alias).execute();
}

export async function appendAliasHistory(
  db: Db,
  entry: Omit<AliasHistoryRow, 'id' | 'created_at'>,
): Promise<void> {
  await db.insertInto('alias_history').values({ ...entry, created_at: nowIso() }).execute();
}

export function aliasHistoryRows(db: Db, modelId: number, alias?: string, order: 'asc' | 'desc' = 'desc'): Promise<AliasHistoryRow[]> {
  let q = db.selectFrom('alias_history').selectAll().where('model_id', '=', modelId).orderBy('id', order);
  if (alias) q = q.where('alias', '=', alias);
  return q.execute();
}

/** For serving: every alias and the latest ready version of the named models, in two queries. */
export async function routingRows(db: Db, names: string[]): Promise<{ aliases: Array<{ name: string; alias: string; version: number }>; latest: Array<{ name: string; latest: number | null }> }> {
  if (names.length === 0) return { aliases: [], latest: [] };
  const aliases = await db
    .selectFrom('aliases')
    .innerJoin('models', 'models.id', 'aliases.model_id')
    .select(['models.name as name', 'aliases.alias as alias', 'aliases.version as version'])
    .where('models.name', 'in', names)
    .execute();
  const latest = await db
    .selectFrom('models')
    .leftJoin('model_versions', (join) => join.onRef('model_versions.model_id', '=', 'models.id').on('model_versions.status', '=', 'ready'))
    .select((eb) => ['models.name as name', eb.fn.max('model_versions.version').as('latest')])
    .where('models.name', 'in', names)
    .groupBy('models.name')
    .execute();
  return { aliases, latest: latest.map((r) => ({ name: r.name, latest: r.latest === null ? null : Number(r.latest) })) };
}
