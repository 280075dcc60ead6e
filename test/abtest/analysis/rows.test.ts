/** statsFromRows: per-subject rows to per-metric sufficient statistics, with row-naming errors. */
import { describe, expect, it } from 'vitest';
import { armStats, statsFromRows, type MetricRow } from '../../../src/abtest/analysis/index.js';
import { BerthError } from '../../../src/errors/index.js';

const rows: MetricRow[] = [
  { subject: 'u1', variant: 'treatment', metric: 'converted', value: 1 },
  { subject: 'u1', variant: 'treatment', metric: 'revenue', value: 12.5 },
  { subject: 'u2', variant: 'control', metric: 'converted', value: 0 },
  { subject: 'u2', variant: 'control', metric: 'revenue', value: 0 },
  { subject: 'u3', variant: 'control', metric: 'converted', value: 1 },
  { subject: 'u3', variant: 'control', metric: 'revenue', value: 7.25 },
  { subject: 'u4', variant: 'treatment', metric: 'converted', value: 0 },
  { subject: 'u5', variant: 'control', metric: 'converted', value: 1 },
];

function refusedAtRow(fn: () => unknown, row: number | undefined, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BerthError);
  const err = caught as BerthError;
  expect(err.code).toBe('invalid_input');
  expect(err.message).toMatch(message);
  if (row !== undefined) {
    expect(err.message.startsWith(`row ${row}: `)).toBe(true);
    expect(err.details?.row).toBe(row);
  }
}

describe('statsFromRows', () => {
  it('groups per metric and variant; control is the alphabetically first variant', () => {
    const m = statsFromRows(rows);
    expect([...m.keys()]).toEqual(['converted', 'revenue']);
    const converted = m.get('converted');
    expect(converted?.kind).toBe('binary');
    expect(converted?.arms).toEqual([
      { variant: 'control', n: 3, sum: 2, sumSquares: 2 },
      { variant: 'treatment', n: 2, sum: 1, sumSquares: 1 },
    ]);
    const revenue = m.get('revenue');
    expect(revenue?.kind).toBe('numeric');
    expect(revenue?.arms).toEqual([armStats('control', [0, 7.25]), armStats('treatment', [12.5])]);
  });

  it('follows the given variant order (first = control) and gives absent variants n = 0', () => {
    const m = statsFromRows(rows, { variants: ['treatment', 'control', 'holdout'] });
    expect(m.get('revenue')?.arms.map((a) => [a.variant, a.n])).toEqual([
      ['treatment', 1],
      ['control', 2],
      ['holdout', 0],
    ]);
  });

  it('a metric whose values are all 0 is binary; any other value makes it numeric', () => {
    const m = statsFromRows([
      { subject: 'a', variant: 'A', metric: 'errors', value: 0 },
      { subject: 'b', variant: 'B', metric: 'errors', value: 0 },
      { subject: 'a', variant: 'A', metric: 'score', value: 1 },
      { subject: 'b', variant: 'B', metric: 'score', value: 0.5 },
    ]);
    expect(m.get('errors')?.kind).toBe('binary');
    expect(m.get('score')?.kind).toBe('numeric');
  });

  it('names the row of a bad value', () => {
    const bad = [...rows.slice(0, 2), { subject: 'u9', variant: 'control', metric: 'revenue', value: NaN }];
    refusedAtRow(() => statsFromRows(bad), 3, /value for subject "u9", metric "revenue" is not a finite number/);
  });

  it('names the rows of a subject in two variants', () => {
    const bad = [...rows, { subject: 'u2', variant: 'treatment', metric: 'clicks', value: 3 }];
    refusedAtRow(() => statsFromRows(bad), 9, /subject "u2" is in variant "treatment" here but in "control" on row 3/);
  });

  it('names the rows of a repeated subject and metric', () => {
    const bad = [...rows, { subject: 'u1', variant: 'treatment', metric: 'revenue', value: 3 }];
    refusedAtRow(() => statsFromRows(bad), 9, /already has a value for metric "revenue" on row 2/);
  });

  it('names the row of an empty field or an unknown variant', () => {
    refusedAtRow(() => statsFromRows([{ subject: '', variant: 'A', metric: 'm', value: 1 }]), 1, /subject is missing or empty/);
    refusedAtRow(() => statsFromRows([{ subject: 's', variant: 'A', metric: ' ', value: 1 }]), 1, /metric is missing or empty/);
    refusedAtRow(() => statsFromRows(rows, { variants: ['control', 'variant-b'] }), 1, /variant "treatment" is not one of the test's variants/);
  });

  it('refuses no rows, a single variant, and a repeated variant name', () => {
    refusedAtRow(() => statsFromRows([]), undefined, /no rows/);
    refusedAtRow(() => statsFromRows([{ subject: 's', variant: 'A', metric: 'm', value: 1 }]), undefined, /at least two variants/);
    refusedAtRow(() => statsFromRows(rows, { variants: ['control', 'control'] }), undefined, /twice/);
  });
});
