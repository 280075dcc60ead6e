/** Multiple-testing corrections across the metrics of one test. */
import { adjustPValues } from '../../stats/index.js';
import { BerthError } from '../../errors/index.js';

/**
 * Adjusted p-values in input order, as R's `p.adjust(p, "holm")` / `p.adjust(p, "BH")`:
 * - 'holm' (family-wise error): with p sorted increasingly, cummax((m - i + 1) p_(i)) capped at 1;
 * - 'bh' (Benjamini-Hochberg false discovery rate): src/stats adjustPValues(p, 'bh').
 * NaN entries stay NaN and do not count toward m (R's NA handling). Each adjusted p >= its raw p.
 */
export function adjustAcrossMetrics(pValues: readonly number[], method: 'holm' | 'bh'): number[] {
  if (method === 'bh') return adjustPValues(pValues, 'bh');
  if (method !== 'holm') throw new BerthError('invalid_input', `unknown p-value adjustment ${JSON.stringify(method)}; use "holm" or "bh"`);
  const out = new Array<number>(pValues.length).fill(NaN);
  const idx: number[] = [];
  for (let i = 0; i < pValues.length; i++) if (!Number.isNaN(pValues[i])) idx.push(i);
  const m = idx.length;
  // Stable increasing order, as R's order(p).
  idx.sort((a, b) => (pValues[a] as number) - (pValues[b] as number) || a - b);
  let running = 0;
  for (let k = 0; k < m; k++) {
    const i = idx[k] as number;
    const v = (m - k) * (pValues[i] as number);
    if (v > running) running = v;
    out[i] = Math.min(1, running);
  }
  return out;
}
