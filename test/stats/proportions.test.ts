/**
 * Two-proportion z-test against Evidently's z_stat_test formula evaluated with scipy.
 *
 * Tolerances: statistic |got - want| <= 1e-12 * |want|; p-value |got - want| <=
 * max(1e-10 * |want|, 1e-300) against 2 * norm.sf(|z|), and <= 1e-15 absolute against Evidently's
 * literal 2 * (1 - norm.cdf(|z|)) (which cancels to 0 for |z| > ~8.3).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../../src/stats/index.js';
import { cases, closeTo, num, type Json } from './golden.js';

interface ZCase {
  successesA: number;
  nA: number;
  successesB: number;
  nB: number;
  statistic: Json;
  pValue: Json;
  pValueEvidentlyLiteral: Json;
}

describe('twoProportionZTest against Evidently z_stat_test', () => {
  for (const c of cases<ZCase>('twoProportionZTest')) {
    it(`${c.successesA}/${c.nA} vs ${c.successesB}/${c.nB}`, () => {
      const r = twoProportionZTest(c.successesA, c.nA, c.successesB, c.nB);
      expect(closeTo(r.statistic, num(c.statistic), 1e-12)).toBeUndefined();
      expect(closeTo(r.pValue, num(c.pValue), 1e-10, 1e-300)).toBeUndefined();
      expect(closeTo(r.pValue, num(c.pValueEvidentlyLiteral), 0, 1e-15)).toBeUndefined();
    });
  }

  it('degenerate pooled proportion gives statistic 0, p 1; empty groups give NaN', () => {
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(10, 10, 20, 20)).toEqual({ statistic: 0, pValue: 1 });
    const r = twoProportionZTest(0, 0, 1, 2);
    expect(r.statistic).toBeNaN();
    expect(r.pValue).toBeNaN();
    expect(() => twoProportionZTest(5, 4, 1, 2)).toThrow(RangeError);
  });

  it('p in [0, 1], antisymmetric statistic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 1, max: 10000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (nA, nB, fa, fb) => {
        const sA = Math.floor(fa * nA);
        const sB = Math.floor(fb * nB);
        const ab = twoProportionZTest(sA, nA, sB, nB);
        const ba = twoProportionZTest(sB, nB, sA, nA);
        expect(ab.pValue).toBeGreaterThanOrEqual(0);
        expect(ab.pValue).toBeLessThanOrEqual(1);
        expect(closeTo(ba.statistic, -ab.statistic, 1e-12, 1e-12)).toBeUndefined();
      }),
    );
  });
});
