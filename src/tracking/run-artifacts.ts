import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { Database } from '../store/index.js';

export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** A relative artifact path with no `..`, no leading slash, no empty segments. */
export function checkArtifactPath(path: unknown, allowEmpty = true): string {
  if (path === undefined || path === null || path === '') {
    if (allowEmpty) return '';
    throw new BerthError('invalid_input', 'artifact path is required');
  }
  if (typeof path !== 'string' || path.length > 1000) throw new BerthError('invalid_input', `artifact path must be a string of at most 1000 characters, got ${describeValue(path)}`);
  const clean = path.replace(/^\/+|\/+$/g, '');
  if (clean.split('/').some((part) => part === '' || part === '.' || part === '..') || clean.includes('\\')) {
    throw new BerthError('invalid_input', `invalid artifact path '${path}': use relative paths without '.', '..' or empty segments`);
  }
  return clean;
}

/** Run artifacts: each path in a run points at a content-addressed, verified blob of the artifact store. */
export class RunArtifacts {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: ArtifactStore,
  ) {}

  async put(runId: string, path: string, bytes: Uint8Array): Promise<void> {
    const stored = await this.store.putBuffer(bytes);
    await this.db
      .insertInto('run_artifacts')
      .values({ run_uuid: runId, path, sha256: stored.sha256, size_bytes: stored.size, created_at: Date.now() })
      .onConflict((oc) => oc.columns(['run_uuid', 'path']).doUpdateSet({ sha256: stored.sha256, size_bytes: stored.size, created_at: Date.now() }))
      .execute();
  }

  async read(runId: string, path: string): Promise<Buffer> {
    const row = await this.db.selectFrom('run_artifacts').selectAll().where('run_uuid', '=', runId).where('path', '=', path).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `artifact '${path}' of run ${runId} does not exist`);
    return this.store.read(row.sha256);
  }

  /** The direct children of `path` (files and folders), like MLflow's artifacts/list. */
  async list(runId: string, path: string): Promise<ArtifactFile[]> {
    const prefix = path === '' ? '' : `${path}/`;
    const rows = await this.db.selectFrom('run_artifacts').select(['path', 'size_bytes']).where('run_uuid', '=', runId).orderBy('path').execute();
    const out = new Map<string, ArtifactFile>();
    for (const row of rows) {
      if (!row.path.startsWith(prefix)) continue;
      const rest = row.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) out.set(row.path, { path: row.path, is_dir: false, file_size: Number(row.size_bytes) });
      else out.set(prefix + rest.slice(0, slash), { path: prefix + rest.slice(0, slash), is_dir: true });
    }
    return [...out.values()];
  }
}
