import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/index.js';

/** A database engine a suite runs against: SQLite always, Postgres when BERTH_TEST_DATABASE_URL is set. */
export interface StoreTarget {
  engine: 'sqlite' | 'postgres';
  /** A fresh home folder and (on Postgres) a fresh schema; `cleanup` removes both. */
  make(): { config: Config; env: Record<string, string>; cleanup: () => Promise<void> };
}

const PG_URL = process.env['BERTH_TEST_DATABASE_URL'];
let warned = false;

export function storeTargets(): StoreTarget[] {
  const targets: StoreTarget[] = [{ engine: 'sqlite', make: () => makeTarget(undefined) }];
  if (PG_URL) {
    targets.push({ engine: 'postgres', make: () => makeTarget(PG_URL) });
  } else if (process.env['CI']) {
    throw new Error('CI is set but BERTH_TEST_DATABASE_URL is not: the Postgres suites must run in CI');
  } else if (!warned) {
    warned = true;
    console.warn('[berth tests] Postgres suites skipped: BERTH_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)');
  }
  const only = process.env['BERTH_TEST_STORES']?.split(',');
  if (only?.includes('postgres') && !PG_URL) throw new Error('BERTH_TEST_STORES asks for postgres but BERTH_TEST_DATABASE_URL is not set');
  return only ? targets.filter((t) => only.includes(t.engine)) : targets;
}

function makeTarget(url: string | undefined): { config: Config; env: Record<string, string>; cleanup: () => Promise<void> } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const schema = url ? `berth_t_${randomBytes(6).toString('hex')}` : undefined;
  const env: Record<string, string> = { BERTH_HOME: home, BERTH_LOG_LEVEL: 'silent' };
  if (url && schema) {
    env['BERTH_DATABASE_URL'] = url;
    env['BERTH_DATABASE_SCHEMA'] = schema;
  }
  const { config } = loadConfig({ env, cwd: home });
  return {
    config,
    env,
    cleanup: async () => {
      rmSync(home, { recursive: true, force: true });
      if (url && schema) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`drop schema if exists "${schema}" cascade`);
          // pg-boss keeps pipeline step jobs in a schema of its own beside Berth's.
          await client.query(`drop schema if exists "${schema}_jobs" cascade`);
        } finally {
          await client.end();
        }
      }
    },
  };
}

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
export const MODELS = path.join(FIXTURES, 'models');
export function fixtureModel(name: string): string {
  return path.join(MODELS, name);
}
