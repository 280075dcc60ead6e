import { uniqueLabels } from '../evaluation/index.js';

/** A decimal number as CSV writes it; stricter than Number(), which also takes "0x1f", "" and "Infinity". */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Cells that mean "no value" in a numeric column (as pandas reads them); in text columns only "" does. */
const MISSING_MARKERS = new Set(['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'None', '?', '-']);

/** The number in a cell, or undefined when the cell is missing or not a decimal number. */
export function parseNumberCell(cell: string | number | undefined): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (cell === undefined) return undefined;
  const text = cell.trim();
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function isMissingNumberCell(cell: string | undefined): boolean {
  return cell === undefined || MISSING_MARKERS.has(cell.trim());
}

/** Every column named by any record, in first-seen order (CSV records all share the header's). */
export function columnNames(records: ReadonlyArray<Readonly<Record<string, string>>>): string[] {
  const names = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) names.add(key);
  return [...names];
}

/**
 * A column is numeric when it has at least one number and every other cell is a number or a missing
 * marker: a stray "?" then drops its row instead of turning the whole column into a category.
 */
export function isNumericColumn(records: ReadonlyArray<Readonly<Record<string, string>>>, column: string): boolean {
  let numbers = 0;
  for (const record of records) {
    const cell = record[column];
    if (isMissingNumberCell(cell)) continue;
    if (parseNumberCell(cell) === undefined) return false;
    numbers++;
  }
  return numbers > 0;
}

/**
 * Distinct values in a stable order: numerically when every value is a number ("2" before "10"),
 * else by code point like scikit-learn's unique_labels.
 */
export function sortedDistinct(values: Iterable<string>): string[] {
  const distinct = uniqueLabels([...new Set(values)]);
  if (!distinct.every((v) => parseNumberCell(v) !== undefined)) return distinct;
  return distinct.sort((a, b) => parseNumberCell(a)! - parseNumberCell(b)! || (a < b ? -1 : a > b ? 1 : 0));
}
