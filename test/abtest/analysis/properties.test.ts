/** Property tests (fast-check) of the A/B statistics: ranges, symmetries, coverage, monotonicity. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adjustAcrossMetrics,
  armStats,
  chanceToWin,
  chiSquareContingency,
  msprt,
  relativeEffect,
  sampleRatioMismatch,
  twoProportionTest,
  welchTest,
  type ArmStats,
} from '../../../src/abtest/analysis/index.js';

const value = fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true });
const sampleArb = fc.array(value, { minLength: 2, maxLength: 60 });
const armPair = fc.tuple(sampleArb, sampleArb).map(([a, b]): [ArmStats, ArmStats] => [armStats('A', a), armStats('B', b)]);
const counts = fc.integer({ min: 1, max: 100_000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })));
const alphaArb = fc.double({ min: 0.001, max: 0.5, noNaN: true });

function inUnit(p: number): boolean {
  return Number.isNaN(p) || (p >= 0 && p <= 1);
}

function contains(ci: [number, number], x: number): boolean {
  // A CI of NaN (undefined variance) contains nothing and is not checked.
  if (ci.some(Number.isNaN) || Number.isNaN(x)) return true;
  return ci[0] <= x && x <= ci[1];
}

describe('p-values are in [0, 1]', () => {
  it('welch, relative, msprt, chance to win', () => {
    fc.assert(
      fc.property(armPair, alphaArb, ([a, b], alpha) => {
        expect(inUnit(welchTest(a, b, alpha).pValue)).toBe(true);
        expect(inUnit(relativeEffect(a, b, alpha).pValue)).toBe(true);
        expect(inUnit(msprt(a, b, { alpha }).pValue)).toBe(true);
        expect(inUnit(chanceToWin(a, b))).toBe(true);
      }),
    );
  });
  it('two proportions, contingency, SRM', () => {
    fc.assert(
      fc.property(counts, counts, alphaArb, ([nA, sA], [nB, sB], alpha) => {
        const p = twoProportionTest({ n: nA, successes: sA }, { n: nB, successes: sB }, alpha).pValue;
        expect(p >= 0 && p <= 1).toBe(true);
        if (sA + sB > 0 && sA + sB < nA + nB) {
          for (const correction of [true, false]) {
            const c = chiSquareContingency(
              [
                [sA, nA - sA],
                [sB, nB - sB],
              ],
              correction,
            ).pValue;
            expect(c >= 0 && c <= 1).toBe(true);
          }
        }
        const srm = sampleRatioMismatch([nA, nB], [0.5, 0.5]).pValue;
        expect(srm >= 0 && srm <= 1).toBe(true);
      }),
    );
  });
});

describe('swapping the arms negates the difference and keeps p', () => {
  it('welch', () => {
    fc.assert(
      fc.property(armPair, ([a, b]) => {
        const ab = welchTest(a, b);
        const ba = welchTest(b, a);
        expect(ba.difference === -ab.difference).toBe(true); // (+0 and -0 both fine)
        expect(ba.pValue === ab.pValue || (Number.isNaN(ba.pValue) && Number.isNaN(ab.pValue))).toBe(true);
        expect(ba.df === ab.df || (Number.isNaN(ba.df) && Number.isNaN(ab.df))).toBe(true);
        if (!ab.ci.some(Number.isNaN)) {
          expect(ba.ci[0]).toBeCloseTo(-ab.ci[1], 9);
          expect(ba.ci[1]).toBeCloseTo(-ab.ci[0], 9);
        }
      }),
    );
  });
  it('two-proportion test', () => {
    fc.assert(
      fc.property(counts, counts, ([nA, sA], [nB, sB]) => {
        const ab = twoProportionTest({ n: nA, successes: sA }, { n: nB, successes: sB });
        const ba = twoProportionTest({ n: nB, successes: sB }, { n: nA, successes: sA });
        expect(ba.difference === -ab.difference).toBe(true); // (+0 and -0 both fine)
        expect(ba.z === -ab.z).toBe(true);
        expect(ba.pValue).toBe(ab.pValue);
      }),
    );
  });
  it('msprt (default tau2) and chance to win', () => {
    fc.assert(
      fc.property(armPair, ([a, b]) => {
        const ab = msprt(a, b);
        const ba = msprt(b, a);
        expect(ba.pValue).toBe(ab.pValue);
        expect(ba.tau2).toBe(ab.tau2);
        const w = chanceToWin(a, b);
        if (!Number.isNaN(w)) expect(w + chanceToWin(b, a)).toBeCloseTo(1, 12);
      }),
    );
  });
});

describe('confidence intervals contain the estimate', () => {
  it('welch, relative, msprt', () => {
    fc.assert(
      fc.property(armPair, alphaArb, ([a, b], alpha) => {
        const w = welchTest(a, b, alpha);
        expect(contains(w.ci, w.difference)).toBe(true);
        const r = relativeEffect(a, b, alpha);
        expect(contains(r.ci, r.relative)).toBe(true);
        const m = msprt(a, b, { alpha });
        expect(contains(m.ci, w.difference)).toBe(true);
        // The confidence sequence is wider than the fixed-horizon interval at the same level.
        if (!m.ci.some(Number.isNaN) && w.df > 30) expect(m.ci[1] - m.ci[0]).toBeGreaterThanOrEqual((w.ci[1] - w.ci[0]) * 0.999);
      }),
    );
  });
  it('two proportions', () => {
    fc.assert(
      fc.property(counts, counts, alphaArb, ([nA, sA], [nB, sB], alpha) => {
        const r = twoProportionTest({ n: nA, successes: sA }, { n: nB, successes: sB }, alpha);
        expect(contains(r.ci, r.difference)).toBe(true);
      }),
    );
  });
});

describe('the sequential p-value never increases as the sample grows', () => {
  it('running always-valid p over looks at growing prefixes', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 40, maxLength: 200 }),
        fc.array(value, { minLength: 40, maxLength: 200 }),
        fc.integer({ min: 2, max: 20 }),
        fc.option(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), { nil: undefined }),
        (a, b, step, tau2) => {
          let previous = 1;
          const len = Math.min(a.length, b.length);
          for (let k = 2; k <= len; k += step) {
            const options: { previousP: number; tau2?: number } = { previousP: previous };
            if (tau2 !== undefined) options.tau2 = tau2;
            const r = msprt(armStats('A', a.slice(0, k)), armStats('B', b.slice(0, k)), options);
            expect(r.pValue).toBeLessThanOrEqual(previous);
            expect(r.pValue).toBeGreaterThanOrEqual(0);
            previous = r.pValue;
          }
        },
      ),
    );
  });
});

describe('adjusted p-values', () => {
  const pArr = fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(NaN)), { minLength: 1, maxLength: 30 });
  it('are >= the raw p, <= 1, and Holm >= BH', () => {
    fc.assert(
      fc.property(pArr, (p) => {
        const holm = adjustAcrossMetrics(p, 'holm');
        const bh = adjustAcrossMetrics(p, 'bh');
        p.forEach((raw, i) => {
          const h = holm[i] as number;
          const b = bh[i] as number;
          if (Number.isNaN(raw)) {
            expect(h).toBeNaN();
            expect(b).toBeNaN();
            return;
          }
          expect(h).toBeGreaterThanOrEqual(raw);
          expect(b).toBeGreaterThanOrEqual(raw);
          expect(h).toBeLessThanOrEqual(1);
          expect(b).toBeLessThanOrEqual(1);
          expect(h).toBeGreaterThanOrEqual(b);
        });
      }),
    );
  });
  it('keep the order of the raw p-values (Holm)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 30 }), (p) => {
        const holm = adjustAcrossMetrics(p, 'holm');
        for (let i = 0; i < p.length; i++) for (let j = 0; j < p.length; j++) if ((p[i] as number) < (p[j] as number)) expect(holm[i] as number).toBeLessThanOrEqual(holm[j] as number);
      }),
    );
  });
});
