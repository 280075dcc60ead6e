import { describe, expect, it } from 'vitest';
import type { BerthError } from '../../src/errors/index.js';
import { readTrainingCsv, trainTabular, type TrainOptions } from '../../src/train/index.js';
import { refusal } from '../helpers/refusals.js';
import { syntheticClasses } from './helpers.js';

const records = syntheticClasses(60);

function refused(rows: ReadonlyArray<Record<string, string>>, options: TrainOptions): BerthError {
  const err = refusal(() => trainTabular(rows, options));
  expect(err.code).toBe('invalid_input');
  return err;
}

describe('trainTabular refuses bad input with invalid_input, naming what is wrong', () => {
  it('an unknown label column, listing the columns there are', () => {
    const err = refused(records, { label: 'colour' });
    expect(err.message).toBe("label column 'colour' is not in the data (columns: 'x', 'shape', 'band')");
    expect(err.details).toMatchObject({ column: 'colour' });
  });

  it('fewer than 10 usable rows, saying why rows were dropped', () => {
    const clean = Array.from({ length: 12 }, (_, i) => ({ x: String(i / 4), shape: i % 2 ? 'circle' : 'square', band: i % 3 ? 'low' : 'high' }));
    const rows = clean.map((r, i) => (i < 3 ? { ...r, band: '' } : i === 3 ? { ...r, x: 'n/a' } : r));
    const err = refused(rows, { label: 'band' });
    expect(err.message).toBe("only 8 usable rows, at least 10 are needed (rows dropped: 3 with an empty label 'band'; 1 with a missing or non-numeric value in 'x')");
  });

  it('a label with a single class', () => {
    const err = refused(records.map((r) => ({ ...r, band: 'mid' })), { label: 'band' });
    expect(err.message).toMatch(/^label column 'band' has a single class "mid"/);
  });

  it('the label column listed among the features', () => {
    const err = refused(records, { label: 'band', features: ['x', 'band'] });
    expect(err.message).toBe("features: 'band' is the label column and cannot also be a feature");
  });

  it('a feature column that is not in the data, or listed twice', () => {
    expect(refused(records, { label: 'band', features: ['x', 'size'] }).message).toMatch(/^features: column 'size' is not in the data/);
    expect(refused(records, { label: 'band', features: ['x', 'x'] }).message).toBe("features: column 'x' is listed twice");
  });

  it('validSplit outside [0, 0.9]', () => {
    for (const validSplit of [0.95, -0.1, Number.NaN]) {
      const err = refused(records, { label: 'band', validSplit });
      expect(err.message).toBe(`validSplit: expected a number in [0, 0.9], got ${String(validSplit)}`);
    }
  });

  it('regression on a text label, pointing at the first text value', () => {
    const err = refused(records, { label: 'shape', task: 'regression' });
    expect(err.message).toMatch(/^label column 'shape': regression needs numbers, found "(circle|square|triangle)" in row 0$/);
  });

  it('mlp-only options with logreg, and out-of-range numbers', () => {
    expect(refused(records, { label: 'band', hidden: [8] }).message).toMatch(/^hidden applies to algo 'mlp' only/);
    expect(refused(records, { label: 'band', algo: 'mlp', hidden: [8, 0] }).message).toBe('hidden[1]: expected an integer in [1, 4096], got 0');
    expect(refused(records, { label: 'band', epochs: 0 }).message).toBe('epochs: expected an integer in [1, 100000], got 0');
    expect(refused(records, { label: 'band', seed: -1 }).message).toBe('seed: expected an integer in [0, 4294967295], got -1');
    expect(refused(records, { label: 'band', l2: -1 }).message).toBe('l2: expected a finite number ≥ 0, got -1');
  });

  it('a category with more distinct values than a one-hot encoding should have', () => {
    const rows = Array.from({ length: 1200 }, (_, i) => ({ id: `user-${i}`, x: String(i % 7), y: String(i % 2) }));
    const err = refused(rows, { label: 'y' });
    expect(err.message).toMatch(/^column 'id' has 1200 distinct values, more than the 1000/);
  });

  it('no rows, or a feature column with no values', () => {
    expect(refused([], { label: 'band' }).message).toBe('no rows to train on');
    const err = refused(records.map((r) => ({ ...r, note: '' })), { label: 'band' });
    expect(err.message).toBe("column 'note' has no values in any row; leave it out of features");
  });
});

describe('predict refuses what serving would refuse', () => {
  const result = trainTabular(records, { label: 'band' });

  it('a non-numeric number feature, naming the column and row', () => {
    const err = refusal(() => result.predict([{ x: '1', shape: 'circle' }, { x: 'abc', shape: 'square' }]));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toBe('row 1: column \'x\': expected a number, found "abc"');
  });

  it('a category value the model never saw (the serving codec’s own message)', () => {
    const err = refusal(() => result.predict([{ x: 1, shape: 'hexagon' }]));
    expect(err.message).toBe('row 0: feature \'shape\': expected one of "circle", "square", "triangle", got "hexagon"');
  });

  it('ignores columns that are not features (such as the label)', () => {
    expect(result.predict([{ x: 0.5, shape: 'square', band: 'mid' }])[0]).toHaveLength(3);
  });
});

describe('readTrainingCsv', () => {
  it('parses a header row and trimmed string cells', () => {
    expect(readTrainingCsv('\ufeffa, b\n1, x\n\n2,y\n')).toEqual([{ a: '1', b: 'x' }, { a: '2', b: 'y' }]);
  });

  it('refuses a ragged row with invalid_input', () => {
    const err = refusal(() => readTrainingCsv('a,b\n1,2\n3\n'));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/^training data is not a CSV with a header row: /);
  });
});
