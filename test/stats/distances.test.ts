/**
 * Wasserstein (scipy.stats.wasserstein_distance, Evidently's normed variant) and Jensen-Shannon
 * (scipy.spatial.distance.jensenshannon) against scipy 1.10 / numpy.
 *
 * Tolerance: |got - want| <= 1e-12 * |want| (+ 1e-15 absolute for Jensen-Shannon, whose sqrt
 * amplifies rounding near 0). NaN must be NaN and infinities exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jensenShannonDistance, sortedFinite, wassersteinDistance, wassersteinNormed } from '../../src/stats/index.js';
import { cases, closeTo, num, nums, sampleOf, type Json, type SampleJson } from './golden.js';

const REL = 1e-12;
const JS_ABS = 1e-15;

interface WCase {
  name: string;
  a: SampleJson;
  b: SampleJson;
  distance: Json;
  normed: Json;
}

describe('wassersteinDistance / wassersteinNormed against scipy', () => {
  for (const c of cases<WCase>('wasserstein')) {
    it(c.name, () => {
      const a = sortedFinite(sampleOf(c.a));
      const b = sortedFinite(sampleOf(c.b));
      expect(closeTo(wassersteinDistance(a, b), num(c.distance), REL)).toBeUndefined();
      expect(closeTo(wassersteinNormed(a, b), num(c.normed), REL)).toBeUndefined();
    });
  }

  it('empty input gives NaN (scipy raises)', () => {
    expect(wassersteinDistance(new Float64Array(0), Float64Array.of(1))).toBeNaN();
    expect(wassersteinNormed(Float64Array.of(1), new Float64Array(0))).toBeNaN();
  });
});

describe('jensenShannonDistance against scipy.spatial.distance.jensenshannon', () => {
  for (const c of cases<{ name: string; p: Json[]; q: Json[]; distance: Json }>('jensenShannon')) {
    it(c.name, () => {
      expect(closeTo(jensenShannonDistance(nums(c.p), nums(c.q)), num(c.distance), REL, JS_ABS)).toBeUndefined();
    });
  }

  it('rejects vectors of different lengths', () => {
    expect(() => jensenShannonDistance([1, 2], [1])).toThrow(RangeError);
  });
});

describe('distance properties', () => {
  const sample = fc.array(fc.oneof(fc.integer({ min: -10, max: 10 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 80 });

  it('wasserstein is symmetric, >= 0, and 0 for identical samples', () => {
    fc.assert(
      fc.property(sample, sample, (xs, ys) => {
        const a = sortedFinite(xs);
        const b = sortedFinite(ys);
        const ab = wassersteinDistance(a, b);
        const ba = wassersteinDistance(b, a);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(closeTo(ba, ab, 1e-12, 1e-12)).toBeUndefined();
        expect(wassersteinDistance(a, a.slice())).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('jensen-shannon lies in [0, sqrt(ln 2)], is symmetric, and is 0 for proportional vectors', () => {
    const weights = fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(weights, weights, fc.double({ min: 0.001, max: 1000, noNaN: true }), (p0, q0, scale) => {
        const k = Math.min(p0.length, q0.length);
        const p = p0.slice(0, k);
        const q = q0.slice(0, k);
        if (p.every((v) => v === 0) || q.every((v) => v === 0)) return;
        const d = jensenShannonDistance(p, q);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.sqrt(Math.LN2));
        expect(closeTo(jensenShannonDistance(q, p), d, 1e-12, 1e-12)).toBeUndefined();
        expect(jensenShannonDistance(p, p.map((v) => v * scale))).toBeLessThanOrEqual(1e-7);
      }),
      { numRuns: 300 },
    );
  });
});
