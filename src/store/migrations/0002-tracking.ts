import type { Kysely } from 'kysely';
import type { Engine } from '../engine.js';
import { withId } from './helpers.js';

/**
 * Experiment tracking, shaped like MLflow's store so its REST API maps one to one. Times are epoch
 * milliseconds (bigint), as MLflow sends them. Metric values that are NaN are stored as 0 with is_nan set
 * (SQLite cannot hold NaN); ±Infinity are stored as such (both engines keep them in a double).
 */
export function trackingMigration(engine: Engine) {
  const double = engine === 'sqlite' ? 'real' : 'double precision';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(engine, db.schema.createTable('experiments'))
        .addColumn('name', 'varchar(500)', (c) => c.notNull().unique())
        .addColumn('artifact_location', 'text', (c) => c.notNull())
        .addColumn('lifecycle_stage', 'varchar(16)', (c) => c.notNull())
        .addColumn('creation_time', 'bigint', (c) => c.notNull())
        .addColumn('last_update_time', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('experiment_tags')
        .addColumn('experiment_id', 'integer', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
        .execute();

      await db.schema
        .createTable('runs')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('experiment_id', 'integer', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
        .addColumn('run_name', 'varchar(250)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('start_time', 'bigint', (c) => c.notNull())
        .addColumn('end_time', 'bigint')
        .addColumn('lifecycle_stage', 'varchar(16)', (c) => c.notNull())
        .addColumn('artifact_uri', 'text', (c) => c.notNull())
        .addColumn('deleted_time', 'bigint')
        .execute();
      await db.schema.createIndex('runs_experiment_start_idx').on('runs').columns(['experiment_id', 'start_time', 'run_uuid']).execute();

      await db.schema
        .createTable('run_params')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_params_pk', ['run_uuid', 'key'])
        .execute();
      await db.schema.createIndex('run_params_key_value_idx').on('run_params').columns(['key', 'run_uuid']).execute();

      await db.schema
        .createTable('run_tags')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_tags_pk', ['run_uuid', 'key'])
        .execute();

      await withId(engine, db.schema.createTable('run_metrics'))
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', double, (c) => c.notNull())
        .addColumn('is_nan', 'boolean', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('run_metrics_history_idx').on('run_metrics').columns(['run_uuid', 'key', 'step', 'timestamp', 'id']).execute();

      // The latest value per (run, key): MLflow's rule, highest (step, timestamp, value). Kept on write so
      // run listings and metric filters never scan the history.
      await db.schema
        .createTable('latest_metrics')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', double, (c) => c.notNull())
        .addColumn('is_nan', 'boolean', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('latest_metrics_pk', ['run_uuid', 'key'])
        .execute();
      await db.schema.createIndex('latest_metrics_key_value_idx').on('latest_metrics').columns(['key', 'value']).execute();

      await db.schema
        .createTable('tracking_datasets')
        .addColumn('dataset_uuid', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('experiment_id', 'integer', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
        .addColumn('name', 'varchar(500)', (c) => c.notNull())
        .addColumn('digest', 'varchar(128)', (c) => c.notNull())
        .addColumn('source_type', 'varchar(36)', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('schema', 'text')
        .addColumn('profile', 'text')
        .addUniqueConstraint('tracking_datasets_uq', ['experiment_id', 'name', 'digest'])
        .execute();
      await db.schema
        .createTable('run_inputs')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('dataset_uuid', 'varchar(32)', (c) => c.notNull().references('tracking_datasets.dataset_uuid').onDelete('cascade'))
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_inputs_pk', ['run_uuid', 'dataset_uuid'])
        .execute();

      // Run artifacts: a path inside the run → a content-addressed blob of the artifact store.
      await db.schema
        .createTable('run_artifacts')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('path', 'varchar(1000)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_artifacts_pk', ['run_uuid', 'path'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['run_artifacts', 'run_inputs', 'tracking_datasets', 'latest_metrics', 'run_metrics', 'run_tags', 'run_params', 'runs', 'experiment_tags', 'experiments']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
