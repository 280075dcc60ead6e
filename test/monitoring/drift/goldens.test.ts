/**
 * Every run of every case in test/fixtures/goldens/drift.json (scripts/goldens/make_drift_goldens.py,
 * which restates Evidently's legacy drift with scipy/numpy) must come out of sketchReference +
 * computeDrift with the same methods, decisions and numbers.
 *
 * Tolerances: statistics and distances agree to 1e-9 RELATIVE, p-values (raw and adjusted) to 1e-7
 * RELATIVE; both with an absolute floor of 1e-15, because Evidently's z-test computes p as
 * 2 * (1 - Phi(|z|)), which cannot resolve differences below ~1e-16, and a distance of exactly 0 may
 * come out as 1e-17 in a different summation order. Infinity and 0 must match exactly; method,
 * drifted, tested, notes of untested columns and all counts must match exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeDrift, sketchReference, type ColumnDrift, type ColumnSample, type DriftOptions } from '../../../src/monitoring/drift/index.js';

const STAT_RTOL = 1e-9;
const P_RTOL = 1e-7;
const ATOL = 1e-15;

type Cell = number | string | null;
interface GoldenTable {
  [column: string]: { kind: 'numeric' | 'categorical'; values: Cell[] };
}
interface GoldenColumn {
  column: string;
  kind: 'numeric' | 'categorical';
  tested: boolean;
  method?: string;
  statistic?: number | string;
  p_value?: number | string | null;
  adjusted_p_value?: number | string;
  score?: number | string;
  threshold?: number;
  drifted: boolean;
  note?: string;
  reference_rows: number;
  reference_missing: number;
  current_rows: number;
  current_missing: number;
}
interface GoldenRun {
  options: {
    methods?: Record<string, string>;
    method_by_kind?: Record<string, string>;
    thresholds?: Record<string, number>;
    drift_share?: number;
    correction?: 'none' | 'bonferroni' | 'bh';
    columns?: string[];
    max_sample?: number;
  };
  expected: {
    columns: GoldenColumn[];
    tested: number;
    drifted: number;
    share: number;
    drift_share_threshold: number;
    dataset_drift: boolean;
    correction: string;
    sampled: boolean;
  };
}
interface GoldenCase {
  name: string;
  reference: GoldenTable;
  current: GoldenTable;
  runs: GoldenRun[];
}

const golden = JSON.parse(readFileSync(new URL('../../fixtures/goldens/drift.json', import.meta.url), 'utf8')) as {
  scipy_version: string;
  numpy_version: string;
  cases: GoldenCase[];
};

function decode(v: Cell | undefined): number {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number;
}

function samples(table: GoldenTable): ColumnSample[] {
  return Object.entries(table).map(([name, { kind, values }]) =>
    kind === 'numeric' ? { name, kind, numbers: Float64Array.from(values.map((v) => decode(v))) } : { name, kind, categories: values.map((v) => (v === null ? null : String(v))) },
  );
}

function options(o: GoldenRun['options']): DriftOptions {
  return {
    methods: o.methods as DriftOptions['methods'],
    methodByKind: o.method_by_kind as DriftOptions['methodByKind'],
    thresholds: o.thresholds as DriftOptions['thresholds'],
    driftShare: o.drift_share,
    correction: o.correction,
    columns: o.columns,
  };
}

let checked = 0;

function close(actual: number | null | undefined, expected: number, rtol: number, what: string): void {
  checked++;
  expect(actual, what).not.toBeNull();
  expect(actual, what).not.toBeUndefined();
  const a = actual as number;
  if (!Number.isFinite(expected) || expected === 0) {
    if (Number.isNaN(expected)) expect(a, what).toBeNaN();
    else if (expected === 0) expect(Math.abs(a), what).toBeLessThanOrEqual(ATOL);
    else expect(a, what).toBe(expected);
    return;
  }
  const diff = Math.abs(a - expected);
  expect(diff, `${what}: got ${a}, expected ${expected}`).toBeLessThanOrEqual(Math.max(rtol * Math.abs(expected), ATOL));
}

function checkColumn(actual: ColumnDrift, expected: GoldenColumn, where: string): void {
  const at = `${where} column ${expected.column}`;
  expect(actual.column, at).toBe(expected.column);
  expect(actual.kind, at).toBe(expected.kind);
  expect(actual.tested, at).toBe(expected.tested);
  expect(actual.drifted, `${at} drifted`).toBe(expected.drifted);
  expect({ rows: actual.reference_rows, missing: actual.reference_missing }, `${at} reference counts`).toEqual({ rows: expected.reference_rows, missing: expected.reference_missing });
  expect({ rows: actual.current_rows, missing: actual.current_missing }, `${at} current counts`).toEqual({ rows: expected.current_rows, missing: expected.current_missing });
  if (!expected.tested) {
    expect(actual.note, at).toBe(expected.note);
    expect(actual.p_value, at).toBeNull();
    return;
  }
  expect(actual.method, `${at} method`).toBe(expected.method);
  expect(actual.threshold, `${at} threshold`).toBe(expected.threshold);
  close(actual.statistic, decode(expected.statistic), STAT_RTOL, `${at} statistic`);
  if (expected.p_value === null || expected.p_value === undefined) {
    expect(actual.p_value, `${at} p_value`).toBeNull();
    close(actual.score, decode(expected.score), STAT_RTOL, `${at} score`);
  } else {
    close(actual.p_value, decode(expected.p_value), P_RTOL, `${at} p_value`);
    close(actual.score, decode(expected.score), P_RTOL, `${at} score`);
  }
  if (expected.adjusted_p_value !== undefined) close(actual.adjusted_p_value, decode(expected.adjusted_p_value), P_RTOL, `${at} adjusted_p_value`);
  else if (actual.adjusted_p_value !== undefined) expect(actual.adjusted_p_value, at).toBeNull();
}

describe('drift goldens', () => {
  it('were generated with scipy and numpy', () => {
    expect(golden.scipy_version).toMatch(/^\d+\.\d+/);
    expect(golden.numpy_version).toMatch(/^\d+\.\d+/);
    expect(golden.cases.length).toBeGreaterThanOrEqual(7);
  });

  describe.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it.each(c.runs.map((r, i) => [i, JSON.stringify(r.options), r] as const))('run %i %s', (i, _label, run) => {
      const where = `${c.name}#${i}`;
      const sketch = sketchReference(samples(c.reference), { maxSample: run.options.max_sample });
      const report = computeDrift(sketch, samples(c.current), options(run.options));
      const exp = run.expected;
      expect(report.columns.map((x) => x.column), where).toEqual(exp.columns.map((x) => x.column));
      report.columns.forEach((col, j) => checkColumn(col, exp.columns[j]!, where));
      expect({ tested: report.tested, drifted: report.drifted, dataset_drift: report.dataset_drift, correction: report.correction, sampled: report.sampled, threshold: report.drift_share_threshold }).toEqual({
        tested: exp.tested,
        drifted: exp.drifted,
        dataset_drift: exp.dataset_drift,
        correction: exp.correction,
        sampled: exp.sampled,
        threshold: exp.drift_share_threshold,
      });
      close(report.share, exp.share, STAT_RTOL, `${where} share`);
    });
  });

  it('checked numbers', () => {
    // Runs after the cases above (vitest runs a file's tests in order).
    expect(checked).toBeGreaterThan(150);
  });
});
