import type { ApiKeyView } from '../auth/index.js';
import type { AuditEvent, AuditQuery } from '../audit/index.js';
import type {
  RegisterVersionInput,
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

/** A registration as the client sends it: the same fields the registry takes. */
export type RegisterVersionRequest = RegisterVersionInput;

/**
 * What a Berth user can do with the registry, whether through the REST API (BerthClient) or directly on
 * the store (the CLI's local mode). The CLI is written once against this.
 */
export interface BerthApi {
  createModel(input: { name: string; description?: string | undefined; tags?: Tags | undefined }): Promise<ModelView>;
  listModels(query?: { prefix?: string | undefined; limit?: number | undefined; page_token?: string | undefined }): Promise<{ models: ModelView[]; next_page_token: string | null }>;
  getModel(name: string): Promise<ModelView>;
  updateModel(name: string, patch: { description?: string | undefined }): Promise<ModelView>;
  deleteModel(name: string, opts: { force: boolean }): Promise<DeleteModelResult>;
  setModelTags(name: string, tags: Tags): Promise<ModelView>;
  deleteModelTag(name: string, key: string): Promise<ModelView>;

  registerVersion(input: RegisterVersionRequest): Promise<VersionView>;
  listVersions(name: string, query?: { status?: VersionStatus | undefined }): Promise<VersionView[]>;
  getVersion(name: string, version: number): Promise<VersionView>;
  updateVersion(name: string, version: number, patch: { description?: string | undefined; status?: VersionStatus | undefined }): Promise<VersionView>;
  deleteVersion(name: string, version: number): Promise<{ model: string; version: number; removed_artifact: boolean }>;
  setVersionTags(name: string, version: number, tags: Tags): Promise<VersionView>;
  deleteVersionTag(name: string, version: number, key: string): Promise<VersionView>;
  compare(name: string, a: number, b: number): Promise<VersionComparison>;

  listAliases(name: string): Promise<AliasView[]>;
  aliasHistory(name: string, alias?: string): Promise<AliasHistoryEntry[]>;
  setAlias(name: string, alias: string, version: number, reason?: string): Promise<AliasMove>;
  deleteAlias(name: string, alias: string): Promise<AliasMove>;
  promote(name: string, version: number, opts?: { alias?: string | undefined; reason?: string | undefined }): Promise<AliasMove>;
  rollback(name: string, opts?: { alias?: string | undefined; reason?: string | undefined }): Promise<AliasMove>;

  audit(query?: AuditQuery): Promise<AuditEvent[]>;

  createKey(input: { name: string; scopes: string[] }): Promise<ApiKeyView & { key: string }>;
  listKeys(): Promise<ApiKeyView[]>;
  revokeKey(id: string): Promise<ApiKeyView>;
  /** Sets a version's drift reference from CSV text (its training data). */
  setReference(name: string, version: number, csv: string, source: string): Promise<ReferenceView>;
  monitoringSummary(name: string, query?: { hours?: number | undefined }): Promise<MonitoringSummary>;
  listAlerts(query?: { model?: string | undefined; state?: 'active' | 'pending' | 'firing' | 'resolved' | undefined; limit?: number | undefined }): Promise<AlertView[]>;
  listAlertRules(): Promise<StoredRule[]>;
  recordFeedback(items: unknown[]): Promise<FeedbackResult>;
}
