import { mkdirSync } from 'node:fs';
import { LocalArtifactStore, type ArtifactStore } from '../artifacts/index.js';
import { ApiKeys } from '../auth/index.js';
import { artifactsPath, sqliteFile, type Config } from '../config/index.js';
import { Registry } from '../registry/index.js';
import { openStore, type Store } from '../store/index.js';
import { RunArtifacts, TrackingStore } from '../tracking/index.js';
import { DatasetRegistry } from '../datasets/index.js';
import { Monitoring } from '../monitoring/index.js';
import { AbTests } from '../abtest/index.js';
import { builtinSteps, InProcessQueue, PgBossQueue, Pipelines, type JobQueue } from '../pipelines/index.js';
import { Retraining } from '../retraining/index.js';
import { RequestThread } from '../threads/index.js';
import type { AnalysisOps } from './analysis-worker.js';

/** Everything a Berth process works with, wired from one Config. The CLI and the server both start here. */
export interface Berth {
  config: Config;
  store: Store;
  artifacts: ArtifactStore;
  registry: Registry;
  keys: ApiKeys;
  tracking: TrackingStore;
  runArtifacts: RunArtifacts;
  datasets: DatasetRegistry;
  monitoring: Monitoring;
  abtests: AbTests;
  pipelines: Pipelines;
  retraining: Retraining;
  /** Flushes the prediction log, stops schedules, closes the store. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Execute in-process pipeline steps (default true). A second Berth inside the same process (the analysis
   * thread) must not: it shares the process's owner id, so its orphan recovery would fail the runs of the first.
   */
  pipelineWork?: boolean;
}

export async function openBerth(config: Config, options: OpenOptions = {}): Promise<Berth> {
  mkdirSync(config.home, { recursive: true });
  const store = await openStore(
    config.database.url
      ? { engine: 'postgres', url: config.database.url, schema: config.database.schema, poolSize: config.database.pool_size }
      : { engine: 'sqlite', file: sqliteFile(config), busyTimeoutMs: config.database.busy_timeout_ms },
  );
  const artifacts = new LocalArtifactStore(artifactsPath(config));
  const registry = new Registry(store.db, artifacts, {
    maxModelBytes: config.registry.max_model_bytes,
    maxCardBytes: config.registry.max_card_bytes,
  });
  const keys = new ApiKeys(store.db);
  const tracking = new TrackingStore(store.db);
  const runArtifacts = new RunArtifacts(store.db, artifacts);
  const datasets = new DatasetRegistry(store.db, artifacts, config.registry.max_dataset_bytes);
  const monitoring = new Monitoring(store.db, registry, config);
  const abtests = new AbTests(store.db, registry, monitoring);
  monitoring.addEvaluator((now) => abtests.checkGuardrails(now));
  const queue: JobQueue =
    config.pipelines.executor === 'inprocess' || (config.pipelines.executor === 'auto' && store.engine === 'sqlite') || !config.database.url
      ? new InProcessQueue()
      : new PgBossQueue({ connectionString: config.database.url, schema: `${config.database.schema ?? 'berth'}_jobs`.slice(0, 63) });
  // The built-in steps call back into this very context; it is complete by the time a step runs.
  const berth = {} as Berth;
  let builtins: ReturnType<typeof builtinSteps> | undefined;
  const pipelines = new Pipelines({ db: store.db, engine: store.engine, tracking, queue, builtins: (uses, args, ctx) => (builtins ??= builtinSteps(berth))(uses, args, ctx), home: config.home, staleMs: config.pipelines.stale_seconds * 1000 });
  const retraining = new Retraining(store.db, store.engine, registry, monitoring, pipelines, config.home);
  Object.assign(berth, {
    config,
    store,
    artifacts,
    registry,
    keys,
    tracking,
    runArtifacts,
    datasets,
    monitoring,
    abtests,
    pipelines,
    retraining,
    close: async () => {
      try {
        await pipelines.close();
        await monitoring.close();
      } finally {
        await store.close();
      }
    },
  } satisfies Berth);
  // In-process runs execute in the process that starts them; with pg-boss only workers (and serve) take steps.
  if (queue.kind === 'inprocess' && options.pipelineWork !== false) await pipelines.startWorking(config.pipelines.concurrency);
  return berth;
}

/**
 * Moves the read-heavy analyses — monitoring windows (scheduled evaluations, /monitoring, retraining
 * triggers) and A/B results — to a worker thread with its own Berth over the same store. They read and
 * summarize up to hundreds of thousands of logged predictions, all synchronous work: measured, a
 * 200,000-row window held the event loop for 8 s. `berth serve` does this; the CLI computes in place.
 * Returns a function that stops the thread (analyses run in place again).
 */
export function startAnalysisThread(berth: Berth): () => Promise<void> {
  const thread = new RequestThread<AnalysisOps>(import.meta.url, 'analysis-worker', { config: berth.config });
  berth.monitoring.offloadWindows((model, query) => thread.call('window', model, query));
  berth.abtests.offloadResults((name, options) => thread.call('abtestResults', name, options));
  return async () => {
    berth.monitoring.offloadWindows(undefined);
    berth.abtests.offloadResults(undefined);
    await thread.close();
  };
}
