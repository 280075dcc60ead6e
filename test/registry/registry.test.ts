import { readFileSync, writeFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/artifacts/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { Registry } from '../../src/registry/index.js';
import { BerthError } from '../../src/errors/index.js';
import { artifactsPath } from '../../src/config/index.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';
import { refusalOf } from '../helpers/refusals.js';

const V1 = fixtureModel('breast_cancer_v1.onnx');
const V2 = fixtureModel('breast_cancer_v2.onnx');
const CARD_V1 = JSON.parse(readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8')) as Record<string, unknown>;
const CARD_V2 = JSON.parse(readFileSync(fixtureModel('breast_cancer_v2.card.json'), 'utf8')) as Record<string, unknown>;
const ACTOR = 'test:alice';

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function blobs(berth: Berth): string[] {
  const root = path.join(artifactsPath(berth.config), 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((dir) => readdirSync(path.join(root, dir)));
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempFile(name: string, content: Uint8Array | string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-file-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe.each(storeTargets())('registry on $engine', (target) => {
  let berth: Berth;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const made = target.make();
    cleanup = made.cleanup;
    berth = await openBerth(made.config);
  });
  afterAll(async () => {
    await berth?.close();
    await cleanup?.();
  });

  it('registers a version: numbered, checksummed, card checked against the graph and stored', async () => {
    const v = await berth.registry.registerVersion({ model: 'cancer', file: V1, card: CARD_V1, description: 'first', tags: { team: 'ml' } }, ACTOR);
    expect(v.version).toBe(1);
    expect(v.sha256).toBe(sha256File(V1));
    expect(v.size_bytes).toBe(readFileSync(V1).length);
    expect(v.status).toBe('ready');
    expect(v.created_by).toBe(ACTOR);
    expect(v.card.task).toBe('classification');
    expect(v.card.outputs[0]).toMatchObject({ name: 'probabilities', labels: ['malignant', 'benign'], dtype: 'float32' });
    expect(v.signature.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: ['batch', 30] }]);
    expect(v.source_dataset).toBe((CARD_V1['source'] as { dataset: string }).dataset);
    expect(v.tags).toEqual({ team: 'ml' });
    expect(blobs(berth)).toContain(v.sha256);
    const model = await berth.registry.getModel('cancer');
    expect(model).toMatchObject({ name: 'cancer', latest_version: 1, version_count: 1 });
    const { bytes } = await berth.registry.readArtifact('cancer', 1);
    expect(bytes.equals(readFileSync(V1))).toBe(true);
  });

  it('derives a card from the graph when none is given', async () => {
    const v = await berth.registry.registerVersion({ model: 'fixed', file: fixtureModel('fixed_batch.onnx') }, ACTOR);
    expect(v.card).toEqual({
      task: 'generic',
      derived: true,
      inputs: [{ name: 'x', kind: 'tensor', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', kind: 'tensor', dtype: 'float32', shape: [1, 4] }],
    });
  });

  it('accepts a card with several inputs of different element types', async () => {
    const card = JSON.parse(readFileSync(fixtureModel('multi_input.card.json'), 'utf8')) as unknown;
    const v = await berth.registry.registerVersion({ model: 'multi', file: fixtureModel('multi_input.onnx'), card: JSON.stringify(card) }, ACTOR);
    expect(v.card.inputs.map((i) => i.name)).toEqual(['numeric', 'ids']);
    expect(v.signature.inputs[1]).toEqual({ name: 'ids', dtype: 'int64', shape: ['batch', 2] });
  });

  it('refuses corrupt and non-ONNX files and leaves nothing behind', async () => {
    const before = blobs(berth);
    const auditBefore = (await berth.registry.audit({ limit: 1000 })).length;
    const truncated = tempFile('t.onnx', readFileSync(V1).subarray(0, 400));
    const text = tempFile('t.onnx', 'this is not a model');
    const empty = tempFile('e.onnx', '');
    for (const file of [truncated, text]) {
      const err = await refusalOf(berth.registry.registerVersion({ model: 'broken', file }, ACTOR));
      expect(err.code).toBe('invalid_onnx');
      expect(err.status).toBe(422);
      expect(err.message).toMatch(/not a model onnxruntime can load/);
    }
    expect((await refusalOf(berth.registry.registerVersion({ model: 'broken', file: empty }, ACTOR))).code).toBe('invalid_onnx');
    expect((await refusalOf(berth.registry.getModel('broken'))).code).toBe('not_found');
    expect(blobs(berth)).toEqual(before);
    expect((await berth.registry.audit({ limit: 1000 })).length).toBe(auditBefore);
  });

  it('refuses a card that disagrees with the graph, naming each disagreement', async () => {
    const before = blobs(berth);
    const wrongName = structuredClone(CARD_V1) as { inputs: Array<{ name: string }> };
    wrongName.inputs[0]!.name = 'x';
    let err = await refusalOf(berth.registry.registerVersion({ model: 'mismatch', file: V1, card: wrongName }, ACTOR));
    expect(err.code).toBe('card_mismatch');
    expect(err.message).toContain("input 'x' is in the card but not in the graph");
    expect(err.message).toContain("graph input 'features' is not described in the card");

    const fewerFeatures = structuredClone(CARD_V1) as { inputs: Array<{ features: unknown[] }> };
    fewerFeatures.inputs[0]!.features.pop();
    err = await refusalOf(berth.registry.registerVersion({ model: 'mismatch', file: V1, card: fewerFeatures }, ACTOR));
    expect(err.message).toContain('dimension 1 is 29 in the card but 30 in the graph');

    const wrongType = { task: 'regression', inputs: [{ name: 'features', kind: 'tensor', dtype: 'int64', shape: [-1, 30] }], outputs: [{ name: 'probabilities' }] };
    err = await refusalOf(berth.registry.registerVersion({ model: 'mismatch', file: V1, card: wrongType }, ACTOR));
    expect(err.message).toContain("input 'features': card says element type int64, graph says float32");

    const wrongRank = { task: 'regression', inputs: [{ name: 'features', kind: 'tensor', dtype: 'float32', shape: [-1, 5, 6] }], outputs: [{ name: 'probabilities' }] };
    err = await refusalOf(berth.registry.registerVersion({ model: 'mismatch', file: V1, card: wrongRank }, ACTOR));
    expect(err.message).toContain('card declares rank 3');

    const badLabels = structuredClone(CARD_V1) as { outputs: Array<{ labels: string[] }> };
    badLabels.outputs[0]!.labels = ['a', 'b', 'c'];
    err = await refusalOf(berth.registry.registerVersion({ model: 'mismatch', file: V1, card: badLabels }, ACTOR));
    expect(err.message).toContain('card lists 3 labels but the graph gives 2 columns');

    const unknownOutput = structuredClone(CARD_V1) as { outputs: Array<{ name: string }> };
    unknownOutput.outputs[0]!.name = 'scores';
    err = await refusalOf(berth.registry.registerVersion({ model: 'mismatch', file: V1, card: unknownOutput }, ACTOR));
    expect(err.message).toContain("output 'scores' is in the card but not in the graph");

    expect((await refusalOf(berth.registry.getModel('mismatch'))).code).toBe('not_found');
    expect(blobs(berth)).toEqual(before);
  });

  it('refuses a malformed card with the field, the expectation and the value', async () => {
    const noTask = structuredClone(CARD_V1);
    delete noTask['task'];
    let err = await refusalOf(berth.registry.registerVersion({ model: 'badcard', file: V1, card: noTask }, ACTOR));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain("'task': expected a value, got nothing");

    const badMin = structuredClone(CARD_V1) as { inputs: Array<{ features: Array<{ min: unknown }> }> };
    badMin.inputs[0]!.features[2]!.min = 'zero';
    err = await refusalOf(berth.registry.registerVersion({ model: 'badcard', file: V1, card: badMin }, ACTOR));
    expect(err.message).toContain("'inputs.0.features.2.min'");
    expect(err.message).toContain('"zero"');

    err = await refusalOf(berth.registry.registerVersion({ model: 'badcard', file: V1, card: '{"task": ' }, ACTOR));
    expect(err.message).toMatch(/model card is not valid JSON/);
  });

  it('validates model names, aliases and tags', async () => {
    for (const name of ['', '-lead', 'has space', 'a/b', 'x'.repeat(129), 'ünïcode']) {
      const err = await refusalOf(berth.registry.createModel({ name }, ACTOR));
      expect(err.code).toBe('invalid_input');
      expect(err.message).toContain('model name must match');
    }
    await berth.registry.createModel({ name: 'A1.b_c-d', description: 'ok' }, ACTOR);
    expect((await refusalOf(berth.registry.createModel({ name: 'A1.b_c-d' }, ACTOR))).code).toBe('conflict');
    for (const alias of ['Prod', '1st', 'has space', '']) {
      expect((await refusalOf(berth.registry.setAlias('cancer', alias, 1, ACTOR))).message).toContain('alias must match');
    }
    expect((await refusalOf(berth.registry.setModelTags('cancer', { 'bad\nkey': 'x' }, ACTOR))).code).toBe('invalid_input');
    expect((await refusalOf(berth.registry.setModelTags('cancer', { k: 'x'.repeat(5001) }, ACTOR))).message).toContain('limit is 5000');
  });

  it('numbers versions 1..n and never reuses a deleted number', async () => {
    const v2 = await berth.registry.registerVersion({ model: 'cancer', file: V2, card: CARD_V2 }, ACTOR);
    expect(v2.version).toBe(2);
    const v3 = await berth.registry.registerVersion({ model: 'cancer', file: V2, card: CARD_V2, description: 'same bytes as v2' }, ACTOR);
    expect(v3.version).toBe(3);
    expect(v3.sha256).toBe(v2.sha256);
    const deleted = await berth.registry.deleteVersion('cancer', 3, ACTOR);
    expect(deleted.removed_artifact).toBe(false); // v2 still uses the same bytes
    expect(blobs(berth)).toContain(v2.sha256);
    const v4 = await berth.registry.registerVersion({ model: 'cancer', file: V2, card: CARD_V2 }, ACTOR);
    expect(v4.version).toBe(4);
    expect((await berth.registry.listVersions('cancer')).map((v) => v.version)).toEqual([4, 2, 1]);
  });

  it('moves aliases with history; promote and rollback walk a stack', async () => {
    let move = await berth.registry.promote('cancer', 1, ACTOR);
    expect(move).toEqual({ model: 'cancer', alias: 'production', from_version: null, to_version: 1, action: 'promote' });
    move = await berth.registry.promote('cancer', 2, ACTOR, { reason: 'better AUC' });
    expect(move).toMatchObject({ from_version: 1, to_version: 2 });
    move = await berth.registry.promote('cancer', 4, ACTOR);
    expect((await berth.registry.rollback('cancer', ACTOR)).to_version).toBe(2);
    expect((await berth.registry.rollback('cancer', ACTOR)).to_version).toBe(1);
    const err = await refusalOf(berth.registry.rollback('cancer', ACTOR));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('no earlier target');
    expect((await berth.registry.resolveVersion('cancer')).version).toBe(1);

    await berth.registry.setAlias('cancer', 'staging', 4, ACTOR);
    expect((await berth.registry.resolveVersion('cancer', { alias: 'staging' })).version).toBe(4);
    expect((await berth.registry.getModel('cancer')).aliases).toEqual({ production: 1, staging: 4 });
    expect((await berth.registry.getVersion('cancer', 4)).aliases).toEqual(['staging']);

    const history = await berth.registry.aliasHistory('cancer', 'production');
    expect(history.map((h) => [h.action, h.from_version, h.to_version])).toEqual([
      ['rollback', 2, 1],
      ['rollback', 4, 2],
      ['promote', 2, 4],
      ['promote', 1, 2],
      ['promote', null, 1],
    ]);
    expect(history[3]!.reason).toBe('better AUC');
    expect(history.every((h) => h.actor === ACTOR)).toBe(true);

    const deleted = await berth.registry.deleteAlias('cancer', 'staging', ACTOR);
    expect(deleted).toMatchObject({ from_version: 4, to_version: null });
    expect((await refusalOf(berth.registry.resolveVersion('cancer', { alias: 'staging' }))).code).toBe('not_found');
    expect((await refusalOf(berth.registry.promote('cancer', 99, ACTOR))).code).toBe('not_found');
  });

  it('refuses to delete or archive an aliased version, and to point an alias at an archived one', async () => {
    let err = await refusalOf(berth.registry.deleteVersion('cancer', 1, ACTOR));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('target of alias(es) production');
    err = await refusalOf(berth.registry.updateVersion('cancer', 1, { status: 'archived' }, ACTOR));
    expect(err.code).toBe('conflict');
    const archived = await berth.registry.updateVersion('cancer', 4, { status: 'archived', description: 'superseded' }, ACTOR);
    expect(archived).toMatchObject({ status: 'archived', description: 'superseded' });
    err = await refusalOf(berth.registry.promote('cancer', 4, ACTOR));
    expect(err.message).toContain('archived');
    await berth.registry.updateVersion('cancer', 4, { status: 'ready' }, ACTOR);
  });

  it('refuses a rollback to a version deleted since', async () => {
    await berth.registry.registerVersion({ model: 'rb', file: V1, card: CARD_V1 }, ACTOR);
    await berth.registry.registerVersion({ model: 'rb', file: V2, card: CARD_V2 }, ACTOR);
    await berth.registry.promote('rb', 1, ACTOR);
    await berth.registry.promote('rb', 2, ACTOR);
    await berth.registry.deleteVersion('rb', 1, ACTOR);
    const err = await refusalOf(berth.registry.rollback('rb', ACTOR));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('version 1, was deleted');
    expect((await berth.registry.getModel('rb')).aliases).toEqual({ production: 2 });
  });

  it('tags models and versions', async () => {
    await berth.registry.setModelTags('cancer', { owner: 'alice', domain: 'health' }, ACTOR);
    await berth.registry.setModelTags('cancer', { owner: 'bob' }, ACTOR);
    await berth.registry.deleteModelTags('cancer', ['domain', 'absent'], ACTOR);
    expect((await berth.registry.getModel('cancer')).tags).toEqual({ owner: 'bob' });
    await berth.registry.setVersionTags('cancer', 2, { validated: 'yes' }, ACTOR);
    await berth.registry.deleteVersionTags('cancer', 1, ['team'], ACTOR);
    expect((await berth.registry.getVersion('cancer', 2)).tags).toEqual({ validated: 'yes' });
    expect((await berth.registry.getVersion('cancer', 1)).tags).toEqual({});
  });

  it('compares two versions: card changes, metric deltas, sizes', async () => {
    const cmp = await berth.registry.compare('cancer', 1, 2);
    expect(cmp.same_artifact).toBe(false);
    expect(cmp.same_signature).toBe(true);
    expect(cmp.size_delta_bytes).toBe(readFileSync(V2).length - readFileSync(V1).length);
    const accuracy = cmp.metrics.find((m) => m.name === 'accuracy')!;
    const m1 = (CARD_V1['metrics'] as Record<string, number>)['accuracy']!;
    const m2 = (CARD_V2['metrics'] as Record<string, number>)['accuracy']!;
    expect(accuracy).toEqual({ name: 'accuracy', a: m1, b: m2, delta: m2 - m1 });
    expect(cmp.card_changes).toContainEqual({ path: 'description', change: 'changed', a: CARD_V1['description'], b: CARD_V2['description'] });
    expect(cmp.card_changes.some((c) => c.path === 'inputs.0.features.0.min')).toBe(false);
  });

  it('detects a corrupted artifact on read instead of loading it', async () => {
    const v = await berth.registry.getVersion('cancer', 2);
    const blob = path.join(artifactsPath(berth.config), 'sha256', v.sha256.slice(0, 2), v.sha256);
    const original = readFileSync(blob);
    const flipped = Buffer.from(original);
    flipped[100] = flipped[100]! ^ 0xff;
    writeFileSync(blob, flipped);
    try {
      const err = await refusalOf(berth.registry.readArtifact('cancer', 2));
      expect(err.code).toBe('checksum_mismatch');
      expect(err.message).toContain('is corrupt');
      const chunks: Buffer[] = [];
      const streamErr = await new Promise<unknown>((resolve) => {
        const s = berth.artifacts.createReadStream(v.sha256);
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('error', resolve);
        s.on('end', () => resolve(undefined));
      });
      expect((streamErr as BerthError).code).toBe('checksum_mismatch');
    } finally {
      writeFileSync(blob, original);
    }
  });

  it('deletes a model only with force, removing artifacts no other version uses', async () => {
    await berth.registry.registerVersion({ model: 'doomed', file: V1, card: CARD_V1 }, ACTOR); // shares bytes with cancer v1
    const own = await berth.registry.registerVersion({ model: 'doomed', file: fixtureModel('tiny_cnn.onnx'), card: readFileSync(fixtureModel('tiny_cnn.card.json'), 'utf8') }, ACTOR);
    await berth.registry.promote('doomed', 2, ACTOR);
    const err = await refusalOf(berth.registry.deleteModel('doomed', { force: false }, ACTOR));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('pass force');
    const result = await berth.registry.deleteModel('doomed', { force: true }, ACTOR);
    expect(result).toEqual({ model: 'doomed', deleted_versions: [1, 2], removed_artifacts: [own.sha256] });
    expect(blobs(berth)).not.toContain(own.sha256);
    expect(blobs(berth)).toContain(sha256File(V1));
    expect((await refusalOf(berth.registry.getModel('doomed'))).code).toBe('not_found');
  });

  it('stores the blob again when a concurrent cleanup removed it between upload and commit', async () => {
    // The window: a registration has written its blob; a cleanup (of a deleted version with the same bytes)
    // finds no committed version using it and deletes it; the registration then commits. Reproduced here
    // by an artifact store that deletes the blob right after the first write.
    const real = berth.artifacts;
    let interfered = false;
    const interfering: ArtifactStore = Object.assign(Object.create(real) as ArtifactStore, {
      putFile: async (file: string, sha?: string) => {
        const stored = await real.putFile(file, sha);
        if (!interfered) {
          interfered = true;
          await real.delete(stored.sha256);
        }
        return stored;
      },
    });
    const registry = new Registry(berth.store.db, interfering, { maxModelBytes: 1 << 20, maxCardBytes: 1 << 20 });
    const tiny = fixtureModel('multi_input.onnx');
    const v = await registry.registerVersion({ model: 'interfered', file: tiny, card: readFileSync(fixtureModel('multi_input.card.json'), 'utf8') }, ACTOR);
    expect(interfered).toBe(true);
    const { bytes } = await berth.registry.readArtifact('interfered', v.version);
    expect(bytes.equals(readFileSync(tiny))).toBe(true);
  });

  it('records every mutation in the audit log with actor, before and after', async () => {
    const events = await berth.registry.audit({ model: 'cancer', limit: 1000 });
    const actions = new Set(events.map((e) => e.action));
    for (const action of ['model.create', 'version.create', 'version.delete', 'version.update', 'alias.promote', 'alias.rollback', 'alias.set', 'alias.delete', 'model.tags.set', 'model.tags.delete', 'version.tags.set', 'version.tags.delete']) {
      expect(actions, action).toContain(action);
    }
    expect(events.every((e) => e.actor === ACTOR && e.model === 'cancer')).toBe(true);
    const rollback = events.find((e) => e.action === 'alias.rollback')!;
    expect(rollback.target).toBe('cancer@production');
    expect(rollback.before).toEqual({ version: 2 });
    expect(rollback.after).toEqual({ version: 1 });
    const deletion = (await berth.registry.audit({ action: 'model.delete' }))[0]!;
    expect(deletion.target).toBe('doomed');
    expect(deletion.before).toMatchObject({ aliases: { production: 2 } });
    // keyset paging, newest first
    const page1 = await berth.registry.audit({ model: 'cancer', limit: 5 });
    const page2 = await berth.registry.audit({ model: 'cancer', limit: 5, before_id: page1[4]!.id });
    expect(page2[0]!.id).toBeLessThan(page1[4]!.id);
  });

  it('lists models with prefix filter and page tokens', async () => {
    const all = await berth.registry.listModels();
    expect(all.models.map((m) => m.name)).toEqual([...all.models.map((m) => m.name)].sort());
    const page1 = await berth.registry.listModels({ limit: 2 });
    expect(page1.models).toHaveLength(2);
    const page2 = await berth.registry.listModels({ limit: 2, page_token: page1.next_page_token! });
    expect(page2.models[0]!.name > page1.models[1]!.name).toBe(true);
    expect((await berth.registry.listModels({ prefix: 'canc' })).models.map((m) => m.name)).toEqual(['cancer']);
  });
});
