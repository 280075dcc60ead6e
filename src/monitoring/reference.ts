import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { BerthError, describeValue } from '../errors/index.js';
import type { Feature, Registry, VersionView } from '../registry/index.js';
import type { Database } from '../store/index.js';
import { sketchReference, type ColumnSample, type ReferenceSketch } from './drift/index.js';

/** The model's own outputs on its reference data: what prediction drift compares against. */
export interface ReferencePredictions {
  rows: number;
  refused: number;
  /** Classification: how often each label was predicted. */
  label_counts?: Record<string, number>;
  /** Columns `label` and `confidence` (classification) or `value` (regression), sketched like features. */
  sketch: ReferenceSketch;
}

export interface DriftReference {
  model: string;
  version: number;
  rows: number;
  source: string;
  sketch: ReferenceSketch;
  predictions: ReferencePredictions;
  created_at: number;
}

/** A reference as the API shows it (the sketch itself stays internal). */
export interface ReferenceView {
  model: string;
  version: number;
  rows: number;
  source: string;
  created_at: string;
  sampled: boolean;
  max_sample: number;
  columns: Array<{ name: string; kind: string; unique: number; missing: number }>;
  predictions: { rows: number; refused: number; label_counts?: Record<string, number> };
}

export function referenceView(ref: DriftReference): ReferenceView {
  return {
    model: ref.model,
    version: ref.version,
    rows: ref.rows,
    source: ref.source,
    created_at: new Date(ref.created_at).toISOString(),
    sampled: ref.sketch.sampled,
    max_sample: ref.sketch.max_sample,
    columns: ref.sketch.columns.map((c) => ({ name: c.name, kind: c.kind, unique: c.unique, missing: c.missing })),
    predictions: { rows: ref.predictions.rows, refused: ref.predictions.refused, ...(ref.predictions.label_counts ? { label_counts: ref.predictions.label_counts } : {}) },
  };
}

/** The single tabular input of a card, which drift and data quality watch; undefined for other models. */
export function tabularInputOf(view: Pick<VersionView, 'card'>): { name: string; features: Feature[] } | undefined {
  const tabular = view.card.inputs.filter((i) => i.kind === 'tabular');
  if (tabular.length !== 1) return undefined;
  const input = tabular[0]!;
  return input.kind === 'tabular' ? { name: input.name, features: input.features } : undefined;
}

/** The features object of a logged instance: flat, or nested under the tabular input's name. */
export function featuresOf(instance: unknown, inputName: string): Record<string, unknown> | undefined {
  if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) return undefined;
  const record = instance as Record<string, unknown>;
  const nested = record[inputName];
  if (nested !== null && typeof nested === 'object' && !Array.isArray(nested)) return nested as Record<string, unknown>;
  return record;
}

/** Per-feature columns of feature objects, typed by the card: numbers (NaN when missing/invalid) or category strings. */
export function columnsOf(records: ReadonlyArray<Record<string, unknown> | undefined>, features: readonly Feature[]): ColumnSample[] {
  return features.map((feature) => {
    if (feature.type === 'number') {
      const numbers = new Float64Array(records.length);
      records.forEach((r, i) => {
        const v = r?.[feature.name];
        numbers[i] = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : Number.NaN;
      });
      return { name: feature.name, kind: 'numeric' as const, numbers };
    }
    const categories = records.map((r) => {
      const v = r?.[feature.name];
      return v === undefined || v === null || v === '' ? null : String(v);
    });
    return { name: feature.name, kind: 'categorical' as const, categories };
  });
}

/**
 * Precomputes, once per version, what drift needs of its reference data: the feature sketch (sorted
 * quantile points per numeric feature, category counts) and the model's predictions on the same rows.
 * Reports then never re-read the raw reference.
 */
export class DriftReferences {
  private cache = new Map<string, DriftReference | null>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly registry: Registry,
    private readonly config: Config,
  ) {}

  async get(model: string, version: number): Promise<DriftReference | undefined> {
    const key = `${model}@${version}`;
    if (this.cache.has(key)) return this.cache.get(key) ?? undefined;
    const row = await this.db.selectFrom('drift_references').selectAll().where('model', '=', model).where('version', '=', version).executeTakeFirst();
    const reference = row
      ? { model: row.model, version: Number(row.version), rows: Number(row.rows), source: row.source, sketch: JSON.parse(row.sketch) as ReferenceSketch, predictions: JSON.parse(row.predictions) as ReferencePredictions, created_at: Number(row.created_at) }
      : null;
    if (reference) this.cache.set(key, reference);
    return reference ?? undefined;
  }

  /** Builds and stores the reference of a version from rows of feature values (e.g. the training CSV). */
  async set(model: string, version: number, records: ReadonlyArray<Record<string, unknown>>, source: string, actor: string): Promise<DriftReference> {
    const view = await this.registry.getVersion(model, version);
    const tabular = tabularInputOf(view);
    if (!tabular) throw new BerthError('invalid_input', `${model} v${version} has no single tabular input: drift references are built for tabular models`);
    if (records.length === 0) throw new BerthError('invalid_input', 'the reference has no rows');
    const present = new Set(Object.keys(records[0] ?? {}));
    const missing = tabular.features.filter((f) => !present.has(f.name)).map((f) => f.name);
    if (missing.length > 0) throw new BerthError('invalid_input', `the reference lacks feature column(s) ${missing.slice(0, 10).map((m) => `'${m}'`).join(', ')}${missing.length > 10 ? ', ...' : ''} of ${model} v${version}`, { missing });

    const features = records.map((r) => featuresOf(r, tabular.name));
    const sketch = sketchReference(columnsOf(features, tabular.features), { maxSample: this.config.monitoring.reference_sample });
    const predictions = await this.predictReference(view, records, tabular.features);
    const reference: DriftReference = { model, version, rows: records.length, source, sketch, predictions, created_at: Date.now() };
    await this.db.transaction().execute(async (trx) => {
      const values = { model, version, rows: reference.rows, source, sketch: JSON.stringify(sketch), predictions: JSON.stringify(predictions), created_at: reference.created_at };
      await trx
        .insertInto('drift_references')
        .values(values)
        .onConflict((oc) => oc.columns(['model', 'version']).doUpdateSet({ rows: values.rows, source, sketch: values.sketch, predictions: values.predictions, created_at: values.created_at }))
        .execute();
      await recordAudit(trx, { actor, action: 'version.reference.set', targetType: 'version', target: `${model}/${version}`, model, after: { rows: reference.rows, source } });
    });
    this.cache.set(`${model}@${version}`, reference);
    return reference;
  }

  /** The model's predictions on its reference, through the same inference code as serving. */
  private async predictReference(view: VersionView, records: ReadonlyArray<Record<string, unknown>>, features: readonly Feature[]): Promise<ReferencePredictions> {
    const names = features.map((f) => f.name);
    const numeric = new Set(features.filter((f) => f.type === 'number').map((f) => f.name));
    const instances = records.map((r) => {
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const v = r[name];
        if (v === undefined || v === null || v === '') continue;
        out[name] = numeric.has(name) && typeof v === 'string' ? Number(v) : v;
      }
      return out;
    });
    const { InlineExecutor, LoadedModel } = await import('../inference/index.js');
    const { bytes } = await this.registry.readArtifact(view.model, view.version);
    const inference = this.config.inference;
    const executor = await InlineExecutor.create(bytes, { intraOpThreads: inference.intra_op_threads, interOpThreads: inference.inter_op_threads, graphOptimization: inference.graph_optimization });
    const chunkRows = 1000;
    const loaded = new LoadedModel(view, executor, { maxBatchSize: inference.max_batch_size, maxQueueDelayUs: 0, maxQueueRows: Math.max(inference.max_queue_rows, chunkRows * 2) }, { maxPixels: inference.max_image_pixels, maxBytes: inference.max_image_bytes });
    const labelCounts: Record<string, number> = {};
    const labels: string[] = [];
    const confidences: number[] = [];
    const values: number[] = [];
    let refused = 0;
    try {
      for (let start = 0; start < instances.length; start += chunkRows) {
        const chunk = instances.slice(start, start + chunkRows);
        const good: unknown[] = [];
        for (const instance of chunk) {
          try {
            await loaded.encode([instance], () => '');
            good.push(instance);
          } catch {
            refused++;
          }
        }
        if (good.length === 0) continue;
        for (const p of (await loaded.predict(good)).predictions) {
          if (p.label !== undefined) {
            labels.push(p.label);
            labelCounts[p.label] = (labelCounts[p.label] ?? 0) + 1;
          }
          if (typeof p.confidence === 'number') confidences.push(p.confidence);
          if (typeof p.value === 'number') values.push(p.value);
        }
      }
    } finally {
      await loaded.retire();
    }
    if (refused === instances.length) throw new BerthError('invalid_input', `${view.model} v${view.version} refused every reference row (check the column names and types against the card)`);
    const columns: ColumnSample[] = [];
    if (labels.length > 0) columns.push({ name: 'label', kind: 'categorical', categories: labels });
    if (confidences.length > 0) columns.push({ name: 'confidence', kind: 'numeric', numbers: Float64Array.from(confidences) });
    if (values.length > 0) columns.push({ name: 'value', kind: 'numeric', numbers: Float64Array.from(values) });
    const out: ReferencePredictions = { rows: instances.length - refused, refused, sketch: sketchReference(columns, { maxSample: this.config.monitoring.reference_sample }) };
    if (labels.length > 0) out.label_counts = labelCounts;
    return out;
  }
}

/** Parses CSV text into records of strings (empty cells dropped), for references given as files. */
export async function readCsvRecords(text: string, where: string): Promise<Array<Record<string, unknown>>> {
  const { parse } = await import('csv-parse/sync');
  try {
    const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
    return rows;
  } catch (err) {
    throw new BerthError('invalid_input', `${where} is not a CSV with a header row: ${(err as Error).message}`, { got: describeValue(text.slice(0, 40)) });
  }
}
