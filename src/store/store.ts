import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { BerthError } from '../errors/index.js';
import type { Database } from './database.js';
import type { Engine } from './engine.js';
import { migrationsFor } from './migrations/index.js';
import { openPostgresDatabase } from './postgres/postgres-database.js';
import { openSqliteDatabase } from './sqlite/sqlite-database.js';

export type StoreOptions =
  | { engine: 'sqlite'; file: string; busyTimeoutMs: number }
  | { engine: 'postgres'; url: string; schema?: string | undefined; poolSize: number };

export interface Store {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** Where the data lives, safe to print (no password). */
  readonly location: string;
  /** Postgres schema holding Berth's tables, when one is configured. */
  readonly schema: string | undefined;
  /** How it was opened: another thread (the prediction-log writer) opens its own connection with these. */
  readonly options: StoreOptions;
  close(): Promise<void>;
}

function safeLocation(options: StoreOptions): string {
  if (options.engine === 'sqlite') return `sqlite:${options.file}`;
  try {
    const url = new URL(options.url);
    if (url.password) url.password = '****';
    return `${url.toString()}${options.schema ? ` (schema ${options.schema})` : ''}`;
  } catch {
    return 'postgres';
  }
}

function assertMigrated(result: MigrationResultSet): void {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new BerthError(
      'internal',
      `database migration ${failed?.migrationName ?? ''} failed: ${(result.error as Error).message ?? String(result.error)}`,
    );
  }
}

/**
 * Opens of the same SQLite file within one process, one at a time: a second connection's BEGIN IMMEDIATE
 * would block the event loop (better-sqlite3 is synchronous) while the first one's migration awaits it.
 */
const sqliteOpens = new Map<string, Promise<unknown>>();

/** Opens the database and brings its schema up to date; every process does this at start. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.engine !== 'sqlite') return openAndMigrate(options);
  const previous = sqliteOpens.get(options.file) ?? Promise.resolve();
  const opening = previous.catch(() => undefined).then(() => openAndMigrate(options));
  sqliteOpens.set(options.file, opening);
  try {
    return await opening;
  } finally {
    if (sqliteOpens.get(options.file) === opening) sqliteOpens.delete(options.file);
  }
}

async function openAndMigrate(options: StoreOptions): Promise<Store> {
  const db =
    options.engine === 'sqlite'
      ? openSqliteDatabase({ file: options.file, busyTimeoutMs: options.busyTimeoutMs })
      : await openPostgresDatabase({ url: options.url, schema: options.schema, poolSize: options.poolSize });
  try {
    assertMigrated(await migrateWithRetry(db, options));
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const schema = options.engine === 'postgres' ? options.schema : undefined;
  return { db, engine: options.engine, location: safeLocation(options), schema, options, close: () => db.destroy() };
}

/**
 * On Postgres the migration bookkeeping tables are pinned to Berth's schema: Kysely otherwise finds a
 * same-named table in any schema of the database (another Berth's) and skips creating its own.
 */
function migratorFor(db: Kysely<Database>, options: { engine: Engine; schema?: string | undefined }): Migrator {
  const migrations = migrationsFor(options.engine);
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(options.engine === 'postgres' ? { migrationTableSchema: options.schema ?? 'public' } : {}),
  });
}

/**
 * Kysely's Migrator introspects every schema of the database before it migrates; on Postgres a schema
 * another client drops at that moment makes the introspection fail ("schema … does not exist") though
 * nothing is wrong with ours. That bookkeeping phase runs no migration, so it is safe to try again.
 */
async function migrateWithRetry(db: Kysely<Database>, options: StoreOptions): Promise<MigrationResultSet> {
  for (let attempt = 1; ; attempt++) {
    const result = await migratorFor(db, options).migrateToLatest();
    const ranNothing = !result.results?.some((r) => r.status === 'Error');
    const transient = options.engine === 'postgres' && result.error !== undefined && ranNothing && /does not exist/.test(String((result.error as Error).message));
    if (!transient || attempt === 5) return result;
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

/** Names of the migrations applied to this database, in order. */
export async function appliedMigrations(store: Store): Promise<string[]> {
  const all = await migratorFor(store.db, { engine: store.engine, schema: store.schema }).getMigrations();
  return all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
}

/** ISO-8601 UTC with milliseconds: sorts as text and reads the same on both engines. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** True for a unique/primary-key violation on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
