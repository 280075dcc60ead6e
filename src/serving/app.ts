import path from 'node:path';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { BERTH_VERSION } from '../config/index.js';
import type { Berth } from '../context/index.js';
import type { ModelManager } from '../inference/index.js';
import type { PredictionLog } from '../monitoring/index.js';
import { monitoringRoutes } from './routes/monitoring-routes.js';
import { abtestRoutes } from './routes/abtest-routes.js';
import { pipelineRoutes } from './routes/pipeline-routes.js';
import { retrainingRoutes } from './routes/retraining-routes.js';
import type { AbTestRouting } from '../abtest/index.js';
import { installAuth } from './auth.js';
import { installErrorHandling } from './errors.js';
import type { ServingMetrics } from './metrics.js';
import { healthRoutes } from './routes/health-routes.js';
import { keysRoutes } from './routes/keys-routes.js';
import { mlflowArtifactRoutes, mlflowRoutes } from './routes/mlflow-routes.js';
import { trackingRoutes } from './routes/tracking-routes.js';
import { datasetRoutes } from './routes/dataset-routes.js';
import { oipRoutes } from './routes/oip-routes.js';
import { predictRoutes } from './routes/predict-routes.js';
import { registryRoutes } from './routes/registry-routes.js';
import { ErrorResponse } from './schemas.js';

export interface AppOptions {
  /** Bound to loopback: with no active API key the server is open. */
  loopback: boolean;
  manager: ModelManager;
  metrics: ServingMetrics;
  /** True once the models were loaded at start (for /ready). */
  isStarted: () => boolean;
  /** The prediction log writer (absent when monitoring.enabled is false). */
  log?: PredictionLog | undefined;
  /** Running A/B tests, as the predict path routes by them. */
  routing: AbTestRouting;
  /** Fastify/pino logging; false in tests. */
  logger?: boolean;
}

/** Composes the HTTP API from one plugin per capability. Listening is the caller's job (see server.ts). */
export async function buildApp(berth: Berth, options: AppOptions): Promise<FastifyInstance> {
  const { config } = berth;
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.log.level },
    bodyLimit: config.server.body_limit_bytes,
    // Refuse unknown fields instead of silently dropping them; coerce query strings like "2" to numbers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Per-request log lines would cost more than a prediction; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino builds one with the request id for every request, ~0.5% of a
    // prediction's CPU): request.log is the app logger, and Berth's error logs name the request id themselves.
    childLoggerFactory: (logger) => logger,
  });
  // Response schemas document the API; serialization stays JSON.stringify so nothing is silently dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addSchema(ErrorResponse);
  installErrorHandling(app);
  installAuth(app, berth.keys, { loopback: options.loopback });

  if (config.server.cors_origins.length > 0) {
    await app.register(cors, { origin: config.server.cors_origins, methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] });
  }
  if (config.server.rate_limit_per_minute > 0) {
    await app.register(rateLimit, {
      max: config.server.rate_limit_per_minute,
      timeWindow: 60_000,
      // One budget per verified API key (auth runs first), per client address otherwise.
      keyGenerator: (request) => request.principal?.keyId ?? request.ip,
      allowList: (request) => ['/health', '/ready', '/metrics'].includes(request.url.split('?')[0]!),
    });
  }
  // @fastify/multipart is registered by the registry and dataset routes only: it adds an async onResponse hook
  // (cleaning up saveRequestFiles uploads, which Berth never makes) to every route it covers, ~1% of a
  // prediction's CPU. Predict reads its image parts with busboy itself.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Berth API', version: BERTH_VERSION, description: 'Model registry, serving and monitoring. Errors: {"error": {code, message, details}} (Open Inference Protocol routes under /v2: {"error": "..."}).' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer berth_<id>_<secret>' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { store: berth.store, version: BERTH_VERSION, startedAt: Date.now(), manager: options.manager, metrics: options.metrics, isStarted: options.isStarted });
  await app.register(registryRoutes, {
    prefix: '/v1',
    registry: berth.registry,
    tmpDir: path.join(config.home, 'tmp', 'uploads'),
    maxModelBytes: config.registry.max_model_bytes,
    maxCardBytes: config.registry.max_card_bytes,
    servingStatus: (name: string) => options.manager.status().loaded.filter((s) => s.model === name),
  });
  await app.register(predictRoutes, {
    prefix: '/v1',
    manager: options.manager,
    metrics: options.metrics,
    maxInstances: config.inference.max_instances,
    maxImageBytes: config.inference.max_image_bytes,
    log: options.log,
    routing: options.routing,
    onShadowError: (err: unknown) => app.log.warn({ err }, 'shadow prediction failed (the client was not affected)'),
  });
  await app.register(abtestRoutes, { prefix: '/v1', abtests: berth.abtests, routing: options.routing });
  await app.register(pipelineRoutes, { prefix: '/v1', pipelines: berth.pipelines, home: config.home });
  await app.register(retrainingRoutes, { prefix: '/v1', retraining: berth.retraining, registry: berth.registry });
  await app.register(monitoringRoutes, { prefix: '/v1', monitoring: berth.monitoring, registry: berth.registry, maxReferenceBytes: config.registry.max_dataset_bytes });
  await app.register(keysRoutes, { prefix: '/v1', keys: berth.keys });
  const tracking = { tracking: berth.tracking, artifacts: berth.runArtifacts, db: berth.store.db, maxArtifactBytes: config.registry.max_model_bytes };
  await app.register(mlflowRoutes, { prefix: '/api/2.0/mlflow', ...tracking });
  await app.register(mlflowArtifactRoutes, { prefix: '/api/2.0/mlflow-artifacts', ...tracking });
  await app.register(trackingRoutes, { prefix: '/v1', tracking: berth.tracking });
  await app.register(datasetRoutes, { prefix: '/v1', datasets: berth.datasets, tmpDir: path.join(config.home, 'tmp', 'uploads'), maxBytes: config.registry.max_dataset_bytes });
  await app.register(oipRoutes, { prefix: '/v2', manager: options.manager, registry: berth.registry, metrics: options.metrics, isReady: options.isStarted, log: options.log });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
