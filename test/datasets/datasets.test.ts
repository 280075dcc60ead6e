import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient, TrackingClient } from '../../src/client/index.js';
import type { NumberProfile, CategoryProfile } from '../../src/datasets/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fixtureModel, FIXTURES, storeTargets } from '../helpers/targets.js';

const CSV = path.resolve(FIXTURES, '../../data/breast_cancer.csv');
const SHA = createHash('sha256').update(readFileSync(CSV)).digest('hex');

describe.each(storeTargets())('datasets and lineage on $engine', (target) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(target);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('registers a CSV as numbered versions with sha256, rows, typed columns and a profile', async () => {
    const form = new FormData();
    form.set('file', new Blob([readFileSync(CSV)]), 'breast_cancer.csv');
    form.set('description', 'UCI breast cancer');
    const res = await fetch(`${t.url}/v1/datasets/breast-cancer/versions`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const v1 = (await res.json()) as { version: number; sha256: string; rows: number; columns: Array<{ name: string; type: string }>; profile: Record<string, NumberProfile | CategoryProfile> };
    expect(v1).toMatchObject({ version: 1, sha256: SHA, rows: 569 });
    expect(v1.columns).toHaveLength(31);
    expect(v1.columns.find((c) => c.name === 'mean_radius')!.type).toBe('number');
    expect(v1.columns.find((c) => c.name === 'diagnosis')!.type).toBe('category');
    expect((v1.profile['diagnosis'] as CategoryProfile).counts).toEqual({ benign: 357, malignant: 212 });
    const radius = v1.profile['mean_radius'] as NumberProfile;
    expect(radius.min).toBe(6.981);
    expect(radius.max).toBe(28.11);
    // a second version through the berth.datasets API; its bytes read back verified
    const small = path.join(t.berth.config.home, 'small.csv');
    writeFileSync(small, readFileSync(CSV, 'utf8').split('\n').slice(0, 11).join('\n'));
    const v2 = await t.berth.datasets.register({ name: 'breast-cancer', file: small }, 'test');
    expect(v2).toMatchObject({ version: 2, rows: 10 });
    expect((await t.berth.datasets.read('breast-cancer', 1)).equals(readFileSync(CSV))).toBe(true);
    const bad = path.join(t.berth.config.home, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2,3\n');
    await expect(t.berth.datasets.register({ name: 'broken', file: bad }, 'test')).rejects.toThrow(/not a readable CSV/);
    await expect(t.berth.datasets.register({ name: 'bad name', file: small }, 'test')).rejects.toThrow(/dataset name must match/);
  });

  it('links dataset → run → model version and back', async () => {
    const tracking = new TrackingClient(new BerthClient({ url: t.url }));
    const experimentId = await tracking.ensureExperiment('lineage');
    const run = await tracking.startRun({ experimentId, runName: 'train-v1' });
    await tracking.logInputs(run.info.run_id, [{ name: 'breast-cancer', digest: `sha256:${SHA}`, source: 'data/breast_cancer.csv', context: 'training' }]);
    await tracking.endRun(run.info.run_id);
    await t.client.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v2.onnx'), card: readFileSync(fixtureModel('breast_cancer_v2.card.json'), 'utf8'), source_run: run.info.run_id });
    const forward = (await (await fetch(`${t.url}/v1/datasets/breast-cancer/versions/1/lineage`)).json()) as { runs: Array<{ run_id: string }>; model_versions: Array<{ model: string; version: number; via: string }> };
    expect(forward.runs.map((r) => r.run_id)).toEqual([run.info.run_id]);
    // v2's card also names the dataset as its source, so it is linked both ways
    expect(forward.model_versions).toEqual([{ model: 'cancer', version: 1, via: 'source_dataset' }]);
    const back = (await (await fetch(`${t.url}/v1/models/cancer/versions/1/lineage`)).json()) as { source_run: { run_id: string } | null; datasets: Array<{ name: string; version: number; via: string }> };
    expect(back.source_run?.run_id).toBe(run.info.run_id);
    expect(back.datasets).toEqual([expect.objectContaining({ name: 'breast-cancer', version: 1, via: 'source_dataset' })]);
    const none = (await (await fetch(`${t.url}/v1/datasets/breast-cancer/versions/2/lineage`)).json()) as { runs: unknown[]; model_versions: unknown[] };
    expect(none).toMatchObject({ runs: [], model_versions: [] });
  });

  if (target.engine === 'sqlite') {
    it('answers the datasets CLI', async () => {
      const env = { BERTH_HOME: t.berth.config.home, BERTH_LOG_LEVEL: 'silent' };
      const registered = json<{ name: string; version: number }>(await runCli(['--json', 'datasets', 'register', 'cli-data', CSV], { env, cwd: t.berth.config.home }));
      expect(registered).toMatchObject({ name: 'cli-data', version: 1 });
      const list = json<Array<{ name: string }>>(await runCli(['--json', 'datasets', 'list'], { env, cwd: t.berth.config.home }));
      expect(list.map((d) => d.name)).toEqual(['breast-cancer', 'cli-data']);
      const shown = await runCli(['datasets', 'show', 'cli-data'], { env, cwd: t.berth.config.home });
      expect(shown.stdout).toContain('mean_radius');
      const lineage = json<{ model_versions: Array<{ model: string }> }>(await runCli(['--json', 'datasets', 'lineage', 'cli-data'], { env, cwd: t.berth.config.home }));
      expect(lineage.model_versions.map((v) => v.model)).toEqual(['cancer']); // same bytes, same sha256
    });
  }
});
