/**
 * Chi-square goodness of fit (scipy.stats.chisquare) and Evidently's chi-square drift test, plus
 * the chi-square and normal tails, against scipy 1.10.
 *
 * Tolerances: statistics |got - want| <= 1e-12 * |want|; p-values (and the sf functions)
 * |got - want| <= max(1e-10 * |want|, 1e-300). NaN must be NaN and infinities exact. A call scipy
 * refuses must throw RangeError here.
 */
import { describe, expect, it } from 'vitest';
import { chiSquareDrift, chiSquareGoodnessOfFit, chiSquareSf, normalSf } from '../../src/stats/index.js';
import { cases, closeTo, num, nums, type Json } from './golden.js';

const STAT_REL = 1e-12;
const P_REL = 1e-10;
const P_ABS = 1e-300;

interface GofCase {
  name: string;
  observed: Json[];
  expected: Json[];
  statistic?: Json;
  pValue?: Json;
  df?: number;
  result?: { error: string; message: string };
}

describe('chiSquareGoodnessOfFit against scipy.stats.chisquare', () => {
  for (const c of cases<GofCase>('chiSquareGoodnessOfFit')) {
    it(c.name, () => {
      const observed = nums(c.observed);
      const expected = nums(c.expected);
      if (c.result) {
        expect(() => chiSquareGoodnessOfFit(observed, expected)).toThrow(RangeError);
        return;
      }
      const r = chiSquareGoodnessOfFit(observed, expected);
      expect(closeTo(r.statistic, num(c.statistic), STAT_REL)).toBeUndefined();
      expect(closeTo(r.pValue, num(c.pValue), P_REL, P_ABS)).toBeUndefined();
      expect(r.df).toBe(c.df);
    });
  }
});

interface DriftCase {
  name: string;
  reference: Array<[string, number]>;
  current: Array<[string, number]>;
  statistic: Json;
  pValue: Json;
}

describe("chiSquareDrift against Evidently's chisquare_stat_test (on scipy)", () => {
  for (const c of cases<DriftCase>('chiSquareDrift')) {
    it(c.name, () => {
      const r = chiSquareDrift(new Map(c.reference), new Map(c.current));
      expect(closeTo(r.statistic, num(c.statistic), STAT_REL)).toBeUndefined();
      expect(closeTo(r.pValue, num(c.pValue), P_REL, P_ABS)).toBeUndefined();
    });
  }

  it('a category absent from the reference gives statistic Infinity and p 0', () => {
    const r = chiSquareDrift(new Map([['a', 10]]), new Map([['a', 10], ['new', 1]]));
    expect(r.statistic).toBe(Infinity);
    expect(r.pValue).toBe(0);
  });

  it('empty samples give NaN, negative counts throw', () => {
    const r = chiSquareDrift(new Map(), new Map([['a', 3]]));
    expect(r.statistic).toBeNaN();
    expect(r.pValue).toBeNaN();
    expect(() => chiSquareDrift(new Map([['a', -1]]), new Map([['a', 3]]))).toThrow(RangeError);
  });
});

describe('chiSquareSf against scipy.stats.chi2.sf', () => {
  for (const c of cases<{ x: Json; df: Json; sf: Json }>('chiSquareSf')) {
    it(`x = ${String(c.x)}, df = ${String(c.df)}`, () => {
      expect(closeTo(chiSquareSf(num(c.x), num(c.df)), num(c.sf), P_REL, P_ABS)).toBeUndefined();
    });
  }
});

describe('normalSf against scipy.stats.norm.sf', () => {
  for (const c of cases<{ z: Json; sf: Json }>('normalSf')) {
    it(`z = ${String(c.z)}`, () => {
      expect(closeTo(normalSf(num(c.z)), num(c.sf), P_REL, P_ABS)).toBeUndefined();
    });
  }
});
