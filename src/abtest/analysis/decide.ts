/** Turn metric read-outs into a ship / don't ship / wait decision, explained in words. */
import { BerthError } from '../../errors/index.js';
import type { MetricResult } from './metric.js';
import { checkAlpha, checkNonNegative } from './validate.js';

/** What to do with a test, and why. */
export interface Decision {
  action: 'promote' | 'keep_control' | 'keep_running';
  /** The variant to promote (set only when action is 'promote'). */
  variant?: string;
  /** The decision in words, with the numbers behind it. */
  reason: string;
}

/** Input of {@link decide}. */
export interface DecideInput {
  /** The primary metric, one result per treatment variant, all against the same control. */
  primary: MetricResult[];
  /** Guardrail metrics: a treatment that makes one significantly worse is not promoted. */
  guardrails?: Array<MetricResult & { higherIsBetter: boolean }>;
  /** Sample ratio check of the assignment (see sampleRatioMismatch). */
  srm: { mismatch: boolean; pValue: number };
  minSamplesPerArm: number;
  minDurationHours: number;
  elapsedHours: number;
  /** Direction of the primary metric (default true: higher is better). */
  higherIsBetter?: boolean;
  /**
   * Judge significance with the always-valid (mSPRT) p-values (default true), which stay valid
   * however often the test is looked at; false uses the fixed-horizon p-values (adjusted ones
   * when present), valid only when the test is read once at its planned size.
   */
  useSequential?: boolean;
  /** Significance level (default 0.05). */
  alpha?: number;
}

/**
 * Decide an A/B test, in this order:
 * 1. Sample ratio mismatch overrides everything: keep the control and fix the assignment first
 *    (a broken split biases every metric).
 * 2. Not ready (an arm of a primary comparison below `minSamplesPerArm`, or fewer than
 *    `minDurationHours` elapsed — weekly cycles, novelty): keep running.
 * 3. The primary metric decides. Among treatments significantly better in the metric's direction,
 *    the one with the largest improvement (relative, else absolute) that no guardrail blocks is
 *    promoted; a guardrail blocks a treatment when it is significantly worse in its own
 *    direction for that treatment.
 * 4. Otherwise keep the control: when every better treatment is blocked by a guardrail, or every
 *    treatment is significantly worse, or (fixed horizon) nothing is significant at the planned
 *    size. With sequential testing an inconclusive treatment means keep running, since
 *    always-valid p-values allow more data to be collected.
 *
 * A NaN p-value is never significant. Refused (BerthError): no primary results, primary results
 * with different controls or a repeated treatment, thresholds that are negative or not finite.
 */
export function decide(input: DecideInput): Decision {
  const alpha = checkAlpha(input.alpha ?? 0.05);
  const higherIsBetter = input.higherIsBetter ?? true;
  const useSequential = input.useSequential ?? true;
  const minSamples = checkNonNegative(input.minSamplesPerArm, 'minSamplesPerArm');
  const minHours = checkNonNegative(input.minDurationHours, 'minDurationHours');
  const elapsed = checkNonNegative(input.elapsedHours, 'elapsedHours');
  const primary = input.primary;
  if (!Array.isArray(primary) || primary.length === 0) throw new BerthError('invalid_input', 'decide needs at least one primary metric result');
  const first = primary[0] as MetricResult;
  const controlVariant = first.control.variant;
  const seen = new Set<string>();
  for (const r of primary) {
    if (r.control.variant !== controlVariant) {
      throw new BerthError('invalid_input', `primary results compare against different controls (${controlVariant} and ${r.control.variant})`);
    }
    if (seen.has(r.treatment.variant)) throw new BerthError('invalid_input', `primary results list treatment ${r.treatment.variant} twice`);
    seen.add(r.treatment.variant);
  }

  const fmt = new Formatter(alpha, useSequential);

  // 1. Sample ratio mismatch.
  if (input.srm.mismatch) {
    return {
      action: 'keep_control',
      reason: `sample ratio mismatch (${pEquals('chi-square p', fmt.pNumber(input.srm.pValue))}): subjects are not reaching the variants in the configured proportions, so no metric can be trusted; fix the assignment first, then restart the test`,
    };
  }

  // 2. Readiness.
  const missing: string[] = [];
  const arms = new Map<string, number>([[controlVariant, first.control.n]]);
  for (const r of primary) arms.set(r.treatment.variant, r.treatment.n);
  for (const [variant, n] of arms) if (n < minSamples) missing.push(`${variant} has ${n} of ${minSamples} subjects needed per arm`);
  if (elapsed < minHours) missing.push(`${trim(elapsed)} of ${trim(minHours)} hours have passed`);
  if (missing.length > 0) return { action: 'keep_running', reason: `not ready to decide: ${missing.join('; ')}` };

  // 3. Primary metric.
  const significant = (r: MetricResult): boolean => (useSequential ? r.sequential_p_value : (r.adjusted_p_value ?? r.p_value)) < alpha;
  const better = (r: MetricResult, up: boolean): boolean => (up ? r.difference > 0 : r.difference < 0);
  const guardrails = input.guardrails ?? [];
  const winners = primary.filter((r) => significant(r) && better(r, higherIsBetter));
  const score = (r: MetricResult): number => (higherIsBetter ? 1 : -1) * (Number.isFinite(r.relative) ? r.relative : r.difference);
  winners.sort((x, y) => score(y) - score(x));

  const blocked: string[] = [];
  for (const w of winners) {
    const worse = guardrails.filter((g) => g.treatment.variant === w.treatment.variant && significant(g) && better(g, !g.higherIsBetter));
    if (worse.length === 0) {
      const guardText = guardrails.length > 0 ? 'no guardrail metric got worse' : 'no guardrail metrics were given';
      return { action: 'promote', variant: w.treatment.variant, reason: `${fmt.effect(w, 'improves')} and ${guardText}; sample ratio is fine` };
    }
    blocked.push(`${fmt.effect(w, 'improves')}, but ${worse.map((g) => `guardrail ${fmt.effect(g, 'worsens')}`).join(' and ')}`);
  }
  if (blocked.length > 0) return { action: 'keep_control', reason: `${blocked.join('; ')}; keep ${controlVariant}` };

  const losers = primary.filter((r) => significant(r) && better(r, !higherIsBetter));
  const open = primary.filter((r) => !losers.includes(r));
  const loserText = losers.map((r) => fmt.effect(r, 'worsens'));
  if (open.length === 0) return { action: 'keep_control', reason: `${loserText.join('; ')}; keep ${controlVariant}` };
  const openText = open.map((r) => fmt.effect(r, 'changes')).join('; ');
  const all = [openText, ...loserText].join('; ');
  if (useSequential) {
    return {
      action: 'keep_running',
      reason: `no conclusive difference in ${first.metric} yet: ${all}; keep collecting data (always-valid p-values stay valid however often they are checked)`,
    };
  }
  return { action: 'keep_control', reason: `no significant difference in ${first.metric} at the planned sample size: ${all}; keep ${controlVariant}` };
}

/** Number formatting for the reason strings. */
class Formatter {
  constructor(
    private readonly alpha: number,
    private readonly sequential: boolean,
  ) {}

  /** "0.003", "< 0.001" ... */
  pNumber(p: number): string {
    if (Number.isNaN(p)) return 'n/a';
    if (p < 0.001) return '< 0.001';
    if (p >= 0.9995) return '1';
    return p.toFixed(3);
  }

  /** "p = 0.003", "always-valid p < 0.001", "adjusted p = 0.04". */
  p(r: MetricResult): string {
    if (this.sequential) return pEquals('always-valid p', this.pNumber(r.sequential_p_value));
    if (r.adjusted_p_value !== undefined) return pEquals('adjusted p', this.pNumber(r.adjusted_p_value));
    return pEquals('p', this.pNumber(r.p_value));
  }

  level(): string {
    return `${trim((1 - this.alpha) * 100)}%`;
  }

  /**
   * "B improves conversion by +4.1% (95% CI +1.2% to +7.0%, p = 0.003)"; with sequential testing
   * the interval is the always-valid one for the absolute difference:
   * "B improves conversion by +4.1% (10.00% -> 10.41%; 95% always-valid CI for the difference
   * +0.12 pp to +0.70 pp, always-valid p = 0.003)".
   */
  effect(r: MetricResult, verb: 'improves' | 'worsens' | 'changes'): string {
    const relativeKnown = Number.isFinite(r.relative);
    const size = relativeKnown ? signedPercent(r.relative) : diff(r.kind, r.difference);
    const head =
      verb === 'worsens' ? `${r.treatment.variant} makes ${r.metric} worse: ${size}` : verb === 'improves' ? `${r.treatment.variant} improves ${r.metric} by ${size}` : `${r.treatment.variant} ${size}`;
    let detail: string;
    if (this.sequential) {
      const [lo, hi] = r.sequential_ci;
      const levels = `${level(r.kind, r.control.mean)} -> ${level(r.kind, r.treatment.mean)}`;
      detail = `${levels}; ${this.level()} always-valid CI for the difference ${diff(r.kind, lo)} to ${diff(r.kind, hi)}, ${this.p(r)}`;
    } else if (relativeKnown && r.relative_ci.every(Number.isFinite)) {
      detail = `${this.level()} CI ${signedPercent(r.relative_ci[0])} to ${signedPercent(r.relative_ci[1])}, ${this.p(r)}`;
    } else {
      detail = `${this.level()} CI for the difference ${diff(r.kind, r.difference_ci[0])} to ${diff(r.kind, r.difference_ci[1])}, ${this.p(r)}`;
    }
    return `${head} (${detail})`;
  }
}

function pEquals(label: string, value: string): string {
  return value.startsWith('<') ? `${label} ${value}` : `${label} = ${value}`;
}

/** A number without trailing zeros: 95, 20.5, 0.123. */
function trim(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function sign(x: number): string {
  return x > 0 ? '+' : x < 0 ? '-' : '';
}

/** +4.1%, -0.042%. */
function signedPercent(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const pct = Math.abs(x * 100);
  const body = pct >= 0.1 || pct === 0 ? pct.toFixed(1) : pct.toPrecision(2);
  return `${sign(x)}${body}%`;
}

/** A metric level: 10.41% for a rate, 4 significant digits otherwise. */
function level(kind: 'binary' | 'numeric', x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return kind === 'binary' ? `${(x * 100).toFixed(2)}%` : String(Number(x.toPrecision(4)));
}

/** A difference: +0.41 pp for rates, +1.234 otherwise. */
function diff(kind: 'binary' | 'numeric', x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return kind === 'binary' ? `${sign(x)}${Math.abs(x * 100).toFixed(2)} pp` : `${sign(x)}${String(Number(Math.abs(x).toPrecision(4)))}`;
}
