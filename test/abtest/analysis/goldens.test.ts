/**
 * src/abtest/analysis against scipy / numpy / R values in test/fixtures/goldens/abtest.json.
 *
 * Tolerances (golden.ts): statistics, estimates, SEs, df and CI limits 1e-9 relative (a CI limit
 * relative to max(|limit|, half-width)); p-values and probabilities 1e-7 relative, floor 1e-15
 * absolute; sample sizes, counts and df of contingency tables exact.
 */
import { describe, expect, it } from 'vitest';
import {
  adjustAcrossMetrics,
  analyzeMetric,
  chanceToWin,
  chiSquareContingency,
  cohensD,
  cohensH,
  expectedLoss,
  meanVar,
  msprt,
  relativeEffect,
  sampleRatioMismatch,
  sampleSizePerArm,
  twoProportionTest,
  welchTest,
} from '../../../src/abtest/analysis/index.js';
import { BerthError } from '../../../src/errors/index.js';
import { armOf, ciClose, closeTo, num, pair, pClose, sampleOf, section, statClose, type Json, type SampleJson } from './golden.js';

interface PairCase {
  name: string;
  control: SampleJson;
  treatment: SampleJson;
  alpha: number;
}

describe('armStats / meanVar against math.fsum and numpy.var(ddof=1)', () => {
  for (const c of section<Array<{ name: string; sample: SampleJson; n: number; sum: number; sumSquares: number; mean: Json; variance: Json }>>('armStats')) {
    it(c.name, () => {
      const arm = armOf('x', c.sample);
      expect(arm.n).toBe(c.n);
      // Compensated sums: within a couple of ulps of the correctly rounded fsum.
      expect(closeTo(arm.sum, c.sum, 1e-15, 1e-300)).toBeUndefined();
      expect(closeTo(arm.sumSquares, c.sumSquares, 1e-15)).toBeUndefined();
      const mv = meanVar(arm);
      expect(closeTo(mv.mean, num(c.mean), 1e-14)).toBeUndefined();
      expect(closeTo(mv.variance, num(c.variance), 1e-10, 1e-300)).toBeUndefined();
    });
  }
});

describe('welchTest against scipy ttest_ind(b, a, equal_var=False) and R t.test', () => {
  for (const c of section<Array<PairCase & { difference: Json; se: Json; df: Json; t: Json; pValue: Json; ci: Json; ciScipy: Json; r: Record<string, Json> }>>('welch')) {
    it(c.name, () => {
      const r = welchTest(armOf('A', c.control), armOf('B', c.treatment), c.alpha);
      expect(statClose(r.difference, num(c.difference))).toBeUndefined();
      expect(statClose(r.se, num(c.se))).toBeUndefined();
      expect(statClose(r.df, num(c.df))).toBeUndefined();
      expect(statClose(r.t, num(c.t))).toBeUndefined();
      expect(pClose(r.pValue, num(c.pValue))).toBeUndefined();
      // R's t.test conf.int where R answers, else scipy's t.ppf form (see the script).
      expect(ciClose(r.ci, pair(c.ci))).toBeUndefined();
      // scipy 1.10's t.ppf is off by up to ~6e-10 relative at small non-integer df (checked
      // against mpmath), so the scipy-based interval gets 1e-8 of the half-width.
      const [lo, hi] = pair(c.ciScipy);
      const half = (hi - lo) / 2;
      expect(closeTo(r.ci[0], lo, 1e-8, 1e-8 * half)).toBeUndefined();
      expect(closeTo(r.ci[1], hi, 1e-8, 1e-8 * half)).toBeUndefined();
      if (!('error' in c.r)) {
        // R's t.test, where it answers (it refuses constant data): same t, df and p.
        expect(statClose(r.t, num(c.r.t))).toBeUndefined();
        expect(statClose(r.df, num(c.r.df))).toBeUndefined();
        expect(pClose(r.pValue, num(c.r.pValue))).toBeUndefined();
      }
    });
  }
});

describe('relativeEffect against the gbstats delta-method formula (numpy)', () => {
  for (const c of section<Array<PairCase & { relative: Json; se: Json; ci: Json; pValue: Json; undefined?: boolean }>>('relativeEffect')) {
    it(c.name, () => {
      const r = relativeEffect(armOf('A', c.control), armOf('B', c.treatment), c.alpha);
      expect(statClose(r.relative, num(c.relative))).toBeUndefined();
      expect(statClose(r.se, num(c.se))).toBeUndefined();
      expect(ciClose(r.ci, pair(c.ci))).toBeUndefined();
      expect(pClose(r.pValue, num(c.pValue))).toBeUndefined();
      if (c.undefined === true) expect(r.reason).toMatch(/control mean is 0/);
      else expect(r.reason).toBeUndefined();
    });
  }
});

describe('twoProportionTest against the pooled z-test and R prop.test(correct = FALSE)', () => {
  interface Counts {
    n: number;
    successes: number;
  }
  for (const c of section<Array<{ name: string; control: Counts; treatment: Counts; alpha: number; difference: Json; z: Json; pValue: Json; ci: Json; r: Record<string, Json> }>>('twoProportion')) {
    it(c.name, () => {
      const r = twoProportionTest(c.control, c.treatment, c.alpha);
      expect(statClose(r.difference, num(c.difference))).toBeUndefined();
      expect(statClose(r.z, num(c.z))).toBeUndefined();
      expect(pClose(r.pValue, num(c.pValue))).toBeUndefined();
      expect(ciClose(r.ci, pair(c.ci))).toBeUndefined();
      // R: X-squared = z^2, the same p and the same (unpooled) interval.
      expect(closeTo(r.z * r.z, num(c.r.chiSquare), 1e-9, 1e-15)).toBeUndefined();
      expect(pClose(r.pValue, num(c.r.pValue))).toBeUndefined();
      expect(ciClose(r.ci, pair(c.r.ci))).toBeUndefined();
    });
  }
});

describe('chiSquareContingency against scipy chi2_contingency (and R chisq.test)', () => {
  for (const c of section<Array<{ name: string; table: number[][]; correction: boolean; statistic?: Json; pValue?: Json; df?: number; expected?: Json[][]; r?: Record<string, Json>; result?: { error: string } }>>(
    'contingency',
  )) {
    it(`${c.name}, correction ${c.correction}`, () => {
      if (c.result !== undefined) {
        expect(() => chiSquareContingency(c.table, c.correction)).toThrow(BerthError);
        expect(() => chiSquareContingency(c.table, c.correction)).toThrow(/zero element at \(0, 0\)/);
        return;
      }
      const r = chiSquareContingency(c.table, c.correction);
      expect(r.df).toBe(c.df);
      expect(closeTo(r.statistic, num(c.statistic), 1e-9, 1e-15)).toBeUndefined();
      expect(pClose(r.pValue, num(c.pValue))).toBeUndefined();
      c.expected?.forEach((row, i) => row.forEach((e, j) => expect(statClose(r.expected[i]?.[j] ?? NaN, num(e))).toBeUndefined()));
      if (c.r !== undefined) expect(pClose(r.pValue, num(c.r.pValue))).toBeUndefined();
    });
  }
  it('defaults to the Yates correction, as scipy', () => {
    const t = [
      [3, 7],
      [8, 2],
    ];
    expect(chiSquareContingency(t).statistic).toBe(chiSquareContingency(t, true).statistic);
  });
});

describe("Cohen's d and h against their formulas (numpy)", () => {
  const c = section<{ d: Array<{ name: string; control: SampleJson; treatment: SampleJson; d: Json }>; h: Array<{ p1: number; p2: number; h: Json }> }>('cohens');
  for (const d of c.d) {
    it(`d: ${d.name}`, () => {
      expect(statClose(cohensD(armOf('A', d.control), armOf('B', d.treatment)), num(d.d))).toBeUndefined();
    });
  }
  for (const h of c.h) {
    it(`h: ${h.p1} -> ${h.p2}`, () => {
      expect(closeTo(cohensH(h.p1, h.p2), num(h.h), 1e-12, 1e-15)).toBeUndefined();
    });
  }
});

describe('chanceToWin and expectedLoss against scipy.stats.norm (and quad)', () => {
  for (const c of section<Array<{ name: string; control: SampleJson; treatment: SampleJson; chanceToWin: Json; expectedLoss: { chooseTreatment: Json; keepControl: Json } }>>('chanceToWin')) {
    it(c.name, () => {
      const a = armOf('A', c.control);
      const b = armOf('B', c.treatment);
      expect(pClose(chanceToWin(a, b), num(c.chanceToWin))).toBeUndefined();
      const loss = expectedLoss(a, b);
      // Losses are in metric units; the treatment's is a difference of two terms of size se.
      const se = Math.sqrt(meanVar(a).variance / a.n + meanVar(b).variance / b.n);
      expect(closeTo(loss.chooseTreatment, num(c.expectedLoss.chooseTreatment), 1e-9, 1e-12 * se)).toBeUndefined();
      expect(closeTo(loss.keepControl, num(c.expectedLoss.keepControl), 1e-9, 1e-12 * se)).toBeUndefined();
    });
  }
});

interface MsprtRef {
  lambda: Json;
  pValue: Json;
  ci: Json;
  tau2: Json;
}

describe('msprt against the published formulas (numpy) and gbstats sequential testing', () => {
  const m = section<{
    fixedTau2: Array<PairCase & MsprtRef & { theta0: number; previousP: number }>;
    defaultTau2: Array<PairCase & MsprtRef>;
    sequence: { control: SampleJson; treatment: SampleJson; alpha: number; looks: Array<MsprtRef & { n: number }> };
  }>('msprt');
  for (const c of m.fixedTau2) {
    it(`fixed tau2: ${c.name}`, () => {
      const r = msprt(armOf('A', c.control), armOf('B', c.treatment), { tau2: num(c.tau2), theta0: c.theta0, previousP: c.previousP, alpha: c.alpha });
      expect(r.tau2).toBe(num(c.tau2));
      expect(closeTo(r.lambda, num(c.lambda), 1e-9)).toBeUndefined();
      expect(closeTo(r.pValue, num(c.pValue), 1e-7, 1e-300)).toBeUndefined();
      expect(ciClose(r.ci, pair(c.ci))).toBeUndefined();
    });
  }
  for (const c of m.defaultTau2) {
    it(`default tau2 (gbstats N* = 5000): ${c.name}`, () => {
      const r = msprt(armOf('A', c.control), armOf('B', c.treatment), { alpha: c.alpha });
      expect(statClose(r.tau2, num(c.tau2))).toBeUndefined();
      expect(closeTo(r.lambda, num(c.lambda), 1e-9)).toBeUndefined();
      expect(closeTo(r.pValue, num(c.pValue), 1e-7, 1e-300)).toBeUndefined();
      expect(ciClose(r.ci, pair(c.ci))).toBeUndefined();
    });
  }
  it('a test looked at every 250 subjects per arm: running always-valid p', () => {
    const a = sampleOf(m.sequence.control);
    const b = sampleOf(m.sequence.treatment);
    let previous = 1;
    for (const look of m.sequence.looks) {
      const r = msprt(armOf('A', { values: Array.from(a.subarray(0, look.n)) }), armOf('B', { values: Array.from(b.subarray(0, look.n)) }), {
        alpha: m.sequence.alpha,
        previousP: previous,
      });
      expect(pClose(r.pValue, num(look.pValue)), `n = ${look.n}`).toBeUndefined();
      expect(ciClose(r.ci, pair(look.ci)), `n = ${look.n}`).toBeUndefined();
      expect(r.pValue).toBeLessThanOrEqual(previous);
      previous = r.pValue;
    }
    expect(previous).toBeLessThan(0.05);
  });
});

describe('sampleRatioMismatch against scipy.stats.chisquare', () => {
  for (const c of section<Array<{ name: string; counts: number[]; weights: number[]; statistic: Json; pValue: Json; df: number; expected: Json[]; mismatch: boolean }>>('srm')) {
    it(c.name, () => {
      const r = sampleRatioMismatch(c.counts, c.weights);
      expect(closeTo(r.statistic, num(c.statistic), 1e-9, 1e-12)).toBeUndefined();
      expect(pClose(r.pValue, num(c.pValue))).toBeUndefined();
      expect(r.df).toBe(c.df);
      expect(r.mismatch).toBe(c.mismatch);
      c.expected.forEach((e, i) => expect(statClose(r.expected[i] ?? NaN, num(e))).toBeUndefined());
    });
  }
});

describe('sampleSizePerArm against R power.prop.test (exact integers)', () => {
  for (const c of section<Array<{ p1: number; p2: number; alpha: number; power: number; n: number; rN: number }>>('sampleSize')) {
    it(`${c.p1} -> ${c.p2}, alpha ${c.alpha}, power ${c.power}: ${c.n}`, () => {
      expect(sampleSizePerArm(c.p1, c.p2, { alpha: c.alpha, power: c.power })).toBe(c.n);
    });
  }
  it('10% -> 11% at the defaults needs 14,751 per arm (R: 14750.79)', () => {
    expect(sampleSizePerArm(0.1, 0.11)).toBe(14751);
  });
});

describe('adjustAcrossMetrics against R p.adjust', () => {
  for (const c of section<Array<{ name: string; p: Json[]; holm: Json[]; bh: Json[] }>>('adjust')) {
    it(c.name, () => {
      const p = c.p.map(num);
      for (const method of ['holm', 'bh'] as const) {
        const got = adjustAcrossMetrics(p, method);
        const want = c[method].map(num);
        got.forEach((g, i) => expect(closeTo(g, want[i] as number, 1e-12, 1e-300), `${method}[${i}]`).toBeUndefined());
      }
    });
  }
});

describe('analyzeMetric: the whole result against the references', () => {
  interface Result {
    control: { n: number; mean: Json };
    treatment: { n: number; mean: Json };
    difference: Json;
    difference_ci: Json;
    relative: Json;
    relative_ci: Json;
    p_value: Json;
    sequential_p_value: Json;
    sequential_ci: Json;
    effect_size: Json;
    chance_to_win: Json;
    significant: boolean;
  }
  for (const c of section<Array<{ metric: string; kind: 'binary' | 'numeric'; alpha: number; control: SampleJson; treatment: SampleJson; result: Result }>>('analyzeMetric')) {
    it(`${c.metric} (${c.kind})`, () => {
      const r = analyzeMetric(c.metric, c.kind, armOf('A', c.control), armOf('B', c.treatment), { alpha: c.alpha });
      const w = c.result;
      expect(r.metric).toBe(c.metric);
      expect(r.kind).toBe(c.kind);
      expect(r.control).toEqual({ variant: 'A', n: w.control.n, mean: expect.closeTo(num(w.control.mean), 12) as unknown as number });
      expect(r.treatment.n).toBe(w.treatment.n);
      expect(statClose(r.treatment.mean, num(w.treatment.mean))).toBeUndefined();
      expect(statClose(r.difference, num(w.difference))).toBeUndefined();
      expect(ciClose(r.difference_ci, pair(w.difference_ci))).toBeUndefined();
      expect(statClose(r.relative, num(w.relative))).toBeUndefined();
      expect(ciClose(r.relative_ci, pair(w.relative_ci))).toBeUndefined();
      expect(pClose(r.p_value, num(w.p_value))).toBeUndefined();
      expect(pClose(r.sequential_p_value, num(w.sequential_p_value))).toBeUndefined();
      expect(ciClose(r.sequential_ci, pair(w.sequential_ci))).toBeUndefined();
      expect(statClose(r.effect_size, num(w.effect_size))).toBeUndefined();
      expect(pClose(r.chance_to_win, num(w.chance_to_win))).toBeUndefined();
      expect(r.significant).toBe(w.significant);
      expect(r.adjusted_p_value).toBeUndefined();
    });
  }
});
