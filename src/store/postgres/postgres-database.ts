import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../database.js';

export interface PostgresOptions {
  url: string;
  schema?: string | undefined;
  poolSize: number;
}

const INT8_OID = 20;

/**
 * Postgres store. int8 columns (artifact sizes) come back as JS numbers: sizes stay far below 2^53.
 * With `schema`, every connection's search_path points at it, so one database can host several Berths.
 */
export async function openPostgresDatabase(options: PostgresOptions): Promise<Kysely<Database>> {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  if (options.schema) {
    const admin = new pg.Client({ connectionString: options.url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${options.schema}"`);
    } catch (err) {
      // Two processes creating the schema at once: the loser sees a duplicate, which is success here.
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw err;
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    types,
    ...(options.schema ? { options: `-c search_path="${options.schema}"` } : {}),
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
