/**
 * The statistics of A/B tests, as pure functions over sufficient statistics (n, sum, sum of
 * squares per variant and metric). Each function names the reference it reproduces (scipy, R,
 * GrowthBook's gbstats, published formulas); test/fixtures/goldens/abtest.json, written by
 * scripts/goldens/make_abtest_goldens.py, pins them.
 *
 * Invalid input (negative counts, alpha outside (0, 1), ...) is a BerthError 'invalid_input';
 * valid but degenerate data (an arm of one subject, no variance, a control mean of 0) gives NaN
 * with the reason documented, never an exception.
 */
export { type ArmStats, armStats, meanVar, ArmAccumulator } from './arm.js';
export { welchTest, type WelchResult } from './welch.js';
export { relativeEffect, type RelativeEffectResult } from './relative.js';
export { twoProportionTest, type ProportionCounts, type TwoProportionResult } from './proportions.js';
export { chiSquareContingency, type ContingencyResult } from './contingency.js';
export { cohensD, cohensH } from './effect-size.js';
export { chanceToWin, expectedLoss } from './bayes.js';
export { msprt, defaultTau2, DEFAULT_SEQUENTIAL_TUNING, type MsprtOptions, type MsprtResult } from './sequential.js';
export { sampleRatioMismatch, DEFAULT_SRM_THRESHOLD, type SrmResult } from './srm.js';
export { sampleSizePerArm } from './power.js';
export { adjustAcrossMetrics } from './multiple.js';
export { analyzeMetric, withAdjustedPValues, type MetricResult, type AnalyzeOptions } from './metric.js';
export { decide, type Decision, type DecideInput } from './decide.js';
export { statsFromRows, type MetricRow, type MetricArms } from './rows.js';
