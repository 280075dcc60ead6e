import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Registry } from '../../registry/index.js';
import { RetrainPolicy, type Retraining } from '../../retraining/index.js';
import { errorResponses, ModelParams } from '../schemas.js';

export interface RetrainingRoutesOptions {
  retraining: Retraining;
  registry: Registry;
}

const EventParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Retraining event id.' }) });
const Event = Type.Unknown({ description: 'A retraining event: trigger, decision (fired, suppressed, pending, approved, rejected), pipeline run, outcome and why.' });
const Policy = Type.Unknown({ description: "The model's retraining policy with who set it and when." });

/** Retraining: a model's policy, manual triggers, approvals and the history of every decision. */
export async function retrainingRoutes(fastify: FastifyInstance, opts: RetrainingRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { retraining, registry } = opts;

  app.get('/models/:name/retraining', {
    config: { scope: 'read' },
    schema: { tags: ['retraining'], summary: "A model's retraining policy", params: ModelParams, response: { 200: Policy, ...errorResponses } },
  }, async (req) => {
    await registry.getModel(req.params.name);
    return retraining.getPolicy(req.params.name);
  });

  app.put('/models/:name/retraining', {
    config: { scope: 'write' },
    schema: {
      tags: ['retraining'],
      summary: "Set (or replace) a model's retraining policy: triggers, constraints, training, comparison, action",
      params: ModelParams,
      body: RetrainPolicy,
      response: { 200: Policy, ...errorResponses },
    },
  }, (req) => retraining.setPolicy(req.params.name, req.body, req.principal.actor));

  app.delete('/models/:name/retraining', {
    config: { scope: 'write' },
    schema: { tags: ['retraining'], summary: "Delete a model's retraining policy (its history stays)", params: ModelParams, response: errorResponses },
  }, async (req) => {
    await registry.getModel(req.params.name);
    await retraining.deletePolicy(req.params.name, req.principal.actor);
    return { deleted: req.params.name };
  });

  app.get('/models/:name/retraining/history', {
    config: { scope: 'read' },
    schema: {
      tags: ['retraining'],
      summary: 'Every trigger that fired, was suppressed (and why), approved or rejected, with outcomes; newest first',
      params: ModelParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'At most this many (default 100).' })) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, async (req) => {
    await registry.getModel(req.params.name);
    return { events: await retraining.history(req.params.name, req.query.limit ?? 100) };
  });

  app.post('/models/:name/retraining/trigger', {
    config: { scope: 'write' },
    schema: {
      tags: ['retraining'],
      summary: "Retrain now (a manual trigger) under the policy's constraints; `force` ignores min_hours_between and max_per_day, never approval",
      params: ModelParams,
      body: Type.Object(
        {
          reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why (recorded in the history).' }),
          force: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: { 201: Event, ...errorResponses },
    },
  }, async (req, reply) => {
    await registry.getModel(req.params.name);
    const event = await retraining.trigger(req.params.name, { reason: req.body.reason, force: req.body.force, actor: req.principal.actor });
    return reply.status(201).send(event);
  });

  app.get('/retraining/events/:id', {
    config: { scope: 'read' },
    schema: { tags: ['retraining'], summary: 'One retraining event', params: EventParams, response: { 200: Event, ...errorResponses } },
  }, (req) => retraining.event(req.params.id));

  app.post('/retraining/events/:id/approve', {
    config: { scope: 'write' },
    schema: { tags: ['retraining'], summary: 'Approve a retraining waiting for approval: its pipeline starts (409 when the event is not pending)', params: EventParams, response: { 200: Event, ...errorResponses } },
  }, async (req) => {
    // Retraining.approve marks the event approved before it reads the policy; without one it would leave the
    // event approved with no run and no outcome, which blocks the model's retraining for a day. Refuse first.
    const event = await retraining.event(req.params.id);
    if (event.decision === 'pending') await retraining.getPolicy(event.model);
    return retraining.approve(req.params.id, req.principal.actor);
  });

  app.post('/retraining/events/:id/reject', {
    config: { scope: 'write' },
    schema: {
      tags: ['retraining'],
      summary: 'Reject a retraining waiting for approval (409 when the event is not pending)',
      params: EventParams,
      body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) }, { additionalProperties: false })),
      response: { 200: Event, ...errorResponses },
    },
  }, (req) => retraining.reject(req.params.id, req.principal.actor, req.body?.reason));
}
