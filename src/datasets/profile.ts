/** Column types a dataset profile distinguishes. */
export type ColumnType = 'number' | 'category' | 'string';

export interface ColumnInfo {
  name: string;
  type: ColumnType;
  missing_share: number;
}

export interface NumberProfile {
  type: 'number';
  count: number;
  missing_share: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (ddof = 0), as drift's normalization uses. */
  std: number;
  /** numpy's default (linear) quantiles at 0.05, 0.25, 0.5, 0.75, 0.95. */
  quantiles: Record<string, number>;
}

export interface CategoryProfile {
  type: 'category' | 'string';
  count: number;
  missing_share: number;
  distinct: number;
  /** Counts of the most frequent values (all of them for categories, the top 50 for free text). */
  counts: Record<string, number>;
}

export type ColumnProfile = NumberProfile | CategoryProfile;

const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** A text column with at most this many distinct values (or ≤ 5% of rows) is a category. */
const MAX_CATEGORIES = 50;

/** numpy.quantile(values, q) with the default 'linear' method; `sorted` must be ascending. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (position - lo);
}

/**
 * Types and profiles every column of a table given as string cells (as parsed from CSV): numbers where
 * every present value is numeric, categories where few distinct values repeat, free text otherwise.
 * Empty cells are missing.
 */
export function profileTable(columns: readonly string[], rows: ReadonlyArray<Record<string, string | undefined>>): { columns: ColumnInfo[]; profile: Record<string, ColumnProfile> } {
  const n = rows.length;
  const infos: ColumnInfo[] = [];
  const profile: Record<string, ColumnProfile> = {};
  for (const name of columns) {
    const present: string[] = [];
    for (const row of rows) {
      const v = row[name];
      if (v !== undefined && v !== '') present.push(v);
    }
    const missing_share = n === 0 ? 0 : (n - present.length) / n;
    if (present.length > 0 && present.every((v) => NUMBER.test(v.trim()))) {
      const values = present.map((v) => Number(v)).sort((a, b) => a - b);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
      profile[name] = {
        type: 'number',
        count: values.length,
        missing_share,
        min: values[0]!,
        max: values[values.length - 1]!,
        mean,
        std,
        quantiles: Object.fromEntries(QUANTILES.map((q) => [String(q), quantile(values, q)])),
      };
      infos.push({ name, type: 'number', missing_share });
      continue;
    }
    const counts = new Map<string, number>();
    for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
    const type: ColumnType = counts.size <= MAX_CATEGORIES || counts.size <= 0.05 * present.length ? 'category' : 'string';
    const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    profile[name] = { type, count: present.length, missing_share, distinct: counts.size, counts: Object.fromEntries(type === 'category' ? ordered : ordered.slice(0, 50)) };
    infos.push({ name, type, missing_share });
  }
  return { columns: infos, profile };
}
