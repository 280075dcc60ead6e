import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/index.js';
import { recordAudit } from '../audit/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { Database, DatasetVersionsTable } from '../store/index.js';
import { nowIso } from '../store/index.js';
import { profileTable, type ColumnInfo, type ColumnProfile } from './profile.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface DatasetVersion {
  name: string;
  version: number;
  sha256: string;
  size_bytes: number;
  format: string;
  rows: number;
  columns: ColumnInfo[];
  description: string;
  created_by: string;
  created_at: string;
}

export interface DatasetVersionWithProfile extends DatasetVersion {
  profile: Record<string, ColumnProfile>;
}

export interface DatasetLineage {
  dataset: DatasetVersion;
  /** Tracking runs that logged this dataset as an input (by digest). */
  runs: Array<{ run_id: string; run_name: string; experiment_id: string; status: string }>;
  /** Model versions trained on it: their source dataset is it, or their source run used it. */
  model_versions: Array<{ model: string; version: number; via: 'source_dataset' | 'source_run' }>;
}

export interface ModelLineage {
  model: string;
  version: number;
  source_run: { run_id: string; run_name: string; experiment_id: string; status: string } | null;
  datasets: Array<DatasetVersion & { via: 'source_dataset' | 'run_input' }>;
}

function view(row: DatasetVersionsTable): DatasetVersion {
  return {
    name: row.name,
    version: row.version,
    sha256: row.sha256,
    size_bytes: Number(row.size_bytes),
    format: row.format,
    rows: row.rows,
    columns: JSON.parse(row.columns) as ColumnInfo[],
    description: row.description,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/** Digests as runs record them: a bare sha256 or `sha256:<hex>`. */
function digestForms(sha256: string): string[] {
  return [sha256, `sha256:${sha256}`];
}

function shaOf(digest: string | null): string | undefined {
  if (!digest) return undefined;
  const m = /^(?:sha256:)?([0-9a-f]{64})$/.exec(digest);
  return m?.[1];
}

/**
 * Dataset versions: a CSV file stored content-addressed, with its sha256, row count, typed columns and a
 * profile (quantiles, category counts, missing shares) computed once at registration. Lineage joins
 * datasets to tracking runs (their logged inputs) and model versions (their source dataset or run).
 */
export class DatasetRegistry {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly artifacts: ArtifactStore,
    private readonly maxBytes: number,
  ) {}

  async register(input: { name: string; file: string; description?: string | undefined }, actor: string): Promise<DatasetVersionWithProfile> {
    if (typeof input.name !== 'string' || !NAME.test(input.name)) {
      throw new BerthError('invalid_input', `dataset name must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}, got ${describeValue(input.name)}`);
    }
    const info = await stat(input.file).catch(() => undefined);
    if (!info?.isFile()) throw new BerthError('invalid_input', `dataset file ${input.file} does not exist or is not a file`);
    if (info.size > this.maxBytes) throw new BerthError('payload_too_large', `dataset file is ${info.size} bytes; the limit is ${this.maxBytes} (registry.max_dataset_bytes)`);
    const bytes = await readFile(input.file);
    let records: Array<Record<string, string>>;
    let header: string[] = [];
    try {
      records = parseCsv(bytes, {
        columns: (names: string[]) => {
          header = names.map((n) => n.trim());
          return header;
        },
        skip_empty_lines: true,
        trim: true,
      }) as Array<Record<string, string>>;
    } catch (err) {
      throw new BerthError('invalid_input', `${input.file} is not a readable CSV file with a header row: ${(err as Error).message}`);
    }
    if (header.length === 0) throw new BerthError('invalid_input', `${input.file} has no header row`);
    if (new Set(header).size !== header.length) throw new BerthError('invalid_input', `${input.file}: column names must be unique`);
    const { columns, profile } = profileTable(header, records);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.artifacts.putBuffer(bytes);
    const version = await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('dataset_names').values({ name: input.name, last_version: 0 }).onConflict((oc) => oc.column('name').doNothing()).execute();
      const next = await trx
        .updateTable('dataset_names')
        .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
        .where('name', '=', input.name)
        .returning('last_version')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('dataset_versions')
        .values({
          name: input.name,
          version: next.last_version,
          sha256,
          size_bytes: bytes.length,
          format: 'csv',
          rows: records.length,
          columns: JSON.stringify(columns),
          profile: JSON.stringify(profile),
          description: input.description ?? '',
          created_by: actor,
          created_at: nowIso(),
        })
        .execute();
      await recordAudit(trx, { actor, action: 'dataset.create', targetType: 'dataset', target: `${input.name}/${next.last_version}`, after: { sha256, rows: records.length, columns: columns.length } });
      return next.last_version;
    });
    return this.get(input.name, version);
  }

  async list(): Promise<Array<{ name: string; latest_version: number; versions: number }>> {
    const rows = await this.db
      .selectFrom('dataset_versions')
      .select((eb) => ['name', eb.fn.max('version').as('latest'), eb.fn.countAll().as('n')])
      .groupBy('name')
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ name: r.name, latest_version: Number(r.latest), versions: Number(r.n) }));
  }

  async versions(name: string): Promise<DatasetVersion[]> {
    const rows = await this.db.selectFrom('dataset_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').execute();
    if (rows.length === 0) throw new BerthError('not_found', `dataset '${name}' does not exist`);
    return rows.map(view);
  }

  async get(name: string, version?: number): Promise<DatasetVersionWithProfile> {
    let q = this.db.selectFrom('dataset_versions').selectAll().where('name', '=', name);
    q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    if (!row) throw new BerthError('not_found', version === undefined ? `dataset '${name}' does not exist` : `dataset '${name}' has no version ${version}`);
    return { ...view(row), profile: JSON.parse(row.profile) as Record<string, ColumnProfile> };
  }

  /** The file's bytes, verified against the recorded sha256. */
  async read(name: string, version?: number): Promise<Buffer> {
    return this.artifacts.read((await this.get(name, version)).sha256);
  }

  async lineage(name: string, version?: number): Promise<DatasetLineage> {
    const dataset = await this.get(name, version);
    const runs = await this.db
      .selectFrom('tracking_datasets')
      .innerJoin('run_inputs', 'run_inputs.dataset_uuid', 'tracking_datasets.dataset_uuid')
      .innerJoin('runs', 'runs.run_uuid', 'run_inputs.run_uuid')
      .select(['runs.run_uuid as run_id', 'runs.run_name as run_name', 'runs.experiment_id as experiment_id', 'runs.status as status'])
      .where('tracking_datasets.digest', 'in', digestForms(dataset.sha256))
      .orderBy('runs.start_time')
      .execute();
    const runIds = runs.map((r) => r.run_id);
    const versions = await this.db
      .selectFrom('model_versions')
      .innerJoin('models', 'models.id', 'model_versions.model_id')
      .select(['models.name as model', 'model_versions.version as version', 'model_versions.source_dataset as source_dataset', 'model_versions.source_run as source_run'])
      .where((eb) => eb.or([eb('model_versions.source_dataset', 'in', digestForms(dataset.sha256)), ...(runIds.length > 0 ? [eb('model_versions.source_run', 'in', runIds)] : [])]))
      .orderBy('models.name')
      .orderBy('model_versions.version')
      .execute();
    const { profile: _profile, ...brief } = dataset;
    void _profile;
    return {
      dataset: brief,
      runs: [...new Map(runs.map((r) => [r.run_id, { ...r, experiment_id: String(r.experiment_id) }])).values()],
      model_versions: versions.map((v) => ({ model: v.model, version: v.version, via: shaOf(v.source_dataset) === dataset.sha256 ? ('source_dataset' as const) : ('source_run' as const) })),
    };
  }

  /** The other direction: a model version → its source run → the datasets it was trained on. */
  async modelLineage(model: string, version: number): Promise<ModelLineage> {
    const row = await this.db
      .selectFrom('model_versions')
      .innerJoin('models', 'models.id', 'model_versions.model_id')
      .select(['model_versions.source_run as source_run', 'model_versions.source_dataset as source_dataset'])
      .where('models.name', '=', model)
      .where('model_versions.version', '=', version)
      .executeTakeFirst();
    if (!row) throw new BerthError('not_found', `model '${model}' has no version ${version}`);
    const run = row.source_run
      ? await this.db.selectFrom('runs').select(['run_uuid as run_id', 'run_name', 'experiment_id', 'status']).where('run_uuid', '=', row.source_run).executeTakeFirst()
      : undefined;
    const shas = new Map<string, 'source_dataset' | 'run_input'>();
    const direct = shaOf(row.source_dataset);
    if (direct) shas.set(direct, 'source_dataset');
    if (run) {
      const digests = await this.db
        .selectFrom('run_inputs')
        .innerJoin('tracking_datasets', 'tracking_datasets.dataset_uuid', 'run_inputs.dataset_uuid')
        .select('tracking_datasets.digest as digest')
        .where('run_inputs.run_uuid', '=', run.run_id)
        .execute();
      for (const d of digests) {
        const sha = shaOf(d.digest);
        if (sha && !shas.has(sha)) shas.set(sha, 'run_input');
      }
    }
    const datasets = shas.size === 0 ? [] : await this.db.selectFrom('dataset_versions').selectAll().where('sha256', 'in', [...shas.keys()]).orderBy('name').orderBy('version').execute();
    return {
      model,
      version,
      source_run: run ? { ...run, experiment_id: String(run.experiment_id) } : null,
      datasets: datasets.map((d) => ({ ...view(d), via: shas.get(d.sha256)! })),
    };
  }
}
