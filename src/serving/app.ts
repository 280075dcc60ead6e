import path from 'node:path';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { BERTH_VERSION } from '../config/index.js';
import type { Berth } from '../context/index.js';
import { installAuth } from './auth.js';
import { installErrorHandling } from './errors.js';
import { healthRoutes } from './routes/health-routes.js';
import { keysRoutes } from './routes/keys-routes.js';
import { registryRoutes } from './routes/registry-routes.js';
import { ErrorResponse } from './schemas.js';


export interface AppOptions {
  /** Bound to loopback: with no active API key the server is open. */
  loopback: boolean;
  /** Fastify/pino logging; false in tests. */
  logger?: boolean;
}

/** Composes the HTTP API from one plugin per capability. Listening is the caller's job (see server.ts). */
export async function buildApp(berth: Berth, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: berth.config.log.level },
    bodyLimit: berth.config.server.body_limit_bytes,
    // Refuse unknown fields instead of silently dropping them; coerce query strings like "2" to numbers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Per-request log lines would cost more than a prediction; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // Response schemas document the API; serialization stays JSON.stringify so nothing is silently dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addSchema(ErrorResponse);
  installErrorHandling(app);
  installAuth(app, berth.keys, { loopback: options.loopback });

  await app.register(multipart, { limits: { fileSize: berth.config.registry.max_model_bytes } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Berth API', version: BERTH_VERSION, description: 'Model registry, serving and monitoring. Errors: {"error": {code, message, details}}.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer berth_<id>_<secret>' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { store: berth.store, version: BERTH_VERSION, startedAt: Date.now() });
  await app.register(registryRoutes, {
    prefix: '/v1',
    registry: berth.registry,
    tmpDir: path.join(berth.config.home, 'tmp', 'uploads'),
    maxModelBytes: berth.config.registry.max_model_bytes,
    maxCardBytes: berth.config.registry.max_card_bytes,
  });
  await app.register(keysRoutes, { prefix: '/v1', keys: berth.keys });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
