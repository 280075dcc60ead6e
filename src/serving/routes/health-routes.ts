import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { sql } from 'kysely';
import type { Store } from '../../store/index.js';

export interface HealthOptions {
  store: Store;
  version: string;
  startedAt: number;
}

/** Liveness and readiness for orchestrators; public, no key needed. */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/health', {
    schema: {
      tags: ['health'],
      summary: 'Liveness and basic facts',
      response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String(), uptime_s: Type.Number(), store: Type.String() }) },
    },
  }, async () => ({ status: 'ok' as const, version: opts.version, uptime_s: Math.round((Date.now() - opts.startedAt) / 1000), store: opts.store.engine }));

  app.get('/ready', {
    schema: { tags: ['health'], summary: 'Ready when the store answers (503 otherwise)' },
  }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(opts.store.db);
      return { ready: true };
    } catch (err) {
      return reply.status(503).send({ ready: false, reason: `store unavailable: ${(err as Error).message}` });
    }
  });
}
