/**
 * npm run bench:event-loop — does a heavy model stall the server? Serves test/fixtures/models/heavy.onnx
 * (about 5 ms per run) with the inline and the worker-thread executor, keeps 8 prediction loops busy, and
 * meanwhile times GET /health, which needs nothing but the event loop. Inline, every run blocks the loop;
 * on worker threads the loop stays free.   BENCH_SECONDS=8
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { openBerth } from '../src/context/index.js';
import { startBerthProcess } from './berth-process.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function scenario(executor: 'inline' | 'worker'): Promise<Record<string, string | number>> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const berth = await openBerth(loadConfig({ env: { BERTH_HOME: home }, cwd: home }).config);
  await berth.registry.registerVersion({ model: 'heavy', file: path.join(ROOT, 'test/fixtures/models/heavy.onnx') }, 'bench');
  await berth.close();
  const server = await startBerthProcess(home, { BERTH_EXECUTOR: executor });
  try {
    const url = server.url;
    const body = JSON.stringify({ inputs: { x: new Array(1024).fill(0.5) } });
    const until = Date.now() + SECONDS * 1000;
    let predictions = 0;
    const loops = Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        const res = await fetch(`${url}/v1/models/heavy/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        if (res.ok) predictions += 1;
      }
    });
    const health: number[] = [];
    while (Date.now() < until) {
      const start = performance.now();
      await (await fetch(`${url}/health`)).arrayBuffer();
      health.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(loops);
    health.sort((a, b) => a - b);
    return {
      executor,
      'heavy predictions/s': Math.round(predictions / SECONDS),
      '/health p50 ms': Number(percentile(health, 50).toFixed(2)),
      '/health p99 ms': Number(percentile(health, 99).toFixed(2)),
      '/health max ms': Number(health[health.length - 1]!.toFixed(2)),
    };
  } finally {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

const rows = [await scenario('inline'), await scenario('worker')];
console.log(`\nevent-loop responsiveness under a heavy model (~5 ms/run), 8 prediction loops, ${SECONDS}s each, ${os.cpus().length} cores\n`);
console.table(rows);
