/** Pearson's chi-square test of independence on a contingency table. */
import { chiSquareSf } from '../../stats/index.js';
import { BerthError } from '../../errors/index.js';

/** Result of {@link chiSquareContingency}, as scipy's Chi2ContingencyResult. */
export interface ContingencyResult {
  statistic: number;
  pValue: number;
  df: number;
  /** Expected counts under independence: row total * column total / grand total. */
  expected: number[][];
}

/**
 * `scipy.stats.chi2_contingency(table, correction)` (scipy 1.10; R's `chisq.test(table, correct)`
 * for 2x2): expected = outer(row sums, column sums) / total, df = (rows - 1)(columns - 1),
 * statistic = sum (o - e)^2 / e, p = chi2.sf(statistic, df).
 *
 * With `correction` (default true, as scipy) and df = 1, Yates' continuity correction moves each
 * observed count toward its expectation by min(0.5, |o - e|). df = 0 (one row or one column) gives
 * statistic 0 and p 1, as scipy.
 *
 * Refused with a BerthError (scipy raises ValueError): an empty or ragged table, a negative or
 * non-finite count, or an expected count of 0 (a row or column that sums to 0).
 */
export function chiSquareContingency(table: number[][], correction = true): ContingencyResult {
  const rows = table.length;
  const cols = rows > 0 ? (table[0]?.length ?? 0) : 0;
  if (rows === 0 || cols === 0) throw new BerthError('invalid_input', 'contingency table is empty');
  const rowSums = new Array<number>(rows).fill(0);
  const colSums = new Array<number>(cols).fill(0);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = table[i];
    if (!Array.isArray(row) || row.length !== cols) {
      throw new BerthError('invalid_input', `contingency table row ${i} has ${Array.isArray(row) ? row.length : 0} cells; row 0 has ${cols}`, { row: i });
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j] as number;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new BerthError('invalid_input', `contingency table cell (${i}, ${j}) must be a finite count >= 0, got ${String(v)}`, { row: i, column: j });
      }
      rowSums[i] = (rowSums[i] as number) + v;
      colSums[j] = (colSums[j] as number) + v;
      total += v;
    }
  }
  const expected = rowSums.map((r) => colSums.map((c) => (r * c) / total));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (!((expected[i]?.[j] ?? 0) > 0)) {
        throw new BerthError('invalid_input', `the table of expected frequencies has a zero element at (${i}, ${j}): a row or column sums to 0`, {
          row: i,
          column: j,
        });
      }
    }
  }
  const df = (rows - 1) * (cols - 1);
  if (df === 0) return { statistic: 0, pValue: 1, df, expected };
  let statistic = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const e = (expected[i] as number[])[j] as number;
      let o = (table[i] as number[])[j] as number;
      if (correction && df === 1) {
        const diff = e - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += ((o - e) * (o - e)) / e;
    }
  }
  return { statistic, pValue: chiSquareSf(statistic, df), df, expected };
}
