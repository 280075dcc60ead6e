import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { TrackingStore } from '../../tracking/index.js';
import { errorResponses } from '../schemas.js';

const Summary = Type.Object({ mean: Type.Number(), std: Type.Union([Type.Number(), Type.Null()]), min: Type.Number(), max: Type.Number(), n: Type.Integer() });

/** Berth's additions to tracking that MLflow has no endpoint for. */
export async function trackingRoutes(fastify: FastifyInstance, opts: { tracking: TrackingStore }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/experiments/:experiment_id/aggregate', {
    config: { scope: 'read' },
    schema: {
      tags: ['tracking'],
      summary: 'Multi-seed summary: runs grouped by a tag, mean ± std (sample), min, max, n per metric',
      params: Type.Object({ experiment_id: Type.String() }),
      querystring: Type.Object({ tag: Type.String({ default: 'group', maxLength: 250 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ tag: Type.String(), groups: Type.Array(Type.Object({ group: Type.String(), runs: Type.Integer(), metrics: Type.Record(Type.String(), Summary) })) }), ...errorResponses },
    },
  }, async (req) => ({ tag: req.query.tag, groups: await opts.tracking.aggregate(req.params.experiment_id, req.query.tag) }));
}
