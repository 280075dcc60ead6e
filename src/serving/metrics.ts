import client from 'prom-client';
import type { ModelManager } from '../inference/index.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';

/** The predict path's metrics of one served version, label sets resolved once (see forVersion). */
export interface VersionMetrics {
  /** A request answered, in `seconds` from parsed to ready. */
  served(seconds: number): void;
  /** A request refused or failed, by error code. */
  failed(status: string): void;
  /** `rows` instances predicted, in runs of up to `batchRows`, after waiting `queuedSeconds` in the batcher. */
  predicted(rows: number, batchRows: number, queuedSeconds: number): void;
}

/**
 * Prometheus metrics of one server process (a registry of its own, so several apps in one process do not
 * collide). Names follow Prometheus practice: berth_ prefix, base units, _total on counters, no
 * per-request labels.
 */
export class ServingMetrics {
  readonly registry = new client.Registry();
  readonly requests = new HotCounter(
    'berth_inference_requests_total',
    'Prediction requests by model, version and outcome (ok or an error code).',
    ['model', 'version', 'status'] as const,
    this.registry,
  );
  readonly predictions = new HotCounter('berth_inference_predictions_total', 'Instances predicted (a batch request counts each row).', ['model', 'version'] as const, this.registry);
  readonly duration = new HotHistogram(
    'berth_inference_request_duration_seconds',
    'Time from request parsed to response ready, per model.',
    ['model'] as const,
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    this.registry,
  );
  readonly queue = new HotHistogram(
    'berth_inference_queue_duration_seconds',
    'Time a request waited in the batcher before its run started.',
    ['model'] as const,
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    this.registry,
  );
  readonly batchSize = new HotHistogram('berth_inference_batch_size', 'Rows per model run (dynamic batching).', ['model'] as const, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096], this.registry);
  private readonly versions = new Map<string, VersionMetrics>();

  /** The metrics of one version, made once: the predict path updates them without label lookups. */
  forVersion(model: string, version: number): VersionMetrics {
    const key = `${model}\u0000${version}`;
    let bundle = this.versions.get(key);
    if (!bundle) {
      const v = String(version);
      const ok = this.requests.child({ model, version: v, status: 'ok' });
      const rows = this.predictions.child({ model, version: v });
      const duration = this.duration.child({ model });
      const queue = this.queue.child({ model });
      const batchSize = this.batchSize.child({ model });
      bundle = {
        served: (seconds) => {
          ok.value += 1;
          this.duration.observeChild(duration, seconds);
        },
        failed: (status) => this.requests.inc({ model, version: v, status }),
        predicted: (n, batchRows, queuedSeconds) => {
          rows.value += n;
          this.batchSize.observeChild(batchSize, batchRows);
          this.queue.observeChild(queue, queuedSeconds);
        },
      };
      this.versions.set(key, bundle);
    }
    return bundle;
  }

  readonly swaps = new client.Counter({
    name: 'berth_model_swaps_total',
    help: 'Hot swaps: a selector (alias) of a model moved to another loaded version.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly loadErrors = new client.Counter({
    name: 'berth_model_load_errors_total',
    help: 'Versions that failed to load (the previous version kept serving).',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly logWritten = new client.Counter({
    name: 'berth_prediction_log_written_total',
    help: 'Predictions written to the prediction log.',
    registers: [this.registry],
  });
  readonly logDropped = new client.Counter({
    name: 'berth_prediction_log_dropped_total',
    help: 'Predictions not logged because the log queue was full (monitoring.overload).',
    registers: [this.registry],
  });
  readonly logWriteErrors = new client.Counter({
    name: 'berth_prediction_log_write_errors_total',
    help: 'Failed prediction-log writes (the rows stay queued and are retried).',
    registers: [this.registry],
  });
  readonly driftShare = new client.Gauge({
    name: 'berth_drift_share',
    help: 'Share of features drifted in the monitoring window, per version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly driftScore = new client.Gauge({
    name: 'berth_drift_score',
    help: 'Per-feature drift score in the monitoring window: the p-value of a test or the distance.',
    labelNames: ['model', 'version', 'feature', 'method'] as const,
    registers: [this.registry],
  });
  readonly dataQuality = new client.Gauge({
    name: 'berth_data_quality_share',
    help: 'Data-quality shares in the monitoring window (missing, out_of_range, unseen_category, type_error, non_finite, refused).',
    labelNames: ['model', 'version', 'kind'] as const,
    registers: [this.registry],
  });
  readonly accuracy = new client.Gauge({
    name: 'berth_model_accuracy',
    help: 'Accuracy on labelled predictions (feedback) in the monitoring window.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly alertsFiring = new client.Gauge({
    name: 'berth_alerts_firing',
    help: 'Alerts firing now, by model and severity.',
    labelNames: ['model', 'severity'] as const,
    registers: [this.registry],
  });

  constructor(manager: () => ModelManager | undefined, logQueue: () => number = () => 0) {
    new client.Gauge({
      name: 'berth_prediction_log_queue_rows',
      help: 'Predictions waiting in memory for the prediction-log writer.',
      registers: [this.registry],
      collect() {
        this.set(logQueue());
      },
    });
    const registry = this.registry;
    new client.Gauge({
      name: 'berth_inference_pending_rows',
      help: 'Rows queued in batchers, waiting for a run.',
      labelNames: ['model', 'version'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of manager()?.status().loaded ?? []) this.set({ model: s.model, version: String(s.version) }, s.queued_rows);
      },
    });
    new client.Gauge({
      name: 'berth_loaded_versions',
      help: 'Model versions loaded in this process.',
      registers: [registry],
      collect() {
        this.set(manager()?.status().loaded.length ?? 0);
      },
    });
    client.collectDefaultMetrics({ register: registry, prefix: 'berth_' });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool refuses them).
    for (const name of ['berth_nodejs_active_handles_total', 'berth_nodejs_active_requests_total', 'berth_nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }
}
