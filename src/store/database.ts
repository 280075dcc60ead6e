import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * The tables Berth keeps, as Kysely sees them. Timestamps are ISO-8601 UTC strings and JSON is text,
 * so both engines return identical values without per-dialect parsing.
 */
export interface ModelsTable {
  id: Generated<number>;
  name: string;
  description: string;
  /** Highest version number ever issued; numbers are never reused after a delete. */
  last_version: number;
  created_at: string;
  updated_at: string;
}

export interface ModelTagsTable {
  model_id: number;
  key: string;
  value: string;
}

export interface ModelVersionsTable {
  id: Generated<number>;
  model_id: number;
  version: number;
  status: 'ready' | 'archived';
  description: string;
  sha256: string;
  size_bytes: number;
  artifact_uri: string;
  /** JSON: the normalized model card. */
  card: string;
  /** JSON: tensor names, element types and shapes read from the graph by onnxruntime. */
  signature: string;
  source_run: string | null;
  source_dataset: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface VersionTagsTable {
  version_id: number;
  key: string;
  value: string;
}

export interface AliasesTable {
  model_id: number;
  alias: string;
  version: number;
  updated_by: string;
  updated_at: string;
}

export interface AliasHistoryTable {
  id: Generated<number>;
  model_id: number;
  alias: string;
  action: 'set' | 'promote' | 'rollback' | 'delete';
  from_version: number | null;
  to_version: number | null;
  actor: string;
  reason: string | null;
  created_at: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  created_at: string;
  actor: string;
  action: string;
  target_type: string;
  target: string;
  /** The model the event concerns, when it concerns one (for `berth audit --model`). */
  model: string | null;
  /** JSON or null. */
  before: string | null;
  after: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** sha256 hex of the secret part; the key itself is shown once and never stored. */
  secret_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ExperimentsTable {
  id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

export interface ExperimentTagsTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunsTable {
  run_uuid: string;
  experiment_id: number;
  run_name: string;
  user_id: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  start_time: number;
  end_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
  deleted_time: number | null;
}

export interface RunKeyValueTable {
  run_uuid: string;
  key: string;
  value: string;
}

export interface MetricsTable {
  id: Generated<number>;
  run_uuid: string;
  key: string;
  value: number;
  is_nan: boolean | number;
  timestamp: number;
  step: number;
}

/** The latest point per (run, key): a metric row without its id. */
export type LatestMetricsTable = Omit<MetricsTable, 'id'>;

export interface TrackingDatasetsTable {
  dataset_uuid: string;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface RunInputsTable {
  run_uuid: string;
  dataset_uuid: string;
  /** JSON array of {key, value}. */
  tags: string;
}

export interface RunArtifactsTable {
  run_uuid: string;
  path: string;
  sha256: string;
  size_bytes: number;
  created_at: number;
}

export interface DatasetNamesTable {
  name: string;
  last_version: number;
}

export interface DatasetVersionsTable {
  name: string;
  version: number;
  sha256: string;
  size_bytes: number;
  format: string;
  rows: number;
  /** JSON: [{name, type, missing_share}]. */
  columns: string;
  /** JSON: per-column statistics. */
  profile: string;
  description: string;
  created_by: string;
  created_at: string;
}

export interface Database {
  models: ModelsTable;
  model_tags: ModelTagsTable;
  model_versions: ModelVersionsTable;
  version_tags: VersionTagsTable;
  aliases: AliasesTable;
  alias_history: AliasHistoryTable;
  audit_events: AuditEventsTable;
  api_keys: ApiKeysTable;
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  run_params: RunKeyValueTable;
  run_tags: RunKeyValueTable;
  run_metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  tracking_datasets: TrackingDatasetsTable;
  run_inputs: RunInputsTable;
  run_artifacts: RunArtifactsTable;
  dataset_names: DatasetNamesTable;
  dataset_versions: DatasetVersionsTable;
  predictions: PredictionsTable;
  prediction_feedback: PredictionFeedbackTable;
  drift_references: DriftReferencesTable;
  alert_rules: AlertRulesTable;
  alerts: AlertsTable;
  abtests: AbTestsTable;
  abtest_phases: AbTestPhasesTable;
  abtest_outcomes: AbTestOutcomesTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_steps: PipelineStepsTable;
  pipeline_step_attempts: PipelineStepAttemptsTable;
  retrain_policies: RetrainPoliciesTable;
  retrain_events: RetrainEventsTable;
}

export type PipelineState = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface PipelineRunsTable {
  id: string;
  pipeline: string;
  state: PipelineState;
  spec: string;
  params: string;
  source: string;
  base_dir: string;
  trigger: string;
  tracking_run_id: string | null;
  error: string | null;
  created_by: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  cancel_requested: number;
  executor: string;
  heartbeat_at: number | null;
}

export interface PipelineStepsTable {
  run_id: string;
  step_id: string;
  position: number;
  state: PipelineState;
  attempts: number;
  outputs: string;
  error: string | null;
  owner: string | null;
  heartbeat_at: number | null;
  started_at: number | null;
  ended_at: number | null;
}

export interface PipelineStepAttemptsTable {
  run_id: string;
  step_id: string;
  attempt: number;
  state: PipelineState;
  exit_code: number | null;
  error: string | null;
  log: string;
  started_at: number;
  ended_at: number | null;
}

export interface RetrainPoliciesTable {
  model: string;
  policy: string;
  updated_by: string;
  updated_at: number;
}

export interface RetrainEventsTable {
  id: Generated<number>;
  model: string;
  trigger: string;
  decision: 'fired' | 'suppressed' | 'pending' | 'approved' | 'rejected';
  reason: string;
  detail: string;
  pipeline_run_id: string | null;
  outcome: string | null;
  outcome_reason: string | null;
  champion_version: number | null;
  challenger_version: number | null;
  watch_until: number | null;
  created_by: string;
  created_at: number;
  decided_by: string | null;
  decided_at: number | null;
}

export interface AbTestsTable {
  id: Generated<number>;
  name: string;
  model: string;
  status: 'draft' | 'running' | 'paused' | 'stopped';
  description: string;
  /** JSON AbTestSpec. */
  spec: string;
  phase: number;
  winner: string | null;
  created_by: string;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  updated_at: number;
}

export interface AbTestPhasesTable {
  abtest_id: number;
  phase: number;
  seed: string;
  coverage: number;
  weights: string;
  started_at: number;
  ended_at: number | null;
}

export interface AbTestOutcomesTable {
  id: Generated<number>;
  abtest_id: number;
  phase: number;
  subject: string;
  variant: string;
  metric: string;
  value: number;
  ts: number;
}

/** One served (or refused) prediction; `inputs`/`outputs` are JSON text. Times are epoch ms. */
export interface PredictionsTable {
  id: string;
  ts: number;
  model: string;
  version: number | null;
  variant: string | null;
  abtest: string | null;
  subject: string | null;
  /** predict | batch | invocations | oip */
  endpoint: string;
  /** HTTP status the request was answered with (200 for a served prediction). */
  status: number;
  error_code: string | null;
  error: string | null;
  latency_ms: number;
  inputs: string | null;
  outputs: string | null;
}

export interface PredictionFeedbackTable {
  prediction_id: string;
  /** JSON: a class label (string) or a number (regression). */
  label: string;
  ts: number;
  received_at: number;
}

export interface DriftReferencesTable {
  model: string;
  version: number;
  rows: number;
  /** Where the reference came from (file name, dataset version). */
  source: string;
  /** JSON ReferenceSketch. */
  sketch: string;
  /** JSON: the model's predictions on the reference (label counts, confidence sample, value sample). */
  predictions: string;
  created_at: number;
}

export interface AlertRulesTable {
  id: Generated<number>;
  name: string;
  /** JSON AlertRule. */
  rule: string;
  created_at: number;
}

export interface AlertsTable {
  id: Generated<number>;
  rule: string;
  model: string;
  version: number;
  severity: string;
  metric: string;
  state: 'pending' | 'firing' | 'resolved';
  value: number | null;
  threshold: number;
  message: string;
  started_at: number;
  fired_at: number | null;
  resolved_at: number | null;
  updated_at: number;
}

export type ModelRow = Selectable<ModelsTable>;
export type ModelVersionRow = Selectable<ModelVersionsTable>;
export type NewModelVersionRow = Insertable<ModelVersionsTable>;
export type AliasRow = Selectable<AliasesTable>;
export type AliasHistoryRow = Selectable<AliasHistoryTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
