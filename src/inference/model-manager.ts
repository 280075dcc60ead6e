import type { Config } from '../config/index.js';
import { BerthError } from '../errors/index.js';
import type { Registry, VersionView } from '../registry/index.js';
import { allocate, elementCount, isDtype, type TensorData } from './dtypes.js';
import { InlineExecutor, WorkerExecutor, type Executor, type SessionOptions } from './executor.js';
import { LoadedModel } from './loaded-model.js';

type InferenceConfig = Config['inference'];

export interface LoadError {
  model: string;
  version: number;
  message: string;
  at: string;
}

export interface ServingStatus {
  model: string;
  version: number;
  executor: 'inline' | 'worker';
  /** The selectors (alias names, or `default`) that currently resolve here. */
  serves: string[];
  inflight: number;
  queued_rows: number;
  loaded_at: string;
}

export interface ManagerEvents {
  /** A selector moved to another version (hot swap done). */
  onSwap?: (event: { model: string; selector: string; from: number; to: number }) => void;
  onLoadError?: (error: LoadError) => void;
}

const DEFAULT = '';
const RETRY_FAILED_LOAD_MS = 30_000;

/** Which version of a model a request wants: an explicit version, an alias, or neither (the default). */
export interface Selector {
  version?: number | undefined;
  alias?: string | undefined;
}

function sessionOptions(cfg: InferenceConfig): SessionOptions {
  return { intraOpThreads: cfg.intra_op_threads, interOpThreads: cfg.inter_op_threads, graphOptimization: cfg.graph_optimization };
}

/** Zero-filled inputs with every variable dim set to 1: enough to time one run. */
function probeFeeds(version: VersionView): Record<string, TensorData> | undefined {
  const feeds: Record<string, TensorData> = {};
  for (const input of version.signature.inputs) {
    if (!isDtype(input.dtype) || input.dtype === 'float16') return undefined;
    const dims = input.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    feeds[input.name] = { type: input.dtype, data: allocate(input.dtype, elementCount(dims)), dims };
  }
  return feeds;
}

/**
 * `auto` keeps a model on the event loop when a probe run is cheap (no thread hop: fastest for small
 * models) and moves it to worker threads when a run would stall request handling.
 */
async function createExecutor(bytes: Uint8Array, version: VersionView, cfg: InferenceConfig): Promise<Executor> {
  const options = sessionOptions(cfg);
  if (cfg.executor === 'worker') return WorkerExecutor.create(bytes, options, cfg.worker_threads);
  const inline = await InlineExecutor.create(bytes, options);
  if (cfg.executor === 'inline') return inline;
  const probe = probeFeeds(version);
  if (!probe) return inline;
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const feeds = probeFeeds(version)!;
      const start = performance.now();
      await inline.run(feeds);
      times.push(performance.now() - start);
    }
  } catch {
    return inline; // a probe with zeros may be invalid for some graphs; real requests will tell
  }
  times.sort((a, b) => a - b);
  if (times[2]! <= cfg.worker_threshold_ms) return inline;
  await inline.release();
  return WorkerExecutor.create(bytes, options, cfg.worker_threads);
}

interface Slot {
  loaded?: LoadedModel;
  loading?: Promise<LoadedModel>;
  /** The manager's acquisition count at this slot's latest use (least recently used is evicted first). */
  lastUsed: number;
}

/**
 * The versions this process serves. Requests name a model and a selector (version, alias, or neither);
 * selectors resolve through the registry and are re-checked every `watch_interval_ms`, so an alias moved
 * by anyone sharing the database (this server, the CLI, another replica) is followed: the new version is
 * loaded first, the selector switches atomically, and the old version is unloaded once its in-flight
 * requests finish. A load that fails leaves the old version serving.
 */
export class ModelManager {
  /** `${model}\0${alias}` → version number ('' alias = default resolution). */
  private readonly routes = new Map<string, number>();
  private readonly slots = new Map<string, Slot>();
  /**
   * model → selector (alias, '' or version number) → its loaded slot: what acquireReady looks up, without
   * building string keys. Cleared whenever routes or slots change.
   */
  private readonly ready = new Map<string, Map<string | number, Slot>>();
  /** Counts acquisitions: a slot's lastUsed is the count at its latest one (least recently used goes first). */
  private uses = 0;
  private readonly failed = new Map<string, LoadError>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly cfg: InferenceConfig,
    private readonly events: ManagerEvents = {},
  ) {}

  /** Loads every model's default target (production alias, else latest ready version) and starts watching. */
  async start(): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.registry.listModels({ limit: 1000, page_token: token });
      for (const model of page.models) {
        try {
          (await this.acquire(model.name, {})).release();
        } catch (err) {
          if (!(err instanceof BerthError && err.code === 'not_found')) throw err;
        }
      }
      token = page.next_page_token ?? undefined;
    } while (token);
    this.timer = setInterval(() => void this.refresh(), this.cfg.watch_interval_ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    const all = [...this.slots.values()];
    this.slots.clear();
    this.ready.clear();
    await Promise.all(all.map(async (slot) => (slot.loaded ?? (await slot.loading?.catch(() => undefined)))?.retire()));
  }

  /**
   * The loaded version a request is for, counted as in flight: call `release()` on it when done.
   * An explicit version is served as asked; an alias or the default follows the registry.
   */
  async acquire(model: string, selector: Selector): Promise<LoadedModel> {
    const ready = this.acquireReady(model, selector);
    if (ready) return ready;
    // A version can start retiring between resolving and counting the request: then resolve again.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.stopped) throw new BerthError('unavailable', 'the server is shutting down', { retry_after_s: 1 });
      let version = selector.version;
      if (version === undefined) {
        const key = `${model}\0${selector.alias ?? DEFAULT}`;
        version = this.routes.get(key);
        if (version === undefined) {
          version = (await this.registry.resolveVersion(model, { alias: selector.alias })).version;
          this.routes.set(key, version);
          this.ready.clear();
        }
      }
      const loaded = await this.load(model, version);
      if (loaded.tryAcquire()) return loaded;
    }
    throw new BerthError('unavailable', `model '${model}' is being swapped; retry`, { retry_after_s: 1 });
  }

  /**
   * `acquire` without waiting, for the common case: the selector is resolved and its version loaded. Else
   * undefined, and the caller awaits `acquire`. The predict path saves two promise hops a request with it.
   */
  acquireReady(model: string, selector: Selector): LoadedModel | undefined {
    if (this.stopped) return undefined;
    const key = selector.version ?? selector.alias ?? DEFAULT;
    let slot = this.ready.get(model)?.get(key);
    if (!slot) {
      const version = selector.version ?? this.routes.get(`${model}\0${key}`);
      slot = version === undefined ? undefined : this.slots.get(`${model}/${version}`);
      if (!slot?.loaded) return undefined;
      let byKey = this.ready.get(model);
      if (!byKey) this.ready.set(model, (byKey = new Map()));
      byKey.set(key, slot);
    }
    if (!slot.loaded?.tryAcquire()) return undefined;
    slot.lastUsed = ++this.uses;
    return slot.loaded;
  }

  private async load(model: string, version: number): Promise<LoadedModel> {
    const id = `${model}/${version}`;
    let slot = this.slots.get(id);
    if (slot?.loaded) {
      slot.lastUsed = ++this.uses;
      return slot.loaded;
    }
    if (!slot) {
      slot = { lastUsed: ++this.uses };
      this.slots.set(id, slot);
      const current = slot;
      current.loading = (async () => {
        const { version: view, bytes } = await this.registry.readArtifact(model, version);
        if (view.status !== 'ready') throw new BerthError('conflict', `version ${version} of '${model}' is archived and is not served`);
        const executor = await createExecutor(bytes, view, this.cfg);
        return new LoadedModel(view, executor, { maxBatchSize: this.cfg.max_batch_size, maxQueueDelayUs: this.cfg.max_queue_delay_us, maxQueueRows: this.cfg.max_queue_rows }, { maxPixels: this.cfg.max_image_pixels, maxBytes: this.cfg.max_image_bytes });
      })();
      current.loading.then(
        (loaded) => {
          current.loaded = loaded;
          current.loading = undefined;
          void this.evictIdle();
        },
        () => {
          this.slots.delete(id);
          this.ready.clear();
        },
      );
    }
    return slot.loading!;
  }

  /** Re-resolves every selector in use and swaps those whose target moved. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    if (this.stopped || this.routes.size === 0) return;
    const models = [...new Set([...this.routes.keys()].map((k) => k.split('\0')[0]!))];
    let table;
    try {
      table = await this.registry.routingTable(models);
    } catch {
      return; // the store is briefly unavailable: keep serving what we have
    }
    for (const [key, current] of [...this.routes]) {
      const [model, alias] = key.split('\0') as [string, string];
      const routing = table.get(model);
      const target = !routing ? undefined : alias === DEFAULT ? (routing.aliases['production'] ?? routing.latestReady ?? undefined) : routing.aliases[alias];
      if (target === undefined) {
        // Model or alias gone: stop resolving it here; requests will get the registry's 404.
        this.routes.delete(key);
        this.ready.clear();
        await this.retireUnrouted(model, current);
        continue;
      }
      if (target === current) continue;
      const failure = this.failed.get(`${model}/${target}`);
      if (failure && Date.now() - Date.parse(failure.at) < RETRY_FAILED_LOAD_MS) continue;
      try {
        await this.load(model, target);
      } catch (err) {
        const error: LoadError = { model, version: target, message: (err as Error).message, at: new Date().toISOString() };
        this.failed.set(`${model}/${target}`, error);
        this.events.onLoadError?.(error);
        continue;
      }
      this.failed.delete(`${model}/${target}`);
      this.routes.set(key, target);
      this.ready.clear();
      this.events.onSwap?.({ model, selector: alias === DEFAULT ? 'default' : alias, from: current, to: target });
      await this.retireUnrouted(model, current);
    }
  }

  private isRouted(model: string, version: number): boolean {
    for (const [key, v] of this.routes) if (v === version && key.startsWith(`${model}\0`)) return true;
    return false;
  }

  /** Unloads a version no selector points to any more (explicit-version requests reload it on demand). */
  private async retireUnrouted(model: string, version: number): Promise<void> {
    if (this.isRouted(model, version)) return;
    const id = `${model}/${version}`;
    const slot = this.slots.get(id);
    if (!slot?.loaded) return;
    this.slots.delete(id);
    this.ready.clear();
    await slot.loaded.retire();
  }

  /** Keeps at most max_loaded_versions: the least recently used unrouted ones go first. */
  private async evictIdle(): Promise<void> {
    if (this.slots.size <= this.cfg.max_loaded_versions) return;
    const candidates = [...this.slots.entries()]
      .filter(([, s]) => s.loaded && !this.isRouted(s.loaded.name, s.loaded.version.version))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, slot] of candidates) {
      if (this.slots.size <= this.cfg.max_loaded_versions) break;
      this.slots.delete(id);
      this.ready.clear();
      await slot.loaded!.retire();
    }
  }

  status(): { loaded: ServingStatus[]; load_errors: LoadError[] } {
    const loaded: ServingStatus[] = [];
    for (const slot of this.slots.values()) {
      const m = slot.loaded;
      if (!m) continue;
      const serves = [...this.routes.entries()]
        .filter(([key, v]) => v === m.version.version && key.startsWith(`${m.name}\0`))
        .map(([key]) => key.split('\0')[1] || 'default');
      loaded.push({ model: m.name, version: m.version.version, executor: m.executor.kind, serves, inflight: m.inflightRequests, queued_rows: m.batcher.pendingRows, loaded_at: new Date(m.loadedAt).toISOString() });
    }
    return { loaded: loaded.sort((a, b) => a.model.localeCompare(b.model) || a.version - b.version), load_errors: [...this.failed.values()] };
  }
}
