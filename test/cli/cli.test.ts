import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AliasMove, ModelView, VersionComparison, VersionView } from '../../src/registry/index.js';
import type { AuditEvent } from '../../src/audit/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const [sqlite] = storeTargets();

describe('berth CLI on the local store', () => {
  const made = sqlite!.make();
  const env = made.env;
  const cli = (...args: string[]) => runCli(args, { env, cwd: made.config.home });
  afterAll(() => made.cleanup());

  it('registers, lists, promotes, rolls back, compares and audits', async () => {
    const v1 = json<VersionView>(await cli('--json', 'versions', 'register', 'cancer', '--onnx', fixtureModel('breast_cancer_v1.onnx'), '--card', fixtureModel('breast_cancer_v1.card.json'), '-d', 'first', '-t', 'team=ml'));
    expect(v1).toMatchObject({ model: 'cancer', version: 1, description: 'first', tags: { team: 'ml' } });
    expect(v1.created_by).toMatch(/^cli:/);
    const v2 = json<VersionView>(await cli('--json', 'versions', 'register', 'cancer', '--onnx', fixtureModel('breast_cancer_v2.onnx'), '--card', fixtureModel('breast_cancer_v2.card.json')));
    expect(v2.version).toBe(2);

    const human = await cli('models', 'list');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('cancer');
    expect(json<{ models: ModelView[] }>(await cli('--json', 'models', 'list')).models[0]).toMatchObject({ name: 'cancer', version_count: 2 });

    expect(json<AliasMove>(await cli('--json', 'promote', 'cancer', '1'))).toMatchObject({ to_version: 1 });
    expect(json<AliasMove>(await cli('--json', 'promote', 'cancer', '2', '--reason', 'better'))).toMatchObject({ from_version: 1, to_version: 2 });
    const rollback = await cli('rollback', 'cancer');
    expect(rollback.stdout).toContain('cancer@production: v2 → v1 (rollback)');
    expect(json<AliasMove>(await cli('--json', 'alias', 'set', 'cancer', 'staging', '2'))).toMatchObject({ alias: 'staging', to_version: 2 });
    expect(json<ModelView>(await cli('--json', 'models', 'show', 'cancer')).aliases).toEqual({ production: 1, staging: 2 });

    const cmp = json<VersionComparison>(await cli('--json', 'compare', 'cancer', '1', '2'));
    expect(cmp.metrics.find((m) => m.name === 'accuracy')!.delta).toBeLessThan(0);
    expect((await cli('compare', 'cancer', '1', '2')).stdout).toContain('accuracy');

    json(await cli('--json', 'tags', 'set', 'cancer', 'owner=alice'));
    expect(json<Record<string, string>>(await cli('--json', 'tags', 'set', 'cancer', '2', 'ok=yes'))).toEqual({ ok: 'yes' });

    const audit = json<AuditEvent[]>(await cli('--json', 'audit', '--model', 'cancer'));
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['model.create', 'version.create', 'alias.promote', 'alias.rollback', 'alias.set', 'model.tags.set', 'version.tags.set']));
    expect((await cli('versions', 'show', 'cancer', '1')).stdout).toContain('malignant, benign');
  });

  it('refuses with a message and exit code 1; usage errors exit 2', async () => {
    const aliased = await cli('versions', 'delete', 'cancer', '1');
    expect(aliased.code).toBe(1);
    expect(aliased.stderr).toContain("error: version 1 of 'cancer' is the target of alias(es) production");
    const corrupt = path.join(made.config.home, 'corrupt.onnx');
    writeFileSync(corrupt, 'not a model');
    const bad = await cli('--json', 'versions', 'register', 'cancer', '--onnx', corrupt);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: 'invalid_onnx' } });
    expect((await cli('models', 'delete', 'cancer')).stderr).toContain('pass force');
    expect((await cli('versions', 'show', 'cancer', 'x')).stderr).toContain("expected a version number");
    expect((await cli('nosuchcommand')).code).toBe(2);
    expect((await cli('keys', 'create', '--name', 'k', '--scope', 'root')).code).toBe(2);
  });

  it('prints the effective config and fails clearly on an invalid one', async () => {
    const shown = json<{ config: { database: { kind: string; file: string } }; sources: Record<string, string> }>(await cli('--json', 'config'));
    expect(shown.config.database.kind).toBe('sqlite');
    expect(shown.sources['home']).toBe('BERTH_HOME');
    const bad = await runCli(['config'], { env: { ...env, BERTH_PORT: 'eighty' }, cwd: made.config.home });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("config key 'server.port' (from BERTH_PORT): expected integer, got \"eighty\"");
    const masked = json<{ config: { database: { url: string } } }>(await runCli(['--json', 'config'], { env: { ...env, BERTH_DATABASE_URL: 'postgres://berth:s3cret@db:5432/x' }, cwd: made.config.home }));
    expect(masked.config.database.url).toBe('postgres://berth:****@db:5432/x');
  });

  it('creates, lists and revokes API keys, showing the key once', async () => {
    const created = await cli('keys', 'create', '--name', 'ops', '--scope', 'admin');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^berth_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('will not be shown again');
    const list = json<Array<{ id: string; name: string; scopes: string[] }>>(await cli('--json', 'keys', 'list'));
    expect(list).toMatchObject([{ name: 'ops', scopes: ['admin'] }]);
    expect(JSON.stringify(list)).not.toContain(key);
    expect(json<{ revoked_at: string | null }>(await cli('--json', 'keys', 'revoke', list[0]!.id)).revoked_at).not.toBeNull();
  });
});

describe('berth CLI against a running server (--url)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(sqlite!);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('goes through the REST API, and sends the API key', async () => {
    const v = json<VersionView>(await runCli(['--json', '--url', t.url, 'versions', 'register', 'remote', '--onnx', fixtureModel('multi_input.onnx'), '--card', fixtureModel('multi_input.card.json')]));
    expect(v).toMatchObject({ model: 'remote', version: 1, created_by: 'anonymous' });
    expect((await t.berth.registry.getModel('remote')).version_count).toBe(1);
    const key = await t.berth.keys.create({ name: 'ci', scopes: ['write'] }, 'test');
    const denied = await runCli(['--url', t.url, 'models', 'list']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('requires an API key');
    const promoted = json<AliasMove>(await runCli(['--json', '--url', t.url, '--api-key', key.key, 'promote', 'remote', '1']));
    expect(promoted.to_version).toBe(1);
    expect((await t.berth.registry.audit({ model: 'remote', action: 'alias.promote' }))[0]!.actor).toBe('key:ci');
  });
});
