import { sql, type Kysely } from 'kysely';
import type { Engine } from '../engine.js';
import { withId } from './helpers.js';

/**
 * Monitoring: the prediction log, feedback joined to it by prediction id, each version's precomputed
 * drift reference, alert rules created through the API, and alert history. Times are epoch milliseconds
 * (bigint) so windows are plain range scans on both engines; JSON is text.
 */
export function monitoringMigration(engine: Engine) {
  const double = engine === 'sqlite' ? 'real' : 'double precision';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('predictions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('model', 'varchar(250)', (c) => c.notNull())
        .addColumn('version', 'integer')
        .addColumn('variant', 'varchar(128)')
        .addColumn('abtest', 'varchar(250)')
        .addColumn('subject', 'varchar(256)')
        .addColumn('endpoint', 'varchar(32)', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error_code', 'varchar(64)')
        .addColumn('error', 'text')
        .addColumn('latency_ms', double, (c) => c.notNull())
        .addColumn('inputs', 'text')
        .addColumn('outputs', 'text')
        .execute();
      // One secondary index: every read is a time window of one model (retention deletes per model too).
      // Each index costs the hot insert path; the A/B issue adds the subject index it needs.
      await db.schema.createIndex('predictions_model_ts_idx').on('predictions').columns(['model', 'ts']).execute();

      await db.schema
        .createTable('prediction_feedback')
        .addColumn('prediction_id', 'varchar(64)', (c) => c.primaryKey().references('predictions.id').onDelete('cascade'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('drift_references')
        .addColumn('model', 'varchar(250)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('sketch', 'text', (c) => c.notNull())
        .addColumn('predictions', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('drift_references_pk', ['model', 'version'])
        .execute();

      await withId(engine, db.schema.createTable('alert_rules'))
        .addColumn('name', 'varchar(200)', (c) => c.notNull().unique())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await withId(engine, db.schema.createTable('alerts'))
        .addColumn('rule', 'varchar(250)', (c) => c.notNull())
        .addColumn('model', 'varchar(250)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('metric', 'varchar(64)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('value', double)
        .addColumn('threshold', double, (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('fired_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // At most one open (pending or firing) alert per rule and version, even with several replicas.
      await db.schema
        .createIndex('alerts_open_idx')
        .on('alerts')
        .columns(['rule', 'model', 'version'])
        .unique()
        .where(sql.ref('state'), 'in', ['pending', 'firing'])
        .execute();
      await db.schema.createIndex('alerts_model_idx').on('alerts').columns(['model', 'started_at']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['alerts', 'alert_rules', 'drift_references', 'prediction_feedback', 'predictions']) await db.schema.dropTable(table).execute();
    },
  };
}
