/** decide(): SRM first, then readiness, then the primary metric with guardrails. */
import { describe, expect, it } from 'vitest';
import { analyzeMetric, decide, withAdjustedPValues, type ArmStats, type DecideInput, type MetricResult } from '../../../src/abtest/analysis/index.js';
import { BerthError } from '../../../src/errors/index.js';

const bin = (variant: string, n: number, successes: number): ArmStats => ({ variant, n, sum: successes, sumSquares: successes });
/** Numeric arm with mean m and sample SD s: sum = n m, sumSquares = (n - 1) s^2 + n m^2. */
const num = (variant: string, n: number, m: number, s: number): ArmStats => ({ variant, n, sum: n * m, sumSquares: (n - 1) * s * s + n * m * m });

const A = bin('A', 20000, 2000); // 10.00%
const conversion = (treatment: ArmStats): MetricResult => analyzeMetric('conversion', 'binary', A, treatment);
const latency = (treatmentMean: number, variant = 'B'): MetricResult & { higherIsBetter: boolean } => ({
  ...analyzeMetric('latency_ms', 'numeric', num('A', 20000, 120, 30), num(variant, 20000, treatmentMean, 30)),
  higherIsBetter: false,
});

const base = (primary: MetricResult[], extra: Partial<DecideInput> = {}): DecideInput => ({
  primary,
  srm: { mismatch: false, pValue: 0.6 },
  minSamplesPerArm: 10000,
  minDurationHours: 168,
  elapsedHours: 200,
  ...extra,
});

describe('decide', () => {
  const winner = conversion(bin('B', 20000, 2300)); // 11.50%: +15% relative, always-valid p tiny
  const flat = conversion(bin('B', 20000, 2010));
  const loser = conversion(bin('B', 20000, 1700));

  it('promotes a clear winner, in words', () => {
    const d = decide(base([winner], { guardrails: [latency(120)] }));
    expect(d.action).toBe('promote');
    expect(d.variant).toBe('B');
    expect(d.reason).toMatch(/^B improves conversion by \+15\.0% \(10\.00% -> 11\.50%; 95% always-valid CI for the difference \+\d\.\d\d pp to \+\d\.\d\d pp, always-valid p < 0\.001\)/);
    expect(d.reason).toMatch(/and no guardrail metric got worse; sample ratio is fine$/);
  });

  it('fixed horizon reads like "B improves conversion by +15.0% (95% CI +x% to +y%, p < 0.001)"', () => {
    const d = decide(base([winner], { useSequential: false }));
    expect(d.action).toBe('promote');
    expect(d.reason).toMatch(/^B improves conversion by \+15\.0% \(95% CI \+\d+\.\d% to \+\d+\.\d%, p < 0\.001\) and no guardrail metrics were given; sample ratio is fine$/);
  });

  it('sample ratio mismatch overrides everything', () => {
    const d = decide(base([winner], { srm: { mismatch: true, pValue: 1e-6 } }));
    expect(d.action).toBe('keep_control');
    expect(d.variant).toBeUndefined();
    expect(d.reason).toMatch(/^sample ratio mismatch \(chi-square p < 0\.001\)/);
    expect(d.reason).toMatch(/fix the assignment first/);
  });

  it('is not ready before the minimum sample or duration', () => {
    const small = decide(base([winner], { minSamplesPerArm: 25000 }));
    expect(small.action).toBe('keep_running');
    expect(small.reason).toMatch(/A has 20000 of 25000 subjects needed per arm; B has 20000 of 25000/);
    const early = decide(base([winner], { elapsedHours: 30.5 }));
    expect(early.action).toBe('keep_running');
    expect(early.reason).toMatch(/30\.5 of 168 hours have passed/);
  });

  it('a significantly worse guardrail blocks promotion', () => {
    const d = decide(base([winner], { guardrails: [latency(125)] }));
    expect(d.action).toBe('keep_control');
    expect(d.reason).toMatch(/B improves conversion by \+15\.0% .*, but guardrail B makes latency_ms worse: \+4\.2%/);
    expect(d.reason).toMatch(/keep A$/);
  });

  it('a guardrail that improves, or moves insignificantly, does not block', () => {
    expect(decide(base([winner], { guardrails: [latency(110)] })).action).toBe('promote');
    expect(decide(base([winner], { guardrails: [latency(120.2)] })).action).toBe('promote');
  });

  it('a guardrail of another variant does not block this one', () => {
    expect(decide(base([winner], { guardrails: [latency(150, 'C')] })).action).toBe('promote');
  });

  it('keeps the control when the treatment is significantly worse', () => {
    const d = decide(base([loser]));
    expect(d.action).toBe('keep_control');
    expect(d.reason).toMatch(/^B makes conversion worse: -15\.0%/);
  });

  it('inconclusive: keep running with sequential testing, keep the control at a fixed horizon', () => {
    const seq = decide(base([flat]));
    expect(seq.action).toBe('keep_running');
    expect(seq.reason).toMatch(/no conclusive difference in conversion yet: B \+0\.5%/);
    const fixed = decide(base([flat], { useSequential: false }));
    expect(fixed.action).toBe('keep_control');
    expect(fixed.reason).toMatch(/no significant difference in conversion at the planned sample size/);
  });

  it('lower-is-better primary metric', () => {
    const faster = analyzeMetric('latency_ms', 'numeric', num('A', 20000, 120, 30), num('B', 20000, 110, 30));
    const d = decide(base([faster], { higherIsBetter: false }));
    expect(d.action).toBe('promote');
    expect(d.reason).toMatch(/^B improves latency_ms by -8\.3%/);
    expect(decide(base([faster])).action).toBe('keep_control');
  });

  it('several treatments: the best one no guardrail blocks', () => {
    const b = conversion(bin('B', 20000, 2300));
    const c = conversion(bin('C', 20000, 2500));
    expect(decide(base([b, c])).variant).toBe('C');
    const d = decide(base([b, c], { guardrails: [latency(130, 'C')] }));
    expect(d.action).toBe('promote');
    expect(d.variant).toBe('B');
  });

  it('fixed horizon uses adjusted p-values when present', () => {
    const borderline = conversion(bin('B', 20000, 2120)); // p ~ 0.04
    expect(borderline.p_value).toBeLessThan(0.05);
    expect(decide(base([borderline], { useSequential: false })).action).toBe('promote');
    const [adjusted] = withAdjustedPValues([borderline, conversion(bin('B', 20000, 2000))], 'holm');
    expect(decide(base([adjusted as MetricResult], { useSequential: false })).action).toBe('keep_control');
    expect(decide(base([adjusted as MetricResult], { useSequential: false })).reason).toMatch(/adjusted p = 0\.0\d\d/);
  });

  it('a NaN p-value is never significant', () => {
    const nan = { ...winner, sequential_p_value: NaN, p_value: NaN };
    expect(decide(base([nan])).action).toBe('keep_running');
  });

  it('refuses malformed input', () => {
    expect(() => decide(base([]))).toThrow(BerthError);
    expect(() => decide(base([winner, winner]))).toThrow(/twice/);
    const otherControl = analyzeMetric('conversion', 'binary', bin('Z', 20000, 2000), bin('C', 20000, 2100));
    expect(() => decide(base([winner, otherControl]))).toThrow(/different controls/);
    expect(() => decide(base([winner], { elapsedHours: -1 }))).toThrow(/elapsedHours/);
    expect(() => decide(base([winner], { alpha: 2 }))).toThrow(/alpha/);
  });
});
