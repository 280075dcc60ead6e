import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { quantile } from '../../../src/datasets/index.js';
import { BerthError } from '../../../src/errors/index.js';
import {
  chooseMethod,
  computeDrift,
  driftHistograms,
  readCsvColumns,
  renderDriftHtml,
  sketchReference,
  type ColumnSample,
  type DriftMethod,
  type DriftReport,
} from '../../../src/monitoring/drift/index.js';
import { evenQuantiles, populationStd } from '../../../src/monitoring/drift/sketch.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/drift');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-drift-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const numeric = (name: string, values: number[]): ColumnSample => ({ name, kind: 'numeric', numbers: Float64Array.from(values) });
const categorical = (name: string, values: Array<string | null>): ColumnSample => ({ name, kind: 'categorical', categories: values });
const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

function refusal(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe('invalid_input');
    return err as BerthError;
  }
  throw new Error('expected a refusal');
}

describe('chooseMethod (Evidently _get_default_stattest)', () => {
  it.each([
    ['numeric', 1000, 6, 'ks'],
    ['numeric', 1000, 5, 'chisquare'],
    ['numeric', 1000, 3, 'chisquare'],
    ['numeric', 1000, 2, 'z'],
    ['numeric', 1000, 1, 'z'],
    ['categorical', 1000, 3, 'chisquare'],
    ['categorical', 10, 2, 'z'],
    ['categorical', 1000, 40, 'chisquare'],
    ['numeric', 1001, 6, 'wasserstein'],
    ['numeric', 1001, 5, 'jensenshannon'],
    ['numeric', 5000, 1, 'jensenshannon'],
    ['categorical', 1001, 2, 'jensenshannon'],
    ['categorical', 1001, 40, 'jensenshannon'],
  ] as const)('%s, %i reference values, %i distinct → %s', (kind, rows, unique, method) => {
    expect(chooseMethod(kind, rows, unique)).toBe(method);
  });
});

describe('sketchReference', () => {
  it('keeps exact counts for few distinct numbers, sorted values otherwise, and counts missing values', () => {
    const sketch = sketchReference([
      numeric('flag', [1, 0, Number.NaN, 1, Infinity, 1]),
      numeric('x', range(30, (i) => (i * 7) % 30)),
      categorical('c', ['a', null, 'b', 'a']),
    ]);
    expect(sketch).toMatchObject({ rows: 30, sampled: false, max_sample: 10_000 });
    const [flag, x, c] = sketch.columns;
    expect(flag).toEqual({ name: 'flag', kind: 'numeric', rows: 6, missing: 2, unique: 2, std: populationStd([0, 1, 1, 1]), counts: { '0': 1, '1': 3 } });
    expect(x!.sorted).toEqual(range(30, (i) => i));
    expect(x!.counts).toBeUndefined();
    expect(x).toMatchObject({ unique: 30, missing: 0 });
    expect(c).toEqual({ name: 'c', kind: 'categorical', rows: 4, missing: 1, unique: 2, counts: { a: 2, b: 1 } });
  });

  it('replaces more than maxSample values by evenly spaced quantiles, keeping min, max and the std of all', () => {
    const values = range(5000, (i) => Math.sin(i) * 100);
    const sketch = sketchReference([numeric('v', values)], { maxSample: 101 });
    const col = sketch.columns[0]!;
    expect(sketch.sampled).toBe(true);
    expect(col.sorted).toHaveLength(101);
    const sorted = [...values].sort((a, b) => a - b);
    expect(col.sorted![0]).toBe(sorted[0]);
    expect(col.sorted![100]).toBe(sorted[4999]);
    expect(col.sorted![50]).toBeCloseTo(quantile(sorted, 0.5), 12);
    expect(col.std).toBeCloseTo(populationStd(values), 12);
    expect(col.unique).toBe(5000);
  });

  it('evenQuantiles agrees with numpy-linear quantile() at i / (m - 1)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 50 }), (xs, m) => {
        const sorted = Float64Array.from(xs).sort();
        const q = evenQuantiles(sorted, m);
        q.forEach((v, i) => {
          const expected = quantile(Array.from(sorted), i / (m - 1));
          expect(Math.abs(v - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
        });
        for (let i = 1; i < m; i++) expect(q[i]!).toBeGreaterThanOrEqual(q[i - 1]!);
      }),
    );
  });

  it('refuses a bad maxSample and duplicate columns', () => {
    refusal(() => sketchReference([numeric('a', [1])], { maxSample: 1 }));
    refusal(() => sketchReference([numeric('a', [1]), numeric('a', [2])]));
  });
});

describe('computeDrift', () => {
  const reference = sketchReference([numeric('x', range(200, (i) => i / 10)), categorical('c', range(200, (i) => (i % 3 === 0 ? 'a' : 'b')))]);

  it('does not test a column without current values, and leaves it out of the share', () => {
    const report = computeDrift(reference, [numeric('x', [Number.NaN, Number.NaN]), categorical('c', ['a', 'b', 'b', null])]);
    const [x, c] = report.columns;
    expect(x).toMatchObject({ column: 'x', tested: false, drifted: false, note: 'no current values', p_value: null, current_rows: 2, current_missing: 2 });
    expect(x!.statistic).toBeNaN();
    expect(c).toMatchObject({ column: 'c', tested: true, method: 'z', current_rows: 4, current_missing: 1 });
    expect(report.tested).toBe(1);
    expect(JSON.parse(JSON.stringify(report)).columns[0].statistic).toBeNull();
  });

  it('does not test a column without reference values', () => {
    const sketch = sketchReference([numeric('x', [Number.NaN])]);
    const report = computeDrift(sketch, [numeric('x', [1, 2])]);
    expect(report.columns[0]).toMatchObject({ tested: false, note: 'no reference values' });
    expect(report).toMatchObject({ tested: 0, drifted: 0, share: 0, dataset_drift: false });
  });

  it('names values unseen in the reference', () => {
    const report = computeDrift(reference, [numeric('x', [1, 2, 3]), categorical('c', ['a', 'b', 'zz', 'a'])], { methods: { c: 'chisquare' } });
    expect(report.columns[1]).toMatchObject({ method: 'chisquare', statistic: Infinity, p_value: 0, drifted: true, note: 'not in the reference: zz' });
  });

  it('applies methodByKind, per-column methods (which win) and thresholds', () => {
    const report = computeDrift(reference, [numeric('x', range(50, (i) => i / 5)), categorical('c', ['a', 'b'])], { methodByKind: { numeric: 'psi', categorical: 'psi' }, methods: { c: 'jensenshannon' }, thresholds: { psi: 123 } });
    expect(report.columns.map((c) => [c.method, c.threshold])).toEqual([
      ['psi', 123],
      ['jensenshannon', 0.1],
    ]);
    expect(report.columns[0]!.drifted).toBe(false);
  });

  it('only compares the chosen columns and ignores current columns the reference lacks', () => {
    const report = computeDrift(reference, [numeric('x', [1, 2, 3]), categorical('c', ['a']), numeric('extra', [1])], { columns: ['c'] });
    expect(report.columns.map((c) => c.column)).toEqual(['c']);
  });

  it('refuses bad input with invalid_input', () => {
    const ok = [numeric('x', [1, 2, 3]), categorical('c', ['a'])];
    expect(refusal(() => computeDrift(reference, [numeric('x', [1])])).message).toBe("column 'c' is not in the current data");
    expect(refusal(() => computeDrift(reference, ok, { columns: ['nope'] })).message).toMatch(/^column 'nope' is not in the reference/);
    expect(refusal(() => computeDrift(reference, [categorical('x', ['1']), categorical('c', ['a'])])).message).toBe("column 'x' is numeric in the reference but categorical in the current data");
    expect(refusal(() => computeDrift(reference, ok, { methods: { c: 'ks' } })).message).toBe("ks needs numbers, but column 'c' is categorical");
    expect(refusal(() => computeDrift(reference, ok, { methods: { c: 'anova' as DriftMethod } })).message).toMatch(/unknown drift method 'anova'/);
    expect(refusal(() => computeDrift(reference, ok, { methods: { zz: 'ks' } })).message).toMatch(/column 'zz'/);
    expect(refusal(() => computeDrift(reference, ok, { thresholds: { psi: -1 } })).message).toMatch(/threshold of psi/);
    expect(refusal(() => computeDrift(reference, ok, { driftShare: 1.5 })).message).toMatch(/drift share/);
    refusal(() => computeDrift(reference, ok, { correction: 'holm' as 'bh' }));
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

/** A small table: a few numeric and categorical columns of one length, with some missing values. */
const tableArb = fc.integer({ min: 3, max: 60 }).chain((n) =>
  fc.record({
    a: fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }).map((v) => v / 4), fc.constant(Number.NaN)), { minLength: n, maxLength: n }),
    b: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
    c: fc.array(fc.oneof(fc.constantFrom('x', 'y', 'z', 'w'), fc.constant(null)), { minLength: n, maxLength: n }),
  }),
);

function columnsOf(t: { a: number[]; b: number[]; c: Array<string | null> }): ColumnSample[] {
  return [numeric('a', t.a), numeric('b', t.b), categorical('c', t.c)];
}

function checkInvariants(report: DriftReport): void {
  const tested = report.columns.filter((c) => c.tested);
  expect(report.tested).toBe(tested.length);
  expect(report.drifted).toBe(tested.filter((c) => c.drifted).length);
  expect(report.share).toBe(tested.length ? report.drifted / tested.length : 0);
  expect(report.dataset_drift).toBe(tested.length > 0 && report.share >= report.drift_share_threshold);
  for (const c of report.columns) {
    expect(c.current_missing).toBeLessThanOrEqual(c.current_rows);
    if (c.p_value !== null && !Number.isNaN(c.p_value)) {
      expect(c.p_value).toBeGreaterThanOrEqual(0);
      expect(c.p_value).toBeLessThanOrEqual(1);
      expect(c.score).toBe(c.p_value);
    }
  }
}

describe('computeDrift properties', () => {
  it('a table never drifts from itself, whatever the method', () => {
    const methods: DriftMethod[] = ['chisquare', 'z', 'jensenshannon', 'psi'];
    fc.assert(
      fc.property(tableArb, fc.constantFrom(...methods), fc.constantFrom<DriftMethod>('ks', 'wasserstein', 'psi'), (t, catMethod, numMethod) => {
        const cols = columnsOf(t);
        for (const options of [{}, { methodByKind: { categorical: catMethod, numeric: numMethod } }]) {
          const report = computeDrift(sketchReference(cols), cols, options);
          checkInvariants(report);
          for (const c of report.columns.filter((x) => x.tested)) {
            expect(c.drifted, `${c.column} ${c.method}`).toBe(false);
            if (c.p_value === null) expect(Math.abs(c.statistic)).toBeLessThan(1e-12);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the order of the current rows does not matter', () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.integer(), (r, c, seed) => {
        const reference = sketchReference(columnsOf(r));
        const n = c.a.length;
        const order = range(n, (i) => i).sort((i, j) => ((i * 7919 + seed) % n) - ((j * 7919 + seed) % n) || i - j);
        const shuffled = { a: order.map((i) => c.a[i]!), b: order.map((i) => c.b[i]!), c: order.map((i) => c.c[i]!) };
        const x = computeDrift(reference, columnsOf(c));
        const y = computeDrift(reference, columnsOf(shuffled));
        checkInvariants(x);
        expect(y.columns.map((col) => [col.method, col.drifted])).toEqual(x.columns.map((col) => [col.method, col.drifted]));
        y.columns.forEach((col, i) => {
          const a = x.columns[i]!;
          if (Number.isFinite(a.statistic)) expect(Math.abs(col.statistic - a.statistic)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a.statistic)));
          else expect(col.statistic).toEqual(a.statistic);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('corrections only raise p-values (Bonferroni at least as much as BH) and only remove drift', () => {
    fc.assert(
      fc.property(tableArb, tableArb, (r, c) => {
        const reference = sketchReference(columnsOf(r));
        const none = computeDrift(reference, columnsOf(c));
        const bh = computeDrift(reference, columnsOf(c), { correction: 'bh' });
        const bonferroni = computeDrift(reference, columnsOf(c), { correction: 'bonferroni' });
        for (const report of [bh, bonferroni]) checkInvariants(report);
        none.columns.forEach((col, i) => {
          const q = bh.columns[i]!;
          const b = bonferroni.columns[i]!;
          if (col.p_value === null || !col.tested) {
            expect(q.adjusted_p_value ?? null).toBeNull();
            return;
          }
          if (Number.isNaN(col.p_value)) return;
          expect(q.adjusted_p_value!).toBeGreaterThanOrEqual(col.p_value - 1e-15);
          expect(b.adjusted_p_value!).toBeGreaterThanOrEqual(q.adjusted_p_value! - 1e-15);
          if (q.drifted) expect(col.drifted).toBe(true);
          if (b.drifted) expect(q.drifted).toBe(true);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('a sketch as large as the data gives exactly the full-data report', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 30, maxLength: 200 }), fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 100 }), (r, c) => {
        const full = computeDrift(sketchReference([numeric('v', r)]), [numeric('v', c)], { methods: { v: 'wasserstein' } });
        const same = computeDrift(sketchReference([numeric('v', r)], { maxSample: r.length }), [numeric('v', c)], { methods: { v: 'wasserstein' } });
        expect(same).toEqual(full);
      }),
      { numRuns: 50 },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// CSV
// ------------------------------------------------------------------------------------------------

describe('readCsvColumns', () => {
  it('types the fixture columns: numbers (however few values) and categories', async () => {
    const { columns, rows } = await readCsvColumns(path.join(FIXTURES, 'reference.csv'));
    expect(rows).toBe(300);
    expect(columns.map((c) => [c.name, c.kind])).toEqual([
      ['age', 'numeric'],
      ['income', 'numeric'],
      ['flag', 'numeric'],
      ['rating', 'numeric'],
      ['city', 'categorical'],
      ['member', 'categorical'],
    ]);
    expect(columns[0]!.numbers).toBeInstanceOf(Float64Array);
    expect(columns[4]!.categories!.length).toBe(300);
  });

  it('reads chosen columns, empty cells as missing, at most maxRows rows, and forced kinds', async () => {
    const file = path.join(tmp, 'm.csv');
    writeFileSync(file, 'a,b,c\n1, x ,3\n,y,\n2.5e1,,7\n\n4,z,8\n');
    const { columns, rows } = await readCsvColumns(file, { columns: ['c', 'a', 'b'], maxRows: 3 });
    expect(rows).toBe(3);
    expect(columns.map((c) => c.name)).toEqual(['c', 'a', 'b']);
    expect(Array.from(columns[1]!.numbers!)).toEqual([1, Number.NaN, 25]);
    expect(columns[2]!.categories).toEqual(['x', 'y', null]);
    const forced = await readCsvColumns(file, { kinds: { a: 'categorical' } });
    expect(forced.columns[0]!.categories).toEqual(['1', null, '2.5e1', '4']);
    await expect(readCsvColumns(file, { kinds: { b: 'numeric' } })).rejects.toThrow("column 'b' of");
  });

  it('refuses a missing file, a binary file, a malformed CSV, a missing column and a file without rows', async () => {
    const cases: Array<[string, string | Buffer, RegExp, string[]?]> = [
      ['binary.csv', Buffer.from([0x08, 0x01, 0x12, 0x00, 0x4f, 0x4e, 0x4e, 0x58]), /is not a CSV file \(it holds binary data\)/],
      ['ragged.csv', 'a,b\n1,2\n3\n', /^cannot parse .*ragged\.csv as CSV: Invalid Record Length/],
      ['header.csv', 'a,b\n', /has a header but no data rows/],
      ['empty.csv', '', /is empty/],
      ['dup.csv', 'a,a\n1,2\n', /column 'a' appears twice/],
      ['cols.csv', 'a,b\n1,2\n', /^column 'zz' is not in .*cols\.csv \(columns: a, b\)/, ['zz']],
    ];
    for (const [name, content, message, columns] of cases) {
      const file = path.join(tmp, name);
      writeFileSync(file, content);
      await expect(readCsvColumns(file, { columns })).rejects.toSatisfy((err: unknown) => err instanceof BerthError && err.code === 'invalid_input' && message.test(err.message));
    }
    await expect(readCsvColumns(path.join(tmp, 'nope.csv'))).rejects.toThrow(/cannot read .*nope\.csv: no such file/);
  });
});

describe('renderDriftHtml', () => {
  it('is one self-contained document with a chart per column and escaped names', async () => {
    const cols = [numeric('x<y', range(100, (i) => i)), categorical('c', range(100, (i) => `v${i % 30}`)), numeric('flag', range(100, (i) => i % 2))];
    const sketch = sketchReference(cols);
    const current = [numeric('x<y', range(80, (i) => i + 30)), categorical('c', range(80, (i) => `v${i % 20}`)), numeric('flag', range(80, (i) => (i % 3 ? 1 : 0)))];
    const report = computeDrift(sketch, current, { correction: 'bh' });
    const hist = driftHistograms(sketch, current);
    expect(hist.map((h) => [h.column, h.labels.length])).toEqual([
      ['x<y', 20],
      ['c', 16],
      ['flag', 2],
    ]);
    for (const h of hist) {
      expect(h.reference.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(h.current.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    const html = renderDriftHtml(report, { title: 'Drift <check>', reference: 'ref.csv', current: 'cur.csv', generatedAt: '2024-01-01 00:00:00 UTC' }, hist);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Drift &lt;check&gt;</title>');
    expect(html).toContain('x&lt;y');
    expect(html).not.toContain('x<y');
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html).toContain(report.dataset_drift ? 'Dataset drift detected' : 'No dataset drift');
    expect(html).toContain('adjusted (bh)');
  });
});
