import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsPath } from '../../src/config/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const CARD_V1 = readFileSync(fixtureModel('breast_cancer_v1.card.json'), 'utf8');
const CARD_V2 = readFileSync(fixtureModel('breast_cancer_v2.card.json'), 'utf8');
const ROW = (JSON.parse(readFileSync(fixtureModel('breast_cancer_expected.json'), 'utf8')) as { rows: Array<{ features: Record<string, number> }> }).rows[0]!.features;
const BODY = JSON.stringify({ inputs: ROW });
const ROOT = path.resolve(import.meta.dirname, '../..');

interface Load {
  ok: number;
  failed: Array<{ status: number; body: string }>;
  /** Version of the latest answer, and when it was seen. */
  latest: { version: number; at: number };
  stop: () => Promise<void>;
}

/** Keeps `connections` request loops busy until stopped, recording every outcome. */
function keepLoaded(url: string, connections: number): Load {
  let running = true;
  const state: Load = { ok: 0, failed: [], latest: { version: 0, at: 0 }, stop: async () => undefined };
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      const res = await fetch(`${url}/v1/models/cancer/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
      const text = await res.text();
      if (res.status !== 200) {
        state.failed.push({ status: res.status, body: text });
        continue;
      }
      state.ok += 1;
      state.latest = { version: (JSON.parse(text) as { version: number }).version, at: Date.now() };
    }
  });
  state.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return state;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

describe('hot swap under load', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(storeTargets()[0]!, { BERTH_WATCH_INTERVAL_MS: '200' });
    await t.client.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v1.onnx'), card: CARD_V1 });
    await t.client.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v2.onnx'), card: CARD_V2 });
    await t.client.promote('cancer', 1);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('follows 20 alias moves (API and CLI) within 2 s each with zero failed requests', async () => {
    const load = keepLoaded(t.url, 8);
    await until(() => load.latest.version === 1, 5_000);
    const rssBefore = process.memoryUsage().rss;
    const delays: number[] = [];
    try {
      for (let swap = 0; swap < 20; swap++) {
        const target = swap % 2 === 0 ? 2 : 1;
        if (swap % 5 === 4) {
          // Another process sharing the database moves the alias: the server must notice on its own.
          json(await runCli(['--json', 'promote', 'cancer', String(target)], { env: { BERTH_HOME: t.berth.config.home, BERTH_LOG_LEVEL: 'silent' }, cwd: t.berth.config.home }));
        } else {
          await t.client.promote('cancer', target, { reason: `swap ${swap}` });
        }
        const moved = Date.now(); // the move is committed: from here serving has 2 s to follow
        await until(() => load.latest.version === target && load.latest.at > moved, 2_000);
        delays.push(Date.now() - moved);
      }
    } finally {
      await load.stop();
    }
    const rssAfter = process.memoryUsage().rss;
    console.log(
      `[hot swap] 20 swaps under 8 concurrent request loops: ${load.ok} requests ok, ${load.failed.length} failed; ` +
        `swap seen after ${Math.min(...delays)}-${Math.max(...delays)} ms (median ${delays.sort((a, b) => a - b)[10]} ms); ` +
        `test process RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after the swaps`,
    );
    expect(load.failed).toEqual([]);
    expect(load.ok).toBeGreaterThan(100);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    const status = t.server.manager.status();
    expect(status.loaded.filter((l) => l.model === 'cancer').map((l) => l.version)).toEqual([1]); // the other version was unloaded
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_model_swaps_total\{model="cancer"\} 2\d/);
  });

  it('keeps serving the old version when the new one fails to load, and reports it', async () => {
    const v3 = await t.client.registerVersion({ model: 'cancer', file: fixtureModel('multi_input.onnx'), card: readFileSync(fixtureModel('multi_input.card.json'), 'utf8') });
    // Corrupt the stored artifact: the load's checksum verification must refuse it.
    const blob = path.join(artifactsPath(t.berth.config), 'sha256', v3.sha256.slice(0, 2), v3.sha256);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(blob, bytes);
    await t.client.promote('cancer', v3.version);
    await until(() => t.server.manager.status().load_errors.some((e) => e.version === v3.version), 3_000);
    const res = await fetch(`${t.url}/v1/models/cancer/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { version: number }).version).toBe(1);
    const health = (await (await fetch(`${t.url}/health`)).json()) as { load_errors: Array<{ model: string; version: number; message: string }> };
    expect(health.load_errors).toEqual([expect.objectContaining({ model: 'cancer', version: v3.version, message: expect.stringContaining('corrupt') })]);
    expect(await (await fetch(`${t.url}/metrics`)).text()).toContain('berth_model_load_errors_total{model="cancer"} 1');
    await t.client.promote('cancer', 1);
  });
});

describe('berth serve --workers 2', () => {
  it('serves from two processes that both follow an alias moved by the CLI', async () => {
    const made = storeTargets()[0]!.make();
    const env = { ...process.env, BERTH_HOME: made.config.home, BERTH_LOG_LEVEL: 'warn', BERTH_WATCH_INTERVAL_MS: '200' };
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/berth.js'), 'serve', '--demo', '--workers', '2', '--port', '0'], { cwd: made.config.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /serving at (http:\/\/\S+) \(2 worker processes\)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      const predict = async () => {
        const res = await fetch(`${url}/v1/models/breast-cancer/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
        expect(res.status).toBe(200);
        return ((await res.json()) as { version: number }).version;
      };
      expect(new Set(await Promise.all(Array.from({ length: 20 }, predict)))).toEqual(new Set([1]));
      const cli = (...args: string[]) => runCli(args, { env: { BERTH_HOME: made.config.home, BERTH_LOG_LEVEL: 'silent' }, cwd: made.config.home });
      json(await cli('--json', 'versions', 'register', 'breast-cancer', '--onnx', fixtureModel('breast_cancer_v2.onnx'), '--card', fixtureModel('breast_cancer_v2.card.json')));
      json(await cli('--json', 'promote', 'breast-cancer', '2'));
      await new Promise((r) => setTimeout(r, 2_000));
      // 40 requests over fresh connections reach both workers; every one must answer with v2.
      expect(new Set(await Promise.all(Array.from({ length: 40 }, predict)))).toEqual(new Set([2]));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await made.cleanup();
    }
  });
});
