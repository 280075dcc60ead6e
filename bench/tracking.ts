/**
 * npm run bench:tracking — the tracking API where MLflow is known to be slow:
 *   1. log 100,000 metric points through runs/log-batch, 1000 per call (MLflow: ~0.15 s per call);
 *   2. runs/search with a metric filter and a metric order over 100,000 runs (MLflow: minutes at 30k runs).
 * The server runs as its own process on a fresh SQLite home (or BERTH_DATABASE_URL). The 100,000 runs are
 * inserted straight into the store first (setup, not measured).   RUNS=100000 POINTS=100000
 *
 * The client keeps its own cost out of the timings: request bodies are built before the clock starts, and
 * requests go over one node:http keep-alive connection (fetch added about 1-5 ms of client time per call here).
 * Each call is still one HTTP request, validated and committed by the server before it answers.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { openBerth } from '../src/context/index.js';
import { startBerthProcess } from './berth-process.js';

const RUNS = Number(process.env['RUNS'] ?? 100_000);
const POINTS = Number(process.env['POINTS'] ?? 100_000);

const home = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-tracking-'));
const env = { BERTH_HOME: home, BERTH_LOG_LEVEL: 'warn' } as Record<string, string>;
if (process.env['BERTH_DATABASE_URL']) env['BERTH_DATABASE_URL'] = process.env['BERTH_DATABASE_URL'];

const setupStart = performance.now();
const berth = await openBerth(loadConfig({ env, cwd: home }).config);
const experimentId = Number(await berth.tracking.createExperiment({ name: 'sweep' }));
const db = berth.store.db;
for (let start = 0; start < RUNS; start += 1000) {
  const runs = Array.from({ length: Math.min(1000, RUNS - start) }, (_, k) => {
    const i = start + k;
    return { run_uuid: randomUUID().replace(/-/g, ''), i };
  });
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('runs').values(runs.map(({ run_uuid, i }) => ({ run_uuid, experiment_id: experimentId, run_name: `run-${i}`, user_id: 'bench', status: 'FINISHED' as const, start_time: 1_700_000_000_000 + i, end_time: null, lifecycle_stage: 'active' as const, artifact_uri: '', deleted_time: null }))).execute();
    await trx.insertInto('latest_metrics').values(runs.map(({ run_uuid, i }) => ({ run_uuid, key: 'accuracy', value: ((i * 7919) % 10_000) / 10_000, is_nan: 0, timestamp: 1, step: 0 }))).execute();
    await trx.insertInto('run_params').values(runs.map(({ run_uuid, i }) => ({ run_uuid, key: 'lr', value: i % 2 === 0 ? '0.01' : '0.1' }))).execute();
  });
}
await berth.close();
const setupSeconds = (performance.now() - setupStart) / 1000;

const server = await startBerthProcess(home, env);
const url = server.url;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** POSTs a JSON body (an object, or bytes already serialized) and returns the parsed JSON answer. */
const post = (route: string, body: unknown) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers = { 'content-type': 'application/json', 'content-length': payload.length };
    const req = http.request(`${url}/api/2.0/mlflow/${route}`, { method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`${route}: ${res.statusCode} ${text}`);
          resolve(JSON.parse(text) as Record<string, unknown>);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });

try {
  const run = (await post('runs/create', { experiment_id: String(experimentId), run_name: 'logging' })) as { run: { info: { run_id: string } } };
  const runId = run.run.info.run_id;
  const batches = Math.ceil(POINTS / 1000);
  const bodies = Array.from({ length: batches }, (_, b) =>
    Buffer.from(JSON.stringify({ run_id: runId, metrics: Array.from({ length: 1000 }, (_, k) => ({ key: `m${k % 10}`, value: Math.random(), timestamp: Date.now(), step: b * 100 + Math.floor(k / 10) })) })),
  );
  const logStart = performance.now();
  for (const body of bodies) await post('runs/log-batch', body);
  const logSeconds = (performance.now() - logStart) / 1000;

  const search = { experiment_ids: [String(experimentId)], filter: "metrics.accuracy > 0.9 and params.lr = '0.01'", order_by: ['metrics.accuracy DESC'], max_results: 100 };
  await post('runs/search', search); // warm-up
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    found = ((await post('runs/search', search)) as { runs: unknown[] }).runs.length;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const page2Start = performance.now();
  const first = (await post('runs/search', search)) as { next_page_token?: string };
  await post('runs/search', { ...search, page_token: first.next_page_token });
  const twoPages = performance.now() - page2Start;

  console.log(`\nberth tracking benchmark (${env['BERTH_DATABASE_URL'] ? 'postgres' : 'sqlite'}), ${RUNS.toLocaleString()} runs, node ${process.version}; setup ${setupSeconds.toFixed(1)} s`);
  console.log('client: node:http keep-alive connection, request bodies built before timing (client cost kept out; each call is still a full HTTP request)\n');
  console.table([
    { scenario: `log ${POINTS.toLocaleString()} metric points, ${batches} × log-batch(1000)`, result: `${logSeconds.toFixed(2)} s total, ${((logSeconds / batches) * 1000).toFixed(1)} ms per call` },
    { scenario: `runs/search over ${RUNS.toLocaleString()} runs: metric + param filter, metric order, 100 results`, result: `median ${times[5]!.toFixed(1)} ms, max ${times[9]!.toFixed(1)} ms (${found} runs returned)` },
    { scenario: 'same search, first two keyset pages', result: `${twoPages.toFixed(1)} ms` },
  ]);
} finally {
  agent.destroy();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
