import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/index.js';
import { BerthError } from '../../src/errors/index.js';
import { startServer } from '../../src/serving/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FIXTURES, fixtureModel, storeTargets } from '../helpers/targets.js';

const V1 = fixtureModel('breast_cancer_v1.onnx');
const V2 = fixtureModel('breast_cancer_v2.onnx');
const CARD_V1 = readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8');
const CARD_V2 = readFileSync(fixtureModel('breast_cancer_v2.card.json'), 'utf8');

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function form(parts: Record<string, string | Blob>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) f.set(k, v);
  return f;
}

function onnxBlob(file: string): Blob {
  return new Blob([readFileSync(file)], { type: 'application/octet-stream' });
}

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function expectError(promise: Promise<{ status: number; json: unknown }>, status: number, code: string, contains?: string): Promise<ErrorBody> {
  const res = await promise;
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  const body = res.json as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (contains) expect(body.error.message).toContain(contains);
  return body;
}

describe.each(storeTargets())('registry REST API on $engine', (target) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(target, { BERTH_MAX_MODEL_BYTES: '65536' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('registers versions over multipart and serves them back', async () => {
    const v1 = await t.client.registerVersion({ model: 'cancer', file: V1, card: CARD_V1, description: 'first', tags: { team: 'ml' } });
    expect(v1).toMatchObject({ model: 'cancer', version: 1, status: 'ready', description: 'first', tags: { team: 'ml' }, created_by: 'anonymous' });
    const v2 = await t.client.registerVersion({ model: 'cancer', file: V2, card: CARD_V2 });
    expect(v2.version).toBe(2);
    const derived = await t.client.registerVersion({ model: 'fixed', file: fixtureModel('fixed_batch.onnx') });
    expect(derived.card.derived).toBe(true);

    const bytes = await t.client.downloadArtifact('cancer', 1);
    expect(bytes.equals(readFileSync(V1))).toBe(true);
    const raw = await fetch(`${t.url}/v1/models/cancer/versions/1/artifact`);
    expect(raw.headers.get('x-berth-sha256')).toBe(v1.sha256);

    expect((await t.client.listVersions('cancer')).map((v) => v.version)).toEqual([2, 1]);
    expect((await t.client.getModel('cancer')).latest_version).toBe(2);
    expect((await t.client.listModels()).models.map((m) => m.name)).toEqual(['cancer', 'fixed']);
  });

  it('refuses bad uploads with a clear 4xx and the error format', async () => {
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ onnx: new Blob(['garbage bytes']) })), 422, 'invalid_onnx', 'onnxruntime');
    const wrongCard = JSON.parse(CARD_V1) as { inputs: Array<{ name: string }> };
    wrongCard.inputs[0]!.name = 'x';
    const mismatch = await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ onnx: onnxBlob(V1), card: JSON.stringify(wrongCard) })), 422, 'card_mismatch', "input 'x' is in the card but not in the graph");
    expect(mismatch.error.details?.['problems']).toBeInstanceOf(Array);
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ onnx: onnxBlob(V1), card: '{not json' })), 400, 'invalid_input', 'not valid JSON');
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ card: CARD_V1 })), 400, 'invalid_input', "missing file part 'onnx'");
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ onnx: onnxBlob(V1), colour: 'blue' })), 400, 'invalid_input', "unknown field 'colour'");
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ onnx: onnxBlob(V1), tags: '[1,2' })), 400, 'invalid_input', "field 'tags'");
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', { onnx: 'x' }), 415, 'unsupported_media_type', 'multipart/form-data');
    await expectError(call(t.url, 'POST', '/v1/models/has%20space/versions', form({ onnx: onnxBlob(V1) })), 400, 'invalid_input', 'model name must match');
    const big = new Blob([readFileSync(`${FIXTURES}/../../data/breast_cancer.csv`)]);
    await expectError(call(t.url, 'POST', '/v1/models/bad/versions', form({ onnx: big })), 413, 'payload_too_large', 'max_model_bytes');
    await expectError(call(t.url, 'GET', '/v1/models/bad'), 404, 'not_found', "model 'bad' does not exist");
    // nothing was left behind: no model, no stray uploads
    expect((await t.client.listModels()).models.map((m) => m.name)).not.toContain('bad');
  });

  it('validates JSON bodies and parameters, naming the field', async () => {
    await expectError(call(t.url, 'POST', '/v1/models', { name: 'm', colour: 'red' }), 400, 'invalid_input', "unknown field 'colour'");
    await expectError(call(t.url, 'POST', '/v1/models', { description: 'no name' }), 400, 'invalid_input', "'body.name': expected a value, got nothing");
    await expectError(call(t.url, 'POST', '/v1/models/cancer/promote', { version: 'two' }), 400, 'invalid_input', "'body.version': expected integer, got \"two\"");
    await expectError(call(t.url, 'POST', '/v1/models/cancer/promote', '{"version": 1'), 400, 'invalid_input', 'not valid JSON');
    await expectError(call(t.url, 'GET', '/v1/models/cancer/versions/zero'), 400, 'invalid_input', 'params.version');
    await expectError(call(t.url, 'GET', '/v1/models?limit=5000'), 400, 'invalid_input', 'querystring.limit');
    await expectError(call(t.url, 'GET', '/v1/nowhere'), 404, 'not_found', 'no route GET /v1/nowhere');
  });

  it('promotes, rolls back, sets and deletes aliases, with history', async () => {
    expect(await t.client.promote('cancer', 1)).toMatchObject({ alias: 'production', from_version: null, to_version: 1 });
    expect(await t.client.promote('cancer', 2, { reason: 'better' })).toMatchObject({ from_version: 1, to_version: 2 });
    expect(await t.client.rollback('cancer')).toMatchObject({ action: 'rollback', from_version: 2, to_version: 1 });
    await t.client.setAlias('cancer', 'staging', 2);
    expect(await t.client.listAliases('cancer')).toMatchObject([{ alias: 'production', version: 1 }, { alias: 'staging', version: 2 }]);
    const history = await t.client.aliasHistory('cancer', 'production');
    expect(history.map((h) => h.to_version)).toEqual([1, 2, 1]);
    expect(history[1]!.reason).toBe('better');
    await expectError(call(t.url, 'DELETE', '/v1/models/cancer/versions/1'), 409, 'conflict', 'target of alias(es) production');
    await t.client.deleteAlias('cancer', 'staging');
    await expectError(call(t.url, 'PUT', '/v1/models/cancer/aliases/Bad', { version: 1 }), 400, 'invalid_input', 'alias must match');
    await expectError(call(t.url, 'POST', '/v1/models/cancer/promote', { version: 9 }), 404, 'not_found', 'no version 9');
  });

  it('tags, compares, updates and deletes through the API', async () => {
    await t.client.setModelTags('cancer', { owner: 'alice' });
    await t.client.setVersionTags('cancer', 2, { validated: 'yes' });
    await t.client.deleteModelTag('cancer', 'owner');
    expect((await t.client.getModel('cancer')).tags).toEqual({});
    expect((await t.client.getVersion('cancer', 2)).tags).toEqual({ validated: 'yes' });
    const cmp = await t.client.compare('cancer', 1, 2);
    expect(cmp.metrics.map((m) => m.name)).toEqual(['accuracy', 'log_loss', 'roc_auc']);
    expect((await t.client.updateVersion('cancer', 2, { status: 'archived' })).status).toBe('archived');
    await expectError(call(t.url, 'POST', '/v1/models/cancer/promote', { version: 2 }), 409, 'conflict', 'archived');
    expect(await t.client.deleteVersion('cancer', 2)).toEqual({ model: 'cancer', version: 2, removed_artifact: true });
    await expectError(call(t.url, 'DELETE', '/v1/models/fixed'), 409, 'conflict', 'pass force');
    expect((await t.client.deleteModel('fixed', { force: true })).deleted_versions).toEqual([1]);
  });

  it('answers the audit log', async () => {
    const events = await t.client.audit({ model: 'cancer', limit: 100 });
    expect(events.length).toBeGreaterThan(8);
    expect(events.every((e) => e.actor === 'anonymous')).toBe(true);
    expect(events.map((e) => e.action)).toContain('alias.rollback');
    expect((await t.client.audit({ action: 'model.delete' }))[0]!.target).toBe('fixed');
  });

  it('publishes OpenAPI and health', async () => {
    const doc = (await call(t.url, 'GET', '/openapi.json')).json as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/models', '/v1/models/{name}/versions', '/v1/models/{name}/promote', '/v1/models/{name}/rollback', '/v1/audit', '/v1/keys']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await fetch(`${t.url}/docs`, { redirect: 'follow' })).status).toBe(200);
    expect((await call(t.url, 'GET', '/health')).json).toMatchObject({ status: 'ok', store: target.engine });
    expect((await call(t.url, 'GET', '/ready')).json).toEqual({ ready: true });
  });

  it('enforces API keys once one exists: scopes, revocation, bad headers', async () => {
    const admin = await t.client.createKey({ name: 'root', scopes: ['admin'] });
    expect(admin.key).toMatch(/^berth_[0-9a-f]{12}_/);
    await expectError(call(t.url, 'GET', '/v1/models'), 401, 'unauthorized', 'requires an API key');
    const asAdmin = new BerthClient({ url: t.url, apiKey: admin.key });
    const reader = await asAdmin.createKey({ name: 'dashboard', scopes: ['read'] });
    const predictor = await asAdmin.createKey({ name: 'app', scopes: ['predict'] });
    const asReader = new BerthClient({ url: t.url, apiKey: reader.key });
    expect((await asReader.listModels()).models.length).toBeGreaterThan(0);
    const forbidden = await asReader.createModel({ name: 'nope' }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(BerthError);
    expect((forbidden as BerthError).status).toBe(403);
    expect((forbidden as BerthError).message).toContain("needs scope 'write'");
    await expectError(call(t.url, 'GET', '/v1/models', undefined, { authorization: `Bearer ${predictor.key}` }), 403, 'forbidden');
    await expectError(call(t.url, 'GET', '/v1/models', undefined, { authorization: 'Basic abc' }), 401, 'unauthorized', 'Bearer');
    await expectError(call(t.url, 'GET', '/v1/models', undefined, { authorization: 'Bearer berth_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }), 401, 'unauthorized', 'unknown or revoked');
    await asAdmin.createModel({ name: 'keyed' });
    expect((await asAdmin.audit({ model: 'keyed' }))[0]!.actor).toBe('key:root');
    await asAdmin.revokeKey(reader.id);
    await expectError(call(t.url, 'GET', '/v1/models', undefined, { authorization: `Bearer ${reader.key}` }), 401, 'unauthorized');
    const keys = await asAdmin.listKeys();
    expect(keys.map((k) => k.name).sort()).toEqual(['app', 'dashboard', 'root']);
    expect(JSON.stringify(keys)).not.toContain(admin.key);
    expect((await call(t.url, 'GET', '/health')).status).toBe(200); // health stays public
  });

  it('refuses to listen beyond loopback without keys, and starts once one exists', async () => {
    const made = target.make();
    const { openBerth } = await import('../../src/context/index.js');
    const fresh = await openBerth(made.config);
    try {
      const refused = await startServer(fresh, { host: '0.0.0.0', port: 0, logger: false }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BerthError);
      expect((refused as BerthError).message).toContain('refusing to listen on 0.0.0.0 without API keys');
      const key = await fresh.keys.create({ name: 'ops', scopes: ['admin'] }, 'test');
      const server = await startServer(fresh, { host: '0.0.0.0', port: 0, logger: false });
      try {
        const port = new URL(server.url).port;
        await expectError(call(`http://127.0.0.1:${port}`, 'GET', '/v1/models'), 401, 'unauthorized');
        expect((await call(`http://127.0.0.1:${port}`, 'GET', '/v1/models', undefined, { authorization: `Bearer ${key.key}` })).status).toBe(200);
      } finally {
        await server.close();
      }
    } finally {
      await fresh.close();
      await made.cleanup();
    }
  });
});
