import client from 'prom-client';
import type { ModelManager } from '../inference/index.js';

/**
 * Prometheus metrics of one server process (a registry of its own, so several apps in one process do not
 * collide). Names follow Prometheus practice: berth_ prefix, base units, _total on counters, no
 * per-request labels.
 */
export class ServingMetrics {
  readonly registry = new client.Registry();
  readonly requests = new client.Counter({
    name: 'berth_inference_requests_total',
    help: 'Prediction requests by model, version and outcome (ok or an error code).',
    labelNames: ['model', 'version', 'status'] as const,
    registers: [this.registry],
  });
  readonly predictions = new client.Counter({
    name: 'berth_inference_predictions_total',
    help: 'Instances predicted (a batch request counts each row).',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly duration = new client.Histogram({
    name: 'berth_inference_request_duration_seconds',
    help: 'Time from request parsed to response ready, per model.',
    labelNames: ['model'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queue = new client.Histogram({
    name: 'berth_inference_queue_duration_seconds',
    help: 'Time a request waited in the batcher before its run started.',
    labelNames: ['model'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly batchSize = new client.Histogram({
    name: 'berth_inference_batch_size',
    help: 'Rows per model run (dynamic batching).',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    registers: [this.registry],
  });
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

  constructor(manager: () => ModelManager | undefined) {
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
