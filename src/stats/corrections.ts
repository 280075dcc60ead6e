/** Multiple-testing corrections for per-feature drift p-values (and, later, A/B metric families). */

/**
 * Adjusted p-values in the input order, as R's `p.adjust(p, method)`:
 * - 'bonferroni': min(1, m * p);
 * - 'bh' (Benjamini-Hochberg, R's "BH"/"fdr"): with p sorted decreasingly and i its rank from m
 *   down to 1, cummin((m / i) * p) capped at 1, mapped back to the input order.
 *
 * NaN entries stay NaN and are left out of m (R's handling of NA). Values are not range-checked
 * (R does not either). Empty input gives an empty array.
 */
export function adjustPValues(pValues: readonly number[], method: 'bonferroni' | 'bh'): number[] {
  const out = new Array<number>(pValues.length).fill(NaN);
  const idx: number[] = [];
  for (let i = 0; i < pValues.length; i++) if (!Number.isNaN(pValues[i])) idx.push(i);
  const m = idx.length;
  if (method === 'bonferroni') {
    for (const i of idx) out[i] = Math.min(1, m * (pValues[i] as number));
    return out;
  }
  if (method !== 'bh') throw new RangeError(`adjustPValues: unknown method ${String(method)}`);
  // Stable decreasing order, as R's order(p, decreasing = TRUE); tied p-values get the same
  // adjusted value either way.
  idx.sort((a, b) => (pValues[b] as number) - (pValues[a] as number) || a - b);
  let running = Infinity;
  for (let k = 0; k < m; k++) {
    const i = idx[k] as number;
    const rank = m - k;
    const v = (m / rank) * (pValues[i] as number);
    if (v < running) running = v;
    out[i] = Math.min(1, running);
  }
  return out;
}
