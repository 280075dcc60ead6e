import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import { recordAudit } from '../audit/index.js';
import { AlertRuleSchema, type AlertRule } from '../config/index.js';
import { BerthError } from '../errors/index.js';
import type { Database } from '../store/index.js';
import { parseWith } from '../validation/index.js';
import type { VersionWindow } from './window.js';

export type Severity = AlertRule['severity'];

/**
 * The seeds' defaults, applied to every model unless `monitoring.default_rules` is false. accuracy_drop
 * is absolute (card 0.95, window 0.90 → 0.05). "drift 0.1": more than 10% of the features drifted.
 */
export const DEFAULT_RULES: readonly AlertRule[] = [
  { name: 'default.accuracy-drop.critical', model: '*', metric: 'accuracy_drop', operator: '>=', threshold: 0.05, severity: 'CRITICAL', window_hours: 1 },
  { name: 'default.accuracy-drop.warning', model: '*', metric: 'accuracy_drop', operator: '>=', threshold: 0.02, severity: 'WARNING', window_hours: 1 },
  { name: 'default.error-rate.critical', model: '*', metric: 'error_rate', operator: '>=', threshold: 0.02, severity: 'CRITICAL', window_hours: 1 },
  { name: 'default.latency-p99.critical', model: '*', metric: 'latency_p99_ms', operator: '>=', threshold: 500, severity: 'CRITICAL', window_hours: 1 },
  { name: 'default.drift.warning', model: '*', metric: 'drift_share', operator: '>', threshold: 0.1, severity: 'WARNING', window_hours: 1 },
];

export interface AlertView {
  id: number;
  rule: string;
  model: string;
  version: number;
  severity: Severity;
  metric: string;
  state: 'pending' | 'firing' | 'resolved';
  value: number | null;
  threshold: number;
  message: string;
  started_at: string;
  fired_at: string | null;
  resolved_at: string | null;
}

export interface AlertEvent {
  kind: 'fired' | 'resolved';
  alert: AlertView;
}

/** Something to do when an alert fires or resolves: log it, post a webhook, pause a variant, retrain... */
export type AlertHandler = (event: AlertEvent) => void | Promise<void>;

export interface StoredRule extends AlertRule {
  source: 'default' | 'config' | 'api';
}

const SEVERITY_RANK: Record<Severity, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

export function severityAtLeast(severity: Severity, min: Severity | undefined): boolean {
  return min === undefined || SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

/** The value a rule watches in a version's window; undefined when the window cannot say (too little data). */
export function ruleValue(rule: AlertRule, window: VersionWindow, minSamples: number): number | undefined {
  const perf = window.performance;
  const worst = (key: 'missing_share' | 'out_of_range_share' | 'unseen_category_share') => {
    const dq = window.data_quality;
    if (!dq || dq.rows < minSamples) return undefined;
    if (rule.feature) return dq.features.find((f) => f.feature === rule.feature)?.[key];
    return Math.max(...dq.features.map((f) => f[key]));
  };
  switch (rule.metric) {
    case 'accuracy':
      return perf && perf.labelled >= minSamples ? perf.accuracy : undefined;
    case 'accuracy_drop':
      return perf && perf.labelled >= minSamples ? perf.accuracy_drop : undefined;
    case 'mae':
      return perf && perf.labelled >= minSamples ? perf.mae : undefined;
    case 'rmse':
      return perf && perf.labelled >= minSamples ? perf.rmse : undefined;
    case 'error_rate':
      return window.requests >= minSamples ? window.error_rate : undefined;
    case 'refused_share':
      return window.requests >= minSamples ? window.refused_share : undefined;
    case 'latency_p95_ms':
      return window.latency_ms && window.served >= minSamples ? window.latency_ms.p95 : undefined;
    case 'latency_p99_ms':
      return window.latency_ms && window.served >= minSamples ? window.latency_ms.p99 : undefined;
    case 'drift_share':
      return window.drift?.share;
    case 'feature_drift': {
      const columns = window.drift?.columns ?? [];
      const chosen = rule.feature ? columns.filter((c) => c.column === rule.feature) : columns;
      if (chosen.length === 0) return undefined;
      // p-value tests score 1 - p so that, like distances, larger means more drift.
      return Math.max(...chosen.map((c) => (c.p_value === null ? c.score : 1 - (c.adjusted_p_value ?? c.p_value))));
    }
    case 'prediction_drift': {
      const label = window.drift?.prediction.find((c) => c.column === 'label' || c.column === 'value');
      if (!label) return undefined;
      return label.p_value === null ? label.score : 1 - label.p_value;
    }
    case 'missing_share':
    case 'out_of_range_share':
    case 'unseen_category_share':
      return worst(rule.metric);
  }
}

export function breaches(rule: Pick<AlertRule, 'operator' | 'threshold'>, value: number): boolean {
  switch (rule.operator) {
    case '>':
      return value > rule.threshold;
    case '>=':
      return value >= rule.threshold;
    case '<':
      return value < rule.threshold;
    case '<=':
      return value <= rule.threshold;
  }
}

export function checkRule(input: unknown): AlertRule {
  return parseWith(AlertRuleSchema, input, 'alert rule');
}

export const AlertViewSchema = Type.Object({
  id: Type.Integer(),
  rule: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  severity: Type.String(),
  metric: Type.String(),
  state: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()]),
  threshold: Type.Number(),
  message: Type.String(),
  started_at: Type.String(),
  fired_at: Type.Union([Type.String(), Type.Null()]),
  resolved_at: Type.Union([Type.String(), Type.Null()]),
});

/**
 * Alert rules and the alert state machine: a breach opens a `pending` alert, which fires once the
 * breach has lasted `for_seconds` (at once when 0); it resolves when the value is back within the
 * threshold. One open alert per rule and version (a unique index keeps replicas from duplicating it);
 * handlers run once per transition, never again while the alert stays active.
 */
export class Alerts {
  private handlers: AlertHandler[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly configRules: readonly AlertRule[],
    private readonly useDefaults: boolean,
  ) {}

  onAlert(handler: AlertHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  async rules(): Promise<StoredRule[]> {
    const stored = await this.db.selectFrom('alert_rules').select(['rule']).orderBy('id').execute();
    return [
      ...(this.useDefaults ? DEFAULT_RULES.map((r) => ({ ...r, source: 'default' as const })) : []),
      ...this.configRules.map((r) => ({ ...r, source: 'config' as const })),
      ...stored.map((r) => ({ ...(JSON.parse(r.rule) as AlertRule), source: 'api' as const })),
    ];
  }

  async createRule(input: unknown, actor: string): Promise<StoredRule> {
    const rule = checkRule(input);
    const existing = await this.rules();
    if (existing.some((r) => r.name === rule.name)) throw new BerthError('conflict', `an alert rule named '${rule.name}' already exists`);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('alert_rules').values({ name: rule.name, rule: JSON.stringify(rule), created_at: Date.now() }).execute();
      await recordAudit(trx, { actor, action: 'alert_rule.create', targetType: 'alert_rule', target: rule.name, model: rule.model === '*' ? undefined : rule.model, after: rule });
    });
    return { ...rule, source: 'api' };
  }

  async deleteRule(name: string, actor: string): Promise<void> {
    const rule = (await this.rules()).find((r) => r.name === name);
    if (!rule) throw new BerthError('not_found', `no alert rule named '${name}'`);
    if (rule.source !== 'api') throw new BerthError('conflict', `alert rule '${name}' comes from ${rule.source === 'default' ? 'the built-in defaults (set monitoring.default_rules: false)' : 'the config file'}; change it there`);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('alert_rules').where('name', '=', name).execute();
      await recordAudit(trx, { actor, action: 'alert_rule.delete', targetType: 'alert_rule', target: name, before: rule });
    });
  }

  async list(filter: { model?: string | undefined; state?: string | undefined; limit?: number | undefined } = {}): Promise<AlertView[]> {
    let q = this.db.selectFrom('alerts').selectAll();
    if (filter.model) q = q.where('model', '=', filter.model);
    if (filter.state === 'active') q = q.where('state', 'in', ['pending', 'firing']);
    else if (filter.state) q = q.where('state', '=', filter.state as 'pending' | 'firing' | 'resolved');
    const rows = await q.orderBy('id', 'desc').limit(filter.limit ?? 200).execute();
    return rows.map((r) => this.view(r));
  }

  private view(r: { id: number; rule: string; model: string; version: number; severity: string; metric: string; state: 'pending' | 'firing' | 'resolved'; value: number | null; threshold: number; message: string; started_at: number; fired_at: number | null; resolved_at: number | null }): AlertView {
    return {
      id: Number(r.id),
      rule: r.rule,
      model: r.model,
      version: Number(r.version),
      severity: r.severity as Severity,
      metric: r.metric,
      state: r.state,
      value: r.value === null ? null : Number(r.value),
      threshold: Number(r.threshold),
      message: r.message,
      started_at: iso(r.started_at)!,
      fired_at: iso(r.fired_at),
      resolved_at: iso(r.resolved_at),
    };
  }

  /**
   * Applies one observation of a rule on a version: opens, fires, keeps or resolves its alert.
   * `value` undefined (the window cannot tell) leaves an open alert as it is and opens none.
   */
  async observe(rule: AlertRule, model: string, version: number, value: number | undefined, now: number): Promise<AlertEvent | undefined> {
    const open = await this.db.selectFrom('alerts').selectAll().where('rule', '=', rule.name).where('model', '=', model).where('version', '=', version).where('state', 'in', ['pending', 'firing']).executeTakeFirst();
    if (value === undefined || !Number.isFinite(value)) return undefined;
    const breach = breaches(rule, value);
    const forMs = (rule.for_seconds ?? 0) * 1000;
    const message = `${model} v${version}: ${rule.metric}${rule.feature ? `(${rule.feature})` : ''} = ${round(value)} ${rule.operator} ${rule.threshold} over ${rule.window_hours ?? 1} h`;
    if (!open) {
      if (!breach) return undefined;
      const firing = forMs === 0;
      const inserted = await this.db
        .insertInto('alerts')
        .values({ rule: rule.name, model, version, severity: rule.severity, metric: rule.metric, state: 'pending', value, threshold: rule.threshold, message, started_at: now, fired_at: null, resolved_at: null, updated_at: now })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return undefined; // another replica opened it
      return firing ? this.transition(Number(inserted.id), 'pending', 'firing', value, message, now) : undefined;
    }
    if (breach) {
      if (open.state === 'pending' && now - Number(open.started_at) >= forMs) return this.transition(Number(open.id), 'pending', 'firing', value, message, now);
      await this.db.updateTable('alerts').set({ value, updated_at: now }).where('id', '=', open.id).execute();
      return undefined;
    }
    // A pending alert that recovers never fired: it closes quietly, with no handler call.
    return this.transition(Number(open.id), open.state as 'pending' | 'firing', 'resolved', value, `${message} (resolved)`, now, open.state === 'firing');
  }

  /** Moves an alert between states only if it is still in `from`, so one replica alone runs the handlers. */
  private async transition(id: number, from: 'pending' | 'firing', to: 'firing' | 'resolved', value: number, message: string, now: number, notify = true): Promise<AlertEvent | undefined> {
    const changes = to === 'firing' ? { state: to, value, message, fired_at: now, updated_at: now } : { state: to, value, message, resolved_at: now, updated_at: now };
    const result = await this.db.updateTable('alerts').set(changes).where('id', '=', id).where('state', '=', from).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0 || !notify) return undefined;
    const row = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const event: AlertEvent = { kind: to === 'firing' ? 'fired' : 'resolved', alert: this.view(row) };
    await this.emit(event);
    return event;
  }

  private async emit(event: AlertEvent): Promise<void> {
    for (const handler of this.handlers) {
      try {
        await handler(event);
      } catch {
        // A failing handler must not stop the others or the evaluation; webhooks log their own failures.
      }
    }
  }
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

export interface WebhookTarget {
  url: string;
  secret?: string | undefined;
  min_severity?: Severity | undefined;
}

export interface WebhookOptions {
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  onFailure?: (target: WebhookTarget, event: AlertEvent, error: string) => void;
}

/** The signature header value: `sha256=` + hex HMAC-SHA256 of the exact body bytes, keyed with the secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * A handler that POSTs each alert event as JSON to a webhook, retried with exponential backoff on
 * network errors and non-2xx answers. Delivery runs in the background: evaluation never waits on it.
 */
export function webhookHandler(target: WebhookTarget, options: WebhookOptions = {}): AlertHandler & { idle(): Promise<void> } {
  const attempts = options.attempts ?? 5;
  const baseDelay = options.baseDelayMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 5000;
  const inFlight = new Set<Promise<void>>();
  const deliver = async (event: AlertEvent): Promise<void> => {
    const body = JSON.stringify({ event: event.kind, alert: event.alert, sent_at: new Date().toISOString() });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'berth-alerts', 'x-berth-event': `alert.${event.kind}` };
    if (target.secret) headers['x-berth-signature'] = signBody(target.secret, body);
    let lastError = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, baseDelay * 2 ** (attempt - 1)));
      try {
        const res = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
    }
    options.onFailure?.(target, event, lastError);
  };
  const handler = ((event: AlertEvent) => {
    if (!severityAtLeast(event.alert.severity, target.min_severity)) return;
    const p = deliver(event).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }) as AlertHandler & { idle(): Promise<void> };
  handler.idle = async () => {
    await Promise.all([...inFlight]);
  };
  return handler;
}
