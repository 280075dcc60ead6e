import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Experiment, KeyValue, Run, RunStatus } from '../tracking/index.js';
import type { BerthClient } from './berth-client.js';

export interface RunSearchRequest {
  experimentIds: string[];
  filter?: string | undefined;
  orderBy?: string[] | undefined;
  maxResults?: number | undefined;
  pageToken?: string | undefined;
}

export interface GroupSummary {
  group: string;
  runs: number;
  metrics: Record<string, { mean: number; std: number | null; min: number; max: number; n: number }>;
}

/** What the CLI's `experiments` and `runs` commands need, over HTTP or on the local store. */
export interface TrackingApi {
  createExperiment(name: string, tags?: KeyValue[]): Promise<string>;
  listExperiments(): Promise<Experiment[]>;
  getExperimentByName(name: string): Promise<Experiment>;
  searchRuns(request: RunSearchRequest): Promise<{ runs: Run[]; next_page_token?: string }>;
  getRun(runId: string): Promise<Run>;
  aggregate(experimentId: string, tag: string): Promise<GroupSummary[]>;
}

type MetricPoint = { key: string; value: number; step?: number; timestamp?: number };

/**
 * Tracking over Berth's MLflow-compatible REST API: what a training script needs (start a run, log
 * params/metrics/tags/artifacts/inputs, end it) and what the CLI reads. Metrics are sent in batches of
 * MLflow's limit (1000 per call).
 */
export class TrackingClient implements TrackingApi {
  constructor(private readonly http: BerthClient) {}

  private call<T>(method: 'GET' | 'POST', route: string, body?: Record<string, unknown>): Promise<T> {
    return this.http.request<T>(method, `/api/2.0/mlflow/${route}`, method === 'GET' ? { query: body as Record<string, string> } : { json: body ?? {} });
  }

  async createExperiment(name: string, tags: KeyValue[] = []): Promise<string> {
    return (await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name, tags })).experiment_id;
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    return (await this.call<{ experiment: Experiment }>('GET', 'experiments/get-by-name', { experiment_name: name })).experiment;
  }

  /** The experiment's id, creating it if needed (like mlflow.set_experiment). */
  async ensureExperiment(name: string): Promise<string> {
    try {
      return (await this.getExperimentByName(name)).experiment_id;
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') return this.createExperiment(name);
      throw err;
    }
  }

  async listExperiments(): Promise<Experiment[]> {
    const all: Experiment[] = [];
    let token: string | undefined;
    do {
      const page = await this.call<{ experiments?: Experiment[]; next_page_token?: string }>('POST', 'experiments/search', { max_results: 1000, ...(token ? { page_token: token } : {}) });
      all.push(...(page.experiments ?? []));
      token = page.next_page_token;
    } while (token);
    return all;
  }

  async startRun(options: { experimentId?: string; runName?: string; tags?: Record<string, string> } = {}): Promise<Run> {
    const tags = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value }));
    return (await this.call<{ run: Run }>('POST', 'runs/create', { experiment_id: options.experimentId, run_name: options.runName, start_time: Date.now(), tags })).run;
  }

  async logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
    const list = Object.entries(params).map(([key, value]) => ({ key, value: String(value) }));
    for (let i = 0; i < list.length; i += 100) await this.call('POST', 'runs/log-batch', { run_id: runId, params: list.slice(i, i + 100) });
  }

  logMetric(runId: string, key: string, value: number, step = 0): Promise<void> {
    return this.logMetrics(runId, [{ key, value, step }]);
  }

  async logMetrics(runId: string, points: MetricPoint[]): Promise<void> {
    const now = Date.now();
    const metrics = points.map((p) => ({ key: p.key, value: Number.isNaN(p.value) ? 'NaN' : p.value === Infinity ? 'Infinity' : p.value === -Infinity ? '-Infinity' : p.value, step: p.step ?? 0, timestamp: p.timestamp ?? now }));
    for (let i = 0; i < metrics.length; i += 1000) await this.call('POST', 'runs/log-batch', { run_id: runId, metrics: metrics.slice(i, i + 1000) });
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
    for (let i = 0; i < list.length; i += 100) await this.call('POST', 'runs/log-batch', { run_id: runId, tags: list.slice(i, i + 100) });
  }

  async logInputs(runId: string, datasets: Array<{ name: string; digest: string; source: string; sourceType?: string; context?: string }>): Promise<void> {
    await this.call('POST', 'runs/log-inputs', {
      run_id: runId,
      datasets: datasets.map((d) => ({ dataset: { name: d.name, digest: d.digest, source_type: d.sourceType ?? 'local', source: d.source }, tags: d.context ? [{ key: 'mlflow.data.context', value: d.context }] : [] })),
    });
  }

  /** Uploads a local file as an artifact of the run, under `artifactPath` (default: the file's name). */
  async logArtifact(run: Run, file: string, artifactPath?: string): Promise<void> {
    const target = artifactPath ?? path.basename(file);
    const location = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    await this.http.request('PUT', `/api/2.0/mlflow-artifacts/artifacts/${location}/${target.split('/').map(encodeURIComponent).join('/')}`, { bytes: await readFile(file) });
  }

  async endRun(runId: string, status: RunStatus = 'FINISHED'): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: Date.now() });
  }

  async getRun(runId: string): Promise<Run> {
    return (await this.call<{ run: Run }>('GET', 'runs/get', { run_id: runId })).run;
  }

  async searchRuns(request: RunSearchRequest): Promise<{ runs: Run[]; next_page_token?: string }> {
    const page = await this.call<{ runs?: Run[]; next_page_token?: string }>('POST', 'runs/search', {
      experiment_ids: request.experimentIds,
      ...(request.filter ? { filter: request.filter } : {}),
      ...(request.orderBy ? { order_by: request.orderBy } : {}),
      ...(request.maxResults ? { max_results: request.maxResults } : {}),
      ...(request.pageToken ? { page_token: request.pageToken } : {}),
    });
    return { runs: page.runs ?? [], ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}) };
  }

  async aggregate(experimentId: string, tag: string): Promise<GroupSummary[]> {
    return (await this.http.request<{ groups: GroupSummary[] }>('GET', `/v1/experiments/${encodeURIComponent(experimentId)}/aggregate`, { query: { tag } })).groups;
  }
}
