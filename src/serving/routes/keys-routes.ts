import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { SCOPES, type ApiKeys } from '../../auth/index.js';
import { errorResponses } from '../schemas.js';

const Scope = Type.Union(SCOPES.map((s) => Type.Literal(s)));
const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  created_by: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

export async function keysRoutes(fastify: FastifyInstance, opts: { keys: ApiKeys }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/keys', {
    config: { scope: 'admin' },
    schema: { tags: ['keys'], summary: 'List API keys (never their secrets)', response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses } },
  }, async () => ({ keys: await opts.keys.list() }));

  app.post('/keys', {
    config: { scope: 'admin' },
    schema: {
      tags: ['keys'],
      summary: 'Create an API key; the key is in this response only',
      body: Type.Object({ name: Type.String(), scopes: Type.Array(Scope, { minItems: 1, maxItems: 4 }) }, { additionalProperties: false }),
      response: { 201: Type.Intersect([KeyView, Type.Object({ key: Type.String() })]), ...errorResponses },
    },
  }, async (req, reply) => reply.status(201).send(await opts.keys.create(req.body, req.principal.actor)));

  app.delete('/keys/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['keys'], summary: 'Revoke an API key', params: Type.Object({ id: Type.String() }), response: { 200: KeyView, ...errorResponses } },
  }, (req) => opts.keys.revoke(req.params.id, req.principal.actor));
}
