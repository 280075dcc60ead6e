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

/** Opens the database and brings its schema up to date; every process does this at start. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const db =
    options.engine === 'sqlite'
      ? openSqliteDatabase({ file: options.file, busyTimeoutMs: options.busyTimeoutMs })
      : await openPostgresDatabase({ url: options.url, schema: options.schema, poolSize: options.poolSize });
  try {
    const migrations = migrationsFor(options.engine);
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    assertMigrated(await migrator.migrateToLatest());
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, engine: options.engine, location: safeLocation(options), close: () => db.destroy() };
}

/** Names of the migrations applied to this database, in order. */
export async function appliedMigrations(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrationsFor(store.engine) } });
  const all = await migrator.getMigrations();
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
