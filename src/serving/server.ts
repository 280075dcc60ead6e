import type { FastifyInstance } from 'fastify';
import type { Berth } from '../context/index.js';
import { BerthError } from '../errors/index.js';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server. Bound anywhere but loopback, it refuses to start until an API key exists,
 * so a fresh install is never exposed without authentication.
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
  const app = await buildApp(berth, { loopback, ...(opts.logger !== undefined ? { logger: opts.logger } : {}) });
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shownHost}:${actualPort}`, close: () => app.close() };
}
