import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { AlertEvent, Monitoring } from '../monitoring/index.js';
import type { Registry } from '../registry/index.js';
import type { Database } from '../store/index.js';
import { parseWith } from '../validation/index.js';
import { analyzeMetric, armStats, decide, sampleRatioMismatch, sampleSizePerArm, adjustAcrossMetrics, type ArmStats, type Decision, type MetricResult } from './analysis/index.js';
import { routedTest, type RoutedTest } from './router.js';
import { parseSegment } from './segment.js';
import { AbTestSpec, CreateAbTest, type AbTestStatus, type AbTestView, type GuardrailSpec } from './spec.js';

const MAX_OUTCOMES = 10_000;
/** Relative lift the sample-size estimate is sized for (binary primary metrics). */
export const DEFAULT_MDE = 0.1;

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

export interface OutcomeResult {
  accepted: number;
  /** Subjects with no prediction routed by this test in its current phase: their outcomes are not stored. */
  unknown_subjects: string[];
}

export interface VariantCount {
  variant: string;
  version: number;
  weight: number;
  subjects: number;
  paused: string | null;
}

export interface AbTestResults {
  name: string;
  model: string;
  status: AbTestStatus;
  phase: number;
  since: string;
  elapsed_hours: number;
  /** Shown first: a mismatch means the assignment is broken and no effect below can be trusted. */
  srm: { statistic: number; p_value: number; mismatch: boolean; expected: number[]; observed: number[] };
  variants: VariantCount[];
  metrics: MetricResult[];
  required_samples_per_arm: number | null;
  ready_to_decide: boolean;
  decision: Decision;
}

/** Which phase to analyze (default: the current one) and how to correct for several metrics. */
export interface ResultsOptions {
  phase?: number | undefined;
  correction?: 'none' | 'holm' | 'bh' | undefined;
  now?: number;
}

/**
 * A/B tests, canaries and shadows of one model: routing as data (variants, coverage, segment, shadows),
 * the lifecycle draft → running ⇄ paused → stopped (a weight change starts a new phase with a new seed),
 * outcomes, results and guardrails. Every change is audited in the same transaction.
 */
export class AbTests {
  private resultsElsewhere: ((name: string, options: ResultsOptions) => Promise<AbTestResults>) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly registry: Registry,
    private readonly monitoring: Monitoring,
  ) {}

  async create(input: unknown, actor: string): Promise<AbTestView> {
    const body = parseWith(CreateAbTest, input, 'abtest');
    await this.registry.getModel(body.model);
    const variants = [];
    for (const [i, v] of body.variants.entries()) {
      if ((v.version === undefined) === (v.alias === undefined)) throw new BerthError('invalid_input', `variants[${i}]: give exactly one of version or alias`);
      const version = v.version !== undefined ? (await this.registry.getVersion(body.model, v.version)).version : (await this.registry.resolveVersion(body.model, { alias: v.alias })).version;
      variants.push({ key: v.key ?? String.fromCharCode(65 + i), version, weight: v.weight });
    }
    const keys = new Set(variants.map((v) => v.key));
    if (keys.size !== variants.length) throw new BerthError('invalid_input', `variant keys must be distinct, got ${variants.map((v) => v.key).join(', ')}`);
    checkWeights(variants.map((v) => v.weight));
    for (const s of body.shadows ?? []) await this.registry.getVersion(body.model, s.version);
    if (body.segment) parseSegment(body.segment);
    const spec: AbTestSpec = {
      variants,
      coverage: body.coverage ?? 1,
      seed: body.seed ?? randomBytes(8).toString('hex'),
      ...(body.segment ? { segment: body.segment } : {}),
      shadows: body.shadows ?? [],
      guardrails: body.guardrails ?? [],
      primary_metric: body.primary_metric ?? 'accuracy',
      higher_is_better: body.higher_is_better ?? true,
      min_samples_per_arm: body.min_samples_per_arm ?? 100,
      min_duration_hours: body.min_duration_hours ?? 0,
      alpha: body.alpha ?? 0.05,
      paused_variants: {},
    };
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('abtests').select('id').where('name', '=', body.name).executeTakeFirst();
      if (existing) throw new BerthError('conflict', `an A/B test named '${body.name}' already exists`);
      await trx.insertInto('abtests').values({ name: body.name, model: body.model, status: 'draft', description: body.description ?? '', spec: JSON.stringify(spec), phase: 0, winner: null, created_by: actor, created_at: now, started_at: null, stopped_at: null, updated_at: now }).execute();
      await recordAudit(trx, { actor, action: 'abtest.create', targetType: 'abtest', target: body.name, model: body.model, after: spec });
    });
    return this.get(body.name);
  }

  private async row(name: string, trx: Kysely<Database> = this.db) {
    const row = await trx.selectFrom('abtests').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `no A/B test named '${name}'`);
    return row;
  }

  async get(name: string): Promise<AbTestView> {
    const row = await this.row(name);
    const phases = await this.db.selectFrom('abtest_phases').selectAll().where('abtest_id', '=', row.id).orderBy('phase').execute();
    return {
      name: row.name,
      model: row.model,
      status: row.status,
      description: row.description,
      phase: Number(row.phase),
      winner: row.winner,
      spec: JSON.parse(row.spec) as AbTestSpec,
      phases: phases.map((p) => ({ phase: Number(p.phase), seed: p.seed, coverage: Number(p.coverage), weights: JSON.parse(p.weights) as number[], started_at: iso(p.started_at)!, ended_at: iso(p.ended_at) })),
      created_by: row.created_by,
      created_at: iso(row.created_at)!,
      started_at: iso(row.started_at),
      stopped_at: iso(row.stopped_at),
    };
  }

  async list(filter: { model?: string | undefined; status?: AbTestStatus | undefined } = {}): Promise<AbTestView[]> {
    let q = this.db.selectFrom('abtests').select('name');
    if (filter.model) q = q.where('model', '=', filter.model);
    if (filter.status) q = q.where('status', '=', filter.status);
    const rows = await q.orderBy('id', 'desc').limit(1000).execute();
    return Promise.all(rows.map((r) => this.get(r.name)));
  }

  /** draft → running (phase 1), or paused → running. One running or paused test per model. */
  async start(name: string, actor: string): Promise<AbTestView> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.row(name, trx);
      if (row.status === 'running') return;
      if (row.status === 'stopped') throw new BerthError('conflict', `A/B test '${name}' is stopped; create a new one`);
      const other = await trx.selectFrom('abtests').select('name').where('model', '=', row.model).where('status', 'in', ['running', 'paused']).where('id', '!=', row.id).executeTakeFirst();
      if (other) throw new BerthError('conflict', `model '${row.model}' already has an active A/B test ('${other.name}'); stop it first`);
      const now = Date.now();
      if (row.status === 'draft') {
        const spec = JSON.parse(row.spec) as AbTestSpec;
        await trx.insertInto('abtest_phases').values({ abtest_id: row.id, phase: 1, seed: spec.seed, coverage: spec.coverage, weights: JSON.stringify(spec.variants.map((v) => v.weight)), started_at: now, ended_at: null }).execute();
        await trx.updateTable('abtests').set({ status: 'running', phase: 1, started_at: now, updated_at: now }).where('id', '=', row.id).execute();
      } else {
        await trx.updateTable('abtests').set({ status: 'running', updated_at: now }).where('id', '=', row.id).execute();
      }
      await recordAudit(trx, { actor, action: row.status === 'draft' ? 'abtest.start' : 'abtest.resume', targetType: 'abtest', target: name, model: row.model, before: { status: row.status }, after: { status: 'running' } });
    });
    return this.get(name);
  }

  /** running → paused: all of the test's traffic gets the default routing until resumed. */
  async pause(name: string, actor: string): Promise<AbTestView> {
    await this.setStatus(name, ['running'], 'paused', 'abtest.pause', actor);
    return this.get(name);
  }

  /** Ends the test; with `promote`, moves the model's production alias to that variant's version in the same step. */
  async stop(name: string, options: { promote?: string | undefined; reason?: string | undefined }, actor: string): Promise<AbTestView> {
    const view = await this.get(name);
    if (view.status === 'stopped') throw new BerthError('conflict', `A/B test '${name}' is already stopped`);
    const winner = options.promote === undefined ? undefined : view.spec.variants.find((v) => v.key === options.promote);
    if (options.promote !== undefined && !winner) throw new BerthError('invalid_input', `promote: '${options.promote}' is not a variant of '${name}' (variants: ${view.spec.variants.map((v) => v.key).join(', ')})`);
    await this.db.transaction().execute(async (trx) => {
      const row = await this.row(name, trx);
      const now = Date.now();
      await trx.updateTable('abtests').set({ status: 'stopped', stopped_at: now, updated_at: now, winner: winner?.key ?? null }).where('id', '=', row.id).execute();
      await trx.updateTable('abtest_phases').set({ ended_at: now }).where('abtest_id', '=', row.id).where('ended_at', 'is', null).execute();
      await recordAudit(trx, { actor, action: 'abtest.stop', targetType: 'abtest', target: name, model: row.model, before: { status: row.status }, after: { status: 'stopped', winner: winner?.key ?? null } });
    });
    if (winner) await this.registry.promote(view.model, winner.version, actor, { reason: options.reason ?? `A/B test '${name}': variant ${winner.key} won` });
    return this.get(name);
  }

  /** New weights and/or coverage: a new phase with a new seed (analysis is per phase). */
  async reweight(name: string, input: { weights?: unknown; coverage?: unknown }, actor: string): Promise<AbTestView> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.row(name, trx);
      if (row.status === 'stopped') throw new BerthError('conflict', `A/B test '${name}' is stopped`);
      const spec = JSON.parse(row.spec) as AbTestSpec;
      const weights = input.weights === undefined ? spec.variants.map((v) => v.weight) : input.weights;
      if (!Array.isArray(weights) || weights.length !== spec.variants.length || !weights.every((w) => typeof w === 'number' && w >= 0 && w <= 1)) {
        throw new BerthError('invalid_input', `weights: expected ${spec.variants.length} numbers in [0, 1], got ${describeValue(weights)}`);
      }
      checkWeights(weights as number[]);
      const coverage = input.coverage === undefined ? spec.coverage : input.coverage;
      if (typeof coverage !== 'number' || coverage < 0 || coverage > 1) throw new BerthError('invalid_input', `coverage: expected a number in [0, 1], got ${describeValue(coverage)}`);
      const next: AbTestSpec = { ...spec, coverage, seed: randomBytes(8).toString('hex'), variants: spec.variants.map((v, i) => ({ ...v, weight: (weights as number[])[i]! })) };
      const now = Date.now();
      await trx.updateTable('abtests').set({ spec: JSON.stringify(next), updated_at: now, ...(row.status === 'draft' ? {} : { phase: Number(row.phase) + 1 }) }).where('id', '=', row.id).execute();
      if (row.status !== 'draft') {
        await trx.updateTable('abtest_phases').set({ ended_at: now }).where('abtest_id', '=', row.id).where('ended_at', 'is', null).execute();
        await trx.insertInto('abtest_phases').values({ abtest_id: row.id, phase: Number(row.phase) + 1, seed: next.seed, coverage, weights: JSON.stringify(weights), started_at: now, ended_at: null }).execute();
      }
      await recordAudit(trx, { actor, action: 'abtest.reweight', targetType: 'abtest', target: name, model: row.model, before: { weights: spec.variants.map((v) => v.weight), coverage: spec.coverage }, after: { weights, coverage } });
    });
    return this.get(name);
  }

  private async setStatus(name: string, from: AbTestStatus[], to: AbTestStatus, action: string, actor: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.row(name, trx);
      if (!from.includes(row.status)) throw new BerthError('conflict', `A/B test '${name}' is ${row.status}; ${action.split('.')[1]} needs it ${from.join(' or ')}`);
      await trx.updateTable('abtests').set({ status: to, updated_at: Date.now() }).where('id', '=', row.id).execute();
      await recordAudit(trx, { actor, action, targetType: 'abtest', target: name, model: row.model, before: { status: row.status }, after: { status: to } });
    });
  }

  /** The running tests, as the router needs them. */
  async routing(): Promise<RoutedTest[]> {
    const rows = await this.db.selectFrom('abtests as t').innerJoin('abtest_phases as p', (j) => j.onRef('p.abtest_id', '=', 't.id').onRef('p.phase', '=', 't.phase')).select(['t.name', 't.model', 't.spec', 'p.phase', 'p.seed', 'p.coverage', 'p.weights']).where('t.status', '=', 'running').execute();
    return rows.map((r) => routedTest(r.name, r.model, JSON.parse(r.spec) as AbTestSpec, { phase: Number(r.phase), seed: r.seed, coverage: Number(r.coverage), weights: JSON.parse(r.weights) as number[] }));
  }

  /** Business outcomes per subject, joined to the variant the subject was served in the current phase. */
  async recordOutcomes(name: string, items: unknown): Promise<OutcomeResult> {
    const row = await this.row(name);
    if (row.status === 'draft') throw new BerthError('conflict', `A/B test '${name}' has not started`);
    if (!Array.isArray(items) || items.length === 0) throw new BerthError('invalid_input', `items: expected a non-empty list of {subject, metric, value, timestamp?}, got ${describeValue(items)}`);
    if (items.length > MAX_OUTCOMES) throw new BerthError('payload_too_large', `items: ${items.length} in one call; the limit is ${MAX_OUTCOMES}`);
    const parsed = items.map((item, i) => {
      const where = `items[${i}]`;
      if (item === null || typeof item !== 'object') throw new BerthError('invalid_input', `${where}: expected {subject, metric, value}, got ${describeValue(item)}`);
      const o = item as Record<string, unknown>;
      const extra = Object.keys(o).filter((k) => !['subject', 'metric', 'value', 'timestamp'].includes(k));
      if (extra.length) throw new BerthError('invalid_input', `${where}: unknown field(s) ${extra.join(', ')}`);
      if (typeof o['subject'] !== 'string' || o['subject'].length === 0 || o['subject'].length > 256) throw new BerthError('invalid_input', `${where}.subject: expected a subject id (1-256 characters), got ${describeValue(o['subject'])}`);
      if (typeof o['metric'] !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(o['metric'])) throw new BerthError('invalid_input', `${where}.metric: expected a metric name (letters, digits, _.:-), got ${describeValue(o['metric'])}`);
      const value = typeof o['value'] === 'boolean' ? Number(o['value']) : o['value'];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new BerthError('invalid_input', `${where}.value: expected a finite number or a boolean, got ${describeValue(o['value'])}`);
      const ts = o['timestamp'] === undefined ? Date.now() : typeof o['timestamp'] === 'number' ? o['timestamp'] : Date.parse(String(o['timestamp']));
      if (!Number.isFinite(ts)) throw new BerthError('invalid_input', `${where}.timestamp: expected epoch ms or ISO-8601, got ${describeValue(o['timestamp'])}`);
      return { subject: o['subject'], metric: o['metric'], value, ts };
    });
    await this.monitoring.log?.flush().catch(() => undefined);
    const phase = await this.db.selectFrom('abtest_phases').selectAll().where('abtest_id', '=', row.id).where('phase', '=', row.phase).executeTakeFirstOrThrow();
    const subjects = [...new Set(parsed.map((p) => p.subject))];
    const variantOf = new Map<string, string>();
    for (let i = 0; i < subjects.length; i += 500) {
      const rows = await this.db
        .selectFrom('predictions')
        .select(['subject', 'variant'])
        .where('abtest', '=', name)
        .where('subject', 'in', subjects.slice(i, i + 500))
        .where('ts', '>=', Number(phase.started_at))
        .where('variant', '!=', 'shadow')
        .orderBy('ts', 'asc')
        .execute();
      for (const r of rows) if (r.subject && r.variant && !variantOf.has(r.subject)) variantOf.set(r.subject, r.variant);
    }
    const accepted = parsed.filter((p) => variantOf.has(p.subject));
    if (accepted.length > 0) {
      await this.db.transaction().execute(async (trx) => {
        for (let i = 0; i < accepted.length; i += 500) {
          await trx.insertInto('abtest_outcomes').values(accepted.slice(i, i + 500).map((p) => ({ abtest_id: row.id, phase: Number(row.phase), subject: p.subject, variant: variantOf.get(p.subject)!, metric: p.metric, value: p.value, ts: p.ts }))).execute();
        }
      });
    }
    return { accepted: accepted.length, unknown_subjects: subjects.filter((s) => !variantOf.has(s)) };
  }

  /**
   * Hands results to `compute` from now on: `berth serve` computes them on its analysis thread, as they
   * read every prediction of the phase. Without it they run on this thread.
   */
  offloadResults(compute: ((name: string, options: ResultsOptions) => Promise<AbTestResults>) | undefined): void {
    this.resultsElsewhere = compute;
  }

  async results(name: string, options: ResultsOptions = {}): Promise<AbTestResults> {
    // What this process logged so far belongs to the results.
    await this.monitoring.log?.flush().catch(() => undefined);
    return this.resultsElsewhere ? this.resultsElsewhere(name, options) : this.computeResults(name, options);
  }

  /**
   * The analysis of a phase (default: the current one): SRM first, then every metric, then the decision.
   * Computed on the calling thread (the analysis thread runs this).
   */
  async computeResults(name: string, options: ResultsOptions = {}): Promise<AbTestResults> {
    const view = await this.get(name);
    if (view.phase === 0) throw new BerthError('conflict', `A/B test '${name}' has not started: no results yet`);
    const phaseNo = options.phase ?? view.phase;
    const phase = view.phases.find((p) => p.phase === phaseNo);
    if (!phase) throw new BerthError('not_found', `A/B test '${name}' has no phase ${phaseNo} (phases: ${view.phases.map((p) => p.phase).join(', ')})`);
    const since = Date.parse(phase.started_at);
    const until = phase.ended_at ? Date.parse(phase.ended_at) : (options.now ?? Date.now()) + 1;
    const row = await this.row(name);

    // Units: distinct subjects per variant (a request without subject counts as its own unit).
    const logged = await this.db
      .selectFrom('predictions as p')
      .leftJoin('prediction_feedback as f', 'f.prediction_id', 'p.id')
      .select(['p.subject', 'p.variant', 'p.status', 'p.outputs', 'f.label'])
      .where('p.abtest', '=', name)
      .where('p.ts', '>=', since)
      .where('p.ts', '<', until)
      .execute();
    const keys = view.spec.variants.map((v) => v.key);
    const units = new Map<string, Set<string>>(keys.map((k) => [k, new Set<string>()]));
    let anonymous = 0;
    const correct = new Map<string, number[]>(keys.map((k) => [k, []]));
    const absError = new Map<string, number[]>(keys.map((k) => [k, []]));
    for (const r of logged) {
      if (!r.variant || !units.has(r.variant)) continue;
      units.get(r.variant)!.add(r.subject ?? `\0anonymous-${anonymous++}`);
      if (r.label === null || r.status >= 400 || r.outputs === null) continue;
      const out = JSON.parse(r.outputs) as { label?: string; value?: number };
      const label = JSON.parse(r.label) as unknown;
      if (out.label !== undefined) correct.get(r.variant)!.push(String(label) === out.label ? 1 : 0);
      else if (typeof out.value === 'number' && typeof label === 'number') absError.get(r.variant)!.push(Math.abs(label - out.value));
    }
    const observed = keys.map((k) => units.get(k)!.size);
    const srm = sampleRatioMismatch(observed, phase.weights);

    const perMetric = new Map<string, { kind: 'binary' | 'numeric'; arms: Map<string, number[]> }>();
    if ([...correct.values()].some((v) => v.length > 0)) perMetric.set('accuracy', { kind: 'binary', arms: correct });
    if ([...absError.values()].some((v) => v.length > 0)) perMetric.set('abs_error', { kind: 'numeric', arms: absError });
    const outcomes = await this.db.selectFrom('abtest_outcomes').select(['variant', 'metric', 'value']).where('abtest_id', '=', row.id).where('phase', '=', phaseNo).execute();
    for (const o of outcomes) {
      let m = perMetric.get(o.metric);
      if (!m) perMetric.set(o.metric, (m = { kind: 'binary', arms: new Map(keys.map((k) => [k, []])) }));
      m.arms.get(o.variant)?.push(Number(o.value));
    }
    for (const m of perMetric.values()) m.kind = [...m.arms.values()].every((vs) => vs.every((v) => v === 0 || v === 1)) ? 'binary' : 'numeric';

    const metrics: MetricResult[] = [];
    for (const [metric, m] of perMetric) {
      const arms: ArmStats[] = keys.map((k) => armStats(k, m.arms.get(k)!));
      const control = arms[0]!;
      for (const treatment of arms.slice(1)) {
        if (control.n < 2 || treatment.n < 2) continue;
        metrics.push(analyzeMetric(metric, m.kind, control, treatment, { alpha: view.spec.alpha }));
      }
    }
    if (options.correction && options.correction !== 'none' && metrics.length > 1) {
      const adjusted = adjustAcrossMetrics(metrics.map((r) => r.p_value), options.correction);
      metrics.forEach((r, i) => (r.adjusted_p_value = adjusted[i]!));
    }
    const elapsedHours = (until - since) / 3600_000;
    const primary = metrics.filter((r) => r.metric === view.spec.primary_metric);
    const primaryArms = perMetric.get(view.spec.primary_metric);
    const controlMean = primary[0]?.control.mean;
    const required = primaryArms?.kind === 'binary' && controlMean !== undefined && controlMean > 0 && controlMean * (1 + DEFAULT_MDE) < 1 ? sampleSizePerArm(controlMean, controlMean * (1 + DEFAULT_MDE), { alpha: view.spec.alpha }) : null;
    const decision = this.decision(view.spec, primary, srm, elapsedHours);
    const ready = primary.length > 0 && !srm.mismatch && elapsedHours >= view.spec.min_duration_hours && primary.every((r) => r.control.n >= view.spec.min_samples_per_arm && r.treatment.n >= view.spec.min_samples_per_arm);
    return {
      name,
      model: view.model,
      status: view.status,
      phase: phaseNo,
      since: phase.started_at,
      elapsed_hours: elapsedHours,
      srm: { statistic: srm.statistic, p_value: srm.pValue, mismatch: srm.mismatch, expected: srm.expected, observed },
      variants: view.spec.variants.map((v, i) => ({ variant: v.key, version: v.version, weight: phase.weights[i]!, subjects: observed[i]!, paused: view.spec.paused_variants[v.key] ?? null })),
      metrics,
      required_samples_per_arm: required,
      ready_to_decide: ready,
      decision,
    };
  }

  /** The recommendation; without primary-metric data yet it says so (a sample ratio mismatch first). */
  private decision(spec: AbTestSpec, primary: MetricResult[], srm: { mismatch: boolean; pValue: number }, elapsedHours: number): Decision {
    if (primary.length > 0) {
      return decide({ primary, srm, minSamplesPerArm: spec.min_samples_per_arm, minDurationHours: spec.min_duration_hours, elapsedHours, higherIsBetter: spec.higher_is_better, useSequential: true });
    }
    if (srm.mismatch) return { action: 'keep_running', reason: `sample ratio mismatch (p = ${srm.pValue.toPrecision(3)}): fix the assignment before reading any metric` };
    return { action: 'keep_running', reason: `no ${spec.primary_metric} data in both arms yet (post outcomes, or feedback for accuracy); keep collecting` };
  }

  /**
   * Guardrails of running tests: a non-control variant whose error rate or p99 latency breaches its
   * threshold over the window is paused (its traffic returns to the control) and a CRITICAL alert fires.
   */
  async checkGuardrails(now = Date.now()): Promise<AlertEvent[]> {
    const events: AlertEvent[] = [];
    const running = await this.db.selectFrom('abtests').selectAll().where('status', '=', 'running').execute();
    for (const row of running) {
      const spec = JSON.parse(row.spec) as AbTestSpec;
      for (const rail of spec.guardrails) {
        const since = now - (rail.window_minutes ?? 15) * 60_000;
        for (const variant of spec.variants.slice(1)) {
          if (variant.key in spec.paused_variants) continue;
          const { requests, value } = await this.guardrailValue(row.name, variant.key, since, rail.metric);
          if (requests < (rail.min_requests ?? 50)) continue;
          if (value <= rail.threshold) continue;
          const reason = `guardrail ${rail.metric} = ${Math.round(value * 1e4) / 1e4} > ${rail.threshold} over ${rail.window_minutes ?? 15} min (${requests} requests)`;
          const paused = await this.pauseVariant(row.name, variant.key, reason);
          if (!paused) continue;
          const event = await this.monitoring.alerts.observe(
            { name: `abtest.${row.name}.${variant.key}.${rail.metric}`, model: row.model, metric: rail.metric, operator: '>', threshold: rail.threshold, severity: 'CRITICAL', window_hours: (rail.window_minutes ?? 15) / 60 },
            row.model,
            variant.version,
            value,
            now,
          );
          if (event) events.push(event);
        }
      }
    }
    return events;
  }

  /**
   * A variant's requests since `since` and its error rate or p99 latency (numpy's 'linear' percentile),
   * aggregated by the database: a busy test's window holds millions of rows, too many to read here.
   */
  private async guardrailValue(test: string, variant: string, since: number, metric: GuardrailSpec['metric']): Promise<{ requests: number; value: number }> {
    const window = this.db.selectFrom('predictions').where('abtest', '=', test).where('variant', '=', variant).where('ts', '>=', since);
    const counts = await window
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum(eb.case().when('status', '>=', 500).then(1).else(0).end()).as('errors')])
      .executeTakeFirstOrThrow();
    const requests = Number(counts.n);
    if (requests === 0) return { requests, value: 0 };
    if (metric === 'error_rate') return { requests, value: Number(counts.errors) / requests };
    const position = (requests - 1) * 0.99;
    const lo = Math.floor(position);
    const around = await window.select('latency_ms').orderBy('latency_ms', 'asc').limit(Math.ceil(position) - lo + 1).offset(lo).execute();
    const low = Number(around[0]!.latency_ms);
    const high = Number(around[around.length - 1]!.latency_ms);
    return { requests, value: low + (high - low) * (position - lo) };
  }

  private async pauseVariant(name: string, key: string, reason: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.row(name, trx);
      const spec = JSON.parse(row.spec) as AbTestSpec;
      if (key in spec.paused_variants) return false;
      spec.paused_variants[key] = reason;
      await trx.updateTable('abtests').set({ spec: JSON.stringify(spec), updated_at: Date.now() }).where('id', '=', row.id).execute();
      await recordAudit(trx, { actor: 'berth:guardrail', action: 'abtest.variant.pause', targetType: 'abtest', target: name, model: row.model, after: { variant: key, reason } });
      return true;
    });
  }
}

function checkWeights(weights: readonly number[]): void {
  const total = weights.reduce((s, w) => s + w, 0);
  if (Math.abs(total - 1) > 0.01) throw new BerthError('invalid_input', `variant weights must sum to 1, got ${weights.join(' + ')} = ${Math.round(total * 1e6) / 1e6}`);
}
