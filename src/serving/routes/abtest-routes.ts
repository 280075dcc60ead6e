import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { CreateAbTest, type AbTestRouting, type AbTests } from '../../abtest/index.js';
import { errorResponses } from '../schemas.js';

export interface AbTestRoutesOptions {
  abtests: AbTests;
  routing: AbTestRouting;
}

const Name = Type.Object({ name: Type.String({ minLength: 1, maxLength: 250 }) });

/** A/B tests: create, lifecycle, outcomes and results. Every change refreshes this process's routing at once. */
export async function abtestRoutes(fastify: FastifyInstance, opts: AbTestRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { abtests, routing } = opts;
  const changed = async <T>(work: Promise<T>): Promise<T> => {
    const result = await work;
    await routing.refresh();
    return result;
  };

  app.post('/abtests', {
    config: { scope: 'write' },
    schema: { tags: ['abtests'], summary: 'Create an A/B test (draft): variants by version or alias with weights, coverage, segment, shadows, guardrails', body: CreateAbTest, response: { 201: Type.Unknown(), ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await abtests.create(req.body, req.principal.actor)));

  app.get('/abtests', {
    config: { scope: 'read' },
    schema: {
      tags: ['abtests'],
      summary: 'List A/B tests, newest first',
      querystring: Type.Object({ model: Type.Optional(Type.String({ maxLength: 250 })), status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('running'), Type.Literal('paused'), Type.Literal('stopped')])) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, async (req) => ({ abtests: await abtests.list(req.query) }));

  app.get('/abtests/:name', { config: { scope: 'read' }, schema: { tags: ['abtests'], summary: 'One A/B test with its phases', params: Name, response: errorResponses } }, (req) => abtests.get(req.params.name));

  app.post('/abtests/:name/start', { config: { scope: 'write' }, schema: { tags: ['abtests'], summary: 'Start (draft → running, phase 1)', params: Name, response: errorResponses } }, (req) => changed(abtests.start(req.params.name, req.principal.actor)));
  app.post('/abtests/:name/resume', { config: { scope: 'write' }, schema: { tags: ['abtests'], summary: 'Resume (paused → running)', params: Name, response: errorResponses } }, (req) => changed(abtests.start(req.params.name, req.principal.actor)));
  app.post('/abtests/:name/pause', { config: { scope: 'write' }, schema: { tags: ['abtests'], summary: 'Pause: all traffic gets the default routing', params: Name, response: errorResponses } }, (req) => changed(abtests.pause(req.params.name, req.principal.actor)));

  app.post('/abtests/:name/stop', {
    config: { scope: 'write' },
    schema: {
      tags: ['abtests'],
      summary: "Stop; with `promote`, move the model's production alias to that variant's version in the same step",
      params: Name,
      body: Type.Optional(Type.Object({ promote: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
      response: errorResponses,
    },
  }, (req) => changed(abtests.stop(req.params.name, { promote: req.body?.promote, reason: req.body?.reason }, req.principal.actor)));

  app.patch('/abtests/:name', {
    config: { scope: 'write' },
    schema: {
      tags: ['abtests'],
      summary: 'Change weights and/or coverage: starts a new phase with a new seed (results are per phase)',
      params: Name,
      body: Type.Object({ weights: Type.Optional(Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 2, maxItems: 20 })), coverage: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, (req) => changed(abtests.reweight(req.params.name, req.body, req.principal.actor)));

  app.post('/abtests/:name/outcomes', {
    config: { scope: 'predict' },
    bodyLimit: 32 * 1024 * 1024,
    schema: {
      tags: ['abtests'],
      summary: 'Business outcomes per subject ({subject, metric, value (number or boolean), timestamp?}), joined to the variant the subject was served',
      params: Name,
      body: Type.Object({ items: Type.Array(Type.Unknown()) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, (req) => abtests.recordOutcomes(req.params.name, req.body.items));

  app.get('/abtests/:name/results', {
    config: { scope: 'read' },
    schema: {
      tags: ['abtests'],
      summary: 'Analysis of a phase: sample ratio check first, then per metric effects, intervals, p-values (fixed and always-valid), chance to win, and the recommendation',
      params: Name,
      querystring: Type.Object({ phase: Type.Optional(Type.Integer({ minimum: 1 })), correction: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('holm'), Type.Literal('bh')])) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, (req) => abtests.results(req.params.name, req.query));
}
