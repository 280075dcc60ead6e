/**
 * Two-sample KS test and the Kolmogorov / Smirnov distributions against scipy 1.10.
 *
 * Tolerances:
 * - KS statistic: bitwise equal to scipy (same CDF arithmetic, i/n1 - j/n2).
 * - p-values (ks2samp, kolmogorovSf, smirnov): |got - want| <= max(1e-10 * |want|, 1e-300).
 *   Observed worst case is ~3e-12 relative (the large-n one-sided series, summed in log space
 *   instead of scipy's double-double loop; see src/stats/kolmogorov.ts). The 1e-300 absolute floor
 *   only matters for subnormal results, where scipy itself has lost relative precision.
 * - `method` must equal the method scipy used (exact, or asymptotic after a failed exact attempt).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, ks2samp, sortedFinite, type KsMode } from '../../src/stats/index.js';
import { smirnov } from '../../src/stats/kolmogorov.js';
import { cases, closeTo, num, sampleOf, type Json, type SampleJson } from './golden.js';

const P_REL = 1e-10;
const P_ABS = 1e-300;

interface KsCase {
  name: string;
  a: SampleJson;
  b: SampleJson;
  mode: KsMode;
  statistic: Json;
  pValue: Json;
  method: 'exact' | 'asymp';
}

describe('ks2samp against scipy.stats.ks_2samp', () => {
  for (const c of cases<KsCase>('ks2samp')) {
    it(`${c.name} (${c.mode})`, () => {
      const a = sortedFinite(sampleOf(c.a));
      const b = sortedFinite(sampleOf(c.b));
      const r = ks2samp(a, b, c.mode);
      expect(r.method).toBe(c.method);
      expect(r.statistic).toBe(num(c.statistic));
      expect(closeTo(r.pValue, num(c.pValue), P_REL, P_ABS)).toBeUndefined();
    });
  }

  it('empty samples give NaN (scipy raises)', () => {
    const r = ks2samp(new Float64Array(0), Float64Array.of(1, 2));
    expect(r.statistic).toBeNaN();
    expect(r.pValue).toBeNaN();
  });
});

describe('kolmogorovSf against scipy.stats.kstwo.sf', () => {
  const all = cases<{ n: Json; d: Json; sf: Json }>('kolmogorovSf');
  for (const n of [...new Set(all.map((c) => num(c.n)))]) {
    it(`n = ${n}`, () => {
      for (const c of all.filter((x) => Object.is(num(x.n), n))) {
        const got = kolmogorovSf(num(c.d), n);
        const msg = closeTo(got, num(c.sf), P_REL, P_ABS);
        if (msg) expect.fail(`kstwo.sf(${num(c.d)}, ${n}): ${msg}`);
      }
    });
  }
});

describe('smirnov against scipy.special.smirnov', () => {
  const all = cases<{ n: Json; d: Json; sf: Json }>('smirnov');
  for (const n of [...new Set(all.map((c) => num(c.n)))]) {
    it(`n = ${n}`, () => {
      for (const c of all.filter((x) => num(x.n) === n)) {
        const got = smirnov(n, num(c.d));
        const msg = closeTo(got, num(c.sf), P_REL, P_ABS);
        if (msg) expect.fail(`smirnov(${n}, ${num(c.d)}): ${msg}`);
      }
    });
  }
});

describe('ks2samp properties', () => {
  // Small integer-valued samples make ties (within and across samples) common.
  const sample = fc.array(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -50, max: 50, noNaN: true })), { minLength: 1, maxLength: 60 });

  it('statistic in [0, 1] and symmetric, p in [0, 1] and symmetric (exact and asymptotic)', () => {
    fc.assert(
      fc.property(sample, sample, (xs, ys) => {
        const a = sortedFinite(xs);
        const b = sortedFinite(ys);
        for (const mode of ['exact', 'asymp'] as const) {
          const ab = ks2samp(a, b, mode);
          const ba = ks2samp(b, a, mode);
          expect(ab.statistic).toBeGreaterThanOrEqual(0);
          expect(ab.statistic).toBeLessThanOrEqual(1);
          expect(ba.statistic).toBe(ab.statistic);
          if (!(a.length === 1 && b.length === 1 && mode === 'asymp')) {
            // n1 = n2 = 1 asymptotic is NaN in scipy: round(0.5) = 0 is not a valid kstwo n.
            expect(ab.pValue).toBeGreaterThanOrEqual(0);
            expect(ab.pValue).toBeLessThanOrEqual(1);
            expect(closeTo(ba.pValue, ab.pValue, 1e-12)).toBeUndefined();
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('statistic equals a brute-force evaluation of scipy\'s formula (ties within and across samples)', () => {
    // scipy: cdf1 = searchsorted(a, pooled, 'right') / n1, likewise cdf2; d from max/min of cdf1 - cdf2.
    const countLe = (xs: Float64Array, x: number): number => xs.filter((v) => v <= x).length;
    fc.assert(
      fc.property(sample, sample, (xs, ys) => {
        const a = sortedFinite(xs);
        const b = sortedFinite(ys);
        let maxS = -Infinity;
        let minS = Infinity;
        for (const x of [...a, ...b]) {
          const diff = countLe(a, x) / a.length - countLe(b, x) / b.length;
          maxS = Math.max(maxS, diff);
          minS = Math.min(minS, diff);
        }
        const negMin = Math.min(Math.max(-minS, 0), 1);
        expect(ks2samp(a, b, 'asymp').statistic).toBe(negMin > maxS ? negMin : maxS);
      }),
      { numRuns: 300 },
    );
  });

  it('identical samples give statistic 0 and p 1', () => {
    fc.assert(
      fc.property(sample, (xs) => {
        const a = sortedFinite(xs);
        const r = ks2samp(a, a.slice());
        expect(r.statistic).toBe(0);
        expect(r.pValue).toBe(1);
      }),
    );
  });

  it('kolmogorovSf is a survival function: in [0, 1], non-increasing in d', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (n, d1, d2) => {
        const lo = Math.min(d1, d2);
        const hi = Math.max(d1, d2);
        const sLo = kolmogorovSf(lo, n);
        const sHi = kolmogorovSf(hi, n);
        expect(sLo).toBeGreaterThanOrEqual(0);
        expect(sLo).toBeLessThanOrEqual(1);
        // Allow rounding-level wiggle where scipy switches algorithms between neighbouring d.
        expect(sHi).toBeLessThanOrEqual(sLo + 1e-12);
      }),
      { numRuns: 300 },
    );
  });
});
