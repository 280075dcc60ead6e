import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { recordAudit } from '../audit/index.js';
import { BerthError } from '../errors/index.js';
import type { AlertEvent, Monitoring } from '../monitoring/index.js';
import { PredictionStore } from '../monitoring/index.js';
import { readPipelineFile, type PipelineRunView, type Pipelines } from '../pipelines/index.js';
import type { Registry } from '../registry/index.js';
import type { Database, Engine, RetrainEventsTable } from '../store/index.js';
import type { Selectable } from 'kysely';

type RetrainEventRow = Selectable<RetrainEventsTable>;
import { parseWith } from '../validation/index.js';
import { retrainingPipeline } from './default-pipeline.js';
import { DEFAULT_WATCH_HOURS, RetrainPolicy, type TriggerKind } from './policy.js';

export interface RetrainEventView {
  id: number;
  model: string;
  trigger: string;
  decision: RetrainEventsTable['decision'];
  reason: string;
  detail: Record<string, unknown>;
  pipeline_run_id: string | null;
  outcome: string | null;
  outcome_reason: string | null;
  champion_version: number | null;
  challenger_version: number | null;
  watch_until: string | null;
  created_by: string;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

export interface PolicyView {
  model: string;
  policy: RetrainPolicy;
  updated_by: string;
  updated_at: string;
}

interface Observation {
  trigger: TriggerKind;
  reason: string;
  detail: Record<string, unknown>;
}

const ACTOR = 'berth:retraining';
const DAY_MS = 24 * 3600_000;
/** A suppression with the same reason is recorded again only after this long, so a standing condition does not fill the history. */
const SUPPRESSION_REPEAT_MS = 3600_000;

const iso = (ms: number | string | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

function eventView(row: RetrainEventRow): RetrainEventView {
  return {
    id: row.id,
    model: row.model,
    trigger: row.trigger,
    decision: row.decision,
    reason: row.reason,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    pipeline_run_id: row.pipeline_run_id,
    outcome: row.outcome,
    outcome_reason: row.outcome_reason,
    champion_version: row.champion_version,
    challenger_version: row.challenger_version,
    watch_until: iso(row.watch_until),
    created_by: row.created_by,
    created_at: iso(row.created_at)!,
    decided_by: row.decided_by,
    decided_at: iso(row.decided_at),
  };
}

/** `*.csv` style patterns: `*` any run of characters, `?` one; hand-written because Node 20 has no stable glob matcher. */
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function hours(ms: number): string {
  return `${(ms / 3600_000).toFixed(1)} h`;
}

/**
 * Retraining policies, triggers and their history. `evaluate` checks every policy's triggers; one that
 * fires starts the model's retraining pipeline unless a constraint suppresses it (recorded with why) or
 * approval is required (recorded as pending until approved or rejected). When the pipeline ends, the
 * outcome is recorded; after a promotion, a CRITICAL alert on the new version rolls it back.
 */
export class Retraining {
  private readonly predictions: PredictionStore;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly registry: Registry,
    private readonly monitoring: Monitoring,
    private readonly pipelines: Pipelines,
    private readonly home: string,
  ) {
    this.predictions = new PredictionStore(db);
    pipelines.onRunFinished((run) => this.recordOutcome(run));
    monitoring.onAlert((event) => this.watchAlert(event));
  }

  async setPolicy(model: string, input: unknown, actor: string): Promise<PolicyView> {
    await this.registry.getModel(model);
    const policy = parseWith(RetrainPolicy, input, 'policy');
    if (policy.pipeline) readPipelineFile(this.resolvePath(policy.pipeline));
    const now = Date.now();
    await this.db.transaction().execute(async (tx) => {
      const before = await tx.selectFrom('retrain_policies').select('policy').where('model', '=', model).executeTakeFirst();
      if (before) await tx.updateTable('retrain_policies').set({ policy: JSON.stringify(policy), updated_by: actor, updated_at: now }).where('model', '=', model).execute();
      else await tx.insertInto('retrain_policies').values({ model, policy: JSON.stringify(policy), updated_by: actor, updated_at: now }).execute();
      await recordAudit(tx, { actor, action: 'retrain_policy.set', targetType: 'retrain_policy', target: model, model, before: before ? JSON.parse(before.policy) : undefined, after: policy });
    });
    return this.getPolicy(model);
  }

  async getPolicy(model: string): Promise<PolicyView> {
    const row = await this.db.selectFrom('retrain_policies').selectAll().where('model', '=', model).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `model '${model}' has no retraining policy (set one with berth retrain policy ${model} --file policy.yaml)`);
    return { model: row.model, policy: JSON.parse(row.policy) as RetrainPolicy, updated_by: row.updated_by, updated_at: iso(row.updated_at)! };
  }

  async deletePolicy(model: string, actor: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const before = await tx.selectFrom('retrain_policies').select('policy').where('model', '=', model).executeTakeFirst();
      if (!before) throw new BerthError('not_found', `model '${model}' has no retraining policy`);
      await tx.deleteFrom('retrain_policies').where('model', '=', model).execute();
      await recordAudit(tx, { actor, action: 'retrain_policy.delete', targetType: 'retrain_policy', target: model, model, before: JSON.parse(before.policy) });
    });
  }

  async history(model: string, limit = 100): Promise<RetrainEventView[]> {
    const rows = await this.db.selectFrom('retrain_events').selectAll().where('model', '=', model).orderBy('id', 'desc').limit(Math.min(Math.max(limit, 1), 1000)).execute();
    return rows.map((r) => eventView(this.normalize(r)));
  }

  async event(id: number): Promise<RetrainEventView> {
    const row = await this.db.selectFrom('retrain_events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `retraining event ${id} does not exist`);
    return eventView(this.normalize(row));
  }

  private normalize(row: RetrainEventRow): RetrainEventRow {
    return { ...row, created_at: Number(row.created_at), decided_at: row.decided_at === null ? null : Number(row.decided_at), watch_until: row.watch_until === null ? null : Number(row.watch_until) };
  }

  /** `berth retrain NAME --reason`: a manual trigger, under the same constraints unless forced. */
  async trigger(model: string, options: { reason: string; actor: string; force?: boolean | undefined; now?: number }): Promise<RetrainEventView> {
    const policy = (await this.getPolicy(model)).policy;
    const id = await this.decide(model, policy, { trigger: 'manual', reason: options.reason || 'manual', detail: {} }, options.actor, options.now ?? Date.now(), options.force ?? false);
    return this.event(id!);
  }

  /** Checks every enabled policy's triggers; returns the events recorded. */
  async evaluate(now = Date.now()): Promise<RetrainEventView[]> {
    const rows = await this.db.selectFrom('retrain_policies').selectAll().execute();
    const recorded: RetrainEventView[] = [];
    for (const row of rows) {
      const policy = JSON.parse(row.policy) as RetrainPolicy;
      if (policy.enabled === false) continue;
      try {
        const observation = await this.observe(row.model, policy, now);
        if (!observation) continue;
        const id = await this.decide(row.model, policy, observation, ACTOR, now, false);
        if (id !== undefined) recorded.push(await this.event(id));
      } catch (err) {
        process.emitWarning(`retraining of ${row.model}: trigger evaluation failed: ${(err as Error).message}`);
      }
    }
    return recorded;
  }

  /** When the model was last trained: the last retraining that started, else its production version's registration. */
  private async lastTraining(model: string): Promise<number> {
    const last = await this.db
      .selectFrom('retrain_events')
      .select('created_at')
      .where('model', '=', model)
      .where('decision', 'in', ['fired', 'approved'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last) return Number(last.created_at);
    const production = await this.registry.resolveVersion(model, {}).catch(() => undefined);
    return production ? Date.parse(production.created_at) : 0;
  }

  /** The first trigger of the policy whose condition holds now, with the values behind it. */
  private async observe(model: string, policy: RetrainPolicy, now: number): Promise<Observation | undefined> {
    const t = policy.triggers;
    const since = await this.lastTraining(model);
    if (t.feedback) {
      const labels = await this.predictions.labelledCount(model, since);
      if (labels >= t.feedback.min_labels) return { trigger: 'feedback', reason: `${labels} labelled predictions since the last training (>= ${t.feedback.min_labels})`, detail: { labels, since: iso(since) } };
    }
    if (t.files) {
      const patterns = (t.files.patterns ?? ['*.csv']).map(globToRegExp);
      const fresh: string[] = [];
      for (const dir of t.files.dirs) {
        const folder = this.resolvePath(dir);
        let names: string[] = [];
        try {
          names = readdirSync(folder);
        } catch {
          continue;
        }
        for (const name of names) {
          if (!patterns.some((p) => p.test(name))) continue;
          const file = path.join(folder, name);
          const info = statSync(file, { throwIfNoEntry: false });
          if (info?.isFile() && info.mtimeMs > since) fresh.push(file);
        }
      }
      if (fresh.length > 0) return { trigger: 'files', reason: `${fresh.length} new file(s) since the last training: ${fresh.slice(0, 5).map((f) => path.basename(f)).join(', ')}`, detail: { files: fresh.slice(0, 100) } };
    }
    if (t.accuracy_drop || t.drift) {
      const production = await this.registry.resolveVersion(model, {}).catch(() => undefined);
      if (production) {
        // A window reads the log and computes drift: read once when both triggers look at the same hours.
        const windows = new Map<number | undefined, ReturnType<Monitoring['window']>>();
        const versionWindow = async (hours: number | undefined) => {
          if (!windows.has(hours)) windows.set(hours, this.monitoring.window(model, { hours, version: production.version, now }));
          return (await windows.get(hours)!).versions.find((v) => v.version === production.version);
        };
        if (t.accuracy_drop) {
          const perf = (await versionWindow(t.accuracy_drop.window_hours))?.performance;
          const labelled = perf?.labelled ?? 0;
          if (perf?.accuracy_drop !== undefined && labelled >= (t.accuracy_drop.min_labels ?? 30) && perf.accuracy_drop >= t.accuracy_drop.min_drop) {
            return {
              trigger: 'accuracy_drop',
              reason: `accuracy of v${production.version} is ${perf.accuracy?.toFixed(4)} over ${labelled} labelled predictions, ${perf.accuracy_drop.toFixed(4)} below its card (>= ${t.accuracy_drop.min_drop})`,
              detail: { version: production.version, accuracy: perf.accuracy, card_accuracy: perf.card_accuracy, drop: perf.accuracy_drop, labelled },
            };
          }
        }
        if (t.drift) {
          const drift = (await versionWindow(t.drift.window_hours))?.drift;
          if (drift && drift.share >= t.drift.min_share) {
            return { trigger: 'drift', reason: `drift share of v${production.version} is ${drift.share.toFixed(3)} (>= ${t.drift.min_share})`, detail: { version: production.version, share: drift.share, drifted: drift.drifted, tested: drift.tested } };
          }
        }
      }
    }
    if (t.age) {
      const production = await this.registry.resolveVersion(model, {}).catch(() => undefined);
      if (production) {
        const ageDays = (now - Math.max(Date.parse(production.created_at), since)) / DAY_MS;
        if (ageDays >= t.age.max_days) return { trigger: 'age', reason: `v${production.version} was trained ${ageDays.toFixed(1)} days ago (>= ${t.age.max_days})`, detail: { version: production.version, age_days: ageDays } };
      }
    }
    return undefined;
  }

  private async lockModel(tx: Transaction<Database>, model: string): Promise<void> {
    // Replicas evaluating the same policy at once must not both fire: one decision per model at a time.
    if (this.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`berth-retrain:${model}`}))`.execute(tx);
  }

  /**
   * Applies the constraints to a trigger that holds and records the decision. Returns the event id, or
   * undefined when a repeated suppression was not recorded again.
   */
  private async decide(model: string, policy: RetrainPolicy, observation: Observation, actor: string, now: number, force: boolean): Promise<number | undefined> {
    const constraints = policy.constraints ?? {};
    let started: { id: number; since: number } | undefined;
    const id = await this.db.transaction().execute(async (tx) => {
      await this.lockModel(tx, model);
      const recent = (await tx.selectFrom('retrain_events').selectAll().where('model', '=', model).where('created_at', '>=', now - DAY_MS).orderBy('id', 'desc').execute()).map((r) => this.normalize(r));
      const started24h = recent.filter((e) => e.decision === 'fired' || e.decision === 'approved');
      let suppressed: string | undefined;
      let constraint: string | undefined;
      const pending = recent.find((e) => e.decision === 'pending');
      const running = started24h.find((e) => e.outcome === null);
      if (running) [constraint, suppressed] = ['running', `a retraining is already running (event ${running.id}${running.pipeline_run_id ? `, pipeline run ${running.pipeline_run_id}` : ''})`];
      else if (pending) [constraint, suppressed] = ['approval', `event ${pending.id} is waiting for approval`];
      else if (!force && constraints.min_hours_between !== undefined && started24h[0] && now - started24h[0].created_at < constraints.min_hours_between * 3600_000) {
        [constraint, suppressed] = ['min_hours_between', `min_hours_between ${constraints.min_hours_between} h: the last retraining started ${hours(now - started24h[0].created_at)} ago`];
      } else if (!force && constraints.max_per_day !== undefined && started24h.length >= constraints.max_per_day) {
        [constraint, suppressed] = ['max_per_day', `max_per_day ${constraints.max_per_day}: ${started24h.length} retraining(s) in the last 24 h`];
      }
      if (constraint && observation.trigger !== 'manual') {
        const last = recent.find((e) => e.trigger === observation.trigger);
        const lastConstraint = last ? (JSON.parse(last.detail) as { suppressed_by?: string }).suppressed_by : undefined;
        if (last?.decision === 'suppressed' && lastConstraint === constraint && now - last.created_at < SUPPRESSION_REPEAT_MS) return undefined;
      }
      const decision: RetrainEventsTable['decision'] = suppressed ? 'suppressed' : constraints.approval_required ? 'pending' : 'fired';
      const reason = suppressed ? `${observation.reason}; suppressed: ${suppressed}` : observation.reason;
      const inserted = await tx
        .insertInto('retrain_events')
        .values({
          model,
          trigger: observation.trigger,
          decision,
          reason: reason.slice(0, 10_000),
          detail: JSON.stringify(constraint ? { ...observation.detail, suppressed_by: constraint } : observation.detail),
          pipeline_run_id: null,
          outcome: null,
          outcome_reason: null,
          champion_version: null,
          challenger_version: null,
          watch_until: null,
          created_by: actor,
          created_at: now,
          decided_by: null,
          decided_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(tx, { actor, action: `retrain.${decision}`, targetType: 'retrain_event', target: String(inserted.id), model, after: { trigger: observation.trigger, reason } });
      if (decision === 'fired') started = { id: inserted.id, since: await this.lastTrainingIn(tx, model, inserted.id) };
      return inserted.id;
    });
    if (started) await this.startPipeline(model, policy, started.id, started.since, observation.reason);
    return id;
  }

  private async lastTrainingIn(tx: Transaction<Database>, model: string, excluding: number): Promise<number> {
    const last = await tx.selectFrom('retrain_events').select('created_at').where('model', '=', model).where('decision', 'in', ['fired', 'approved']).where('id', '!=', excluding).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return last ? Number(last.created_at) : 0;
  }

  private async startPipeline(model: string, policy: RetrainPolicy, eventId: number, since: number, reason: string): Promise<void> {
    try {
      const champion = await this.registry.resolveVersion(model, {}).catch(() => undefined);
      const params: Record<string, string | number | boolean> = { model, reference: this.resolvePath(policy.data.reference), label: policy.data.label, since, action: policy.action ?? 'promote', reason: `retraining event ${eventId}: ${reason}`.slice(0, 500) };
      let run: PipelineRunView;
      if (policy.pipeline) {
        const { spec, baseDir, source } = readPipelineFile(this.resolvePath(policy.pipeline));
        const declared = spec.params ?? {};
        run = await this.pipelines.start(spec, { params: Object.fromEntries(Object.entries(params).filter(([k]) => k in declared)), source, baseDir, trigger: `retraining:${eventId}`, actor: ACTOR });
      } else {
        run = await this.pipelines.start(retrainingPipeline(model, policy), { params, source: `builtin:retrain-${model}`, baseDir: this.home, trigger: `retraining:${eventId}`, actor: ACTOR });
      }
      await this.db.updateTable('retrain_events').set({ pipeline_run_id: run.id, champion_version: champion?.version ?? null }).where('id', '=', eventId).execute();
      // The run may have ended before its id was stored, when the finish listener could not find the event:
      // read its state again now and record the outcome (recordOutcome records it once).
      const current = await this.pipelines.get(run.id);
      if (['succeeded', 'failed', 'cancelled'].includes(current.state)) await this.recordOutcome(current);
    } catch (err) {
      await this.db.updateTable('retrain_events').set({ outcome: 'failed', outcome_reason: `the pipeline could not start: ${(err as Error).message}`.slice(0, 10_000) }).where('id', '=', eventId).execute();
    }
  }

  async approve(id: number, actor: string): Promise<RetrainEventView> {
    const pending = await this.event(id);
    // The policy is read before anything changes: approving for a model whose policy is gone refuses cleanly.
    const policy = (await this.getPolicy(pending.model)).policy;
    const event = await this.decidePending(id, 'approved', actor);
    const since = await this.db.transaction().execute((tx) => this.lastTrainingIn(tx, event.model, id));
    await this.startPipeline(event.model, policy, id, since, `approved by ${actor}: ${event.reason}`);
    return this.event(id);
  }

  async reject(id: number, actor: string, reason?: string): Promise<RetrainEventView> {
    await this.decidePending(id, 'rejected', actor, reason);
    return this.event(id);
  }

  private async decidePending(id: number, decision: 'approved' | 'rejected', actor: string, reason?: string): Promise<RetrainEventView> {
    await this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('retrain_events').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new BerthError('not_found', `retraining event ${id} does not exist`);
      if (row.decision !== 'pending') throw new BerthError('conflict', `retraining event ${id} is ${row.decision}, not pending approval`);
      await tx
        .updateTable('retrain_events')
        .set({ decision, decided_by: actor, decided_at: Date.now(), ...(decision === 'rejected' ? { outcome: 'rejected', outcome_reason: reason ? `rejected by ${actor}: ${reason}` : `rejected by ${actor}` } : {}) })
        .where('id', '=', id)
        .execute();
      await recordAudit(tx, { actor, action: `retrain.${decision}`, targetType: 'retrain_event', target: String(id), model: row.model, after: reason ? { reason } : undefined });
    });
    return this.event(id);
  }

  /** The end of a retraining pipeline: promoted, A/B tested, rejected (with the comparison's reason) or failed. */
  async recordOutcome(run: PipelineRunView): Promise<void> {
    const row = await this.db.selectFrom('retrain_events').selectAll().where('pipeline_run_id', '=', run.id).executeTakeFirst();
    if (!row || row.outcome !== null) return;
    const policy = await this.getPolicy(row.model).then((p) => p.policy).catch(() => undefined);
    const byUses = (name: string) => run.steps.find((s) => s.kind === 'uses' && s.action === name);
    const promote = byUses('promote');
    const abtest = byUses('abtest');
    const compare = byUses('compare');
    const train = byUses('train');
    const challenger = typeof train?.outputs.version === 'number' ? train.outputs.version : null;
    let outcome: string;
    let reason: string;
    let watchUntil: number | null = null;
    if (run.state !== 'succeeded') {
      outcome = 'failed';
      reason = run.error ?? run.state;
    } else if (promote?.state === 'succeeded') {
      outcome = 'promoted';
      reason = String(compare?.outputs.reason ?? 'the challenger was promoted');
      watchUntil = Date.now() + (policy?.watch_hours ?? DEFAULT_WATCH_HOURS) * 3600_000;
    } else if (abtest?.state === 'succeeded') {
      outcome = 'abtest';
      reason = `A/B test ${String(abtest.outputs.abtest)} started: ${String(compare?.outputs.reason ?? '')}`;
    } else {
      outcome = 'rejected';
      reason = String(compare?.outputs.reason ?? 'the challenger was not promoted');
    }
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('retrain_events')
        .set({ outcome, outcome_reason: reason.slice(0, 10_000), challenger_version: challenger, watch_until: watchUntil, ...(typeof compare?.outputs.champion_version === 'number' ? { champion_version: compare.outputs.champion_version } : {}) })
        .where('id', '=', row.id)
        .where('outcome', 'is', null)
        .execute();
      await recordAudit(tx, { actor: ACTOR, action: `retrain.${outcome}`, targetType: 'retrain_event', target: String(row.id), model: row.model, after: { pipeline_run: run.id, challenger, reason } });
    });
  }

  /** A CRITICAL alert on a freshly promoted version, within its watch window, moves production back. */
  async watchAlert(event: AlertEvent, now = Date.now()): Promise<void> {
    const alert = event.alert;
    if (event.kind !== 'fired' || alert.severity !== 'CRITICAL') return;
    const watched = await this.db
      .selectFrom('retrain_events')
      .selectAll()
      .where('model', '=', alert.model)
      .where('outcome', '=', 'promoted')
      .where('challenger_version', '=', alert.version)
      .where('watch_until', '>=', now)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!watched || watched.champion_version === null) return;
    const production = await this.registry.resolveVersion(alert.model, { alias: 'production' }).catch(() => undefined);
    if (production?.version !== alert.version) return;
    const reason = `rolled back: CRITICAL alert '${alert.rule}' on v${alert.version} (${alert.message}) within the watch window`;
    await this.registry.setAlias(alert.model, 'production', watched.champion_version, ACTOR, reason.slice(0, 1000));
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('retrain_events').set({ outcome: 'rolled_back', outcome_reason: reason.slice(0, 10_000), watch_until: null }).where('id', '=', watched.id).execute();
      await recordAudit(tx, { actor: ACTOR, action: 'retrain.rolled_back', targetType: 'retrain_event', target: String(watched.id), model: alert.model, after: { from: alert.version, to: watched.champion_version, alert: alert.id } });
    });
  }

  /** Evaluates the policies every `everySeconds` (inside `berth serve`, in the process owning schedules). */
  startSchedule(everySeconds: number, onError: (err: Error) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.evaluate()
        .catch((err: Error) => onError(err))
        .finally(() => (running = false));
    }, everySeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  private resolvePath(p: string): string {
    return path.resolve(this.home, p);
  }
}
