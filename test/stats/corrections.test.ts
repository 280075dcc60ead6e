/**
 * adjustPValues against R's p.adjust (methods "bonferroni" and "BH"), R 4.2.
 * Tolerance: |got - want| <= 1e-15 * |want| (the same few floating-point operations as R).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adjustPValues } from '../../src/stats/index.js';
import { cases, closeTo, num, nums, type Json } from './golden.js';

const REL = 1e-15;

describe('adjustPValues against R p.adjust', () => {
  for (const c of cases<{ name: string; p: Json[]; bonferroni: Json[]; bh: Json[] }>('adjustPValues')) {
    it(c.name, () => {
      const p = nums(c.p);
      for (const [method, want] of [['bonferroni', c.bonferroni], ['bh', c.bh]] as const) {
        const got = adjustPValues(p, method);
        const expected = nums(want);
        expect(got.length).toBe(expected.length);
        got.forEach((g, i) => expect(closeTo(g, num(expected[i]), REL), `${method}[${i}]`).toBeUndefined());
      }
    });
  }

  it('empty input', () => {
    expect(adjustPValues([], 'bh')).toEqual([]);
    expect(adjustPValues([], 'bonferroni')).toEqual([]);
  });

  it('adjusted p >= raw p and <= 1; BH <= Bonferroni; order preserved by BH', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }), (p) => {
        const bh = adjustPValues(p, 'bh');
        const bonf = adjustPValues(p, 'bonferroni');
        p.forEach((raw, i) => {
          for (const adj of [bh[i] as number, bonf[i] as number]) {
            expect(adj).toBeGreaterThanOrEqual(raw);
            expect(adj).toBeLessThanOrEqual(1);
          }
          expect(bh[i] as number).toBeLessThanOrEqual((bonf[i] as number) * (1 + 1e-15));
          p.forEach((other, j) => {
            if (raw < other) expect(bh[i] as number).toBeLessThanOrEqual(bh[j] as number);
          });
        });
      }),
      { numRuns: 300 },
    );
  });
});
