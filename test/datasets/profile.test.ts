import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { profileTable, quantile, type NumberProfile, type CategoryProfile } from '../../src/datasets/profile.js';

describe('dataset profiles', () => {
  it("quantile matches numpy's default linear method (values computed by hand from numpy's definition)", () => {
    // numpy.quantile([1, 2, 3, 4], [0.05, 0.25, 0.5, 0.75, 0.95]) = [1.15, 1.75, 2.5, 3.25, 3.85]
    const sorted = [1, 2, 3, 4];
    expect([0.05, 0.25, 0.5, 0.75, 0.95].map((q) => quantile(sorted, q))).toEqual([1.15, 1.75, 2.5, 3.25, 3.8499999999999996]);
    expect(quantile([7], 0.3)).toBe(7);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  it('types columns and profiles them; empty cells are missing', () => {
    const rows = [
      { age: '71', sex: 'F', note: 'a' },
      { age: '', sex: 'M', note: 'b' },
      { age: '35.5', sex: 'F', note: '' },
      { age: '-2e1', sex: 'F', note: 'c' },
    ];
    const { columns, profile } = profileTable(['age', 'sex', 'note'], rows);
    expect(columns).toEqual([
      { name: 'age', type: 'number', missing_share: 0.25 },
      { name: 'sex', type: 'category', missing_share: 0 },
      { name: 'note', type: 'category', missing_share: 0.25 },
    ]);
    const age = profile['age'] as NumberProfile;
    expect(age).toMatchObject({ count: 3, min: -20, max: 71, quantiles: { '0.5': 35.5 } });
    expect(age.mean).toBeCloseTo((71 + 35.5 - 20) / 3, 12);
    expect((profile['sex'] as CategoryProfile).counts).toEqual({ F: 3, M: 1 });
  });

  it('property: numeric profiles bracket their values and quantiles are monotone', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
        const { profile } = profileTable(['x'], values.map((v) => ({ x: String(v) })));
        const p = profile['x'] as NumberProfile;
        const qs = Object.values(p.quantiles);
        // == rather than Object.is: the CSV text of -0 is "0"
        expect(p.min === Math.min(...values)).toBe(true);
        expect(p.max === Math.max(...values)).toBe(true);
        for (let i = 1; i < qs.length; i++) expect(qs[i]!).toBeGreaterThanOrEqual(qs[i - 1]!);
        expect(p.std).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });
});
