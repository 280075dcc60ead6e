/** Degenerate data (NaN with a reason, never a crash) and refused input (BerthError). */
import { describe, expect, it } from 'vitest';
import {
  adjustAcrossMetrics,
  analyzeMetric,
  armStats,
  chanceToWin,
  chiSquareContingency,
  cohensD,
  cohensH,
  defaultTau2,
  expectedLoss,
  meanVar,
  msprt,
  relativeEffect,
  sampleRatioMismatch,
  sampleSizePerArm,
  twoProportionTest,
  welchTest,
  withAdjustedPValues,
  type ArmStats,
} from '../../../src/abtest/analysis/index.js';
import { BerthError } from '../../../src/errors/index.js';

const arm = (variant: string, values: number[]): ArmStats => armStats(variant, values);
const binaryArm = (variant: string, n: number, successes: number): ArmStats => ({ variant, n, sum: successes, sumSquares: successes });

function refused(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BerthError);
  expect((caught as BerthError).code).toBe('invalid_input');
  expect((caught as BerthError).message).toMatch(message);
}

describe('armStats and meanVar', () => {
  it('sums, mean and sample variance', () => {
    const a = arm('A', [1, 2, 3, 4]);
    expect(a).toEqual({ variant: 'A', n: 4, sum: 10, sumSquares: 30 });
    expect(meanVar(a)).toEqual({ mean: 2.5, variance: 5 / 3 });
  });
  it('n = 0 and n = 1 have no variance', () => {
    expect(meanVar(arm('A', []))).toEqual({ mean: NaN, variance: NaN });
    expect(meanVar(arm('A', [7]))).toEqual({ mean: 7, variance: NaN });
  });
  it('a constant sample has variance exactly 0', () => {
    expect(meanVar(arm('A', new Array<number>(1000).fill(5))).variance).toBe(0);
    expect(meanVar(binaryArm('A', 100, 0)).variance).toBe(0);
    expect(meanVar(binaryArm('A', 100, 100)).variance).toBe(0);
  });
  it('stays accurate far from zero (mean 1e4, sd ~1)', () => {
    const values = Array.from({ length: 2000 }, (_, i) => 1e4 + Math.sin(i) * 1.5);
    const mean = values.reduce((s, x) => s + x, 0) / values.length;
    const twoPass = values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1);
    expect(Math.abs(meanVar(arm('A', values)).variance - twoPass) / twoPass).toBeLessThan(1e-8);
  });
  it('refuses values that are not finite, naming the index', () => {
    refused(() => arm('A', [1, NaN, 3]), /value 1 is not a finite number/);
    refused(() => arm('A', [1, Infinity]), /value 1/);
  });
  it('refuses statistics no sample can have', () => {
    refused(() => meanVar({ variant: 'A', n: 10, sum: 100, sumSquares: 50 }), /below sum\^2\/n/);
    refused(() => meanVar({ variant: 'A', n: -1, sum: 0, sumSquares: 0 }), /non-negative integer/);
    refused(() => meanVar({ variant: 'A', n: 2.5, sum: 0, sumSquares: 0 }), /non-negative integer/);
    refused(() => meanVar({ variant: 'A', n: 0, sum: 1, sumSquares: 1 }), /n is 0/);
    refused(() => meanVar({ variant: 'A', n: 3, sum: NaN, sumSquares: 1 }), /sum must be a finite number/);
  });
});

describe('welchTest edge cases', () => {
  it('an arm with one subject: NaN, no crash', () => {
    const r = welchTest(arm('A', [1]), arm('B', [1, 2, 3]));
    expect(r.difference).toBe(1);
    expect(r.pValue).toBeNaN();
    expect(r.ci).toEqual([NaN, NaN]);
  });
  it('identical arms: t 0, p 1', () => {
    const r = welchTest(arm('A', [1, 2, 3, 4]), arm('B', [1, 2, 3, 4]));
    expect(r.t).toBe(0);
    expect(r.pValue).toBe(1);
  });
  it('refuses alpha outside (0, 1)', () => {
    refused(() => welchTest(arm('A', [1, 2]), arm('B', [1, 2]), 0), /alpha/);
    refused(() => welchTest(arm('A', [1, 2]), arm('B', [1, 2]), 1.5), /alpha/);
  });
});

describe('relativeEffect edge cases', () => {
  it('control mean 0: NaN with a reason', () => {
    const r = relativeEffect(arm('A', [-1, 1]), arm('B', [1, 2]));
    expect(r.relative).toBeNaN();
    expect(r.reason).toMatch(/control mean is 0/);
  });
  it('negative control mean: the lift is relative to |mean|', () => {
    const r = relativeEffect(arm('A', [-2, -2.2, -1.8]), arm('B', [-1, -1.1, -0.9]));
    expect(r.relative).toBeCloseTo(0.5, 12);
  });
  it('one subject: the lift is known, its uncertainty is not', () => {
    const r = relativeEffect(arm('A', [2]), arm('B', [3, 3]));
    expect(r.relative).toBe(0.5);
    expect(r.se).toBeNaN();
    expect(r.reason).toMatch(/fewer than 2/);
  });
  it('empty arm: NaN with a reason', () => {
    expect(relativeEffect(arm('A', []), arm('B', [3, 3])).reason).toMatch(/no subjects/);
  });
});

describe('twoProportionTest edge cases', () => {
  it('all failures or all successes in both arms: z 0, p 1', () => {
    expect(twoProportionTest({ n: 100, successes: 0 }, { n: 50, successes: 0 })).toEqual({ difference: 0, z: 0, pValue: 1, ci: [0, 0] });
    expect(twoProportionTest({ n: 100, successes: 100 }, { n: 50, successes: 50 }).pValue).toBe(1);
  });
  it('an empty arm: NaN', () => {
    expect(twoProportionTest({ n: 0, successes: 0 }, { n: 50, successes: 5 }).pValue).toBeNaN();
  });
  it('refuses impossible counts', () => {
    refused(() => twoProportionTest({ n: 10, successes: 11 }, { n: 10, successes: 1 }), /exceed n/);
    refused(() => twoProportionTest({ n: 10, successes: 1.5 }, { n: 10, successes: 1 }), /non-negative integer/);
    refused(() => twoProportionTest({ n: -1, successes: 0 }, { n: 10, successes: 1 }), /non-negative integer/);
  });
});

describe('chiSquareContingency refusals', () => {
  it('empty, ragged, negative, non-finite', () => {
    refused(() => chiSquareContingency([]), /empty/);
    refused(() => chiSquareContingency([[1, 2], [3]]), /row 1 has 1 cells/);
    refused(() => chiSquareContingency([[1, -2], [3, 4]]), /cell \(0, 1\)/);
    refused(() => chiSquareContingency([[1, NaN], [3, 4]]), /cell \(0, 1\)/);
    refused(() => chiSquareContingency([[0, 0], [3, 4]]), /zero element at \(0, 0\)/);
  });
});

describe("Cohen's d and h edge cases", () => {
  it('d is NaN without a pooled variance, and infinite when it is 0', () => {
    expect(cohensD(arm('A', [1]), arm('B', [2]))).toBeNaN();
    expect(cohensD(arm('A', []), arm('B', [2, 3]))).toBeNaN();
    expect(cohensD(arm('A', [1, 1]), arm('B', [2, 2]))).toBe(Infinity);
    // pooled SD sqrt((0 + 1 * 2) / 1) = sqrt 2; difference 3 - 1 = 2.
    expect(cohensD(arm('A', [1]), arm('B', [2, 4]))).toBeCloseTo(Math.SQRT2, 12);
  });
  it('h of equal proportions is 0; refuses proportions outside [0, 1]', () => {
    expect(cohensH(0.3, 0.3)).toBe(0);
    expect(cohensH(0, 1)).toBeCloseTo(Math.PI, 14);
    refused(() => cohensH(-0.1, 0.2), /p1/);
    refused(() => cohensH(0.1, 1.2), /p2/);
  });
});

describe('chanceToWin and expectedLoss edge cases', () => {
  it('no variance: certainty by the sign of the difference', () => {
    expect(chanceToWin(arm('A', [1, 1]), arm('B', [2, 2]))).toBe(1);
    expect(chanceToWin(arm('A', [2, 2]), arm('B', [1, 1]))).toBe(0);
    expect(chanceToWin(arm('A', [1, 1]), arm('B', [1, 1]))).toBe(0.5);
    expect(expectedLoss(arm('A', [1, 1]), arm('B', [3, 3]))).toEqual({ chooseTreatment: 0, keepControl: 2 });
  });
  it('NaN with one subject', () => {
    expect(chanceToWin(arm('A', [1]), arm('B', [2, 3]))).toBeNaN();
  });
  it('identical arms: 0.5', () => {
    expect(chanceToWin(arm('A', [1, 2, 3]), arm('B', [1, 2, 3]))).toBe(0.5);
  });
});

describe('msprt edge cases', () => {
  it('no variance carries the previous p forward', () => {
    const r = msprt(arm('A', [1, 1, 1]), arm('B', [2, 2, 2]), { previousP: 0.3 });
    expect(r.lambda).toBeNaN();
    expect(r.pValue).toBe(0.3);
    expect(r.ci).toEqual([NaN, NaN]);
    expect(msprt(arm('A', [1]), arm('B', [2, 3])).pValue).toBe(1);
  });
  it('default tau2 is GrowthBook rho^2 * V * (nA + nB) with N* = 5000', () => {
    const a = arm('A', [1, 2, 3, 4, 5, 6]);
    const b = arm('B', [2, 3, 4, 5, 6, 9, 1]);
    const v = meanVar(a).variance / 6 + meanVar(b).variance / 7;
    const rho2 = (-2 * Math.log(0.05) + Math.log(1 - 2 * Math.log(0.05))) / 5000;
    expect(msprt(a, b).tau2).toBeCloseTo(rho2 * v * 13, 15);
    expect(defaultTau2(a, b)).toBe(msprt(a, b).tau2);
    expect(msprt(a, b, { tuningSampleSize: 1000 }).tau2).toBeCloseTo(5 * msprt(a, b).tau2, 14);
  });
  it('overwhelming evidence: Lambda overflows, p stays a tiny positive number', () => {
    // V = 2/2 + 2/2 = 2, tau2 = 2: ln Lambda = -ln(2)/2 + (76^2 / 2) / 4 = 721.65 > ln(MAX_VALUE).
    const r = msprt(arm('A', [0, 2]), arm('B', [76, 78]), { tau2: 2 });
    expect(r.lambda).toBe(Infinity);
    expect(r.pValue).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThan(1e-300);
    const want = Math.exp(-(-0.5 * Math.log(2) + 76 ** 2 / 8));
    expect(Math.abs(r.pValue / want - 1)).toBeLessThan(1e-12);
  });
  it('refuses a bad tau2, theta0 or previousP', () => {
    const a = arm('A', [1, 2]);
    refused(() => msprt(a, a, { tau2: 0 }), /tau2/);
    refused(() => msprt(a, a, { theta0: NaN }), /theta0/);
    refused(() => msprt(a, a, { previousP: 1.2 }), /previousP/);
    refused(() => msprt(a, a, { tuningSampleSize: -5 }), /tuningSampleSize/);
  });
});

describe('sampleRatioMismatch edge cases', () => {
  it('no subjects yet: no verdict', () => {
    const r = sampleRatioMismatch([0, 0], [0.5, 0.5]);
    expect(r.pValue).toBeNaN();
    expect(r.mismatch).toBe(false);
  });
  it('custom threshold', () => {
    expect(sampleRatioMismatch([5000, 5150], [0.5, 0.5]).mismatch).toBe(false);
    expect(sampleRatioMismatch([5000, 5150], [0.5, 0.5], 0.2).mismatch).toBe(true);
  });
  it('refuses mismatched lengths, one variant, bad counts and weights', () => {
    refused(() => sampleRatioMismatch([1, 2], [1]), /2 counts but 1 weights/);
    refused(() => sampleRatioMismatch([1], [1]), /at least two variants/);
    refused(() => sampleRatioMismatch([1, -2], [1, 1]), /count 1/);
    refused(() => sampleRatioMismatch([1, 2], [1, 0]), /weight 1/);
  });
});

describe('sampleSizePerArm edge cases', () => {
  it('is symmetric in p1 and p2 and grows with power', () => {
    expect(sampleSizePerArm(0.11, 0.1)).toBe(sampleSizePerArm(0.1, 0.11));
    expect(sampleSizePerArm(0.1, 0.11, { power: 0.9 })).toBeGreaterThan(sampleSizePerArm(0.1, 0.11));
  });
  it('refuses equal rates and rates, alpha or power outside (0, 1)', () => {
    refused(() => sampleSizePerArm(0.1, 0.1), /zero difference/);
    refused(() => sampleSizePerArm(0, 0.1), /p1/);
    refused(() => sampleSizePerArm(0.1, 1), /p2/);
    refused(() => sampleSizePerArm(0.1, 0.2, { power: 1 }), /power/);
    refused(() => sampleSizePerArm(0.1, 0.2, { alpha: 0 }), /alpha/);
  });
});

describe('adjustAcrossMetrics', () => {
  it('Holm by hand', () => {
    expect(adjustAcrossMetrics([0.01, 0.04, 0.03], 'holm')).toEqual([0.03, 0.06, 0.06]);
    expect(adjustAcrossMetrics([], 'holm')).toEqual([]);
  });
  it('refuses an unknown method', () => {
    refused(() => adjustAcrossMetrics([0.1], 'bonferroni' as 'holm'), /unknown p-value adjustment/);
  });
});

describe('analyzeMetric edge cases', () => {
  it('refuses binary statistics that are not 0/1 data', () => {
    refused(() => analyzeMetric('conversion', 'binary', { variant: 'A', n: 10, sum: 3, sumSquares: 5 }, binaryArm('B', 10, 4)), /sumSquares = sum/);
    refused(() => analyzeMetric('conversion', 'binary', binaryArm('A', 10, 11), binaryArm('B', 10, 4)), /successes/);
    refused(() => analyzeMetric('m', 'ordinal' as 'binary', binaryArm('A', 10, 1), binaryArm('B', 10, 4)), /kind/);
  });
  it('explains NaNs: a control mean of 0', () => {
    const r = analyzeMetric('clicks', 'binary', binaryArm('A', 500, 0), binaryArm('B', 500, 9));
    expect(r.relative).toBeNaN();
    expect(r.notes?.join(' ')).toMatch(/control mean is 0/);
    expect(r.p_value).toBeLessThan(0.01);
    expect(r.significant).toBe(true);
  });
  it('explains NaNs: too few subjects', () => {
    const r = analyzeMetric('revenue', 'numeric', arm('A', [3]), arm('B', [4, 5]));
    expect(r.p_value).toBeNaN();
    expect(r.significant).toBe(false);
    expect(r.notes?.join(' ')).toMatch(/fewer than 2 subjects/);
  });
  it('passes the previous sequential p and tau2 through', () => {
    const a = binaryArm('A', 1000, 100);
    const b = binaryArm('B', 1000, 104);
    expect(analyzeMetric('c', 'binary', a, b, { previousSequentialP: 0.02 }).sequential_p_value).toBe(0.02);
    expect(analyzeMetric('c', 'binary', a, b, { tau2: 1e-4 }).sequential_p_value).toBe(msprt(a, b, { tau2: 1e-4 }).pValue);
  });
  it('withAdjustedPValues sets adjusted p and recomputes significance', () => {
    const results = [
      analyzeMetric('a', 'binary', binaryArm('A', 5000, 500), binaryArm('B', 5000, 560)),
      analyzeMetric('b', 'binary', binaryArm('A', 5000, 500), binaryArm('B', 5000, 505)),
      analyzeMetric('c', 'binary', binaryArm('A', 5000, 500), binaryArm('B', 5000, 650)),
    ];
    const adjusted = withAdjustedPValues(results, 'holm');
    const want = adjustAcrossMetrics(
      results.map((r) => r.p_value),
      'holm',
    );
    adjusted.forEach((r, i) => {
      expect(r.adjusted_p_value).toBe(want[i]);
      expect(r.significant).toBe((want[i] as number) < 0.05);
    });
    expect(results[0]?.adjusted_p_value).toBeUndefined(); // inputs untouched
  });
});
