import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { parsePipeline, type Pipelines } from '../../pipelines/index.js';
import type { PipelineState } from '../../store/index.js';
import { errorResponses } from '../schemas.js';

export interface PipelineRoutesOptions {
  pipelines: Pipelines;
  /** The Berth home: relative paths of a pipeline sent through the API resolve against it. */
  home: string;
}

/** The largest request body of `POST /pipelines/runs`: the pipeline YAML (itself at most 1 MiB) and its params. */
export const MAX_PIPELINE_REQUEST_BYTES = 1024 * 1024;

const STATES: readonly PipelineState[] = ['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Pipeline run id.' }) });

// Ajv's coerceTypes may turn a number or boolean into its string form here; the declared param's type is restored by resolveParams.
const ParamValue = Type.Union([Type.String({ maxLength: 100_000 }), Type.Number(), Type.Boolean()], { description: "A value of one of the pipeline's declared params." });

const StartRun = Type.Object(
  {
    pipeline: Type.String({ minLength: 1, description: 'The pipeline file (YAML text): name, params, steps. Relative paths resolve against the Berth home.' }),
    params: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), ParamValue, { maxProperties: 100, description: 'Overrides of params the pipeline declares.' })),
  },
  { additionalProperties: false },
);

const Run = Type.Unknown({ description: 'A pipeline run with its steps (state, attempts, outputs, errors).' });

/** Pipeline runs: start one from YAML, list, read with logs, cancel, resume. */
export async function pipelineRoutes(fastify: FastifyInstance, opts: PipelineRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { pipelines } = opts;

  app.get('/pipelines/runs', {
    config: { scope: 'read' },
    schema: {
      tags: ['pipelines'],
      summary: 'List pipeline runs, newest first',
      querystring: Type.Object(
        {
          pipeline: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only runs of this pipeline.' })),
          state: Type.Optional(Type.Union(STATES.map((s) => Type.Literal(s)), { description: 'Only runs in this state.' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'At most this many (default 50).' })),
        },
        { additionalProperties: false },
      ),
      response: errorResponses,
    },
  }, async (req) => ({ runs: await pipelines.list(req.query) }));

  app.post('/pipelines/runs', {
    // A pipeline's `run:` steps are shell commands executed by the server: only admin keys may submit one.
    config: { scope: 'admin' },
    bodyLimit: MAX_PIPELINE_REQUEST_BYTES,
    schema: {
      tags: ['pipelines'],
      summary: 'Start a run of a pipeline sent as YAML text (validated first; refusals name the field and line). Steps run in the server (or on `berth worker`s with pg-boss)',
      body: StartRun,
      response: { 201: Run, ...errorResponses },
    },
  }, async (req, reply) => {
    const spec = parsePipeline(req.body.pipeline, 'body.pipeline');
    const run = await pipelines.start(spec, { params: req.body.params, source: 'api', baseDir: opts.home, trigger: 'api', actor: req.principal.actor });
    return reply.status(201).send(run);
  });

  app.get('/pipelines/runs/:id', {
    config: { scope: 'read' },
    schema: { tags: ['pipelines'], summary: 'One pipeline run: params, steps, attempts, outputs and errors', params: RunParams, response: { 200: Run, ...errorResponses } },
  }, (req) => pipelines.get(req.params.id));

  app.get('/pipelines/runs/:id/logs', {
    config: { scope: 'read' },
    schema: {
      tags: ['pipelines'],
      summary: "The run's attempts in order, each with its captured log (the tail, at most 1 MiB per attempt)",
      params: RunParams,
      querystring: Type.Object({ step: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only this step.' })) }, { additionalProperties: false }),
      response: errorResponses,
    },
  }, async (req) => ({ run: req.params.id, attempts: await pipelines.logs(req.params.id, req.query.step) }));

  app.post('/pipelines/runs/:id/cancel', {
    config: { scope: 'write' },
    schema: { tags: ['pipelines'], summary: 'Cancel a run: running steps are stopped, pending ones never start (409 once it ended)', params: RunParams, response: { 200: Run, ...errorResponses } },
  }, (req) => pipelines.cancel(req.params.id, req.principal.actor));

  app.post('/pipelines/runs/:id/resume', {
    config: { scope: 'write' },
    schema: { tags: ['pipelines'], summary: 'Run a failed or cancelled run again from its first unfinished step (409 otherwise)', params: RunParams, response: { 200: Run, ...errorResponses } },
  }, (req) => pipelines.resume(req.params.id, req.principal.actor));
}
