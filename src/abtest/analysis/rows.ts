/** From per-subject rows (as in `berth abtest analyze FILE.csv`) to per-metric sufficient statistics. */
import { BerthError } from '../../errors/index.js';
import { ArmAccumulator, type ArmStats } from './arm.js';

/** One observation: a subject's value of a metric, and the variant the subject is in. */
export interface MetricRow {
  subject: string;
  variant: string;
  metric: string;
  value: number;
}

/** Sufficient statistics of one metric in every variant. */
export interface MetricArms {
  /** 'binary' when every value of the metric, in every variant, is 0 or 1. */
  kind: 'binary' | 'numeric';
  /** One entry per variant, control first (see {@link statsFromRows}); an arm without rows has n = 0. */
  arms: ArmStats[];
}

/**
 * Per metric, per variant sufficient statistics of rows (subject, variant, metric, value), one row
 * per subject and metric. Metrics come out in order of first appearance. Every metric lists the
 * same arms: the variants in `options.variants` order when given (the first is the control),
 * else all variants seen, sorted by code unit (so the alphabetically first is the control). A
 * variant without rows for a metric gets an arm with n = 0.
 *
 * Rows are numbered from 1 in the order given (a CSV's header line not counted). Refused with a
 * BerthError naming the row (details.row): an empty subject, variant or metric; a value that is
 * not a finite number; a subject in two variants (broken assignment); the same subject twice for
 * one metric; a variant not in `options.variants`. Also refused: no rows, fewer than two variants,
 * a repeated name in `options.variants`.
 */
export function statsFromRows(rows: ReadonlyArray<MetricRow>, options: { variants?: readonly string[] } = {}): Map<string, MetricArms> {
  if (rows.length === 0) throw new BerthError('invalid_input', 'no rows to analyse');
  const listed = options.variants;
  if (listed !== undefined) {
    const unique = new Set(listed);
    if (unique.size !== listed.length) throw new BerthError('invalid_input', `variants list a name twice: ${listed.join(', ')}`);
    for (const v of listed) if (typeof v !== 'string' || v === '') throw new BerthError('invalid_input', 'variant names must be non-empty strings');
  }
  const subjectVariant = new Map<string, { variant: string; row: number }>();
  const seenPair = new Map<string, number>();
  const metrics = new Map<string, { binary: boolean; byVariant: Map<string, ArmAccumulator> }>();
  const variantsSeen = new Set<string>();

  for (let i = 0; i < rows.length; i++) {
    const rowNo = i + 1;
    const r = rows[i] as MetricRow;
    const fail = (message: string, extra: Record<string, unknown> = {}): never => {
      throw new BerthError('invalid_input', `row ${rowNo}: ${message}`, { row: rowNo, ...extra });
    };
    if (r === null || typeof r !== 'object') fail('not a row');
    for (const field of ['subject', 'variant', 'metric'] as const) {
      const v: unknown = r[field];
      if (typeof v !== 'string' || v.trim() === '') fail(`${field} is missing or empty`, { field });
    }
    const { subject, variant, metric, value } = r;
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`value for subject ${JSON.stringify(subject)}, metric ${JSON.stringify(metric)} is not a finite number (${String(value)})`, { subject, metric });
    if (listed !== undefined && !listed.includes(variant)) fail(`variant ${JSON.stringify(variant)} is not one of the test's variants (${listed.join(', ')})`, { variant });

    const assigned = subjectVariant.get(subject);
    if (assigned === undefined) subjectVariant.set(subject, { variant, row: rowNo });
    else if (assigned.variant !== variant) {
      fail(`subject ${JSON.stringify(subject)} is in variant ${JSON.stringify(variant)} here but in ${JSON.stringify(assigned.variant)} on row ${assigned.row}; each subject must stay in one variant`, {
        subject,
      });
    }
    const pairKey = `${subject.length}:${subject}${metric}`;
    const earlier = seenPair.get(pairKey);
    if (earlier !== undefined) fail(`subject ${JSON.stringify(subject)} already has a value for metric ${JSON.stringify(metric)} on row ${earlier}; give one row per subject and metric`, { subject, metric });
    seenPair.set(pairKey, rowNo);

    variantsSeen.add(variant);
    let m = metrics.get(metric);
    if (m === undefined) {
      m = { binary: true, byVariant: new Map() };
      metrics.set(metric, m);
    }
    if (value !== 0 && value !== 1) m.binary = false;
    let acc = m.byVariant.get(variant);
    if (acc === undefined) {
      acc = new ArmAccumulator();
      m.byVariant.set(variant, acc);
    }
    acc.add(value);
  }

  const order = listed !== undefined ? [...listed] : [...variantsSeen].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  if (order.length < 2) throw new BerthError('invalid_input', `an A/B test needs at least two variants; the rows have only ${order.join(', ')}`, { variants: order });
  const out = new Map<string, MetricArms>();
  for (const [metric, m] of metrics) {
    out.set(metric, {
      kind: m.binary ? 'binary' : 'numeric',
      arms: order.map((v) => (m.byVariant.get(v) ?? new ArmAccumulator()).stats(v)),
    });
  }
  return out;
}
