import { openAsBlob } from 'node:fs';
import path from 'node:path';
import type { ApiKeyView } from '../auth/index.js';
import type { AuditEvent, AuditQuery } from '../audit/index.js';
import { BerthError, type ErrorCode } from '../errors/index.js';
import type {
  AliasHistoryEntry,
  AliasMove,
  AliasView,
  DeleteModelResult,
  ModelView,
  Tags,
  VersionComparison,
  VersionStatus,
  VersionView,
} from '../registry/index.js';
import type { AlertView, FeedbackResult, MonitoringSummary, ReferenceView, StoredRule } from '../monitoring/index.js';
import type { BerthApi, RegisterVersionRequest } from './api.js';

export interface BerthClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  apiKey?: string | undefined;
  /** Per-request timeout; default 60 s (uploads of large models may need more). */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

const seg = encodeURIComponent;

/** Typed client of Berth's REST API. Errors come back as BerthError with the server's code and message. */
export class BerthClient implements BerthApi {
  private readonly base: string;

  constructor(private readonly options: BerthClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  async request<T>(method: string, route: string, opts: { query?: Query; json?: unknown; form?: FormData; bytes?: Uint8Array; csv?: string; headers?: Record<string, string>; raw?: boolean } = {}): Promise<T> {
    const url = new URL(this.base + route);
    for (const [key, value] of Object.entries(opts.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {};
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    let body: string | FormData | Uint8Array | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = opts.form;
    } else if (opts.bytes) {
      headers['content-type'] = 'application/octet-stream';
      body = opts.bytes;
    } else if (opts.csv !== undefined) {
      headers['content-type'] = 'text/csv';
      body = opts.csv;
    }
    Object.assign(headers, opts.headers ?? {});
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    } catch (err) {
      throw new BerthError('unavailable', `cannot reach Berth at ${this.base}: ${(err as Error).message}`);
    }
    if (opts.raw && response.ok) return Buffer.from(await response.arrayBuffer()) as T;
    const text = await response.text();
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = text;
    }
    if (!response.ok) {
      const error = readError(payload, response.status);
      const err = new BerthError(error.code, error.message ?? `HTTP ${response.status}: ${text.slice(0, 200)}`, error.details);
      // Keep the server's status even where codes map differently (e.g. a proxy's 502).
      Object.defineProperty(err, 'status', { value: response.status });
      throw err;
    }
    return payload as T;
  }

  createModel(input: { name: string; description?: string | undefined; tags?: Tags | undefined }): Promise<ModelView> {
    return this.request('POST', '/v1/models', { json: input });
  }
  listModels(query: { prefix?: string | undefined; limit?: number | undefined; page_token?: string | undefined } = {}) {
    return this.request<{ models: ModelView[]; next_page_token: string | null }>('GET', '/v1/models', { query });
  }
  getModel(name: string): Promise<ModelView> {
    return this.request('GET', `/v1/models/${seg(name)}`);
  }
  updateModel(name: string, patch: { description?: string | undefined }): Promise<ModelView> {
    return this.request('PATCH', `/v1/models/${seg(name)}`, { json: patch });
  }
  deleteModel(name: string, opts: { force: boolean }): Promise<DeleteModelResult> {
    return this.request('DELETE', `/v1/models/${seg(name)}`, { query: { force: opts.force } });
  }
  setModelTags(name: string, tags: Tags): Promise<ModelView> {
    return this.request('PUT', `/v1/models/${seg(name)}/tags`, { json: { tags } });
  }
  deleteModelTag(name: string, key: string): Promise<ModelView> {
    return this.request('DELETE', `/v1/models/${seg(name)}/tags/${seg(key)}`);
  }

  async registerVersion(input: RegisterVersionRequest): Promise<VersionView> {
    const form = new FormData();
    if (input.card !== undefined) form.set('card', typeof input.card === 'string' ? input.card : JSON.stringify(input.card));
    if (input.description !== undefined) form.set('description', input.description);
    if (input.source_run !== undefined) form.set('source_run', input.source_run);
    if (input.source_dataset !== undefined) form.set('source_dataset', input.source_dataset);
    if (input.tags !== undefined) form.set('tags', JSON.stringify(input.tags));
    let blob: Blob;
    try {
      blob = await openAsBlob(input.file);
    } catch (err) {
      throw new BerthError('invalid_input', `cannot read ONNX file ${input.file}: ${(err as Error).message}`);
    }
    form.set('onnx', blob, path.basename(input.file));
    return this.request('POST', `/v1/models/${seg(input.model)}/versions`, { form });
  }
  async listVersions(name: string, query: { status?: VersionStatus | undefined } = {}): Promise<VersionView[]> {
    return (await this.request<{ versions: VersionView[] }>('GET', `/v1/models/${seg(name)}/versions`, { query })).versions;
  }
  getVersion(name: string, version: number): Promise<VersionView> {
    return this.request('GET', `/v1/models/${seg(name)}/versions/${version}`);
  }
  /** The ONNX bytes of a version (the server verifies them against the sha256 before sending). */
  downloadArtifact(name: string, version: number): Promise<Buffer> {
    return this.request('GET', `/v1/models/${seg(name)}/versions/${version}/artifact`, { raw: true });
  }
  updateVersion(name: string, version: number, patch: { description?: string | undefined; status?: VersionStatus | undefined }): Promise<VersionView> {
    return this.request('PATCH', `/v1/models/${seg(name)}/versions/${version}`, { json: patch });
  }
  deleteVersion(name: string, version: number) {
    return this.request<{ model: string; version: number; removed_artifact: boolean }>('DELETE', `/v1/models/${seg(name)}/versions/${version}`);
  }
  setVersionTags(name: string, version: number, tags: Tags): Promise<VersionView> {
    return this.request('PUT', `/v1/models/${seg(name)}/versions/${version}/tags`, { json: { tags } });
  }
  deleteVersionTag(name: string, version: number, key: string): Promise<VersionView> {
    return this.request('DELETE', `/v1/models/${seg(name)}/versions/${version}/tags/${seg(key)}`);
  }
  compare(name: string, a: number, b: number): Promise<VersionComparison> {
    return this.request('GET', `/v1/models/${seg(name)}/compare`, { query: { a, b } });
  }

  async listAliases(name: string): Promise<AliasView[]> {
    return (await this.request<{ aliases: AliasView[] }>('GET', `/v1/models/${seg(name)}/aliases`)).aliases;
  }
  async aliasHistory(name: string, alias?: string): Promise<AliasHistoryEntry[]> {
    return (await this.request<{ history: AliasHistoryEntry[] }>('GET', `/v1/models/${seg(name)}/aliases/history`, { query: { alias } })).history;
  }
  setAlias(name: string, alias: string, version: number, reason?: string): Promise<AliasMove> {
    return this.request('PUT', `/v1/models/${seg(name)}/aliases/${seg(alias)}`, { json: { version, ...(reason ? { reason } : {}) } });
  }
  deleteAlias(name: string, alias: string): Promise<AliasMove> {
    return this.request('DELETE', `/v1/models/${seg(name)}/aliases/${seg(alias)}`);
  }
  promote(name: string, version: number, opts: { alias?: string | undefined; reason?: string | undefined } = {}): Promise<AliasMove> {
    return this.request('POST', `/v1/models/${seg(name)}/promote`, { json: { version, ...defined(opts) } });
  }
  rollback(name: string, opts: { alias?: string | undefined; reason?: string | undefined } = {}): Promise<AliasMove> {
    return this.request('POST', `/v1/models/${seg(name)}/rollback`, { json: defined(opts) });
  }

  async audit(query: AuditQuery = {}): Promise<AuditEvent[]> {
    return (await this.request<{ events: AuditEvent[] }>('GET', '/v1/audit', { query: { ...query } })).events;
  }

  createKey(input: { name: string; scopes: string[] }): Promise<ApiKeyView & { key: string }> {
    return this.request('POST', '/v1/keys', { json: input });
  }
  setReference(name: string, version: number, csv: string, source: string): Promise<ReferenceView> {
    return this.request<ReferenceView>('PUT', `/v1/models/${seg(name)}/versions/${version}/reference`, { csv, headers: { 'x-berth-source': source } });
  }

  monitoringSummary(name: string, query: { hours?: number | undefined } = {}): Promise<MonitoringSummary> {
    return this.request<MonitoringSummary>('GET', `/v1/models/${seg(name)}/monitoring`, { query });
  }

  async listAlerts(query: { model?: string | undefined; state?: 'active' | 'pending' | 'firing' | 'resolved' | undefined; limit?: number | undefined } = {}): Promise<AlertView[]> {
    return (await this.request<{ alerts: AlertView[] }>('GET', '/v1/alerts', { query })).alerts;
  }

  async listAlertRules(): Promise<StoredRule[]> {
    return (await this.request<{ rules: StoredRule[] }>('GET', '/v1/alerts/rules')).rules;
  }

  recordFeedback(items: unknown[]): Promise<FeedbackResult> {
    return this.request<FeedbackResult>('POST', '/v1/feedback', { json: { items } });
  }

  async listKeys(): Promise<ApiKeyView[]> {
    return (await this.request<{ keys: ApiKeyView[] }>('GET', '/v1/keys')).keys;
  }
  revokeKey(id: string): Promise<ApiKeyView> {
    return this.request('DELETE', `/v1/keys/${seg(id)}`);
  }
}

const FROM_MLFLOW: Record<string, ErrorCode> = {
  INVALID_PARAMETER_VALUE: 'invalid_input',
  BAD_REQUEST: 'invalid_input',
  RESOURCE_DOES_NOT_EXIST: 'not_found',
  ENDPOINT_NOT_FOUND: 'not_found',
  RESOURCE_ALREADY_EXISTS: 'conflict',
  UNAUTHENTICATED: 'unauthorized',
  PERMISSION_DENIED: 'forbidden',
  REQUEST_LIMIT_EXCEEDED: 'rate_limited',
  TEMPORARILY_UNAVAILABLE: 'unavailable',
};

/** Errors come as Berth's {error: {code, message}} or, from the tracking API, MLflow's {error_code, message}. */
function readError(payload: unknown, status: number): { code: ErrorCode; message?: string; details?: Record<string, unknown> } {
  const p = payload as { error?: { code?: string; message?: string; details?: Record<string, unknown> } | string; error_code?: string; message?: string } | undefined;
  if (p && typeof p.error === 'object') return { code: (p.error.code as ErrorCode) ?? 'internal', ...(p.error.message ? { message: p.error.message } : {}), ...(p.error.details ? { details: p.error.details } : {}) };
  if (p?.error_code) return { code: FROM_MLFLOW[p.error_code] ?? 'internal', ...(p.message ? { message: p.message } : {}) };
  return { code: status === 404 ? 'not_found' : status < 500 ? 'invalid_input' : 'internal', ...(typeof p?.error === 'string' ? { message: p.error } : {}) };
}

function defined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
