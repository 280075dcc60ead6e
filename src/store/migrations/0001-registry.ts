import type { Kysely } from 'kysely';
import type { Engine } from '../engine.js';
import { withId } from './helpers.js';

export function registryMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(engine, db.schema.createTable('models'))
        .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('model_tags')
        .addColumn('model_id', 'integer', (c) => c.notNull().references('models.id').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_tags_pk', ['model_id', 'key'])
        .execute();

      await withId(engine, db.schema.createTable('model_versions'))
        .addColumn('model_id', 'integer', (c) => c.notNull().references('models.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('artifact_uri', 'text', (c) => c.notNull())
        .addColumn('card', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('source_run', 'text')
        .addColumn('source_dataset', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('model_versions_model_version_uq', ['model_id', 'version'])
        .execute();
      await db.schema.createIndex('model_versions_sha256_idx').on('model_versions').column('sha256').execute();

      await db.schema
        .createTable('version_tags')
        .addColumn('version_id', 'integer', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('version_tags_pk', ['version_id', 'key'])
        .execute();

      await db.schema
        .createTable('aliases')
        .addColumn('model_id', 'integer', (c) => c.notNull().references('models.id').onDelete('cascade'))
        .addColumn('alias', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('aliases_pk', ['model_id', 'alias'])
        .execute();

      await withId(engine, db.schema.createTable('alias_history'))
        .addColumn('model_id', 'integer', (c) => c.notNull().references('models.id').onDelete('cascade'))
        .addColumn('alias', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('from_version', 'integer')
        .addColumn('to_version', 'integer')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alias_history_model_alias_idx').on('alias_history').columns(['model_id', 'alias', 'id']).execute();

      await withId(engine, db.schema.createTable('audit_events'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('model', 'varchar(128)')
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .execute();
      await db.schema.createIndex('audit_events_model_idx').on('audit_events').columns(['model', 'id']).execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_used_at', 'varchar(32)')
        .addColumn('revoked_at', 'varchar(32)')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['api_keys', 'audit_events', 'alias_history', 'aliases', 'version_tags', 'model_versions', 'model_tags', 'models']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
