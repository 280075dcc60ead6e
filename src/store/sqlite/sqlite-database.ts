import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { ImmediateSqliteDialect } from './immediate-sqlite-dialect.js';

export interface SqliteOptions {
  file: string;
  busyTimeoutMs: number;
}

/** The embedded store: one SQLite file in WAL mode, shared safely by several processes on one machine. */
export function openSqliteDatabase(options: SqliteOptions): Kysely<Database> {
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: openSqliteConnection(options) }) });
}

/** A raw connection with Berth's pragmas, for the few hot writers that bypass the query builder. */
export function openSqliteConnection(options: SqliteOptions): SQLite.Database {
  mkdirSync(path.dirname(options.file), { recursive: true });
  const sqlite = new SQLite(options.file);
  // The timeout first: switching a new file to WAL needs a lock another process may be holding.
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  // 16 KiB pages instead of 4: the prediction log's rows (~1.2 KB with their inputs) insert in 6.2 instead
  // of 8.2 µs (median of 6 alternating runs of 200k rows), since a commit writes a quarter as many WAL
  // frames. Only a new, empty file takes it; an existing database keeps its page size.
  sqlite.pragma('page_size = 16384');
  switchToWal(sqlite, options.busyTimeoutMs);
  sqlite.pragma('foreign_keys = ON');
  // WAL makes NORMAL durable across application crashes; only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  // Checkpoint every ~40 MB of WAL instead of 4 MB: bulk writers (log-batch, the prediction log) stop paying
  // a checkpoint every few calls (measured: 100 × 1000-metric batches 430 → 340 ms in-process; prediction log rows 21 → 15 µs).
  sqlite.pragma('wal_autocheckpoint = 10000');
  return sqlite;
}

/**
 * `journal_mode = WAL` on a brand-new file can answer SQLITE_BUSY at once, without calling the busy handler,
 * while another process is converting the same file (seen in CI: four processes opening a new home together).
 * So it is retried here, for as long as the busy timeout allows.
 */
function switchToWal(sqlite: SQLite.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error;
      // Opening is synchronous (better-sqlite3), so the wait is too; it only happens during a racing first open.
      Atomics.wait(pause, 0, 0, delayMs);
    }
  }
}
