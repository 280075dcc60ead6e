import type { Migration } from 'kysely';
import type { Engine } from '../engine.js';
import { registryMigration } from './0001-registry.js';
import { trackingMigration } from './0002-tracking.js';
import { datasetsMigration } from './0003-datasets.js';
import { monitoringMigration } from './0004-monitoring.js';
import { abtestsMigration } from './0005-abtests.js';
import { pipelinesMigration } from './0006-pipelines.js';

/** Ordered, versioned migrations; names sort in the order they must run. Never edit a released one. */
export function migrationsFor(engine: Engine): Record<string, Migration> {
  return {
    '0001-registry': registryMigration(engine),
    '0002-tracking': trackingMigration(engine),
    '0003-datasets': datasetsMigration(engine),
    '0004-monitoring': monitoringMigration(engine),
    '0005-abtests': abtestsMigration(engine),
    '0006-pipelines': pipelinesMigration(engine),
  };
}
