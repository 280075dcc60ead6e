import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError, describeValue, isBerthError, type ErrorCode } from '../../errors/index.js';
import { checkArtifactPath, searchRuns, type RunArtifacts, type TrackingStore } from '../../tracking/index.js';
import type { Database } from '../../store/index.js';
import type { Kysely } from 'kysely';

export interface MlflowRoutesOptions {
  tracking: TrackingStore;
  artifacts: RunArtifacts;
  db: Kysely<Database>;
  maxArtifactBytes: number;
}

/** Berth's refusals in MLflow's words (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS). */
const MLFLOW_ERRORS: Partial<Record<ErrorCode, [string, number]>> = {
  invalid_input: ['INVALID_PARAMETER_VALUE', 400],
  invalid_config: ['INVALID_PARAMETER_VALUE', 400],
  payload_too_large: ['INVALID_PARAMETER_VALUE', 400],
  unsupported_media_type: ['BAD_REQUEST', 400],
  not_found: ['RESOURCE_DOES_NOT_EXIST', 404],
  conflict: ['RESOURCE_ALREADY_EXISTS', 400],
  unauthorized: ['UNAUTHENTICATED', 401],
  forbidden: ['PERMISSION_DENIED', 403],
  rate_limited: ['REQUEST_LIMIT_EXCEEDED', 429],
  unavailable: ['TEMPORARILY_UNAVAILABLE', 503],
};

function mlflowErrors(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let code = 'INTERNAL_ERROR';
    let status = 500;
    let message = 'internal error';
    if (isBerthError(error)) {
      [code, status] = MLFLOW_ERRORS[error.code] ?? ['INTERNAL_ERROR', 500];
      message = error.message;
    } else if (error.statusCode !== undefined && error.statusCode < 500) {
      [code, status, message] = ['BAD_REQUEST', 400, error.message];
    }
    if (status >= 500) request.log.error({ reqId: request.id, err: error }, 'tracking request failed');
    void reply.status(status).send({ error_code: code, message });
  });
  fastify.setNotFoundHandler((request, reply) => void reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
}

type Args = Record<string, unknown>;

/** MLflow clients send reads as GET with a query string and writes as POST with JSON; accept both shapes. */
function args(request: FastifyRequest): Args {
  const body = request.body;
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw new BerthError('invalid_input', `request body must be a JSON object, got ${describeValue(body)}`);
  return { ...(request.query as Args), ...((body as Args | undefined) ?? {}) };
}

function list(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/**
 * MLflow's tracking REST API (/api/2.0/mlflow/...): same paths, field names, status codes and error codes,
 * so MLflow's clients can point at Berth unchanged.
 */
export async function mlflowRoutes(fastify: FastifyInstance, opts: MlflowRoutesOptions): Promise<void> {
  const { tracking } = opts;
  mlflowErrors(fastify);
  const read = { config: { scope: 'read' as const }, schema: { tags: ['tracking (MLflow)'], hide: false } };
  const write = { config: { scope: 'write' as const }, schema: { tags: ['tracking (MLflow)'] } };
  const both = (path: string, scope: typeof read, handler: (a: Args, request: FastifyRequest) => Promise<unknown>) => {
    fastify.get(path, scope, (req) => handler(args(req), req));
    fastify.post(path, scope, (req) => handler(args(req), req));
  };

  // experiments
  fastify.post('/experiments/create', write, async (req) => ({ experiment_id: await tracking.createExperiment(args(req) as { name: unknown }) }));
  both('/experiments/get', read, async (a) => ({ experiment: await tracking.getExperiment(a['experiment_id']) }));
  both('/experiments/get-by-name', read, async (a) => ({ experiment: await tracking.getExperimentByName(a['experiment_name']) }));
  fastify.post('/experiments/update', write, async (req) => {
    const a = args(req);
    await tracking.updateExperiment(a['experiment_id'], a['new_name']);
    return {};
  });
  fastify.post('/experiments/delete', write, async (req) => {
    await tracking.setExperimentLifecycle(args(req)['experiment_id'], 'deleted');
    return {};
  });
  fastify.post('/experiments/restore', write, async (req) => {
    await tracking.setExperimentLifecycle(args(req)['experiment_id'], 'active');
    return {};
  });
  both('/experiments/search', read, (a) => tracking.searchExperiments({ view_type: a['view_type'], max_results: a['max_results'], page_token: a['page_token'] }));
  fastify.post('/experiments/set-experiment-tag', write, async (req) => {
    const a = args(req);
    await tracking.setExperimentTag(a['experiment_id'], a['key'], a['value']);
    return {};
  });

  // runs
  fastify.post('/runs/create', write, async (req) => ({ run: await tracking.createRun(args(req)) }));
  both('/runs/get', read, async (a) => ({ run: await tracking.getRun(a['run_id'] ?? a['run_uuid']) }));
  fastify.post('/runs/update', write, async (req) => {
    const a = args(req);
    return { run_info: await tracking.updateRun(a['run_id'] ?? a['run_uuid'], a) };
  });
  fastify.post('/runs/delete', write, async (req) => {
    await tracking.setRunLifecycle(args(req)['run_id'], 'deleted');
    return {};
  });
  fastify.post('/runs/restore', write, async (req) => {
    await tracking.setRunLifecycle(args(req)['run_id'], 'active');
    return {};
  });
  both('/runs/search', read, async (a) => {
    const ids = list(a['experiment_ids']) ?? [];
    for (const id of ids) if (!/^\d+$/.test(id)) throw new BerthError('invalid_input', `experiment_ids must be experiment ids, got ${describeValue(id)}`);
    const filter = a['filter'];
    if (filter !== undefined && typeof filter !== 'string') throw new BerthError('invalid_input', `filter must be a string, got ${describeValue(filter)}`);
    const { rows, nextPageToken } = await searchRuns(opts.db, {
      experimentIds: ids.map(Number),
      filter,
      orderBy: list(a['order_by']),
      view: tracking.viewType(a['run_view_type']),
      maxResults: tracking.maxResults(a['max_results']),
      pageToken: typeof a['page_token'] === 'string' && a['page_token'] !== '' ? a['page_token'] : undefined,
    });
    const runs = await tracking.runsView(rows);
    return nextPageToken ? { runs, next_page_token: nextPageToken } : { runs };
  });
  fastify.post('/runs/log-metric', write, async (req) => {
    const a = args(req);
    await tracking.logMetric(a['run_id'] ?? a['run_uuid'], { key: a['key'] as string, value: a['value'], timestamp: a['timestamp'], step: a['step'] });
    return {};
  });
  fastify.post('/runs/log-parameter', write, async (req) => {
    const a = args(req);
    await tracking.logParam(a['run_id'] ?? a['run_uuid'], a['key'], a['value']);
    return {};
  });
  fastify.post('/runs/log-batch', write, async (req) => {
    const a = args(req);
    await tracking.logBatch(a['run_id'], { metrics: a['metrics'], params: a['params'], tags: a['tags'] });
    return {};
  });
  fastify.post('/runs/set-tag', write, async (req) => {
    const a = args(req);
    await tracking.setTag(a['run_id'] ?? a['run_uuid'], a['key'], a['value']);
    return {};
  });
  fastify.post('/runs/delete-tag', write, async (req) => {
    const a = args(req);
    await tracking.deleteTag(a['run_id'], a['key']);
    return {};
  });
  fastify.post('/runs/log-inputs', write, async (req) => {
    const a = args(req);
    await tracking.logInputs(a['run_id'], a['datasets']);
    return {};
  });
  both('/metrics/get-history', read, (a) => tracking.metricHistory(a['run_id'] ?? a['run_uuid'], a['metric_key'], { max_results: a['max_results'], page_token: a['page_token'] }));
  both('/artifacts/list', read, async (a) => {
    const run = await tracking.getRun(a['run_id'] ?? a['run_uuid']);
    const path = checkArtifactPath(a['path']);
    return { root_uri: run.info.artifact_uri, files: await opts.artifacts.list(run.info.run_id, path) };
  });
}

/**
 * MLflow's artifact proxy (/api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>):
 * uploads and downloads go through the server into Berth's verified, content-addressed store.
 */
export async function mlflowArtifactRoutes(fastify: FastifyInstance, opts: MlflowRoutesOptions): Promise<void> {
  mlflowErrors(fastify);
  // Artifacts are bytes whatever their content type (a .json file is still a file).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxArtifactBytes }, (_req, body, done) => done(null, body));

  async function locate(path: unknown): Promise<{ runId: string; path: string }> {
    const full = checkArtifactPath(path, false);
    const m = /^(\d+)\/([0-9a-f]{32})\/artifacts(?:\/(.*))?$/.exec(full);
    if (!m) throw new BerthError('invalid_input', `artifact path must be <experiment_id>/<run_id>/artifacts/<path>, got '${full}'`);
    const run = await opts.tracking.getRun(m[2]);
    if (run.info.experiment_id !== m[1]) throw new BerthError('not_found', `run ${m[2]} is not in experiment ${m[1]}`);
    return { runId: m[2]!, path: m[3] ?? '' };
  }

  fastify.put('/artifacts/*', { config: { scope: 'write' }, schema: { tags: ['tracking (MLflow)'] } }, async (req) => {
    const { runId, path } = await locate((req.params as { '*': string })['*']);
    if (path === '') throw new BerthError('invalid_input', 'an artifact needs a file path after artifacts/');
    const body = req.body;
    await opts.artifacts.put(runId, path, Buffer.isBuffer(body) ? body : Buffer.alloc(0));
    return {};
  });
  fastify.get('/artifacts/*', { config: { scope: 'read' }, schema: { tags: ['tracking (MLflow)'] } }, async (req, reply) => {
    const { runId, path } = await locate((req.params as { '*': string })['*']);
    return reply.type('application/octet-stream').send(await opts.artifacts.read(runId, path));
  });
  fastify.get('/artifacts', { config: { scope: 'read' }, schema: { tags: ['tracking (MLflow)'] } }, async (req) => {
    const { runId, path } = await locate((req.query as { path?: string }).path);
    const files = await opts.artifacts.list(runId, path);
    // Paths relative to the listed folder, as MLflow's artifact proxy answers.
    const strip = path === '' ? 0 : path.length + 1;
    return { files: files.map((f) => ({ ...f, path: f.path.slice(strip) })) };
  });
}
