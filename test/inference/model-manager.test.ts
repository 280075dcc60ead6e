import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBerth, type Berth } from '../../src/context/index.js';
import { BerthError } from '../../src/errors/index.js';
import { ModelManager } from '../../src/inference/index.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const ACTOR = 'test';

describe.each(storeTargets())('ModelManager on $engine', (target) => {
  let berth: Berth;
  let manager: ModelManager;
  let cleanup: () => Promise<void>;
  const swaps: Array<{ model: string; selector: string; from: number; to: number }> = [];

  beforeAll(async () => {
    const made = target.make();
    cleanup = made.cleanup;
    berth = await openBerth(made.config);
    const card = (name: string) => readFileSync(fixtureModel(name), 'utf8');
    await berth.registry.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v1.onnx'), card: card('breast_cancer_v1.card.json') }, ACTOR);
    await berth.registry.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v2.onnx'), card: card('breast_cancer_v2.card.json') }, ACTOR);
    await berth.registry.registerVersion({ model: 'heavy', file: fixtureModel('heavy.onnx') }, ACTOR);
    await berth.registry.promote('cancer', 1, ACTOR);
    manager = new ModelManager(berth.registry, { ...made.config.inference, max_loaded_versions: 3, watch_interval_ms: 60_000 }, { onSwap: (e) => swaps.push(e) });
    await manager.start();
  });
  afterAll(async () => {
    await manager?.stop();
    await berth?.close();
    await cleanup?.();
  });

  it('loads every model at start; auto keeps the tiny model inline and moves the heavy one to worker threads', () => {
    const loaded = manager.status().loaded;
    expect(loaded.map((l) => [l.model, l.version, l.executor, l.serves])).toEqual([
      ['cancer', 1, 'inline', ['default']],
      ['heavy', 1, 'worker', ['default']],
    ]);
  });

  it('serves an explicit version on demand and resolves aliases', async () => {
    const v2 = await manager.acquire('cancer', { version: 2 });
    expect(v2.version.version).toBe(2);
    v2.release();
    await berth.registry.setAlias('cancer', 'staging', 2, ACTOR);
    const staging = await manager.acquire('cancer', { alias: 'staging' });
    expect(staging.version.version).toBe(2);
    staging.release();
    const err = await manager.acquire('cancer', { alias: 'nope' }).catch((e: unknown) => e);
    expect((err as BerthError).code).toBe('not_found');
  });

  it('follows an alias move on refresh and unloads the version nothing routes to', async () => {
    await berth.registry.promote('cancer', 2, ACTOR);
    await manager.refresh();
    expect(swaps).toContainEqual({ model: 'cancer', selector: 'default', from: 1, to: 2 });
    const d = await manager.acquire('cancer', {});
    expect(d.version.version).toBe(2);
    d.release();
    expect(manager.status().loaded.filter((l) => l.model === 'cancer').map((l) => l.version)).toEqual([2]);
  });

  it('refuses to serve an archived version', async () => {
    await berth.registry.updateVersion('cancer', 1, { status: 'archived' }, ACTOR);
    const err = await manager.acquire('cancer', { version: 1 }).catch((e: unknown) => e);
    expect((err as BerthError).code).toBe('conflict');
    expect((err as BerthError).message).toContain('archived');
    await berth.registry.updateVersion('cancer', 1, { status: 'ready' }, ACTOR);
  });

  it('keeps at most max_loaded_versions, evicting versions no selector routes to', async () => {
    for (const v of [1, 2]) (await manager.acquire('cancer', { version: v })).release();
    (await manager.acquire('heavy', { version: 1 })).release();
    expect(manager.status().loaded.length).toBeLessThanOrEqual(3);
    const routed = manager.status().loaded.filter((l) => l.serves.length > 0).map((l) => `${l.model}/${l.version}`);
    expect(routed).toEqual(expect.arrayContaining(['cancer/2', 'heavy/1']));
  });
});
