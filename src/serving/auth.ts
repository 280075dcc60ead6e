import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allows, type ApiKeys, type Principal, type Scope } from '../auth/index.js';
import { BerthError } from '../errors/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a caller needs; routes without one (health, docs) are public. */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const ANONYMOUS: Principal = { actor: 'anonymous', keyId: null, scopes: ['admin'] };
const OPEN_CHECK_MS = 2_000;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * API-key authentication. A server bound to loopback with no active key is open (a laptop): requests
 * act as `anonymous`. Once any key exists, every scoped route needs `Authorization: Bearer <key>`.
 */
export function installAuth(app: FastifyInstance, keys: ApiKeys, opts: { loopback: boolean }): void {
  // Keys made by another process (the CLI) are seen within OPEN_CHECK_MS; keys made here at once.
  let openUntil = 0;
  let openGeneration = -1;
  let open = false;
  async function serverIsOpen(): Promise<boolean> {
    if (!opts.loopback) return false;
    const now = Date.now();
    if (now >= openUntil || openGeneration !== keys.generation) {
      openGeneration = keys.generation;
      open = !(await keys.anyActive());
      openUntil = now + OPEN_CHECK_MS;
    }
    return open;
  }

  app.decorateRequest('principal', null as unknown as Principal);
  /** Checks a caller against the scope a route needs; sets request.principal or throws 401/403. */
  function admit(request: FastifyRequest, principal: Principal, needed: Scope): void {
    if (!allows(principal, needed)) {
      throw new BerthError('forbidden', `this call needs scope '${needed}'; the key has ${principal.scopes.join(', ')}`);
    }
    request.principal = principal;
  }
  async function authenticate(request: FastifyRequest, needed: Scope): Promise<void> {
    const header = request.headers.authorization;
    let principal: Principal | undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new BerthError('unauthorized', "Authorization header must be 'Bearer <api key>'");
      principal = await keys.verify(match[1]!);
      if (!principal) throw new BerthError('unauthorized', 'API key is unknown or revoked');
    } else if (await serverIsOpen()) {
      principal = ANONYMOUS;
    } else {
      throw new BerthError('unauthorized', "this server requires an API key: send 'Authorization: Bearer <key>' (create one with `berth keys create`)");
    }
    admit(request, principal, needed);
  }
  // A callback hook, not an async one: an open laptop server (the common case of a request without a key)
  // is admitted without a promise and a microtask per request.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const needed = request.routeOptions.config?.scope;
    if (!needed) return done();
    if (request.headers.authorization === undefined && open && Date.now() < openUntil && openGeneration === keys.generation) {
      try {
        admit(request, ANONYMOUS, needed);
      } catch (err) {
        return done(err as Error);
      }
      return done();
    }
    authenticate(request, needed).then(() => done(), (err: Error) => done(err));
  });
}
