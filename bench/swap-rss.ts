/**
 * npm run bench:swap-rss — onnxruntime-node can grow RSS across repeated session create/release
 * (onnxruntime issue #25325). A hot swap does exactly that, so this measures it: N create → run → release
 * cycles per executor kind, printing RSS as it goes. A leak shows as steady growth; a plateau is fine.
 *   SWAPS=200
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InlineExecutor, WorkerExecutor, type Executor } from '../src/inference/index.js';

const SWAPS = Number(process.env['SWAPS'] ?? 200);
const model = readFileSync(path.resolve(import.meta.dirname, '../demo/breast-cancer.onnx'));
const options = { intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all' as const };
const mib = () => Math.round(process.memoryUsage().rss / 2 ** 20);

const rows: Array<Record<string, string | number>> = [];
for (const kind of ['inline', 'worker'] as const) {
  const row: Record<string, string | number> = { executor: kind, 'start MiB': mib() };
  for (let i = 1; i <= SWAPS; i++) {
    const executor: Executor = kind === 'inline' ? await InlineExecutor.create(model, options) : await WorkerExecutor.create(model, options, 1);
    await executor.run({ features: { type: 'float32', data: new Float32Array(30), dims: [1, 30] } });
    await executor.release();
    if (i === 10 || i === Math.round(SWAPS / 2) || i === SWAPS) row[`after ${i}`] = mib();
  }
  rows.push(row);
}
console.log(`\nRSS (MiB) across session create/run/release cycles, node ${process.version}\n`);
console.table(rows);
