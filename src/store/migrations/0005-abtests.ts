import { sql, type Kysely } from 'kysely';
import type { Engine } from '../engine.js';
import { withId } from './helpers.js';

/**
 * A/B tests: the test (its routing as data: variants, coverage, segment, shadows, guardrails), its phases
 * (a new seed and weights each time the split changes; analysis is per phase), and business outcomes
 * posted per subject. The prediction log gains partial indexes for rows routed by a test, so traffic that
 * no test touches pays nothing for them.
 */
export function abtestsMigration(engine: Engine) {
  const double = engine === 'sqlite' ? 'real' : 'double precision';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(engine, db.schema.createTable('abtests'))
        .addColumn('name', 'varchar(250)', (c) => c.notNull().unique())
        .addColumn('model', 'varchar(250)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        /** JSON: variants, coverage, segment, shadows, guardrails, primary metric, minimums. */
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('phase', 'integer', (c) => c.notNull())
        .addColumn('winner', 'varchar(64)')
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('stopped_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('abtests_model_idx').on('abtests').columns(['model', 'status']).execute();

      await db.schema
        .createTable('abtest_phases')
        .addColumn('abtest_id', 'integer', (c) => c.notNull().references('abtests.id').onDelete('cascade'))
        .addColumn('phase', 'integer', (c) => c.notNull())
        .addColumn('seed', 'varchar(128)', (c) => c.notNull())
        .addColumn('coverage', double, (c) => c.notNull())
        /** JSON: the weights of the variants in this phase, in variant order. */
        .addColumn('weights', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('abtest_phases_pk', ['abtest_id', 'phase'])
        .execute();

      await withId(engine, db.schema.createTable('abtest_outcomes'))
        .addColumn('abtest_id', 'integer', (c) => c.notNull().references('abtests.id').onDelete('cascade'))
        .addColumn('phase', 'integer', (c) => c.notNull())
        .addColumn('subject', 'varchar(256)', (c) => c.notNull())
        .addColumn('variant', 'varchar(64)', (c) => c.notNull())
        .addColumn('metric', 'varchar(128)', (c) => c.notNull())
        .addColumn('value', double, (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('abtest_outcomes_idx').on('abtest_outcomes').columns(['abtest_id', 'phase', 'metric']).execute();

      await db.schema.createIndex('predictions_abtest_idx').on('predictions').columns(['abtest', 'ts']).where(sql.ref('abtest'), 'is not', null).execute();
      await db.schema.createIndex('predictions_abtest_subject_idx').on('predictions').columns(['abtest', 'subject']).where(sql.ref('abtest'), 'is not', null).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('predictions_abtest_subject_idx').execute();
      await db.schema.dropIndex('predictions_abtest_idx').execute();
      for (const table of ['abtest_outcomes', 'abtest_phases', 'abtests']) await db.schema.dropTable(table).execute();
    },
  };
}
