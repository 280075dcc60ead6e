import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import { BerthError, describeValue } from '../errors/index.js';
import type { Database, RunsTable } from '../store/index.js';
import { isUniqueViolation } from '../store/index.js';
import { LIMITS, RUN_STATUSES, type Experiment, type KeyValue, type Metric, type MetricValue, type Run, type RunInfo, type RunStatus, type ViewType } from './types.js';

/** MLflow's key rule: alphanumerics, underscores, dashes, periods, spaces and slashes. */
const KEY = /^[\w\-./ ]+$/;

export interface MetricInput {
  key: string;
  value: unknown;
  timestamp: unknown;
  step?: unknown;
}

function invalid(message: string): BerthError {
  return new BerthError('invalid_input', message);
}

export function checkKey(what: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw invalid(`${what} key must be a non-empty string, got ${describeValue(key)}`);
  if (key.length > LIMITS.keyLength) throw invalid(`${what} key '${key.slice(0, 40)}...' is ${key.length} characters; the limit is ${LIMITS.keyLength}`);
  if (!KEY.test(key) || key.split('/').some((part) => part === '..')) {
    throw invalid(`invalid ${what} key '${key}': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/)`);
  }
  return key;
}

function checkValue(what: string, key: string, value: unknown, limit: number): string {
  if (typeof value !== 'string') throw invalid(`${what} '${key}': value must be a string, got ${describeValue(value)}`);
  if (value.length > limit) throw invalid(`${what} '${key}': value is ${value.length} characters; the limit is ${limit}`);
  return value;
}

/**
 * An integer (milliseconds, or a step) from JSON: a number or a string of digits. `metric` names the metric
 * the field belongs to; the message is only put together on failure (log-batch checks 2000 fields a call).
 */
function checkMillis(what: string, value: unknown, required: boolean, metric?: string): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  const label = metric === undefined ? what : `metric '${metric}' ${what}`;
  if (value === undefined || value === null) {
    if (required) throw invalid(`${label} is required (milliseconds since the epoch)`);
    return undefined;
  }
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalid(`${label} must be an integer (milliseconds), got ${describeValue(value)}`);
  return n;
}

/** A metric value from JSON: a number, or protobuf's spellings of NaN and ±Infinity. */
function parseMetricValue(key: string, value: unknown): { value: number; isNan: boolean } {
  if (typeof value === 'number' && !Number.isNaN(value)) return { value, isNan: false };
  if (value === 'NaN' || (typeof value === 'number' && Number.isNaN(value))) return { value: 0, isNan: true };
  if (value === 'Infinity' || value === 'inf') return { value: Number.POSITIVE_INFINITY, isNan: false };
  if (value === '-Infinity' || value === '-inf') return { value: Number.NEGATIVE_INFINITY, isNan: false };
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return { value: Number(value), isNan: false };
  throw invalid(`metric '${key}': value must be a number (or "NaN", "Infinity", "-Infinity"), got ${describeValue(value)}`);
}

export function metricValueOut(value: number, isNan: boolean | number): MetricValue {
  if (isNan) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

function experimentIdOf(id: unknown): number {
  const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid(`experiment_id must be an experiment id (digits), got ${describeValue(id)}`);
  return n;
}

function runIdOf(id: unknown): string {
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) throw new BerthError('not_found', `run ${describeValue(id)} does not exist`);
  return id;
}

/** A checked metric point; a NaN value is stored as 0 with is_nan set. */
interface MetricPoint {
  key: string;
  value: number;
  isNan: boolean;
  timestamp: number;
  step: number;
}

/**
 * Whether point a beats point b as its key's latest value: MLflow's ordering, highest (step, timestamp,
 * value), where a NaN loses to any number at the same step and timestamp. LATEST_WINS is the same rule
 * in SQL, against the stored row.
 */
function beats(a: MetricPoint, b: MetricPoint): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (b.isNan) return !a.isNan;
  return !a.isNan && a.value > b.value;
}

const LATEST_WINS = sql`excluded.step > latest_metrics.step or (excluded.step = latest_metrics.step and (excluded.timestamp > latest_metrics.timestamp
  or (excluded.timestamp = latest_metrics.timestamp and not excluded.is_nan and (latest_metrics.is_nan or excluded.value > latest_metrics.value))))`;

/**
 * Experiments, runs, params, tags and metric series, with MLflow's rules: params are write-once (the same
 * value again is fine), tags are overwritable, metrics append, a deleted run takes no more data, and the
 * latest value per (run, key) is kept on write.
 */
export class TrackingStore {
  constructor(private readonly db: Kysely<Database>) {}

  // --- experiments -----------------------------------------------------------------------------------

  async createExperiment(input: { name: unknown; artifact_location?: unknown; tags?: unknown }): Promise<string> {
    const name = input.name;
    if (typeof name !== 'string' || name.trim() === '') throw invalid(`experiment name must be a non-empty string, got ${describeValue(name)}`);
    if (name.length > LIMITS.experimentName) throw invalid(`experiment name is ${name.length} characters; the limit is ${LIMITS.experimentName}`);
    const tags = this.checkTags(input.tags ?? []);
    const now = Date.now();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('experiments')
          .values({ name, artifact_location: '', lifecycle_stage: 'active', creation_time: now, last_update_time: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        const location = typeof input.artifact_location === 'string' && input.artifact_location !== '' ? input.artifact_location : `mlflow-artifacts:/${row.id}`;
        await trx.updateTable('experiments').set({ artifact_location: location }).where('id', '=', row.id).execute();
        for (const t of tags) await trx.insertInto('experiment_tags').values({ experiment_id: row.id, key: t.key, value: t.value }).execute();
        return String(row.id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new BerthError('conflict', `Experiment '${name}' already exists.`);
      throw err;
    }
  }

  /** The experiment all runs go to when none is named, created on first use (MLflow's experiment 0). */
  async defaultExperimentId(): Promise<string> {
    const found = await this.db.selectFrom('experiments').select('id').where('name', '=', 'Default').executeTakeFirst();
    if (found) return String(found.id);
    try {
      return await this.createExperiment({ name: 'Default' });
    } catch (err) {
      if (err instanceof BerthError && err.code === 'conflict') return this.defaultExperimentId();
      throw err;
    }
  }

  async getExperiment(id: unknown): Promise<Experiment> {
    const row = await this.db.selectFrom('experiments').selectAll().where('id', '=', experimentIdOf(id)).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `No Experiment with id=${String(id)} exists`);
    return this.experimentView(row);
  }

  async getExperimentByName(name: unknown): Promise<Experiment> {
    if (typeof name !== 'string') throw invalid(`experiment_name must be a string, got ${describeValue(name)}`);
    const row = await this.db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `Could not find experiment with name '${name}'`);
    return this.experimentView(row);
  }

  private async experimentView(row: { id: number; name: string; artifact_location: string; lifecycle_stage: 'active' | 'deleted'; creation_time: number; last_update_time: number }): Promise<Experiment> {
    const tags = await this.db.selectFrom('experiment_tags').select(['key', 'value']).where('experiment_id', '=', row.id).orderBy('key').execute();
    return {
      experiment_id: String(row.id),
      name: row.name,
      artifact_location: row.artifact_location,
      lifecycle_stage: row.lifecycle_stage,
      creation_time: Number(row.creation_time),
      last_update_time: Number(row.last_update_time),
      tags,
    };
  }

  async searchExperiments(opts: { view_type?: unknown; max_results?: unknown; page_token?: unknown; name_like?: string | undefined }): Promise<{ experiments: Experiment[]; next_page_token?: string }> {
    const view = this.viewType(opts.view_type);
    const limit = this.maxResults(opts.max_results);
    let q = this.db.selectFrom('experiments').selectAll().orderBy('id').limit(limit + 1);
    if (view !== 'ALL') q = q.where('lifecycle_stage', '=', view === 'ACTIVE_ONLY' ? 'active' : 'deleted');
    if (typeof opts.page_token === 'string' && opts.page_token !== '') q = q.where('id', '>', Number(decodeToken(opts.page_token)['id']));
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const experiments = await Promise.all(page.map((r) => this.experimentView(r)));
    return rows.length > limit ? { experiments, next_page_token: encodeToken({ id: page[page.length - 1]!.id }) } : { experiments };
  }

  async updateExperiment(id: unknown, newName: unknown): Promise<void> {
    const experiment = await this.getExperiment(id);
    if (typeof newName !== 'string' || newName.trim() === '') throw invalid(`new_name must be a non-empty string, got ${describeValue(newName)}`);
    if (newName.length > LIMITS.experimentName) throw invalid(`new_name is ${newName.length} characters; the limit is ${LIMITS.experimentName}`);
    try {
      await this.db.updateTable('experiments').set({ name: newName, last_update_time: Date.now() }).where('id', '=', Number(experiment.experiment_id)).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new BerthError('conflict', `Experiment '${newName}' already exists.`);
      throw err;
    }
  }

  async setExperimentLifecycle(id: unknown, stage: 'active' | 'deleted'): Promise<void> {
    const experiment = await this.getExperiment(id);
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('experiments').set({ lifecycle_stage: stage, last_update_time: Date.now() }).where('id', '=', Number(experiment.experiment_id)).execute();
      // MLflow deletes (and restores) an experiment's runs with it.
      await trx.updateTable('runs').set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? Date.now() : null }).where('experiment_id', '=', Number(experiment.experiment_id)).execute();
    });
  }

  async setExperimentTag(id: unknown, key: unknown, value: unknown): Promise<void> {
    const experiment = await this.getExperiment(id);
    const k = checkKey('tag', key);
    const v = checkValue('tag', k, value, LIMITS.tagValue);
    await this.db
      .insertInto('experiment_tags')
      .values({ experiment_id: Number(experiment.experiment_id), key: k, value: v })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: v }))
      .execute();
  }

  // --- runs ------------------------------------------------------------------------------------------

  async createRun(input: { experiment_id?: unknown; user_id?: unknown; run_name?: unknown; start_time?: unknown; tags?: unknown }): Promise<Run> {
    const experimentId = input.experiment_id === undefined || input.experiment_id === '' ? await this.defaultExperimentId() : String(experimentIdOf(input.experiment_id));
    const experiment = await this.getExperiment(experimentId);
    if (experiment.lifecycle_stage !== 'active') throw invalid(`The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`);
    const tags = this.checkTags(input.tags ?? []);
    const nameTag = tags.find((t) => t.key === 'mlflow.runName')?.value;
    const runName = typeof input.run_name === 'string' && input.run_name !== '' ? input.run_name : (nameTag ?? `run-${randomUUID().slice(0, 8)}`);
    if (runName.length > LIMITS.runName) throw invalid(`run_name is ${runName.length} characters; the limit is ${LIMITS.runName}`);
    const runId = randomUUID().replace(/-/g, '');
    const start = checkMillis('start_time', input.start_time, false) ?? Date.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('runs')
        .values({
          run_uuid: runId,
          experiment_id: Number(experimentId),
          run_name: runName,
          user_id: typeof input.user_id === 'string' ? input.user_id : '',
          status: 'RUNNING',
          start_time: start,
          end_time: null,
          lifecycle_stage: 'active',
          artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
          deleted_time: null,
        })
        .execute();
      const all = nameTag === undefined ? [...tags, { key: 'mlflow.runName', value: runName }] : tags;
      for (const t of all) await trx.insertInto('run_tags').values({ run_uuid: runId, key: t.key, value: t.value }).execute();
    });
    return this.getRun(runId);
  }

  private async runRow(id: unknown, db: Kysely<Database> = this.db): Promise<RunsTable> {
    const runId = runIdOf(id);
    const row = await db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
    if (!row) throw new BerthError('not_found', `Run with id=${runId} not found`);
    return row;
  }

  private async activeRun(id: unknown, db: Kysely<Database> = this.db): Promise<RunsTable> {
    const row = await this.runRow(id, db);
    if (row.lifecycle_stage !== 'active') throw invalid(`The run ${row.run_uuid} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
    return row;
  }

  async getRun(id: unknown): Promise<Run> {
    return (await this.runsView([await this.runRow(id)]))[0]!;
  }

  async updateRun(id: unknown, patch: { status?: unknown; end_time?: unknown; run_name?: unknown }): Promise<RunInfo> {
    const row = await this.activeRun(id);
    const changes: Partial<RunsTable> = {};
    if (patch.status !== undefined) {
      if (!RUN_STATUSES.includes(patch.status as RunStatus)) throw invalid(`status must be one of ${RUN_STATUSES.join(', ')}, got ${describeValue(patch.status)}`);
      changes.status = patch.status as RunStatus;
    }
    const end = checkMillis('end_time', patch.end_time, false);
    if (end !== undefined) changes.end_time = end;
    if (patch.run_name !== undefined && patch.run_name !== '') {
      if (typeof patch.run_name !== 'string' || patch.run_name.length > LIMITS.runName) throw invalid(`run_name must be a string of at most ${LIMITS.runName} characters`);
      changes.run_name = patch.run_name;
    }
    await this.db.transaction().execute(async (trx) => {
      if (Object.keys(changes).length > 0) await trx.updateTable('runs').set(changes).where('run_uuid', '=', row.run_uuid).execute();
      if (changes.run_name) await this.upsertTag(trx, row.run_uuid, 'mlflow.runName', changes.run_name);
    });
    return (await this.getRun(row.run_uuid)).info;
  }

  async setRunLifecycle(id: unknown, stage: 'active' | 'deleted'): Promise<void> {
    const row = await this.runRow(id);
    await this.db.updateTable('runs').set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? Date.now() : null }).where('run_uuid', '=', row.run_uuid).execute();
  }

  // --- params, tags, metrics -------------------------------------------------------------------------

  async logBatch(id: unknown, batch: { metrics?: unknown; params?: unknown; tags?: unknown }): Promise<void> {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    for (const [name, list] of [['metrics', metrics], ['params', params], ['tags', tags]] as const) {
      if (!Array.isArray(list)) throw invalid(`${name} must be a list, got ${describeValue(list)}`);
    }
    const m = metrics as MetricInput[];
    const p = params as KeyValue[];
    const t = tags as KeyValue[];
    if (m.length > LIMITS.batchMetrics) throw invalid(`A batch logging request can contain at most ${LIMITS.batchMetrics} metrics. Got ${m.length} metrics.`);
    if (p.length > LIMITS.batchParams) throw invalid(`A batch logging request can contain at most ${LIMITS.batchParams} params. Got ${p.length} params.`);
    if (t.length > LIMITS.batchTags) throw invalid(`A batch logging request can contain at most ${LIMITS.batchTags} tags. Got ${t.length} tags.`);
    if (m.length + p.length + t.length > LIMITS.batchTotal) throw invalid(`A batch logging request can contain at most ${LIMITS.batchTotal} total metrics, params and tags. Got ${m.length + p.length + t.length}.`);
    // One pass over the metrics: check each point and keep the batch's best point per key (the candidate
    // for latest_metrics). A batch repeats few keys, so each distinct key is checked once.
    const points: MetricPoint[] = [];
    const best = new Map<string, MetricPoint>();
    for (const metric of m) {
      if (metric === null || typeof metric !== 'object') throw invalid(`each metric must be an object {key, value, timestamp, step}, got ${describeValue(metric)}`);
      const key = best.has(metric.key) ? metric.key : checkKey('metric', metric.key);
      const { value, isNan } = parseMetricValue(key, metric.value);
      const point = { key, value, isNan, timestamp: checkMillis('timestamp', metric.timestamp, true, key)!, step: checkMillis('step', metric.step ?? 0, false, key) ?? 0 };
      points.push(point);
      const current = best.get(key);
      if (current === undefined || beats(point, current)) best.set(key, point);
    }
    const parsedParams = p.map((param) => {
      const key = checkKey('param', param?.key);
      return { key, value: checkValue('param', key, typeof param.value === 'number' ? String(param.value) : param.value, LIMITS.paramValue) };
    });
    const seen = new Map<string, string>();
    for (const param of parsedParams) {
      if (seen.has(param.key) && seen.get(param.key) !== param.value) throw invalid(`Duplicate parameter keys have been submitted: '${param.key}' with different values`);
      seen.set(param.key, param.value);
    }
    const parsedTags = this.checkTags(t);

    await this.db.transaction().execute(async (trx) => {
      const run = await this.activeRun(id, trx);
      const runId = run.run_uuid;
      if (parsedParams.length > 0) {
        const existing = await trx.selectFrom('run_params').select(['key', 'value']).where('run_uuid', '=', runId).where('key', 'in', [...seen.keys()]).execute();
        const fresh: typeof parsedParams = [];
        for (const param of [...new Map(parsedParams.map((x) => [x.key, x])).values()]) {
          const old = existing.find((e) => e.key === param.key);
          if (old && old.value !== param.value) {
            throw invalid(`Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${old.value}' for run ID='${runId}'. Attempted logging new value '${param.value}'.`);
          }
          if (!old) fresh.push(param);
        }
        if (fresh.length > 0) await trx.insertInto('run_params').values(fresh.map((x) => ({ run_uuid: runId, key: x.key, value: x.value }))).execute();
      }
      for (const tag of parsedTags) await this.upsertTag(trx, runId, tag.key, tag.value);
      if (points.length > 0) {
        await sql`insert into run_metrics (run_uuid, key, value, is_nan, timestamp, step) ${pointRows(trx, runId, points)}`.execute(trx);
        // The batch's best point per key replaces the stored latest value only where it beats it: one
        // statement for all keys (the database compares), not a read and an upsert per key.
        await sql`insert into latest_metrics (run_uuid, key, value, is_nan, timestamp, step) ${pointRows(trx, runId, [...best.values()])}
          on conflict (run_uuid, key) do update set value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step
          where ${LATEST_WINS}`.execute(trx);
      }
    });
  }

  logMetric(id: unknown, metric: MetricInput): Promise<void> {
    return this.logBatch(id, { metrics: [metric] });
  }

  logParam(id: unknown, key: unknown, value: unknown): Promise<void> {
    return this.logBatch(id, { params: [{ key: key as string, value: value as string }] });
  }

  setTag(id: unknown, key: unknown, value: unknown): Promise<void> {
    return this.logBatch(id, { tags: [{ key: key as string, value: value as string }] });
  }

  /** runs/log-inputs: the dataset versions a run used (deduplicated per experiment by name and digest). */
  async logInputs(id: unknown, datasets: unknown): Promise<void> {
    if (!Array.isArray(datasets)) throw invalid(`datasets must be a list of {dataset, tags}, got ${describeValue(datasets)}`);
    if (datasets.length > 1000) throw invalid(`at most 1000 dataset inputs per call, got ${datasets.length}`);
    const parsed = datasets.map((entry: unknown, i) => {
      const e = entry as { dataset?: Record<string, unknown>; tags?: unknown } | null;
      const d = e?.dataset;
      if (!d || typeof d !== 'object') throw invalid(`datasets[${i}].dataset must be an object, got ${describeValue(d)}`);
      const field = (name: string, limit: number, required: boolean): string | null => {
        const v = d[name];
        if (v === undefined || v === null) {
          if (required) throw invalid(`datasets[${i}].dataset.${name} is required`);
          return null;
        }
        if (typeof v !== 'string' || v.length > limit) throw invalid(`datasets[${i}].dataset.${name} must be a string of at most ${limit} characters`);
        return v;
      };
      return {
        name: field('name', 500, true)!,
        digest: field('digest', 128, true)!,
        source_type: field('source_type', 36, true)!,
        source: field('source', 65_535, true)!,
        schema: field('schema', 1_048_576, false),
        profile: field('profile', 16_384, false),
        tags: this.checkTags(e?.tags ?? []),
      };
    });
    await this.db.transaction().execute(async (trx) => {
      const run = await this.activeRun(id, trx);
      for (const d of parsed) {
        const existing = await trx
          .selectFrom('tracking_datasets')
          .select('dataset_uuid')
          .where('experiment_id', '=', run.experiment_id)
          .where('name', '=', d.name)
          .where('digest', '=', d.digest)
          .executeTakeFirst();
        const datasetId = existing?.dataset_uuid ?? randomUUID().replace(/-/g, '');
        if (!existing) {
          await trx
            .insertInto('tracking_datasets')
            .values({ dataset_uuid: datasetId, experiment_id: run.experiment_id, name: d.name, digest: d.digest, source_type: d.source_type, source: d.source, schema: d.schema, profile: d.profile })
            .execute();
        }
        await trx
          .insertInto('run_inputs')
          .values({ run_uuid: run.run_uuid, dataset_uuid: datasetId, tags: JSON.stringify(d.tags) })
          .onConflict((oc) => oc.columns(['run_uuid', 'dataset_uuid']).doUpdateSet({ tags: JSON.stringify(d.tags) }))
          .execute();
      }
    });
  }

  /**
   * Multi-seed summaries: runs of an experiment grouped by the value of a tag (e.g. `group`), and per
   * group and metric the mean, sample standard deviation, min, max and count of the runs' latest values.
   */
  async aggregate(experimentId: unknown, groupTag: unknown): Promise<Array<{ group: string; runs: number; metrics: Record<string, { mean: number; std: number | null; min: number; max: number; n: number }> }>> {
    const experiment = await this.getExperiment(experimentId);
    const tag = checkKey('tag', groupTag);
    const rows = await this.db
      .selectFrom('runs')
      .innerJoin('run_tags', (join) => join.onRef('run_tags.run_uuid', '=', 'runs.run_uuid').on('run_tags.key', '=', tag))
      .leftJoin('latest_metrics', 'latest_metrics.run_uuid', 'runs.run_uuid')
      .select(['runs.run_uuid as run', 'run_tags.value as group', 'latest_metrics.key as key', 'latest_metrics.value as value', 'latest_metrics.is_nan as is_nan'])
      .where('runs.experiment_id', '=', Number(experiment.experiment_id))
      .where('runs.lifecycle_stage', '=', 'active')
      .execute();
    const groups = new Map<string, { runs: Set<string>; values: Map<string, number[]> }>();
    for (const r of rows) {
      const g = groups.get(r.group) ?? { runs: new Set(), values: new Map() };
      groups.set(r.group, g);
      g.runs.add(r.run);
      if (r.key === null || r.value === null || r.is_nan) continue;
      const list = g.values.get(r.key) ?? [];
      list.push(Number(r.value));
      g.values.set(r.key, list);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([group, g]) => ({
        group,
        runs: g.runs.size,
        metrics: Object.fromEntries(
          [...g.values.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, values]) => {
            const n = values.length;
            const mean = values.reduce((a, b) => a + b, 0) / n;
            const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null;
            return [key, { mean, std, min: Math.min(...values), max: Math.max(...values), n }];
          }),
        ),
      }));
  }

  async deleteTag(id: unknown, key: unknown): Promise<void> {
    const run = await this.activeRun(id);
    const k = checkKey('tag', key);
    const result = await this.db.deleteFrom('run_tags').where('run_uuid', '=', run.run_uuid).where('key', '=', k).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new BerthError('not_found', `No tag with name: ${k} in run with id ${run.run_uuid}`);
  }

  async metricHistory(id: unknown, key: unknown, opts: { max_results?: unknown; page_token?: unknown }): Promise<{ metrics: Metric[]; next_page_token?: string }> {
    const run = await this.runRow(id);
    const k = checkKey('metric', key);
    const limit = opts.max_results === undefined ? LIMITS.historyPage : this.maxResults(opts.max_results, LIMITS.historyPage);
    let q = this.db.selectFrom('run_metrics').selectAll().where('run_uuid', '=', run.run_uuid).where('key', '=', k).orderBy('step').orderBy('timestamp').orderBy('id').limit(limit + 1);
    if (typeof opts.page_token === 'string' && opts.page_token !== '') {
      const t = decodeToken(opts.page_token) as { step: number; timestamp: number; id: number };
      q = q.where((eb) =>
        eb.or([
          eb('step', '>', t.step),
          eb.and([eb('step', '=', t.step), eb('timestamp', '>', t.timestamp)]),
          eb.and([eb('step', '=', t.step), eb('timestamp', '=', t.timestamp), eb('id', '>', t.id)]),
        ]),
      );
    }
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const metrics = page.map((r) => ({ key: r.key, value: metricValueOut(r.value, r.is_nan), timestamp: Number(r.timestamp), step: Number(r.step) }));
    if (rows.length <= limit) return { metrics };
    const last = page[page.length - 1]!;
    return { metrics, next_page_token: encodeToken({ step: Number(last.step), timestamp: Number(last.timestamp), id: last.id }) };
  }

  // --- helpers ---------------------------------------------------------------------------------------

  private async upsertTag(db: Kysely<Database>, runId: string, key: string, value: string): Promise<void> {
    await db
      .insertInto('run_tags')
      .values({ run_uuid: runId, key, value })
      .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet({ value }))
      .execute();
  }

  private checkTags(tags: unknown): KeyValue[] {
    if (!Array.isArray(tags)) throw invalid(`tags must be a list of {key, value}, got ${describeValue(tags)}`);
    return tags.map((tag: unknown) => {
      const t = tag as { key?: unknown; value?: unknown } | null;
      const key = checkKey('tag', t?.key);
      return { key, value: checkValue('tag', key, t?.value, LIMITS.tagValue) };
    });
  }

  viewType(value: unknown): ViewType {
    if (value === undefined || value === null || value === '') return 'ACTIVE_ONLY';
    if (value === 'ACTIVE_ONLY' || value === 'DELETED_ONLY' || value === 'ALL') return value;
    if (value === 1 || value === '1') return 'ACTIVE_ONLY';
    if (value === 2 || value === '2') return 'DELETED_ONLY';
    if (value === 3 || value === '3') return 'ALL';
    throw invalid(`view type must be ACTIVE_ONLY, DELETED_ONLY or ALL, got ${describeValue(value)}`);
  }

  maxResults(value: unknown, max: number = LIMITS.maxResults): number {
    if (value === undefined || value === null || value === '') return Math.min(LIMITS.defaultMaxResults, max);
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw invalid(`max_results must be an integer from 1 to ${max}, got ${describeValue(value)}`);
    return n;
  }

  /** Full Run objects (latest metrics, params, tags, inputs) for rows, in the given order. */
  async runsView(rows: RunsTable[]): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_uuid);
    const [metrics, params, tags, inputs] = await Promise.all([
      this.db.selectFrom('latest_metrics').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('run_params').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('run_tags').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('run_inputs').innerJoin('tracking_datasets', 'tracking_datasets.dataset_uuid', 'run_inputs.dataset_uuid').selectAll().where('run_inputs.run_uuid', 'in', ids).execute(),
    ]);
    return rows.map((r) => ({
      info: {
        run_id: r.run_uuid,
        run_uuid: r.run_uuid,
        run_name: r.run_name,
        experiment_id: String(r.experiment_id),
        user_id: r.user_id,
        status: r.status,
        start_time: Number(r.start_time),
        ...(r.end_time !== null ? { end_time: Number(r.end_time) } : {}),
        artifact_uri: r.artifact_uri,
        lifecycle_stage: r.lifecycle_stage,
      },
      data: {
        metrics: metrics.filter((m) => m.run_uuid === r.run_uuid).map((m) => ({ key: m.key, value: metricValueOut(m.value, m.is_nan), timestamp: Number(m.timestamp), step: Number(m.step) })),
        params: params.filter((p) => p.run_uuid === r.run_uuid).map((p) => ({ key: p.key, value: p.value })),
        tags: tags.filter((t) => t.run_uuid === r.run_uuid).map((t) => ({ key: t.key, value: t.value })),
      },
      inputs: {
        dataset_inputs: inputs
          .filter((i) => i.run_uuid === r.run_uuid)
          .map((i) => ({
            tags: JSON.parse(i.tags) as KeyValue[],
            dataset: { name: i.name, digest: i.digest, source_type: i.source_type, source: i.source, ...(i.schema ? { schema: i.schema } : {}), ...(i.profile ? { profile: i.profile } : {}) },
          })),
      },
    }));
  }
}

/**
 * Metric points as a SELECT of rows for an INSERT. The whole batch travels as one JSON parameter that the
 * database expands (SQLite jsonb_each, Postgres jsonb_array_elements) instead of a 1000-row VALUES list
 * built and compiled by the query builder. ±Infinity are sent as strings, JSON having no spelling for
 * them. `where true` lets SQLite parse an ON CONFLICT clause after the SELECT.
 */
function pointRows(db: Kysely<Database>, runId: string, points: MetricPoint[]): RawBuilder<unknown> {
  const payload = JSON.stringify(points.map((x) => [x.key, Number.isFinite(x.value) ? x.value : x.value > 0 ? 'Infinity' : '-Infinity', x.isNan ? 1 : 0, x.timestamp, x.step]));
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    return sql`select ${runId}, e->>0, (e->>1)::double precision, (e->>2)::int = 1, (e->>3)::bigint, (e->>4)::bigint
      from jsonb_array_elements(${payload}::jsonb) as e where true`;
  }
  // jsonb_each hands each element over as binary JSON, which ->> reads without parsing text again.
  return sql`select ${runId}, j.value ->> 0, case j.value ->> 1 when 'Infinity' then 9e999 when '-Infinity' then -9e999 else j.value ->> 1 end,
      j.value ->> 2, j.value ->> 3, j.value ->> 4
    from jsonb_each(${payload}) as j where true`;
}

/** Page tokens: opaque to clients, the keyset position to us. */
export function encodeToken(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeToken(token: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalid(`invalid page_token ${describeValue(token)}`);
}
