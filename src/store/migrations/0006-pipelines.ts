import type { Kysely } from 'kysely';
import type { Engine } from '../engine.js';
import { withId } from './helpers.js';

/**
 * Pipelines and retraining. A pipeline run holds its normalized spec, so a run can be resumed or
 * executed by a worker on another machine without the file. Steps and their attempts (each attempt
 * keeps its own log tail) are rows, so progress survives a crash. Retraining keeps one policy per
 * model and one event per trigger evaluation that fired, was suppressed, approved or rejected.
 */
export function pipelinesMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('pipeline', 'varchar(128)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        /** JSON: the normalized PipelineSpec. */
        .addColumn('spec', 'text', (c) => c.notNull())
        /** JSON: the effective params (defaults + overrides). */
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('source', 'varchar(1024)', (c) => c.notNull())
        .addColumn('base_dir', 'varchar(1024)', (c) => c.notNull())
        .addColumn('trigger', 'varchar(64)', (c) => c.notNull())
        .addColumn('tracking_run_id', 'varchar(64)')
        .addColumn('error', 'text')
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        /** `inprocess:<host>:<pid>` while one process executes the run; `queue` when workers do. */
        .addColumn('executor', 'varchar(256)', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint')
        .execute();
      await db.schema.createIndex('pipeline_runs_state_idx').on('pipeline_runs').columns(['state', 'created_at']).execute();
      await db.schema.createIndex('pipeline_runs_pipeline_idx').on('pipeline_runs').columns(['pipeline', 'created_at']).execute();

      await db.schema
        .createTable('pipeline_steps')
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('step_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        /** JSON object the step produced. */
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('owner', 'varchar(256)')
        .addColumn('heartbeat_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'step_id'])
        .execute();

      await db.schema
        .createTable('pipeline_step_attempts')
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('step_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('log', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('pipeline_step_attempts_pk', ['run_id', 'step_id', 'attempt'])
        .execute();

      await db.schema
        .createTable('retrain_policies')
        .addColumn('model', 'varchar(250)', (c) => c.primaryKey())
        /** JSON RetrainPolicy. */
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await withId(engine, db.schema.createTable('retrain_events'))
        .addColumn('model', 'varchar(250)', (c) => c.notNull())
        /** feedback | files | accuracy_drop | drift | age | manual */
        .addColumn('trigger', 'varchar(32)', (c) => c.notNull())
        /** fired | suppressed | pending | approved | rejected */
        .addColumn('decision', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        /** JSON: the observed values behind the decision. */
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('pipeline_run_id', 'varchar(64)')
        /** promoted | abtest | rejected | failed | rolled_back, once the run finished. */
        .addColumn('outcome', 'varchar(16)')
        .addColumn('outcome_reason', 'text')
        .addColumn('champion_version', 'integer')
        .addColumn('challenger_version', 'integer')
        /** After a promotion: until when a CRITICAL alert on the challenger rolls it back. */
        .addColumn('watch_until', 'bigint')
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by', 'varchar(256)')
        .addColumn('decided_at', 'bigint')
        .execute();
      await db.schema.createIndex('retrain_events_model_idx').on('retrain_events').columns(['model', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['retrain_events', 'retrain_policies', 'pipeline_step_attempts', 'pipeline_steps', 'pipeline_runs']) await db.schema.dropTable(table).execute();
    },
  };
}
