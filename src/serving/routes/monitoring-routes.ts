import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AlertRuleSchema } from '../../config/index.js';
import { BerthError } from '../../errors/index.js';
import { AlertViewSchema, MAX_FEEDBACK_ITEMS, readCsvRecords, referenceView, type Monitoring } from '../../monitoring/index.js';
import type { Registry } from '../../registry/index.js';
import { errorResponses, ModelParams, VersionParams } from '../schemas.js';

export interface MonitoringRoutesOptions {
  monitoring: Monitoring;
  registry: Registry;
  maxReferenceBytes: number;
}

const Hours = Type.Object(
  {
    hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366, description: 'Window length in hours (default monitoring.window_hours).' })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Only this version.' })),
  },
  { additionalProperties: false },
);

const Label = Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Number(), Type.Boolean()], { description: 'The true class (classification) or value (regression).' });
const Timestamp = Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 64 })], { description: 'When the truth was observed: epoch ms or ISO-8601 (default: now).' }));
const FeedbackResult = Type.Object({ accepted: Type.Integer(), unknown: Type.Array(Type.String(), { description: 'Ids not found in the prediction log; nothing was stored for them.' }) });

/** Monitoring API: feedback, the prediction log, window summaries, drift, references and alerts. */
export async function monitoringRoutes(fastify: FastifyInstance, opts: MonitoringRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { monitoring } = opts;
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: opts.maxReferenceBytes }, (_req, body, done) => done(null, body));

  app.post('/predictions/:id/feedback', {
    config: { scope: 'predict' },
    schema: {
      tags: ['monitoring'],
      summary: 'Record the true label of one prediction',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      body: Type.Object({ label: Label, timestamp: Timestamp }, { additionalProperties: false }),
      response: { 200: FeedbackResult, ...errorResponses },
    },
  }, async (req) => {
    const result = await monitoring.feedback.record([{ prediction_id: req.params.id, label: req.body.label, ...(req.body.timestamp !== undefined ? { timestamp: req.body.timestamp } : {}) }]);
    if (result.accepted === 0) throw new BerthError('not_found', `no prediction '${req.params.id}' in the prediction log (never logged, or removed by retention)`, { unknown: result.unknown });
    return result;
  });

  app.post('/feedback', {
    config: { scope: 'predict' },
    bodyLimit: 32 * 1024 * 1024,
    schema: {
      tags: ['monitoring'],
      summary: `Record many labels at once (at most ${MAX_FEEDBACK_ITEMS}); unknown prediction ids are reported back`,
      body: Type.Object({ items: Type.Array(Type.Unknown(), { description: '[{prediction_id, label, timestamp?}]' }) }, { additionalProperties: false }),
      response: { 200: FeedbackResult, ...errorResponses },
    },
  }, (req) => monitoring.feedback.record(req.body.items));

  app.get('/predictions/:id', {
    config: { scope: 'read' },
    schema: { tags: ['monitoring'], summary: 'One logged prediction, with its feedback label if any', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: errorResponses },
  }, async (req) => {
    await monitoring.log?.flush().catch(() => undefined);
    const found = await monitoring.predictions.get(req.params.id);
    if (!found) throw new BerthError('not_found', `no prediction '${req.params.id}' in the prediction log`);
    return found;
  });

  app.get('/models/:name/predictions', {
    config: { scope: 'read' },
    schema: {
      tags: ['monitoring'],
      summary: 'The newest logged predictions of a model (use `berth predictions export` for bulk)',
      params: ModelParams,
      querystring: Type.Object({ hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366 })), version: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, async (req) => {
    await opts.registry.getModel(req.params.name);
    await monitoring.log?.flush().catch(() => undefined);
    const since = Date.now() - (req.query.hours ?? 24) * 3600_000;
    const { rows, truncated } = await monitoring.predictions.window(req.params.name, since, { version: req.query.version, limit: req.query.limit ?? 100 });
    return { predictions: rows, more: truncated };
  });

  app.get('/models/:name/monitoring', {
    config: { scope: 'read' },
    schema: { tags: ['monitoring'], summary: 'Monitoring summary per version: status, traffic, latency, performance, drift, data quality, alerts', params: ModelParams, querystring: Hours, response: errorResponses },
  }, (req) => monitoring.summary(req.params.name, { hours: req.query.hours }));

  app.get('/models/:name/drift', {
    config: { scope: 'read' },
    schema: { tags: ['monitoring'], summary: "Data and prediction drift of the window's inputs against each version's reference", params: ModelParams, querystring: Hours, response: errorResponses },
  }, async (req) => {
    const window = await monitoring.window(req.params.name, { hours: req.query.hours, version: req.query.version });
    return {
      model: window.model,
      hours: window.hours,
      since: window.since,
      until: window.until,
      sampled: window.sampled,
      versions: window.versions.map((v) => ({ version: v.version, served: v.served, drift: v.drift, ...(v.drift_note ? { note: v.drift_note } : {}) })),
    };
  });

  app.put('/models/:name/versions/:version/reference', {
    config: { scope: 'write' },
    bodyLimit: opts.maxReferenceBytes,
    schema: {
      tags: ['monitoring'],
      summary: "Set a version's drift reference from CSV (text/csv; its training data): sketched once, never re-read",
      params: VersionParams,
      response: errorResponses,
    },
  }, async (req) => {
    if (typeof req.body !== 'string') throw new BerthError('unsupported_media_type', 'send the reference as text/csv with a header row');
    const records = await readCsvRecords(req.body, 'the request body');
    const ref = await monitoring.references.set(req.params.name, req.params.version, records, String(req.headers['x-berth-source'] ?? 'upload').slice(0, 500), req.principal.actor);
    return referenceView(ref);
  });

  app.get('/models/:name/versions/:version/reference', {
    config: { scope: 'read' },
    schema: { tags: ['monitoring'], summary: "A version's drift reference: rows, source, columns", params: VersionParams, response: errorResponses },
  }, async (req) => {
    await opts.registry.getVersion(req.params.name, req.params.version);
    const ref = await monitoring.references.get(req.params.name, req.params.version);
    if (!ref) throw new BerthError('not_found', `${req.params.name} v${req.params.version} has no drift reference`);
    return referenceView(ref);
  });

  app.get('/alerts', {
    config: { scope: 'read' },
    schema: {
      tags: ['monitoring'],
      summary: 'Alerts, newest first: active (pending or firing) or their history',
      querystring: Type.Object({ model: Type.Optional(Type.String({ maxLength: 250 })), state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('pending'), Type.Literal('firing'), Type.Literal('resolved')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ alerts: Type.Array(AlertViewSchema) }), ...errorResponses },
    },
  }, async (req) => ({ alerts: await monitoring.alerts.list(req.query) }));

  app.get('/alerts/rules', {
    config: { scope: 'read' },
    schema: { tags: ['monitoring'], summary: 'Alert rules: built-in defaults, from the config file, and created through the API', response: errorResponses },
  }, async () => ({ rules: await monitoring.alerts.rules() }));

  app.post('/alerts/rules', {
    config: { scope: 'write' },
    schema: { tags: ['monitoring'], summary: 'Create an alert rule', body: AlertRuleSchema, response: { 201: Type.Unknown(), ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await monitoring.alerts.createRule(req.body, req.principal.actor)));

  app.delete('/alerts/rules/:rule', {
    config: { scope: 'write' },
    schema: { tags: ['monitoring'], summary: 'Delete an alert rule created through the API', params: Type.Object({ rule: Type.String({ minLength: 1, maxLength: 200 }) }), response: errorResponses },
  }, async (req) => {
    await monitoring.alerts.deleteRule(req.params.rule, req.principal.actor);
    return { deleted: req.params.rule };
  });

  app.post('/alerts/evaluate', {
    config: { scope: 'write' },
    schema: { tags: ['monitoring'], summary: 'Evaluate every alert rule now (the server also does it every monitoring.evaluate_every_seconds)', response: errorResponses },
  }, async () => ({ events: await monitoring.evaluate() }));
}
