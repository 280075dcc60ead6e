/**
 * binnedShares / categoryShares / psi against Evidently's get_binned_data and psi_stat_test
 * (re-implemented on numpy in scripts/goldens/make_stats_goldens.py).
 *
 * Tolerances: bin edges are numpy's linspace reproduced operation for operation, so shares are
 * counts / n and must be exactly equal (bitwise); PSI |got - want| <= 1e-12 * |want|;
 * Jensen-Shannon over the shares as in distances.test.ts (1e-12 relative, 1e-15 absolute).
 */
import { describe, expect, it } from 'vitest';
import { binnedShares, categoryShares, jensenShannonDistance, psi, sortedFinite } from '../../src/stats/index.js';
import { cases, closeTo, num, nums, sampleOf, type Json, type SampleJson } from './golden.js';

const REL = 1e-12;

interface BinnedCase {
  name: string;
  a: SampleJson;
  b: SampleJson;
  bins: number;
  feelZeroes: boolean;
  reference: Json[];
  current: Json[];
  psi: Json;
  jensenShannon: Json;
}

function expectExactly(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`index ${i}: got ${actual[i]}, want ${expected[i]}`);
  }
}

describe('binnedShares + psi against Evidently get_binned_data / psi_stat_test', () => {
  for (const c of cases<BinnedCase>('binnedShares')) {
    it(c.name, () => {
      const ref = sortedFinite(sampleOf(c.a));
      const cur = sortedFinite(sampleOf(c.b));
      const shares = binnedShares(ref, cur, c.bins, c.feelZeroes);
      expectExactly(shares.reference, nums(c.reference));
      expectExactly(shares.current, nums(c.current));
      expect(closeTo(psi(shares.reference, shares.current), num(c.psi), REL)).toBeUndefined();
      expect(closeTo(jensenShannonDistance(shares.reference, shares.current), num(c.jensenShannon), REL, 1e-15)).toBeUndefined();
    });
  }

  it('defaults to 10 bins with zero filling, and rejects bad bin counts', () => {
    const ref = sortedFinite([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const cur = sortedFinite([1, 1, 1, 10]);
    const s = binnedShares(ref, cur);
    expect(s.reference.length).toBe(10);
    expect(s.current.filter((v) => v === 0.0001).length).toBe(8);
    expect(() => binnedShares(ref, cur, 0)).toThrow(RangeError);
    expect(() => binnedShares(ref, cur, 2.5)).toThrow(RangeError);
  });

  it('an empty sample gives NaN shares', () => {
    const s = binnedShares(new Float64Array(0), sortedFinite([1, 2, 3]), 3);
    expect(s.reference.every(Number.isNaN)).toBe(true);
    expect(s.current).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});

interface CategoryCase {
  name: string;
  reference: Array<[string, number]>;
  current: Array<[string, number]>;
  feelZeroes: boolean;
  keys: string[];
  referenceShares: Json[];
  currentShares: Json[];
  psi: Json;
}

describe('categoryShares + psi against Evidently get_binned_data (categorical)', () => {
  for (const c of cases<CategoryCase>('categoryShares')) {
    it(c.name, () => {
      const s = categoryShares(new Map(c.reference), new Map(c.current), c.feelZeroes);
      expect(s.keys).toEqual(c.keys);
      expectExactly(s.reference, nums(c.referenceShares));
      expectExactly(s.current, nums(c.currentShares));
      expect(closeTo(psi(s.reference, s.current), num(c.psi), REL)).toBeUndefined();
    });
  }

  it('psi rejects share vectors of different lengths', () => {
    expect(() => psi([0.5, 0.5], [1])).toThrow(RangeError);
  });
});
