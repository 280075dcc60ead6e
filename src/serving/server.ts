import type { FastifyInstance } from 'fastify';
import { startAnalysisThread, type Berth } from '../context/index.js';
import { BerthError } from '../errors/index.js';
import { ModelManager } from '../inference/index.js';
import { AbTestRouting } from '../abtest/index.js';
import { startPipelineSchedules } from '../pipelines/index.js';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';
import { ServingMetrics } from './metrics.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  manager: ModelManager;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server and the model manager. Bound anywhere but loopback, it refuses to start until an
 * API key exists, so a fresh install is never exposed without authentication. Closing stops taking
 * requests, lets in-flight ones finish, then unloads the models.
 */
export async function startServer(berth: Berth, opts: { host?: string; port?: number; logger?: boolean; schedule?: boolean } = {}): Promise<RunningServer> {
  const host = opts.host ?? berth.config.server.host;
  const port = opts.port ?? berth.config.server.port;
  const loopback = isLoopback(host);
  if (!loopback && !(await berth.keys.anyActive())) {
    throw new BerthError(
      'invalid_config',
      `refusing to listen on ${host} without API keys: anyone who can reach it could change the registry. Create a key first (berth keys create --name admin --scope admin) or bind to 127.0.0.1.`,
    );
  }
  let manager: ModelManager | undefined;
  const log = berth.monitoring.startLog({
    onWritten: (n) => metrics.logWritten.inc(n),
    onDrop: (n) => metrics.logDropped.inc(n),
    onWriteError: (err) => {
      metrics.logWriteErrors.inc();
      app.log.error({ err }, 'prediction log write failed; the rows stay queued and are retried');
    },
  }, berth.store.options);
  // Windows and A/B results read and summarize up to hundreds of thousands of predictions: on a thread
  // of their own, so predictions never wait for them.
  const stopAnalysis = startAnalysisThread(berth);
  const metrics = new ServingMetrics(() => manager, () => log?.stats().queued ?? 0);
  // The writer thread connects before the first request, so no prediction waits on its start.
  await log?.start();
  let started = false;
  manager = new ModelManager(berth.registry, berth.config.inference, {
    onSwap: (e) => {
      metrics.swaps.inc({ model: e.model });
      app.log.info({ swap: e }, `serving ${e.model} (${e.selector}) moved from v${e.from} to v${e.to}`);
    },
    onLoadError: (e) => {
      metrics.loadErrors.inc({ model: e.model });
      app.log.error({ loadError: e }, `could not load ${e.model} v${e.version}; the previous version keeps serving`);
    },
  });
  const routing = new AbTestRouting(berth.abtests, (err) => app.log.error({ err }, 'could not refresh A/B test routing'));
  const app = await buildApp(berth, { loopback, manager, metrics, log, routing, isStarted: () => started, ...(opts.logger !== undefined ? { logger: opts.logger } : {}) });
  await manager.start();
  // Tests changed by another process are followed within the same interval as alias moves.
  await routing.start(berth.config.inference.watch_interval_ms);
  started = true;
  const stopBackground = opts.schedule !== false ? await startBackgroundWork(berth, app) : () => undefined;
  if (opts.schedule !== false) startMonitoringSchedule(berth, app, metrics);
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const serving = manager;
  return {
    app,
    url: `http://${shownHost}:${actualPort}`,
    manager: serving,
    close: async () => {
      routing.stop();
      stopBackground();
      await app.close();
      // In-flight requests are done: everything they logged is queued, and close() writes it.
      await berth.monitoring.close();
      await stopAnalysis();
      await serving.stop();
    },
  };
}

/**
 * Pipelines and retraining in the process that owns schedules: orphaned runs failed, steps taken from
 * pg-boss (unless left to `berth worker`), scheduled pipeline files, and retraining policies evaluated.
 */
async function startBackgroundWork(berth: Berth, app: FastifyInstance): Promise<() => void> {
  const { pipelines, retraining, config } = berth;
  const orphaned = await pipelines.recoverOrphans();
  if (orphaned.length) app.log.warn({ runs: orphaned }, `marked ${orphaned.length} orphaned pipeline run(s) failed; resume them with berth pipeline resume RUN`);
  const stopWorking = pipelines.queueKind === 'queue' && config.pipelines.serve_works ? pipelines.workWhenNeeded(config.pipelines.concurrency) : () => undefined;
  const scheduled = startPipelineSchedules(pipelines, config.pipelines.files, config.home, {
    onStart: (pipeline, runId) => app.log.info({ pipeline, run: runId }, `scheduled pipeline ${pipeline} started run ${runId}`),
    onError: (file, err) => app.log.error({ err, file }, `scheduled pipeline ${file} could not start`),
  });
  for (const s of scheduled.schedules) app.log.info({ schedule: s }, `pipeline ${s.pipeline} scheduled (${s.cron}), next run ${s.next}`);
  const stopRetraining = config.retraining.enabled ? retraining.startSchedule(config.retraining.evaluate_every_seconds, (err) => app.log.error({ err }, 'retraining evaluation failed')) : () => undefined;
  return () => {
    scheduled.stop();
    stopRetraining();
    stopWorking();
  };
}

/** Alert evaluation and retention on a schedule, feeding the drift, data-quality and alert gauges. */
function startMonitoringSchedule(berth: Berth, app: FastifyInstance, metrics: ServingMetrics): void {
  berth.monitoring.startSchedule({
    log: (event) => {
      const a = event.alert;
      const line = `alert ${event.kind}: [${a.severity}] ${a.rule}: ${a.message}`;
      if (event.kind === 'fired' && a.severity !== 'INFO') app.log.warn({ alert: a }, line);
      else app.log.info({ alert: a }, line);
    },
    onWebhookFailure: (target, event, error) => app.log.error({ webhook: target.url, alert: event.alert.id }, `webhook delivery failed after retries: ${error}`),
    onError: (err) => app.log.error({ err }, 'monitoring evaluation failed'),
    onWindow: (model, w) => {
      const version = String(w.version);
      if (w.drift) {
        metrics.driftShare.set({ model, version }, w.drift.share);
        for (const c of w.drift.columns) metrics.driftScore.set({ model, version, feature: c.column, method: c.method }, c.score);
      }
      if (w.data_quality) {
        const dq = w.data_quality;
        for (const [kind, value] of [['missing', dq.missing_share], ['out_of_range', dq.out_of_range_share], ['unseen_category', dq.unseen_category_share], ['type_error', dq.type_error_share], ['non_finite', dq.non_finite_share]] as const) {
          metrics.dataQuality.set({ model, version, kind }, value);
        }
      }
      metrics.dataQuality.set({ model, version, kind: 'refused' }, w.refused_share);
      if (w.performance?.accuracy !== undefined) metrics.accuracy.set({ model, version }, w.performance.accuracy);
    },
    onAlerts: (active) => {
      metrics.alertsFiring.reset();
      for (const a of active) if (a.state === 'firing') metrics.alertsFiring.inc({ model: a.model, severity: a.severity });
    },
  });
}
