import type { Kysely } from 'kysely';
import type { Engine } from '../engine.js';

/** Berth's dataset registry (the DVC row): named, numbered, checksummed, profiled dataset versions. */
export function datasetsMigration(engine: Engine) {
  void engine;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('dataset_names')
        .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('last_version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('dataset_versions')
        .addColumn('name', 'varchar(128)', (c) => c.notNull().references('dataset_names.name').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('format', 'varchar(16)', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('columns', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('dataset_versions_pk', ['name', 'version'])
        .execute();
      await db.schema.createIndex('dataset_versions_sha256_idx').on('dataset_versions').column('sha256').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('dataset_versions').execute();
      await db.schema.dropTable('dataset_names').execute();
    },
  };
}
