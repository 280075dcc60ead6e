import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { ApiKeyRow, Database } from '../store/index.js';
import { nowIso } from '../store/index.js';

export const SCOPES = ['read', 'predict', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What each scope lets a key do: admin does everything, write also reads and predicts. */
const GRANTS: Record<Scope, readonly Scope[]> = {
  admin: ['admin', 'write', 'read', 'predict'],
  write: ['write', 'read', 'predict'],
  read: ['read'],
  predict: ['predict'],
};

export interface Principal {
  /** `key:<name>` for an API key, `anonymous` on an open loopback server, `cli:<user>` locally. */
  actor: string;
  keyId: string | null;
  scopes: Scope[];
}

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export function allows(principal: Principal, needed: Scope): boolean {
  return principal.scopes.some((s) => GRANTS[s].includes(needed));
}

const KEY_FORMAT = /^berth_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$/;
/** Verified keys are remembered this long, so a hot path does not query the database on each request. */
const CACHE_MS = 5_000;
/** last_used_at is written at most this often per key. */
const TOUCH_MS = 60_000;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function view(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    created_by: row.created_by,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

/**
 * API keys: `berth_<id>_<secret>`. Only the sha256 of the whole key is stored (the secret has 256 bits of
 * entropy, so a slow password hash adds nothing). A key is shown once, at creation.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number }>();
  private readonly touched = new Map<string, number>();
  /** Bumped on every create/revoke in this process, so caches of "are there keys?" can tell they are stale. */
  generation = 0;

  constructor(private readonly db: Kysely<Database>) {}

  async create(input: { name: string; scopes: string[] }, actor: string): Promise<ApiKeyView & { key: string }> {
    if (typeof input.name !== 'string' || !NAME_FORMAT.test(input.name)) {
      throw new BerthError('invalid_input', `key name must be 1-128 letters, digits, '.', '_', '-' or spaces, got ${describeValue(input.name)}`);
    }
    if (!Array.isArray(input.scopes) || input.scopes.length === 0) throw new BerthError('invalid_input', `scopes: expected at least one of ${SCOPES.join(', ')}`);
    for (const scope of input.scopes) {
      if (!(SCOPES as readonly string[]).includes(scope)) throw new BerthError('invalid_input', `scope must be one of ${SCOPES.join(', ')}, got ${describeValue(scope)}`);
    }
    const scopes = [...new Set(input.scopes)] as Scope[];
    const id = randomBytes(6).toString('hex');
    const key = `berth_${id}_${randomBytes(32).toString('base64url')}`;
    const now = nowIso();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_keys').values({ id, name: input.name, secret_hash: sha256(key), scopes: JSON.stringify(scopes), created_by: actor, created_at: now, last_used_at: null, revoked_at: null }).execute();
      await recordAudit(trx, { actor, action: 'key.create', targetType: 'api_key', target: id, after: { name: input.name, scopes } });
    });
    this.generation += 1;
    return { id, name: input.name, scopes, created_by: actor, created_at: now, last_used_at: null, revoked_at: null, key };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(view);
  }

  async revoke(id: string, actor: string): Promise<ApiKeyView> {
    const row = await this.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!found) throw new BerthError('not_found', `API key '${id}' does not exist`);
      if (found.revoked_at) return found;
      const revoked_at = nowIso();
      await trx.updateTable('api_keys').set({ revoked_at }).where('id', '=', id).execute();
      await recordAudit(trx, { actor, action: 'key.revoke', targetType: 'api_key', target: id, before: { name: found.name, scopes: JSON.parse(found.scopes) } });
      return { ...found, revoked_at };
    });
    this.cache.clear();
    this.generation += 1;
    return view(row);
  }

  /** True when at least one key is active: then every request must carry one. */
  async anyActive(): Promise<boolean> {
    const row = await this.db.selectFrom('api_keys').select('id').where('revoked_at', 'is', null).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** The principal a key stands for, or undefined for an unknown, malformed or revoked key. */
  async verify(key: string): Promise<Principal | undefined> {
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && cached.until > now) return cached.principal;
    const principal = await this.lookup(key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { principal, until: now + CACHE_MS });
    return principal;
  }

  private async lookup(key: string): Promise<Principal | undefined> {
    const match = KEY_FORMAT.exec(key);
    if (!match) return undefined;
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', match[1]!).executeTakeFirst();
    if (!row || row.revoked_at) return undefined;
    const expected = Buffer.from(row.secret_hash, 'hex');
    const actual = Buffer.from(sha256(key), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    const last = this.touched.get(row.id) ?? 0;
    if (Date.now() - last > TOUCH_MS) {
      this.touched.set(row.id, Date.now());
      // Bookkeeping only: never make a request wait for it or fail because of it.
      this.db.updateTable('api_keys').set({ last_used_at: nowIso() }).where('id', '=', row.id).execute().catch(() => undefined);
    }
    return { actor: `key:${row.name}`, keyId: row.id, scopes: JSON.parse(row.scopes) as Scope[] };
  }
}
