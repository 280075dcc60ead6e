export { openStore, appliedMigrations, nowIso, isUniqueViolation, type Store, type StoreOptions } from './store.js';
export type { Engine } from './engine.js';
export type * from './database.js';
export { openSqliteConnection } from './sqlite/sqlite-database.js';
