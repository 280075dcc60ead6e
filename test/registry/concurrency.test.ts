import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsPath, loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';
import { describeFailures, runWorkers, type WorkerResult } from '../helpers/workers.js';

/**
 * Real multi-process concurrency: several `node --import tsx test/helpers/registry-worker.ts` processes,
 * each with its own connection(s), hit the same registry at the same instant (they wait at a barrier
 * until all are open). Version numbering and alias moves must come out serialized and gap-free.
 */

const V1 = fixtureModel('breast_cancer_v1.onnx');
const CARD_V1 = fixtureModel('breast_cancer_v1.card.json');
const V1_SHA = createHash('sha256').update(readFileSync(V1)).digest('hex');
/** SQLite writers queue on the file lock: give them far more than the worst wait of this test. */
const BUSY_TIMEOUT_MS = 60_000;
const TIMEOUT = 120_000;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function cycle(values: number[], length: number): number[] {
  return Array.from({ length }, (_, i) => values[i % values.length]!);
}

/** How often consecutive entries come from different workers: 3 means four blocks, one per worker, no overlap. */
function switches(names: string[]): number {
  return names.filter((name, i) => i > 0 && name !== names[i - 1]).length;
}

function assertAllSucceeded(results: WorkerResult[]): void {
  expect(results.map((r) => r.code), describeFailures(results)).toEqual(results.map(() => 0));
}

describe.each(storeTargets())('registry concurrency across processes on $engine', (target) => {
  let berth: Berth;
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const made = target.make();
    cleanup = made.cleanup;
    // The workers read the same config file as this process: BERTH_CONFIG sets what has no BERTH_* variable.
    const configFile = path.join(made.config.home, 'berth-test.yaml');
    writeFileSync(configFile, `database:\n  busy_timeout_ms: ${BUSY_TIMEOUT_MS}\n`);
    env = { ...made.env, BERTH_CONFIG: configFile };
    const { config } = loadConfig({ env, cwd: made.config.home });
    expect(config.database.busy_timeout_ms).toBe(BUSY_TIMEOUT_MS);
    expect(config.home).toBe(made.config.home);
    expect(config.database.schema).toBe(made.config.database.schema);
    // Opening here first also brings the database up to date before the workers start.
    berth = await openBerth(config);
  });
  afterAll(async () => {
    await berth?.close();
    await cleanup?.();
  });

  it(
    'four processes registering 5 versions each of one new model get versions 1..20, each exactly once',
    async () => {
      const model = 'race-register';
      await expect(berth.registry.getModel(model)).rejects.toMatchObject({ code: 'not_found' });

      const started = performance.now();
      const results = await runWorkers(
        range(0, 3).map((i) => ({ name: `r${i}`, args: ['register', model, V1, CARD_V1, '5'] })),
        { ...env, BERTH_WORKER_PAUSE_MS: '20' },
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.info(`[concurrency ${target.engine}] 4 processes x 5 registrations: ${seconds}s`);
      assertAllSucceeded(results);

      // Each worker got 5 versions, increasing (it registers one after another).
      const byVersion = new Map<number, string>();
      for (const r of results) {
        expect(r.results, `worker ${r.name}`).toHaveLength(5);
        const versions = r.results.map((line) => {
          expect(line).toMatchObject({ op: 'register', model, sha256: V1_SHA });
          return line['version'] as number;
        });
        expect([...versions].sort((a, b) => a - b)).toEqual(versions);
        for (const v of versions) {
          expect(byVersion.has(v), `version ${v} given to ${byVersion.get(v)} and ${r.name}`).toBe(false);
          byVersion.set(v, r.name);
        }
      }
      expect([...byVersion.keys()].sort((a, b) => a - b)).toEqual(range(1, 20));
      const order = range(1, 20).map((v) => byVersion.get(v)!);
      console.info(`[concurrency ${target.engine}] versions 1..20 went to: ${order.join(' ')}`);
      // The workers really overlapped: numbers were handed out to them in turns, not in four blocks.
      expect(switches(order), `versions went to ${order.join(' ')}`).toBeGreaterThan(3);

      // The registry agrees, and each row was written by the worker that was told its number.
      const versions = await berth.registry.listVersions(model);
      expect(versions.map((v) => v.version)).toEqual(range(1, 20).reverse());
      for (const v of versions) {
        expect(v.created_by).toBe(`worker:${byVersion.get(v.version)}`);
        expect(v.description).toMatch(new RegExp(`^worker:${byVersion.get(v.version)} #[0-4]$`));
        expect(v.sha256).toBe(V1_SHA);
        expect(v.status).toBe('ready');
      }
      expect(await berth.registry.getModel(model)).toMatchObject({ name: model, latest_version: 20, version_count: 20 });

      // One model.create, twenty version.create, each for its own version, by the right worker.
      const created = await berth.registry.audit({ model, action: 'version.create', limit: 1000 });
      expect(created).toHaveLength(20);
      expect(created.map((e) => e.target).sort()).toEqual(range(1, 20).map((v) => `${model}/${v}`).sort());
      for (const e of created) {
        const v = Number(e.target.split('/')[1]);
        expect(e.actor).toBe(`worker:${byVersion.get(v)}`);
        expect(e.after).toMatchObject({ version: v, sha256: V1_SHA });
      }
      const modelCreated = await berth.registry.audit({ model, action: 'model.create', limit: 1000 });
      expect(modelCreated).toHaveLength(1);
      expect((await berth.registry.audit({ model, limit: 1000 })).length).toBe(21);

      // Twenty registrations of one file are one blob, and no temp file was left behind.
      const blobRoot = path.join(artifactsPath(berth.config), 'sha256');
      expect(readdirSync(blobRoot).flatMap((d) => readdirSync(path.join(blobRoot, d)))).toEqual([V1_SHA]);
      const tmp = path.join(artifactsPath(berth.config), 'tmp');
      expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
      expect((await berth.registry.readArtifact(model, 20)).bytes.equals(readFileSync(V1))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'four processes moving the production alias leave a history that chains move to move',
    async () => {
      const model = 'race-promote';
      for (let i = 0; i < 6; i++) await berth.registry.registerVersion({ model, file: V1, card: readFileSync(CARD_V1, 'utf8') }, 'test:setup');
      await expect(berth.registry.getModel(model)).resolves.toMatchObject({ latest_version: 6, aliases: {} });

      const plans = [
        { name: 'p0', versions: cycle([1, 2, 3], 10) },
        { name: 'p1', versions: cycle([4, 5, 6], 10) },
        { name: 'p2', versions: cycle([2, 4, 6], 10) },
        { name: 'p3', versions: cycle([1, 3, 5], 10) },
      ];
      const total = plans.reduce((n, p) => n + p.versions.length, 0);
      expect(total).toBe(40);

      const started = performance.now();
      const results = await runWorkers(
        plans.map((p) => ({ name: p.name, args: ['promote', model, 'production', p.versions.join(',')] })),
        { ...env, BERTH_WORKER_PAUSE_MS: '20' },
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.info(`[concurrency ${target.engine}] 4 processes x 10 promotions: ${seconds}s`);
      assertAllSucceeded(results);

      // Each worker made its moves in its order.
      for (const plan of plans) {
        const out = results.find((r) => r.name === plan.name)!;
        expect(out.results.map((m) => m['to_version'])).toEqual(plan.versions);
        for (const m of out.results) expect(m).toMatchObject({ op: 'promote', model, alias: 'production', action: 'promote' });
      }

      const history = [...(await berth.registry.aliasHistory(model, 'production'))].sort((a, b) => a.id - b.id);
      expect(history).toHaveLength(total);
      const movers = history.map((h) => h.actor.replace('worker:', ''));
      console.info(`[concurrency ${target.engine}] moves in commit order: ${movers.join(' ')}`);
      expect(switches(movers), `moves in commit order: ${movers.join(' ')}`).toBeGreaterThan(3);
      expect(new Set(history.map((h) => h.id)).size).toBe(total);
      // The chain: every move starts where the previous one ended.
      expect(history[0]!.from_version).toBeNull();
      for (let i = 1; i < history.length; i++) {
        expect(history[i]!.from_version, `history entry ${i} (id ${history[i]!.id})`).toBe(history[i - 1]!.to_version);
      }
      for (const h of history) expect(h).toMatchObject({ alias: 'production', action: 'promote' });
      const current = (await berth.registry.getModel(model)).aliases['production'];
      expect(current).toBe(history[history.length - 1]!.to_version);
      expect(await berth.registry.listAliases(model)).toMatchObject([{ alias: 'production', version: current }]);

      // What each worker was told happened is exactly what the history recorded for it, in order.
      for (const plan of plans) {
        const out = results.find((r) => r.name === plan.name)!;
        const recorded = history.filter((h) => h.actor === `worker:${plan.name}`).map((h) => ({ from: h.from_version, to: h.to_version }));
        expect(recorded).toEqual(out.results.map((m) => ({ from: m['from_version'], to: m['to_version'] })));
      }

      // One alias.promote audit event per move, telling the same story in the same order.
      const audit = (await berth.registry.audit({ model, action: 'alias.promote', limit: 1000 })).sort((a, b) => a.id - b.id);
      expect(audit).toHaveLength(total);
      expect(audit.map((e) => ({ actor: e.actor, before: e.before, after: e.after }))).toEqual(
        history.map((h) => ({ actor: h.actor, before: h.from_version === null ? null : { version: h.from_version }, after: { version: h.to_version } })),
      );
      for (const e of audit) expect(e.target).toBe(`${model}@production`);
    },
    TIMEOUT,
  );

  it(
    'a worker whose operation is refused reports the error and exits non-zero',
    async () => {
      const results = await runWorkers([{ name: 'bad', args: ['promote', 'no-such-model', 'production', '1'] }], env, { barrier: false });
      expect(results[0]!.code).toBe(1);
      expect(results[0]!.results).toEqual([]);
      const error = JSON.parse(results[0]!.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } };
      expect(error.error).toMatchObject({ code: 'not_found', message: `model 'no-such-model' does not exist` });
      expect(await berth.registry.audit({ model: 'no-such-model', limit: 1000 })).toEqual([]);
    },
    TIMEOUT,
  );
});
