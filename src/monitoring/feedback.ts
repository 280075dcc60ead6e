import { BerthError, describeValue } from '../errors/index.js';
import type { PredictionLog } from './prediction-log.js';
import type { FeedbackRow, PredictionStore } from './prediction-store.js';

/** Most feedback items in one call (bulk endpoint, one CSV import chunk). */
export const MAX_FEEDBACK_ITEMS = 10_000;
const MAX_LABEL_CHARS = 1000;

export interface FeedbackResult {
  accepted: number;
  /** Ids not in the prediction log (never logged, or removed by retention): reported, not stored. */
  unknown: string[];
}

function parseTime(value: unknown, where: string): number {
  if (value === undefined || value === null) return Date.now();
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new BerthError('invalid_input', `${where}timestamp: expected epoch milliseconds or an ISO-8601 time, got ${describeValue(value)}`);
}

/** Checks one feedback item: {prediction_id, label, timestamp?}; the message names the item and field. */
export function parseFeedbackItem(item: unknown, where = ''): FeedbackRow {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new BerthError('invalid_input', `${where}expected {"prediction_id": "...", "label": ...}, got ${describeValue(item)}`);
  const record = item as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => !['prediction_id', 'label', 'timestamp'].includes(k));
  if (unknownKeys.length > 0) throw new BerthError('invalid_input', `${where}unknown field(s) ${unknownKeys.map((k) => `'${k}'`).join(', ')}: expected prediction_id, label, timestamp`);
  const id = record['prediction_id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw new BerthError('invalid_input', `${where}prediction_id: expected the id of a prediction (1-64 characters), got ${describeValue(id)}`);
  return { prediction_id: id, label: parseLabel(record['label'], where), ts: parseTime(record['timestamp'], where) };
}

export function parseLabel(label: unknown, where = ''): string | number | boolean {
  if (typeof label === 'string' && label.length > 0 && label.length <= MAX_LABEL_CHARS) return label;
  if (typeof label === 'number' && Number.isFinite(label)) return label;
  if (typeof label === 'boolean') return label;
  throw new BerthError('invalid_input', `${where}label: expected a class name (1-${MAX_LABEL_CHARS} characters), a finite number or a boolean, got ${describeValue(label)}`);
}

/** Ground truth that arrives after the fact, joined to the prediction log by prediction id. */
export class Feedback {
  constructor(
    private readonly predictions: PredictionStore,
    private readonly log: PredictionLog | undefined,
  ) {}

  /** Records labels. All items are checked first (a bad one refuses the call, naming its index). */
  async record(items: unknown): Promise<FeedbackResult> {
    if (!Array.isArray(items)) throw new BerthError('invalid_input', `items: expected a list of {prediction_id, label}, got ${describeValue(items)}`);
    if (items.length === 0) throw new BerthError('invalid_input', 'items: the list is empty');
    if (items.length > MAX_FEEDBACK_ITEMS) throw new BerthError('payload_too_large', `items: ${items.length} in one call; the limit is ${MAX_FEEDBACK_ITEMS}`);
    const rows = items.map((item, i) => parseFeedbackItem(item, items.length === 1 ? '' : `items[${i}]: `));
    // Predictions answered a moment ago may still sit in this process's log queue.
    await this.log?.flush();
    const known = await this.predictions.existing([...new Set(rows.map((r) => r.prediction_id))]);
    const accepted = rows.filter((r) => known.has(r.prediction_id));
    await this.predictions.upsertFeedback(accepted, Date.now());
    return { accepted: accepted.length, unknown: [...new Set(rows.filter((r) => !known.has(r.prediction_id)).map((r) => r.prediction_id))] };
  }
}
