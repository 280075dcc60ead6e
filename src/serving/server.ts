import type { FastifyInstance } from 'fastify';
import type { Berth } from '../context/index.js';
import { BerthError } from '../errors/index.js';
import { ModelManager } from '../inference/index.js';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';
import { ServingMetrics } from './metrics.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  manager: ModelManager;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server and the model manager. Bound anywhere but loopback, it refuses to start until an
 * API key exists, so a fresh install is never exposed without authentication. Closing stops taking
 * requests, lets in-flight ones finish, then unloads the models.
 */
export async function startServer(berth: Berth, opts: { host?: string; port?: number; logger?: boolean } = {}): Promise<RunningServer> {
  const host = opts.host ?? berth.config.server.host;
  const port = opts.port ?? berth.config.server.port;
  const loopback = isLoopback(host);
  if (!loopback && !(await berth.keys.anyActive())) {
    throw new BerthError(
      'invalid_config',
      `refusing to listen on ${host} without API keys: anyone who can reach it could change the registry. Create a key first (berth keys create --name admin --scope admin) or bind to 127.0.0.1.`,
    );
  }
  let manager: ModelManager | undefined;
  const metrics = new ServingMetrics(() => manager);
  let started = false;
  manager = new ModelManager(berth.registry, berth.config.inference, {
    onSwap: (e) => {
      metrics.swaps.inc({ model: e.model });
      app.log.info({ swap: e }, `serving ${e.model} (${e.selector}) moved from v${e.from} to v${e.to}`);
    },
    onLoadError: (e) => {
      metrics.loadErrors.inc({ model: e.model });
      app.log.error({ loadError: e }, `could not load ${e.model} v${e.version}; the previous version keeps serving`);
    },
  });
  const app = await buildApp(berth, { loopback, manager, metrics, isStarted: () => started, ...(opts.logger !== undefined ? { logger: opts.logger } : {}) });
  await manager.start();
  started = true;
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const serving = manager;
  return {
    app,
    url: `http://${shownHost}:${actualPort}`,
    manager: serving,
    close: async () => {
      await app.close();
      await serving.stop();
    },
  };
}
