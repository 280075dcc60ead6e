import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import diff from 'microdiff';
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/index.js';
import { recordAudit, queryAudit, type AuditEvent, type AuditQuery } from '../audit/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { AliasHistoryRow, Database, ModelRow, ModelVersionRow } from '../store/index.js';
import { nowIso } from '../store/index.js';
import { parseWith } from '../validation/index.js';
import { ModelCard } from './card.js';
import { checkCardAgainstGraph, deriveCard } from './card-check.js';
import { readGraphSignature, type GraphSignature } from './onnx-graph.js';
import * as repo from './registry-repo.js';
import {
  ALIAS_PATTERN,
  MODEL_NAME_PATTERN,
  TAG_KEY_PATTERN,
  type AliasHistoryEntry,
  type AliasMove,
  type AliasView,
  type DeleteModelResult,
  type ModelView,
  type Tags,
  type VersionComparison,
  type VersionStatus,
  type VersionView,
} from './types.js';

const MODEL_NAME = new RegExp(MODEL_NAME_PATTERN);
const ALIAS_NAME = new RegExp(ALIAS_PATTERN);
const TAG_KEY = new RegExp(TAG_KEY_PATTERN);
const MAX_TAGS_PER_CALL = 100;

export interface RegistryOptions {
  maxModelBytes: number;
  maxCardBytes: number;
}

export interface RegisterVersionInput {
  model: string;
  /** Path of the ONNX file on local disk (an upload already spooled to a temp file, or a user's file). */
  file: string;
  /** The card as an object or JSON text; omitted → derived from the graph. */
  card?: unknown;
  description?: string | undefined;
  source_run?: string | undefined;
  source_dataset?: string | undefined;
  tags?: Tags | undefined;
}

export interface VersionSelector {
  version?: number | undefined;
  alias?: string | undefined;
}

export function assertModelName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new BerthError(
      'invalid_input',
      `model name must match [A-Za-z0-9][A-Za-z0-9._-]{0,127} (letters, digits, '.', '_', '-'; up to 128 characters), got ${describeValue(name)}`,
    );
  }
}

export function assertAliasName(alias: unknown): asserts alias is string {
  if (typeof alias !== 'string' || !ALIAS_NAME.test(alias)) {
    throw new BerthError('invalid_input', `alias must match [a-z][a-z0-9_-]* (lowercase, up to 64 characters), got ${describeValue(alias)}`);
  }
}

function assertVersionNumber(version: unknown): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new BerthError('invalid_input', `version must be a positive integer, got ${describeValue(version)}`);
  }
}

function assertTags(tags: unknown): asserts tags is Tags {
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) {
    throw new BerthError('invalid_input', `tags must be an object of string values, got ${describeValue(tags)}`);
  }
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS_PER_CALL) throw new BerthError('invalid_input', `at most ${MAX_TAGS_PER_CALL} tags per call, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (!TAG_KEY.test(key)) throw new BerthError('invalid_input', `tag key must be 1-250 characters of letters, digits, '_', '.', '/', '-', ' ', got ${describeValue(key)}`);
    if (typeof value !== 'string') throw new BerthError('invalid_input', `tag '${key}': expected a string value, got ${describeValue(value)}`);
    if (value.length > 5000) throw new BerthError('invalid_input', `tag '${key}': value is ${value.length} characters, the limit is 5000`);
  }
}

function notFoundModel(name: string): BerthError {
  return new BerthError('not_found', `model '${name}' does not exist`);
}

/** The model row, locked for the rest of the transaction (see repo.lockModel), or a 404. */
async function lockedModel(trx: Kysely<Database>, name: string): Promise<ModelRow> {
  const model = await repo.lockModel(trx, name);
  if (!model) throw notFoundModel(name);
  return model;
}

function notFoundVersion(name: string, version: number): BerthError {
  return new BerthError('not_found', `model '${name}' has no version ${version}`);
}

/**
 * The model registry: models, immutable versions with verified artifacts and checked cards, aliases
 * with history, tags and the audit trail. Every mutation runs in one transaction with its audit event.
 */
export class Registry {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly artifacts: ArtifactStore,
    private readonly options: RegistryOptions,
  ) {}

  // --- models ---------------------------------------------------------------------------------------

  async createModel(input: { name: string; description?: string | undefined; tags?: Tags | undefined }, actor: string): Promise<ModelView> {
    assertModelName(input.name);
    if (input.tags !== undefined) assertTags(input.tags);
    const description = input.description ?? '';
    if (description.length > 20_000) throw new BerthError('invalid_input', `description is ${description.length} characters, the limit is 20000`);
    await this.db.transaction().execute(async (trx) => {
      const created = await repo.insertModelIfMissing(trx, input.name, description);
      if (!created) throw new BerthError('conflict', `model '${input.name}' already exists`);
      const model = (await repo.findModel(trx, input.name))!;
      if (input.tags) await repo.upsertModelTags(trx, model.id, input.tags);
      await recordAudit(trx, { actor, action: 'model.create', targetType: 'model', target: input.name, model: input.name, after: { description, tags: input.tags ?? {} } });
    });
    return this.getModel(input.name);
  }

  async getModel(name: string): Promise<ModelView> {
    assertModelName(name);
    const row = await repo.findModel(this.db, name);
    if (!row) throw notFoundModel(name);
    const [view] = await this.modelViews([row]);
    return view!;
  }

  async listModels(opts: { prefix?: string | undefined; page_token?: string | undefined; limit?: number | undefined } = {}): Promise<{ models: ModelView[]; next_page_token: string | null }> {
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BerthError('invalid_input', `limit must be an integer from 1 to 1000, got ${describeValue(opts.limit)}`);
    const rows = await repo.listModelRows(this.db, { prefix: opts.prefix, after: opts.page_token, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { models: await this.modelViews(page), next_page_token: rows.length > limit ? page[page.length - 1]!.name : null };
  }

  async updateModel(name: string, patch: { description?: string | undefined }, actor: string): Promise<ModelView> {
    assertModelName(name);
    if (patch.description !== undefined && (typeof patch.description !== 'string' || patch.description.length > 20_000)) {
      throw new BerthError('invalid_input', `description must be a string of at most 20000 characters, got ${describeValue(patch.description)}`);
    }
    await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      if (patch.description !== undefined && patch.description !== model.description) {
        await repo.updateModelDescription(trx, model.id, patch.description);
        await recordAudit(trx, { actor, action: 'model.update', targetType: 'model', target: name, model: name, before: { description: model.description }, after: { description: patch.description } });
      }
    });
    return this.getModel(name);
  }

  /**
   * Deletes a model with all its versions and aliases. Refused unless `force`: it is the one registry
   * operation that cannot be undone. Artifacts go only when no other version (of any model) shares them.
   */
  async deleteModel(name: string, opts: { force: boolean }, actor: string): Promise<DeleteModelResult> {
    assertModelName(name);
    const deleted = await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const versions = await repo.listVersionRows(trx, model.id);
      const aliases = await repo.aliasRows(trx, [model.id]);
      if (!opts.force) {
        throw new BerthError(
          'conflict',
          `model '${name}' has ${versions.length} version(s) and ${aliases.length} alias(es); deleting it removes them all and cannot be undone: pass force to confirm`,
          { versions: versions.length, aliases: aliases.map((a) => a.alias) },
        );
      }
      await repo.deleteModelRow(trx, model.id);
      await recordAudit(trx, {
        actor,
        action: 'model.delete',
        targetType: 'model',
        target: name,
        model: name,
        before: { versions: versions.map((v) => ({ version: v.version, sha256: v.sha256 })), aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])) },
      });
      return versions;
    });
    const removed = await this.removeUnreferencedArtifacts(deleted.map((v) => v.sha256));
    return { model: name, deleted_versions: deleted.map((v) => v.version).sort((a, b) => a - b), removed_artifacts: removed };
  }

  async setModelTags(name: string, tags: Tags, actor: string): Promise<ModelView> {
    assertModelName(name);
    assertTags(tags);
    await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const before = (await repo.modelTags(trx, [model.id])).get(model.id) ?? {};
      await repo.upsertModelTags(trx, model.id, tags);
      await recordAudit(trx, { actor, action: 'model.tags.set', targetType: 'model', target: name, model: name, before: pick(before, Object.keys(tags)), after: tags });
    });
    return this.getModel(name);
  }

  async deleteModelTags(name: string, keys: string[], actor: string): Promise<ModelView> {
    assertModelName(name);
    await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const before = (await repo.modelTags(trx, [model.id])).get(model.id) ?? {};
      const present = keys.filter((k) => k in before);
      if (present.length === 0) return;
      await repo.deleteModelTags(trx, model.id, present);
      await recordAudit(trx, { actor, action: 'model.tags.delete', targetType: 'model', target: name, model: name, before: pick(before, present) });
    });
    return this.getModel(name);
  }

  // --- versions -------------------------------------------------------------------------------------

  /**
   * Registers a new immutable version. The file is loaded by onnxruntime and the card held to the graph
   * before anything is written; a refused file leaves no row and no artifact behind. The model is
   * created on first registration.
   */
  async registerVersion(input: RegisterVersionInput, actor: string): Promise<VersionView> {
    assertModelName(input.model);
    if (input.tags !== undefined) assertTags(input.tags);
    for (const [field, value] of [['description', input.description], ['source_run', input.source_run], ['source_dataset', input.source_dataset]] as const) {
      if (value !== undefined && (typeof value !== 'string' || value.length > (field === 'description' ? 20_000 : 256))) {
        throw new BerthError('invalid_input', `${field} must be a string of at most ${field === 'description' ? 20_000 : 256} characters, got ${describeValue(value)}`);
      }
    }
    const info = await stat(input.file).catch(() => undefined);
    if (!info?.isFile()) throw new BerthError('invalid_input', `ONNX file ${input.file} does not exist or is not a file`);
    if (info.size > this.options.maxModelBytes) {
      throw new BerthError('payload_too_large', `ONNX file is ${info.size} bytes, the limit is ${this.options.maxModelBytes} (registry.max_model_bytes)`);
    }
    if (info.size === 0) throw new BerthError('invalid_onnx', 'the ONNX file is empty');

    const bytes = await readFile(input.file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const signature = await readGraphSignature(bytes);
    const card = this.resolveCard(input.card, signature);

    const existed = (await this.artifacts.stat(sha256)) !== undefined;
    const stored = await this.artifacts.putFile(input.file, sha256);
    let version: number;
    try {
      version = await this.db.transaction().execute(async (trx) => {
        const created = await repo.insertModelIfMissing(trx, input.model, '');
        const model = (await repo.lockModel(trx, input.model))!;
        // A concurrent cleanup may have removed the blob since it was stored (it was unreferenced then).
        await repo.lockArtifact(trx, sha256);
        if (!(await this.artifacts.stat(sha256))) await this.artifacts.putFile(input.file, sha256);
        if (created) await recordAudit(trx, { actor, action: 'model.create', targetType: 'model', target: input.model, model: input.model, after: { description: '', tags: {} } });
        const number = await repo.nextVersionNumber(trx, model.id);
        const now = nowIso();
        const row = await repo.insertVersion(trx, {
          model_id: model.id,
          version: number,
          status: 'ready',
          description: input.description ?? '',
          sha256,
          size_bytes: stored.size,
          artifact_uri: stored.uri,
          card: JSON.stringify(card),
          signature: JSON.stringify(signature),
          source_run: input.source_run ?? card.source?.run ?? null,
          source_dataset: input.source_dataset ?? card.source?.dataset ?? null,
          created_by: actor,
          created_at: now,
          updated_at: now,
        });
        if (input.tags) await repo.upsertVersionTags(trx, row.id, input.tags);
        await recordAudit(trx, {
          actor,
          action: 'version.create',
          targetType: 'version',
          target: `${input.model}/${number}`,
          model: input.model,
          after: { version: number, sha256, size_bytes: stored.size, card_derived: card.derived === true, tags: input.tags ?? {} },
        });
        return number;
      });
    } catch (err) {
      if (!existed) await this.removeUnreferencedArtifacts([sha256]);
      throw err;
    }
    return this.getVersion(input.model, version);
  }

  private resolveCard(raw: unknown, signature: GraphSignature): ModelCard {
    if (raw === undefined || raw === null || raw === '') return deriveCard(signature);
    let value = raw;
    if (typeof raw === 'string' || raw instanceof Uint8Array) {
      const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
      if (Buffer.byteLength(text) > this.options.maxCardBytes) {
        throw new BerthError('payload_too_large', `model card is ${Buffer.byteLength(text)} bytes, the limit is ${this.options.maxCardBytes}`);
      }
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new BerthError('invalid_input', `model card is not valid JSON: ${(err as Error).message}`);
      }
    }
    const card = parseWith(ModelCard, value, 'model card field');
    return checkCardAgainstGraph(card, signature);
  }

  async getVersion(name: string, version: number): Promise<VersionView> {
    assertModelName(name);
    assertVersionNumber(version);
    const model = await repo.findModel(this.db, name);
    if (!model) throw notFoundModel(name);
    const row = await repo.findVersion(this.db, model.id, version);
    if (!row) throw notFoundVersion(name, version);
    const [view] = await this.versionViews(model, [row]);
    return view!;
  }

  async listVersions(name: string, opts: { status?: VersionStatus | undefined } = {}): Promise<VersionView[]> {
    assertModelName(name);
    const model = await repo.findModel(this.db, name);
    if (!model) throw notFoundModel(name);
    return this.versionViews(model, await repo.listVersionRows(this.db, model.id, opts.status));
  }

  /** The version a request means: an explicit number, else the alias (default `production`), else the latest ready version. */
  async resolveVersion(name: string, selector: VersionSelector = {}): Promise<VersionView> {
    assertModelName(name);
    if (selector.version !== undefined && selector.alias !== undefined) throw new BerthError('invalid_input', 'give either a version or an alias, not both');
    if (selector.version !== undefined) return this.getVersion(name, selector.version);
    const model = await repo.findModel(this.db, name);
    if (!model) throw notFoundModel(name);
    const alias = selector.alias ?? 'production';
    assertAliasName(alias);
    const target = await repo.findAlias(this.db, model.id, alias);
    if (target) return this.getVersion(name, target.version);
    if (selector.alias !== undefined) throw new BerthError('not_found', `model '${name}' has no alias '${alias}'`);
    const latest = (await repo.listVersionRows(this.db, model.id, 'ready'))[0];
    if (!latest) throw new BerthError('not_found', `model '${name}' has no ready version to serve`);
    return this.getVersion(name, latest.version);
  }

  async updateVersion(name: string, version: number, patch: { description?: string | undefined; status?: VersionStatus | undefined }, actor: string): Promise<VersionView> {
    assertModelName(name);
    assertVersionNumber(version);
    if (patch.status !== undefined && patch.status !== 'ready' && patch.status !== 'archived') {
      throw new BerthError('invalid_input', `status must be 'ready' or 'archived', got ${describeValue(patch.status)}`);
    }
    if (patch.description !== undefined && (typeof patch.description !== 'string' || patch.description.length > 20_000)) {
      throw new BerthError('invalid_input', `description must be a string of at most 20000 characters, got ${describeValue(patch.description)}`);
    }
    await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const row = await repo.findVersion(trx, model.id, version);
      if (!row) throw notFoundVersion(name, version);
      if (patch.status === 'archived' && row.status !== 'archived') {
        const pointing = (await repo.aliasRows(trx, [model.id])).filter((a) => a.version === version).map((a) => a.alias);
        if (pointing.length > 0) {
          throw new BerthError('conflict', `version ${version} of '${name}' is the target of alias(es) ${pointing.join(', ')}; move them before archiving it`, { aliases: pointing });
        }
      }
      const changes: { description?: string; status?: VersionStatus } = {};
      if (patch.description !== undefined && patch.description !== row.description) changes.description = patch.description;
      if (patch.status !== undefined && patch.status !== row.status) changes.status = patch.status;
      if (Object.keys(changes).length === 0) return;
      await repo.updateVersionFields(trx, row.id, changes);
      await recordAudit(trx, {
        actor,
        action: 'version.update',
        targetType: 'version',
        target: `${name}/${version}`,
        model: name,
        before: pick({ description: row.description, status: row.status }, Object.keys(changes)),
        after: changes,
      });
    });
    return this.getVersion(name, version);
  }

  /** Deletes a version no alias points to; its artifact goes when no other version shares it. */
  async deleteVersion(name: string, version: number, actor: string): Promise<{ model: string; version: number; removed_artifact: boolean }> {
    assertModelName(name);
    assertVersionNumber(version);
    const row = await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const found = await repo.findVersion(trx, model.id, version);
      if (!found) throw notFoundVersion(name, version);
      const pointing = (await repo.aliasRows(trx, [model.id])).filter((a) => a.version === version).map((a) => a.alias);
      if (pointing.length > 0) {
        throw new BerthError('conflict', `version ${version} of '${name}' is the target of alias(es) ${pointing.join(', ')}; move or delete them first`, { aliases: pointing });
      }
      await repo.deleteVersionRow(trx, found.id);
      await recordAudit(trx, { actor, action: 'version.delete', targetType: 'version', target: `${name}/${version}`, model: name, before: { version, sha256: found.sha256, size_bytes: found.size_bytes, status: found.status } });
      return found;
    });
    const removed = await this.removeUnreferencedArtifacts([row.sha256]);
    return { model: name, version, removed_artifact: removed.length > 0 };
  }

  async setVersionTags(name: string, version: number, tags: Tags, actor: string): Promise<VersionView> {
    assertTags(tags);
    await this.mutateVersionTags(name, version, actor, async (trx, row, before) => {
      await repo.upsertVersionTags(trx, row.id, tags);
      return { action: 'version.tags.set', before: pick(before, Object.keys(tags)), after: tags };
    });
    return this.getVersion(name, version);
  }

  async deleteVersionTags(name: string, version: number, keys: string[], actor: string): Promise<VersionView> {
    await this.mutateVersionTags(name, version, actor, async (trx, row, before) => {
      const present = keys.filter((k) => k in before);
      if (present.length === 0) return undefined;
      await repo.deleteVersionTags(trx, row.id, present);
      return { action: 'version.tags.delete', before: pick(before, present) };
    });
    return this.getVersion(name, version);
  }

  private async mutateVersionTags(
    name: string,
    version: number,
    actor: string,
    change: (trx: Kysely<Database>, row: ModelVersionRow, before: Tags) => Promise<{ action: string; before: Tags; after?: Tags } | undefined>,
  ): Promise<void> {
    assertModelName(name);
    assertVersionNumber(version);
    await this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const row = await repo.findVersion(trx, model.id, version);
      if (!row) throw notFoundVersion(name, version);
      const before = (await repo.versionTags(trx, [row.id])).get(row.id) ?? {};
      const done = await change(trx, row, before);
      if (done) await recordAudit(trx, { actor, action: done.action, targetType: 'version', target: `${name}/${version}`, model: name, before: done.before, after: done.after });
    });
  }

  /** The artifact bytes of a version, verified against its sha256. */
  async readArtifact(name: string, version: number): Promise<{ version: VersionView; bytes: Buffer }> {
    const view = await this.getVersion(name, version);
    return { version: view, bytes: await this.artifacts.read(view.sha256) };
  }

  // --- aliases --------------------------------------------------------------------------------------

  async listAliases(name: string): Promise<AliasView[]> {
    assertModelName(name);
    const model = await repo.findModel(this.db, name);
    if (!model) throw notFoundModel(name);
    return (await repo.aliasRows(this.db, [model.id])).map((a) => ({ alias: a.alias, version: a.version, updated_by: a.updated_by, updated_at: a.updated_at }));
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasHistoryEntry[]> {
    assertModelName(name);
    if (alias !== undefined) assertAliasName(alias);
    const model = await repo.findModel(this.db, name);
    if (!model) throw notFoundModel(name);
    return (await repo.aliasHistoryRows(this.db, model.id, alias)).map(historyEntry);
  }

  /** Points an alias at a version (creating or moving it). */
  setAlias(name: string, alias: string, version: number, actor: string, reason?: string): Promise<AliasMove> {
    return this.moveAlias(name, alias, actor, 'set', reason, async () => version);
  }

  /** Moves an alias (default `production`) to a version; recorded as a promotion. */
  promote(name: string, version: number, actor: string, opts: { alias?: string | undefined; reason?: string | undefined } = {}): Promise<AliasMove> {
    return this.moveAlias(name, opts.alias ?? 'production', actor, 'promote', opts.reason, async () => version);
  }

  /**
   * Moves an alias back to the target it had before its current one. History works as a stack: each
   * set/promote pushes, each rollback pops, so repeated rollbacks walk further back instead of toggling.
   */
  rollback(name: string, actor: string, opts: { alias?: string | undefined; reason?: string | undefined } = {}): Promise<AliasMove> {
    const alias = opts.alias ?? 'production';
    return this.moveAlias(name, alias, actor, 'rollback', opts.reason, async (trx, model, current) => {
      if (current === undefined) throw new BerthError('conflict', `model '${name}' has no alias '${alias}' to roll back`);
      const stack = targetStack(await repo.aliasHistoryRows(trx, model.id, alias, 'asc'));
      const previous = stack.length >= 2 ? stack[stack.length - 2] : undefined;
      if (previous === undefined) throw new BerthError('conflict', `alias '${alias}' of '${name}' has no earlier target to roll back to`);
      return previous;
    });
  }

  private async moveAlias(
    name: string,
    alias: string,
    actor: string,
    action: 'set' | 'promote' | 'rollback',
    reason: string | undefined,
    chooseTarget: (trx: Kysely<Database>, model: ModelRow, current: number | undefined) => Promise<number>,
  ): Promise<AliasMove> {
    assertModelName(name);
    assertAliasName(alias);
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 2000)) {
      throw new BerthError('invalid_input', `reason must be a string of at most 2000 characters, got ${describeValue(reason)}`);
    }
    return this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const current = (await repo.findAlias(trx, model.id, alias))?.version;
      const target = await chooseTarget(trx, model, current);
      assertVersionNumber(target);
      const row = await repo.findVersion(trx, model.id, target);
      if (!row) {
        throw action === 'rollback'
          ? new BerthError('conflict', `cannot roll back alias '${alias}' of '${name}': its previous target, version ${target}, was deleted`)
          : notFoundVersion(name, target);
      }
      if (row.status === 'archived') throw new BerthError('conflict', `version ${target} of '${name}' is archived; restore it (status ready) before pointing '${alias}' at it`);
      await repo.writeAlias(trx, model.id, alias, target, actor);
      await repo.appendAliasHistory(trx, { model_id: model.id, alias, action, from_version: current ?? null, to_version: target, actor, reason: reason ?? null });
      await recordAudit(trx, {
        actor,
        action: `alias.${action}`,
        targetType: 'alias',
        target: `${name}@${alias}`,
        model: name,
        before: current === undefined ? null : { version: current },
        after: { version: target, ...(reason ? { reason } : {}) },
      });
      return { model: name, alias, from_version: current ?? null, to_version: target, action };
    });
  }

  async deleteAlias(name: string, alias: string, actor: string, reason?: string): Promise<AliasMove> {
    assertModelName(name);
    assertAliasName(alias);
    return this.db.transaction().execute(async (trx) => {
      const model = await lockedModel(trx, name);
      const current = await repo.findAlias(trx, model.id, alias);
      if (!current) throw new BerthError('not_found', `model '${name}' has no alias '${alias}'`);
      await repo.deleteAliasRow(trx, model.id, alias);
      await repo.appendAliasHistory(trx, { model_id: model.id, alias, action: 'delete', from_version: current.version, to_version: null, actor, reason: reason ?? null });
      await recordAudit(trx, { actor, action: 'alias.delete', targetType: 'alias', target: `${name}@${alias}`, model: name, before: { version: current.version } });
      return { model: name, alias, from_version: current.version, to_version: null, action: 'delete' as const };
    });
  }

  /**
   * What each named model's requests resolve to right now: its aliases and its latest ready version
   * (the target when no alias is asked for and `production` is unset). Serving polls this to follow moves.
   */
  async routingTable(names: string[]): Promise<Map<string, { aliases: Record<string, number>; latestReady: number | null }>> {
    const { aliases, latest } = await repo.routingRows(this.db, names);
    const table = new Map<string, { aliases: Record<string, number>; latestReady: number | null }>();
    for (const row of latest) table.set(row.name, { aliases: {}, latestReady: row.latest });
    for (const row of aliases) table.get(row.name)!.aliases[row.alias] = row.version;
    return table;
  }

  // --- compare, audit -------------------------------------------------------------------------------

  async compare(name: string, a: number, b: number): Promise<VersionComparison> {
    const [va, vb] = await Promise.all([this.getVersion(name, a), this.getVersion(name, b)]);
    const metricNames = [...new Set([...Object.keys(va.card.metrics ?? {}), ...Object.keys(vb.card.metrics ?? {})])].sort();
    const metrics = metricNames.map((metric) => {
      const ma = va.card.metrics?.[metric] ?? null;
      const mb = vb.card.metrics?.[metric] ?? null;
      return { name: metric, a: ma, b: mb, delta: ma !== null && mb !== null ? mb - ma : null };
    });
    const card_changes = diff(va.card as unknown as Record<string, unknown>, vb.card as unknown as Record<string, unknown>).map((d) => ({
      path: d.path.join('.'),
      change: d.type === 'CREATE' ? ('added' as const) : d.type === 'REMOVE' ? ('removed' as const) : ('changed' as const),
      ...(d.type !== 'CREATE' ? { a: d.oldValue } : {}),
      ...(d.type !== 'REMOVE' ? { b: d.value } : {}),
    }));
    const brief = (v: VersionView) => ({ version: v.version, sha256: v.sha256, size_bytes: v.size_bytes, status: v.status, created_at: v.created_at });
    return {
      model: name,
      a: brief(va),
      b: brief(vb),
      same_artifact: va.sha256 === vb.sha256,
      size_delta_bytes: vb.size_bytes - va.size_bytes,
      same_signature: JSON.stringify(va.signature) === JSON.stringify(vb.signature),
      metrics,
      card_changes,
    };
  }

  audit(query: AuditQuery): Promise<AuditEvent[]> {
    if (query.model !== undefined) assertModelName(query.model);
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000)) {
      throw new BerthError('invalid_input', `limit must be an integer from 1 to 1000, got ${describeValue(query.limit)}`);
    }
    return queryAudit(this.db, query);
  }

  // --- helpers --------------------------------------------------------------------------------------

  private async removeUnreferencedArtifacts(shas: string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const sha of new Set(shas)) {
      const gone = await this.db.transaction().execute(async (trx) => {
        await repo.lockArtifact(trx, sha);
        if ((await repo.countVersionsWithSha(trx, sha)) > 0) return false;
        await this.artifacts.delete(sha);
        return true;
      });
      if (gone) removed.push(sha);
    }
    return removed;
  }

  private async modelViews(rows: ModelRow[]): Promise<ModelView[]> {
    const ids = rows.map((r) => r.id);
    const [tags, stats, aliases] = await Promise.all([repo.modelTags(this.db, ids), repo.versionStats(this.db, ids), repo.aliasRows(this.db, ids)]);
    return rows.map((r) => ({
      name: r.name,
      description: r.description,
      tags: tags.get(r.id) ?? {},
      aliases: Object.fromEntries(aliases.filter((a) => a.model_id === r.id).map((a) => [a.alias, a.version])),
      latest_version: stats.get(r.id)?.latest ?? null,
      version_count: stats.get(r.id)?.count ?? 0,
      created_at: r.created_at,
      updated_at: r.updated_at,
    }));
  }

  private async versionViews(model: ModelRow, rows: ModelVersionRow[]): Promise<VersionView[]> {
    const [tags, aliases] = await Promise.all([repo.versionTags(this.db, rows.map((r) => r.id)), repo.aliasRows(this.db, [model.id])]);
    return rows.map((r) => ({
      model: model.name,
      version: r.version,
      status: r.status,
      description: r.description,
      sha256: r.sha256,
      size_bytes: Number(r.size_bytes),
      artifact_uri: r.artifact_uri,
      card: JSON.parse(r.card) as ModelCard,
      signature: JSON.parse(r.signature) as GraphSignature,
      source_run: r.source_run,
      source_dataset: r.source_dataset,
      tags: tags.get(r.id) ?? {},
      aliases: aliases.filter((a) => a.version === r.version).map((a) => a.alias),
      created_by: r.created_by,
      created_at: r.created_at,
      updated_at: r.updated_at,
    }));
  }
}

function pick(tags: Record<string, unknown>, keys: string[]): Tags {
  return Object.fromEntries(keys.filter((k) => k in tags).map((k) => [k, String(tags[k])]));
}

function historyEntry(r: AliasHistoryRow): AliasHistoryEntry {
  return { id: r.id, alias: r.alias, action: r.action, from_version: r.from_version, to_version: r.to_version, actor: r.actor, reason: r.reason, time: r.created_at };
}

/** Replays an alias's history into the stack of targets rollback walks back through. */
export function targetStack(history: ReadonlyArray<Pick<AliasHistoryRow, 'action' | 'to_version'>>): number[] {
  const stack: number[] = [];
  for (const entry of history) {
    if (entry.action === 'delete') stack.length = 0;
    else if (entry.action === 'rollback') {
      stack.pop();
      if (stack[stack.length - 1] !== entry.to_version && entry.to_version !== null) stack.push(entry.to_version);
    } else if (entry.to_version !== null) stack.push(entry.to_version);
  }
  return stack;
}

