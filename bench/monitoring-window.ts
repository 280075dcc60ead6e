/**
 * npm run bench:monitoring-window — what a monitoring window costs a serving process. Starts `berth serve
 * --demo`, logs ROWS predictions through /predict/batch, then asks for the monitoring summary (the same
 * window the scheduled evaluation computes) and reports how long it took and the event loop's worst delay
 * meanwhile (prom-client's berth_nodejs_eventloop_lag_max_seconds, reset by each scrape). Windows are computed
 * on a thread of their own, so the delay should stay near the idle level.
 *   ROWS=200000
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBerthProcess } from './berth-process.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const ROWS = Number(process.env['ROWS'] ?? 200_000);

async function lagMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^berth_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000;
}

async function main(): Promise<void> {
  const lines = readFileSync(path.join(ROOT, 'data/breast_cancer.csv'), 'utf8').trim().split('\n');
  const names = lines[0]!.split(',').slice(0, 30);
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const values = lines[1 + (i % (lines.length - 1))]!.split(',');
    return Object.fromEntries(names.map((n, k) => [n, Number(values[k])]));
  });
  const body = JSON.stringify({ instances: rows });
  const home = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  // No scheduled evaluation during the run: the bench asks for the window itself.
  const server = await startBerthProcess(home, { BERTH_EVALUATE_EVERY_SECONDS: '86400' }, ['--demo']);
  try {
    const started = performance.now();
    for (let i = 0; i < ROWS / 1000; i++) {
      const r = await fetch(`${server.url}/v1/models/breast-cancer/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!r.ok) throw new Error(`predict/batch: ${r.status} ${await r.text()}`);
    }
    const logging = performance.now() - started;
    const table: Array<Record<string, number | string>> = [];
    for (const label of ['first window (includes flushing the log)', 'window again', 'window again']) {
      await lagMs(server.url);
      const t = performance.now();
      const r = await fetch(`${server.url}/v1/models/breast-cancer/monitoring`);
      if (!r.ok) throw new Error(`monitoring: ${r.status} ${await r.text()}`);
      const took = performance.now() - t;
      table.push({ scenario: label, rows: ROWS, 'window ms': Math.round(took), 'event loop max delay ms': Math.round(await lagMs(server.url)) });
    }
    console.log(`\nmonitoring window of ${ROWS} logged predictions (logged in ${(logging / 1000).toFixed(1)} s), ${os.cpus().length} cores, node ${process.version}\n`);
    console.table(table);
  } finally {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
