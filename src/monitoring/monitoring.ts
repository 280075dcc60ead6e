import { Cron } from 'croner';
import type { Kysely } from 'kysely';
import type { AlertRule, Config } from '../config/index.js';
import { BerthError } from '../errors/index.js';
import type { Registry, VersionView } from '../registry/index.js';
import type { Database, StoreOptions } from '../store/index.js';
import { Alerts, ruleValue, webhookHandler, type AlertEvent, type AlertHandler, type AlertView, type Severity, type WebhookTarget } from './alerts.js';
import { Feedback } from './feedback.js';
import { WorkerLogSink } from './log-writer.js';
import { PredictionLog, type PredictionLogEvents } from './prediction-log.js';
import { PredictionStore, type LoggedPrediction } from './prediction-store.js';
import { DriftReferences } from './reference.js';
import { summarizeVersion, type VersionWindow } from './window.js';

export type Status = 'healthy' | 'warning' | 'critical';

export interface ModelWindow {
  model: string;
  hours: number;
  since: string;
  until: string;
  /** True when the window held more than monitoring.max_window_rows predictions and the newest were read. */
  sampled: boolean;
  versions: VersionWindow[];
}

/** Which window to compute: resolved hours and clock, and optionally one version. */
export interface WindowQuery {
  hours: number;
  version?: number | undefined;
  now: number;
}

export interface VersionMonitoring extends VersionWindow {
  status: Status;
  alerts: AlertView[];
}

export interface MonitoringSummary {
  model: string;
  hours: number;
  since: string;
  until: string;
  sampled: boolean;
  status: Status;
  totals: { requests: number; served: number; refused: number; errors: number; error_rate: number; labelled: number };
  alerts: Record<Severity, number>;
  active_alerts: AlertView[];
  versions: VersionMonitoring[];
}

/** What the evaluation loop reports, for Prometheus gauges. */
export interface EvaluationObserver {
  onWindow?: (model: string, window: VersionWindow) => void;
  onAlerts?: (active: AlertView[]) => void;
  onError?: (err: unknown) => void;
}

function statusOf(alerts: readonly AlertView[]): Status {
  const firing = alerts.filter((a) => a.state === 'firing');
  if (firing.some((a) => a.severity === 'CRITICAL')) return 'critical';
  if (firing.some((a) => a.severity === 'WARNING')) return 'warning';
  return 'healthy';
}

/**
 * Monitoring in one place: the prediction log (writer in serving processes, reader everywhere), feedback,
 * drift references, window summaries, and the alert loop that `berth serve` runs on a schedule.
 */
export class Monitoring {
  readonly predictions: PredictionStore;
  readonly references: DriftReferences;
  readonly alerts: Alerts;
  private writer: PredictionLog | undefined;
  private feedbackService: Feedback;
  private cron: Cron | undefined;
  private webhooks: Array<ReturnType<typeof webhookHandler>> = [];
  private evaluating: Promise<AlertEvent[]> | undefined;
  /** More checks run with each evaluation (the A/B guardrails), returning the alert transitions they caused. */
  private evaluators: Array<(now: number) => Promise<AlertEvent[]>> = [];
  /** The serving process's observer (gauges), used by every evaluation, scheduled or asked for. */
  private observer: EvaluationObserver = {};
  private windowsElsewhere: ((model: string, query: WindowQuery) => Promise<ModelWindow>) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly registry: Registry,
    private readonly config: Config,
  ) {
    this.predictions = new PredictionStore(db);
    this.references = new DriftReferences(db, registry, config);
    this.alerts = new Alerts(db, config.monitoring.rules, config.monitoring.default_rules);
    this.feedbackService = new Feedback(this.predictions, undefined);
  }

  /** The prediction log writer of this process, created on first use when logging is enabled. */
  get log(): PredictionLog | undefined {
    return this.writer;
  }

  /**
   * Starts this process's log writer. With `store`, batches are written on a worker thread with its own
   * connection (what `berth serve` does); without, on this thread.
   */
  startLog(events: PredictionLogEvents = {}, store?: StoreOptions): PredictionLog | undefined {
    const m = this.config.monitoring;
    if (!m.enabled) return undefined;
    const serialize = { logInputs: m.log_inputs, maxInputBytes: m.max_logged_input_bytes };
    this.writer ??= new PredictionLog(
      store ? new WorkerLogSink(store, serialize) : this.db,
      { flushIntervalMs: m.flush_interval_ms, flushMaxRows: m.flush_max_rows, maxQueueRows: m.max_queue_rows, overload: m.overload, blockTimeoutMs: m.block_timeout_ms, logInputs: m.log_inputs, maxInputBytes: m.max_logged_input_bytes },
      events,
    );
    this.feedbackService = new Feedback(this.predictions, this.writer);
    return this.writer;
  }

  get feedback(): Feedback {
    return this.feedbackService;
  }

  private checkHours(hours: number | undefined): number {
    const h = hours ?? this.config.monitoring.window_hours;
    if (!Number.isFinite(h) || h <= 0 || h > 24 * 366) throw new BerthError('invalid_input', `hours: expected a number of hours in (0, 8784], got ${String(hours)}`);
    return h;
  }

  /**
   * Hands window computations to `compute` from now on: `berth serve` computes them on its analysis thread,
   * so scheduled evaluations never hold up predictions. Without it they run on this thread.
   */
  offloadWindows(compute: ((model: string, query: WindowQuery) => Promise<ModelWindow>) | undefined): void {
    this.windowsElsewhere = compute;
  }

  /** Per-version summaries of the newest predictions of a model over the last `hours`. */
  async window(model: string, options: { hours?: number | undefined; version?: number | undefined; now?: number } = {}): Promise<ModelWindow> {
    const query: WindowQuery = { hours: this.checkHours(options.hours), version: options.version, now: options.now ?? Date.now() };
    // What this process logged so far is part of the window.
    await this.writer?.flush().catch(() => undefined);
    return this.windowsElsewhere ? this.windowsElsewhere(model, query) : this.computeWindow(model, query);
  }

  /** The window itself, on the calling thread (the analysis thread runs this). */
  async computeWindow(model: string, { hours, version, now }: WindowQuery): Promise<ModelWindow> {
    await this.registry.getModel(model); // 404 for an unknown model
    const since = now - hours * 3600_000;
    const { rows, truncated } = await this.predictions.window(model, since, { version, limit: this.config.monitoring.max_window_rows, untilMs: now + 1 });
    const byVersion = new Map<number, LoggedPrediction[]>();
    for (const row of rows) {
      if (row.version === null) continue;
      let list = byVersion.get(row.version);
      if (!list) byVersion.set(row.version, (list = []));
      list.push(row);
    }
    if (version !== undefined && !byVersion.has(version)) {
      await this.registry.getVersion(model, version);
      byVersion.set(version, []);
    }
    const versions: VersionWindow[] = [];
    const d = this.config.monitoring.drift;
    for (const [v, list] of [...byVersion.entries()].sort((a, b) => b[0] - a[0])) {
      let view: VersionView;
      try {
        view = await this.registry.getVersion(model, v);
      } catch {
        continue; // the version was deleted since; its log stays but cannot be judged against a card
      }
      const reference = await this.references.get(model, v);
      versions.push(summarizeVersion(list, view, reference, { hours, driftShare: d.share, correction: d.correction, minCurrentRows: d.min_current_rows }));
    }
    return { model, hours, since: new Date(since).toISOString(), until: new Date(now).toISOString(), sampled: truncated, versions };
  }

  /** The monitoring summary: status, totals, drift, data quality and alerts, per version. */
  async summary(model: string, options: { hours?: number | undefined; now?: number } = {}): Promise<MonitoringSummary> {
    const window = await this.window(model, options);
    const active = await this.alerts.list({ model, state: 'active' });
    const versions = window.versions.map((v) => {
      const alerts = active.filter((a) => a.version === v.version);
      return { ...v, status: statusOf(alerts), alerts };
    });
    const sum = (key: 'requests' | 'served' | 'refused' | 'errors') => versions.reduce((s, v) => s + v[key], 0);
    const requests = sum('requests');
    const counts: Record<Severity, number> = { CRITICAL: 0, WARNING: 0, INFO: 0 };
    for (const a of active) if (a.state === 'firing') counts[a.severity]++;
    return {
      model,
      hours: window.hours,
      since: window.since,
      until: window.until,
      sampled: window.sampled,
      status: statusOf(active),
      totals: { requests, served: sum('served'), refused: sum('refused'), errors: sum('errors'), error_rate: requests === 0 ? 0 : sum('errors') / requests, labelled: versions.reduce((s, v) => s + (v.performance?.labelled ?? 0), 0) },
      alerts: counts,
      active_alerts: active,
      versions,
    };
  }

  /** Evaluates every rule on every model with predictions in its window; returns the transitions. */
  evaluate(now = Date.now(), observer: EvaluationObserver = this.observer): Promise<AlertEvent[]> {
    // One evaluation at a time: a slow one is not overlapped by the next tick.
    this.evaluating ??= this.evaluateOnce(now, observer).finally(() => (this.evaluating = undefined));
    return this.evaluating;
  }

  private async evaluateOnce(now: number, observer: EvaluationObserver): Promise<AlertEvent[]> {
    const rules = await this.alerts.rules();
    const models = (await this.registry.listModels({ limit: 1000 })).models.map((m) => m.name);
    const events: AlertEvent[] = [];
    for (const model of models) {
      const applicable = rules.filter((r) => r.model === '*' || r.model === model);
      const byHours = new Map<number, AlertRule[]>();
      for (const rule of applicable) {
        const h = rule.window_hours ?? 1;
        byHours.set(h, [...(byHours.get(h) ?? []), rule]);
      }
      // The configured window feeds the gauges even when no rule uses it.
      if (!byHours.has(this.config.monitoring.window_hours)) byHours.set(this.config.monitoring.window_hours, []);
      for (const [hours, list] of byHours) {
        let window: ModelWindow;
        try {
          window = await this.window(model, { hours, now });
        } catch (err) {
          observer.onError?.(err);
          continue;
        }
        for (const v of window.versions) {
          if (hours === this.config.monitoring.window_hours) observer.onWindow?.(model, v);
          for (const rule of list) {
            const event = await this.alerts.observe(rule, model, v.version, ruleValue(rule, v, this.config.monitoring.min_samples), now);
            if (event) events.push(event);
          }
        }
      }
    }
    for (const check of this.evaluators) {
      try {
        events.push(...(await check(now)));
      } catch (err) {
        observer.onError?.(err);
      }
    }
    observer.onAlerts?.(await this.alerts.list({ state: 'active', limit: 10_000 }));
    return events;
  }

  /** Retention: drops predictions older than monitoring.retention_days (0 keeps everything). */
  async applyRetention(now = Date.now()): Promise<number> {
    const days = this.config.monitoring.retention_days;
    if (days <= 0) return 0;
    return this.predictions.deleteBefore(now - days * 86_400_000);
  }

  /**
   * Starts the schedule inside `berth serve`: alert evaluation every `evaluate_every_seconds`
   * (croner), retention with it, and the configured webhooks as alert handlers.
   */
  startSchedule(observer: EvaluationObserver & { log?: (event: AlertEvent) => void; onWebhookFailure?: (target: WebhookTarget, event: AlertEvent, error: string) => void } = {}): void {
    if (this.cron) return;
    this.observer = observer;
    if (observer.log) this.alerts.onAlert(observer.log);
    for (const target of this.config.monitoring.webhooks) {
      const handler = webhookHandler(target, { onFailure: observer.onWebhookFailure });
      this.webhooks.push(handler);
      this.alerts.onAlert(handler);
    }
    const every = this.config.monitoring.evaluate_every_seconds;
    let lastRetention = 0;
    // The first evaluation one period after start, not at the next second: a server that just started has
    // seen nothing yet, and an evaluation then would fire on a window the first requests are still filling.
    this.cron = new Cron('* * * * * *', { protect: true, interval: every, unref: true, startAt: new Date(Date.now() + every * 1000) }, async () => {
      try {
        await this.evaluate(Date.now());
        if (Date.now() - lastRetention > 3600_000) {
          lastRetention = Date.now();
          await this.applyRetention();
        }
      } catch (err) {
        observer.onError?.(err);
      }
    });
  }

  /** Adds a check to every evaluation (scheduled or asked for). */
  addEvaluator(check: (now: number) => Promise<AlertEvent[]>): void {
    this.evaluators.push(check);
  }

  onAlert(handler: AlertHandler): () => void {
    return this.alerts.onAlert(handler);
  }

  /** Stops the schedule, flushes the log, and waits for webhook deliveries in flight. */
  async close(): Promise<void> {
    this.cron?.stop();
    this.cron = undefined;
    await this.writer?.close();
    await Promise.all(this.webhooks.map((w) => w.idle()));
  }
}
