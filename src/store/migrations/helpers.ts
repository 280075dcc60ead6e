import type { CreateTableBuilder } from 'kysely';
import type { Engine } from '../engine.js';

/** Auto-increment primary key, spelled per engine (int4 identity on Postgres so ids come back as numbers). */
export function withId<T extends string>(engine: Engine, table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
  return engine === 'sqlite'
    ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}
