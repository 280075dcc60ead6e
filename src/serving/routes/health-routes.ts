import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { sql } from 'kysely';
import type { ModelManager } from '../../inference/index.js';
import type { Store } from '../../store/index.js';
import type { ServingMetrics } from '../metrics.js';

export interface HealthOptions {
  store: Store;
  version: string;
  startedAt: number;
  manager: ModelManager;
  metrics: ServingMetrics;
  /** True once the models were loaded at start. */
  isStarted: () => boolean;
}

/** Liveness, readiness and Prometheus metrics; public, no key needed. */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/health', {
    schema: {
      tags: ['health'],
      summary: 'Liveness, request counts and loaded models',
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          version: Type.String(),
          uptime_s: Type.Number(),
          store: Type.String(),
          requests: Type.Object({ total: Type.Integer(), errors: Type.Integer() }),
          models: Type.Array(Type.Unknown()),
          load_errors: Type.Array(Type.Unknown()),
        }),
      },
    },
  }, async () => {
    const counts = await opts.metrics.requests.get();
    let total = 0;
    let errors = 0;
    for (const v of counts.values) {
      total += v.value;
      if (v.labels['status'] !== 'ok') errors += v.value;
    }
    const status = opts.manager.status();
    return {
      status: 'ok' as const,
      version: opts.version,
      uptime_s: Math.round((Date.now() - opts.startedAt) / 1000),
      store: opts.store.engine,
      requests: { total, errors },
      models: status.loaded,
      load_errors: status.load_errors,
    };
  });

  app.get('/ready', {
    schema: { tags: ['health'], summary: 'Ready when models are loaded and the store answers (503 otherwise)' },
  }, async (_req, reply) => {
    if (!opts.isStarted()) return reply.status(503).send({ ready: false, reason: 'models are still loading' });
    try {
      await sql`select 1`.execute(opts.store.db);
      return { ready: true };
    } catch (err) {
      return reply.status(503).send({ ready: false, reason: `store unavailable: ${(err as Error).message}` });
    }
  });

  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)' } }, async (_req, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(text);
  });
}
