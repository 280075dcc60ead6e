/**
 * npm run bench:serve — load test of the HTTP serving path with the demo model, 32 connections.
 * Starts `berth serve --demo` in a temp home as a separate process, runs each scenario with wrk when it is
 * installed (apt-get install wrk; a C load generator that is not itself the bottleneck) or autocannon,
 * and prints a table, with the prediction log off and on (its cost must stay <= 10% of req/s). As a ceiling it also measures a bare node:http server that only parses the same
 * JSON and answers. Not part of `npm test`: numbers depend on the machine.
 *   BENCH_SECONDS=10 (per scenario)  BENCH_CONNECTIONS=32  BENCH_TOOL=wrk|autocannon
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startBerthProcess } from './berth-process.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);

function rows(n: number): Array<Record<string, number>> {
  const lines = readFileSync(path.join(ROOT, 'data/breast_cancer.csv'), 'utf8').trim().split('\n');
  const names = lines[0]!.split(',').slice(0, 30);
  const out: Array<Record<string, number>> = [];
  for (let i = 0; out.length < n; i = (i + 1) % (lines.length - 1)) {
    const values = lines[i + 1]!.split(',');
    out.push(Object.fromEntries(names.map((name, k) => [name, Number(values[k])])));
  }
  return out;
}

async function startServer(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void>; home: string }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const server = await startBerthProcess(home, env, ['--demo']);
  return { url: server.url, stop: server.stop, home };
}

interface Row {
  scenario: string;
  'req/s': number;
  'rows/s': number;
  'p50 ms': number;
  'p99 ms': number;
  errors: number;
  /** Share of CPU time the hypervisor gave to others during the scenario: numbers are only comparable when it is ~0. */
  'steal %': number | string;
}

/** Total and stolen CPU ticks so far (Linux /proc/stat), to report host steal per scenario. */
function cpuTicks(): { total: number; steal: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return undefined;
  }
}

function stealPercent(before: ReturnType<typeof cpuTicks>): number | string {
  const after = cpuTicks();
  if (!before || !after || after.total === before.total) return '';
  return Math.round(((after.steal - before.steal) / (after.total - before.total)) * 1000) / 10;
}

const TOOL = process.env['BENCH_TOOL'] ?? (spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk');

/** wrk's --latency report: requests/s and the 50th/99th percentile latencies (converted to ms). */
function runWrk(url: string, body: string, connections: number): { rps: number; p50: number; p99: number; errors: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-wrk-'));
  const script = path.join(dir, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
  const run = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${SECONDS}s`, '--latency', '-s', script, url], { encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(dir, { recursive: true, force: true });
  const out = run.stdout;
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(non2xx?.[1] ?? 0) + (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50: ms('50'), p99: ms('99'), errors };
}

async function load(scenario: string, url: string, body: string, rowsPerRequest: number, connections = CONNECTIONS): Promise<Row> {
  const ticks = cpuTicks();
  if (TOOL === 'wrk') {
    const r = runWrk(url, body, connections);
    return { scenario, 'req/s': Math.round(r.rps), 'rows/s': Math.round(r.rps * rowsPerRequest), 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors, 'steal %': stealPercent(ticks) };
  }
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: SECONDS,
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return {
    scenario,
    'req/s': Math.round(result.requests.average),
    'rows/s': Math.round(result.requests.average * rowsPerRequest),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    errors,
    'steal %': stealPercent(ticks),
  };
}

const CEILINGS = {
  'ceiling: bare node:http, same JSON, no model':
    "const s = require('node:http').createServer((q, r) => { let b = ''; q.on('data', (d) => (b += d)); q.on('end', () => { const o = JSON.parse(b); r.setHeader('content-type', 'application/json'); r.end(JSON.stringify({ n: Object.keys(o.inputs).length })); }); }); s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));",
  'ceiling: bare Fastify route, same JSON, no model':
    "const app = require('fastify')(); app.post('/', async (q) => ({ n: Object.keys(q.body.inputs).length })); app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log('port ' + app.server.address().port));",
};

/** What the HTTP stack alone allows here: the same JSON parsed and answered, no validation, no model. */
async function ceiling(label: keyof typeof CEILINGS, body: string): Promise<Row> {
  const child = spawn(process.execPath, ['-e', CEILINGS[label]], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.on('data', (d: Buffer) => resolve(Number(/port (\d+)/.exec(d.toString())![1]))));
  try {
    await load('warm-up', `http://127.0.0.1:${port}/`, body, 1);
    return await load(label, `http://127.0.0.1:${port}/`, body, 1);
  } finally {
    child.kill();
  }
}

/** Waits until the prediction log has written what earlier scenarios queued, so it does not eat the next one's CPU. */
async function drained(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const queued = Number(/^berth_prediction_log_queue_rows (\S+)/m.exec(text)?.[1] ?? 0);
    if (queued === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Registers the demo model again as v2 and runs a 50/50 test of v1 against it (through the REST API). */
async function startAbTest(url: string): Promise<void> {
  const form = new FormData();
  form.set('onnx', new Blob([readFileSync(path.join(ROOT, 'demo/breast-cancer.onnx'))]), 'breast-cancer.onnx');
  form.set('card', readFileSync(path.join(ROOT, 'demo/breast-cancer.card.json'), 'utf8'));
  const registered = await fetch(`${url}/v1/models/breast-cancer/versions`, { method: 'POST', body: form });
  if (!registered.ok) throw new Error(`register v2: ${await registered.text()}`);
  const post = (route: string, body?: unknown) => fetch(`${url}${route}`, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const created = await post('/v1/abtests', { name: 'bench', model: 'breast-cancer', variants: [{ version: 1, weight: 0.5 }, { version: 2, weight: 0.5 }] });
  if (!created.ok) throw new Error(`create test: ${await created.text()}`);
  await post('/v1/abtests/bench/start');
}

async function main(): Promise<void> {
  const single = JSON.stringify({ inputs: rows(1)[0] });
  const thousand = JSON.stringify({ instances: rows(1000) });
  const table: Row[] = [];
  for (const label of Object.keys(CEILINGS) as Array<keyof typeof CEILINGS>) table.push(await ceiling(label, single));
  const servers = [
    ['inline executor, prediction log off', { BERTH_EXECUTOR: 'inline', BERTH_MONITORING_ENABLED: 'false' }],
    ['inline executor, prediction log on', { BERTH_EXECUTOR: 'inline' }],
    ['worker-thread executor, prediction log on', { BERTH_EXECUTOR: 'worker' }],
  ] as const;
  for (const [label, env] of servers) {
    const server = await startServer(env);
    try {
      const predict = `${server.url}/v1/models/breast-cancer/predict`;
      await load('warm-up', predict, single, 1); // JIT and session warm-up, not reported
      await drained(server.url);
      table.push(await load(`single predict (${label})`, predict, single, 1));
      if (label === 'inline executor, prediction log on') {
        await startAbTest(server.url);
        const routed = JSON.stringify({ inputs: rows(1)[0], subject: 'user-42' });
        await load('warm-up', predict, routed, 1);
        await drained(server.url);
        table.push(await load('single predict routed by an A/B test (inline, log on)', predict, routed, 1));
        await drained(server.url);
        table.push(await load('batch of 1000 rows, /predict/batch', `${predict}/batch`, thousand, 1000, 4));
        await drained(server.url);
        table.push(await load('1000 instances, /predict', predict, thousand, 1000, 4));
      }
    } finally {
      await server.stop();
      rmSync(server.home, { recursive: true, force: true });
    }
  }
  console.log(`\nberth serving benchmark (${TOOL}): ${SECONDS}s per scenario, ${CONNECTIONS} connections (4 for 1000-row bodies), ${os.cpus().length} cores, node ${process.version}, 1 server process\n`);
  console.table(table);
  const off = table.find((r) => r.scenario.includes('log off'))!['req/s'];
  const on = table.find((r) => r.scenario === 'single predict (inline executor, prediction log on)')!['req/s'];
  console.log(`prediction log cost: ${(((off - on) / off) * 100).toFixed(1)}% of single-predict req/s (target <= 10%)`);
  const routed = table.find((r) => r.scenario.startsWith('single predict routed'))!['req/s'];
  console.log(`A/B routing cost: ${(((on - routed) / on) * 100).toFixed(1)}% of single-predict req/s with the log on (target <= 5%)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
