/** The whole read-out of one metric, treatment vs control, in one object. */
import { BerthError } from '../../errors/index.js';
import { meanVar, type ArmStats } from './arm.js';
import { chanceToWin } from './bayes.js';
import { cohensD, cohensH } from './effect-size.js';
import { adjustAcrossMetrics } from './multiple.js';
import { twoProportionTest } from './proportions.js';
import { relativeEffect } from './relative.js';
import { msprt } from './sequential.js';
import { checkAlpha, checkArm, checkBinaryArm } from './validate.js';
import { welchTest } from './welch.js';

/** The whole analysis of one metric, treatment vs control (see {@link analyzeMetric}). */
export interface MetricResult {
  metric: string;
  kind: 'binary' | 'numeric';
  control: { variant: string; n: number; mean: number };
  treatment: { variant: string; n: number; mean: number };
  /** Treatment mean minus control mean. */
  difference: number;
  difference_ci: [number, number];
  /** (treatment - control) / |control|. */
  relative: number;
  relative_ci: [number, number];
  /** Fixed-horizon two-sided p-value. */
  p_value: number;
  /** Set by {@link withAdjustedPValues} when several metrics are tested together. */
  adjusted_p_value?: number;
  /** Always-valid (mSPRT) p-value, safe to look at after every batch of data. */
  sequential_p_value: number;
  /** Always-valid confidence sequence for the difference. */
  sequential_ci: [number, number];
  /** Cohen's h (binary) or Cohen's d (numeric). */
  effect_size: number;
  /** P(treatment mean > control mean), Gaussian approximation. */
  chance_to_win: number;
  /** (adjusted_p_value ?? p_value) < alpha. */
  significant: boolean;
  /** Why some numbers are NaN (e.g. a control mean of 0 leaves the relative effect undefined). */
  notes?: string[];
}

/** Options of {@link analyzeMetric}. */
export interface AnalyzeOptions {
  /** Significance level (default 0.05) for the intervals and `significant`. */
  alpha?: number;
  /** Mixing variance of the mSPRT; default GrowthBook's (see defaultTau2 in sequential.ts). */
  tau2?: number;
  /** The sequential p-value of this metric at the previous look (default 1). */
  previousSequentialP?: number;
}

/**
 * Analyse one metric, treatment vs control, from sufficient statistics:
 * - binary (0/1): difference, its CI and p_value from the two-proportion z-test
 *   ({@link twoProportionTest}: R prop.test(correct = FALSE)); effect size Cohen's h;
 * - numeric: Welch's t-test ({@link welchTest}: scipy ttest_ind(equal_var = False)); Cohen's d;
 * - both: relative effect with the delta method ({@link relativeEffect}: gbstats), mSPRT
 *   always-valid p and confidence sequence ({@link msprt}: Johari et al.), chance to win
 *   ({@link chanceToWin}).
 *
 * NaN results (too few subjects, a control mean of 0, no variance) are kept as NaN and explained
 * in `notes`; a NaN p-value is never significant.
 */
export function analyzeMetric(metric: string, kind: 'binary' | 'numeric', control: ArmStats, treatment: ArmStats, options: AnalyzeOptions = {}): MetricResult {
  const alpha = checkAlpha(options.alpha ?? 0.05);
  if (kind !== 'binary' && kind !== 'numeric') throw new BerthError('invalid_input', `metric ${JSON.stringify(metric)}: kind must be "binary" or "numeric", got ${String(kind)}`);
  const check = kind === 'binary' ? checkBinaryArm : checkArm;
  check(control, `metric ${JSON.stringify(metric)} control`);
  check(treatment, `metric ${JSON.stringify(metric)} treatment`);
  const notes: string[] = [];
  const a = meanVar(control);
  const b = meanVar(treatment);

  let difference: number;
  let differenceCi: [number, number];
  let pValue: number;
  let effectSize: number;
  if (kind === 'binary') {
    const r = twoProportionTest({ n: control.n, successes: control.sum }, { n: treatment.n, successes: treatment.sum }, alpha);
    difference = r.difference;
    differenceCi = r.ci;
    pValue = r.pValue;
    effectSize = control.n > 0 && treatment.n > 0 ? cohensH(a.mean, b.mean) : NaN;
  } else {
    const r = welchTest(control, treatment, alpha);
    difference = r.difference;
    differenceCi = r.ci;
    pValue = r.pValue;
    effectSize = cohensD(control, treatment);
  }
  if (control.n < 2 || treatment.n < 2) notes.push('an arm has fewer than 2 subjects: variances, tests and intervals are undefined');
  else if (Number.isNaN(pValue)) notes.push('both arms are constant at the same value: there is no variation to test');

  const rel = relativeEffect(control, treatment, alpha);
  if (rel.reason !== undefined && control.n >= 2 && treatment.n >= 2) notes.push(`relative effect undefined: ${rel.reason}`);
  const seqOptions: { alpha: number; tau2?: number; previousP?: number } = { alpha };
  if (options.tau2 !== undefined) seqOptions.tau2 = options.tau2;
  if (options.previousSequentialP !== undefined) seqOptions.previousP = options.previousSequentialP;
  const seq = msprt(control, treatment, seqOptions);

  const result: MetricResult = {
    metric,
    kind,
    control: { variant: control.variant, n: control.n, mean: a.mean },
    treatment: { variant: treatment.variant, n: treatment.n, mean: b.mean },
    difference,
    difference_ci: differenceCi,
    relative: rel.relative,
    relative_ci: rel.ci,
    p_value: pValue,
    sequential_p_value: seq.pValue,
    sequential_ci: seq.ci,
    effect_size: effectSize,
    chance_to_win: chanceToWin(control, treatment),
    significant: pValue < alpha,
  };
  if (notes.length > 0) result.notes = notes;
  return result;
}

/**
 * Copies of `results` with `adjusted_p_value` set by {@link adjustAcrossMetrics} over their
 * p-values (R p.adjust 'holm' or 'BH') and `significant` recomputed as adjusted p < alpha.
 */
export function withAdjustedPValues(results: readonly MetricResult[], method: 'holm' | 'bh', alpha = 0.05): MetricResult[] {
  checkAlpha(alpha);
  const adjusted = adjustAcrossMetrics(
    results.map((r) => r.p_value),
    method,
  );
  return results.map((r, i) => {
    const p = adjusted[i] as number;
    return { ...r, adjusted_p_value: p, significant: p < alpha };
  });
}
