import { BerthError, describeValue } from '../errors/index.js';
import type { Feature } from '../registry/index.js';
import { columnNames, isMissingNumberCell, isNumericColumn, parseNumberCell, sortedDistinct } from './columns.js';
import { encodeRecords, tabularLayout, tabularSpec, type TabularLayout } from './encode.js';
import type { TrainTask } from './types.js';

export const MIN_USABLE_ROWS = 10;
/** A numeric label with at most this many distinct integers is read as classes (0/1, ratings, digits). */
const MAX_INTEGER_CLASSES = 20;
/** One-hot width guard: more distinct values than this is an id or free text, not a category. */
export const MAX_CATEGORY_VALUES = 1000;
/** The card's limit on a category value or label (card.ts). */
const MAX_VALUE_LENGTH = 256;

/** The records reduced to what training needs, encoded exactly as the serving codec would encode them. */
export interface PreparedTable {
  task: TrainTask;
  label: string;
  features: Feature[];
  layout: TabularLayout;
  /** Classification: the labels in card order. Regression: empty. */
  classes: string[];
  /** Indices (into the given records) of the rows kept. */
  usable: number[];
  dropped: number;
  /** usable.length × layout.width, float64. */
  x: Float64Array;
  /** Label cell of each usable row. */
  labelCells: string[];
  /** Class index (classification) or the label's number (regression), per usable row. */
  targets: Float64Array;
}

type Records = ReadonlyArray<Readonly<Record<string, string>>>;

function refuse(message: string, details: Record<string, unknown>): BerthError {
  return new BerthError('invalid_input', message, details);
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, 12).map((n) => `'${n}'`).join(', ');
  return names.length > 12 ? `${shown}, ... (${names.length} columns)` : shown;
}

function chooseFeatures(columns: readonly string[], label: string, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) {
    const rest = columns.filter((c) => c !== label);
    if (rest.length === 0) throw refuse(`the data has no column besides the label '${label}' to learn from`, { column: label });
    return rest;
  }
  if (!Array.isArray(requested) || requested.length === 0) throw refuse('features: expected a non-empty list of column names', { option: 'features' });
  const seen = new Set<string>();
  for (const name of requested) {
    if (name === label) throw refuse(`features: '${name}' is the label column and cannot also be a feature`, { column: name });
    if (seen.has(name)) throw refuse(`features: column '${name}' is listed twice`, { column: name });
    if (!columns.includes(name)) throw refuse(`features: column '${name}' is not in the data (columns: ${listed(columns)})`, { column: name });
    seen.add(name);
  }
  return [...requested];
}

function resolveTask(records: Records, label: string, labelNumeric: boolean, requested: TrainTask | undefined): TrainTask {
  if (requested === 'regression' && !labelNumeric) {
    const index = records.findIndex((r) => !isMissingNumberCell(r[label]) && parseNumberCell(r[label]) === undefined);
    throw refuse(`label column '${label}': regression needs numbers, found ${describeValue(records[index]?.[label])} in row ${index}`, { column: label, row: index });
  }
  if (requested) return requested;
  if (!labelNumeric) return 'classification';
  const distinct = new Set<number>();
  for (const record of records) {
    const value = parseNumberCell(record[label]);
    if (value === undefined) continue;
    if (!Number.isInteger(value)) return 'regression';
    distinct.add(value);
    if (distinct.size > MAX_INTEGER_CLASSES) return 'regression';
  }
  return 'classification';
}

function checkValueLength(column: string, value: string, what: string): void {
  if (value.length > MAX_VALUE_LENGTH) {
    throw refuse(`column '${column}': ${what} ${describeValue(value)} is longer than ${MAX_VALUE_LENGTH} characters, which a model card cannot hold`, { column });
  }
}

/**
 * Picks features and task, drops unusable rows (counting why), fixes the category values and labels,
 * and encodes the kept rows with the serving codec. Every refusal names the column it is about.
 */
export function prepareTable(records: Records, label: string, requestedFeatures: readonly string[] | undefined, requestedTask: TrainTask | undefined): PreparedTable {
  if (!Array.isArray(records) || records.length === 0) throw refuse('no rows to train on', { rows: 0 });
  if (typeof label !== 'string' || label === '') throw refuse('label: expected the name of the label column', { option: 'label' });
  const columns = columnNames(records);
  if (!columns.includes(label)) throw refuse(`label column '${label}' is not in the data (columns: ${listed(columns)})`, { column: label });
  const names = chooseFeatures(columns, label, requestedFeatures);
  for (const name of names) {
    if (name === '' || name.length > MAX_VALUE_LENGTH) throw refuse(`column name ${describeValue(name)} cannot be a feature name (1 to ${MAX_VALUE_LENGTH} characters)`, { column: name });
    if (!records.some((r) => r[name] !== undefined && r[name] !== '')) throw refuse(`column '${name}' has no values in any row; leave it out of features`, { column: name });
  }
  const numeric = names.map((name) => isNumericColumn(records, name));
  const labelNumeric = isNumericColumn(records, label);
  const task = resolveTask(records, label, labelNumeric, requestedTask);

  const usable: number[] = [];
  const droppedBy = new Map<string, number>();
  const drop = (reason: string): void => void droppedBy.set(reason, (droppedBy.get(reason) ?? 0) + 1);
  records.forEach((record, i) => {
    const cell = record[label];
    const labelMissing = cell === undefined || cell === '' || (labelNumeric && isMissingNumberCell(cell));
    if (labelMissing) drop(`an empty label '${label}'`);
    const badFeatures = names.filter((name, f) => (numeric[f] ? parseNumberCell(record[name]) === undefined : record[name] === undefined || record[name] === ''));
    for (const name of badFeatures) drop(`a missing${numeric[names.indexOf(name)] ? ' or non-numeric' : ''} value in '${name}'`);
    if (!labelMissing && badFeatures.length === 0) usable.push(i);
  });
  if (usable.length < MIN_USABLE_ROWS) {
    const why = [...droppedBy.entries()].map(([reason, count]) => `${count} with ${reason}`).join('; ');
    throw refuse(`only ${usable.length} usable rows, at least ${MIN_USABLE_ROWS} are needed${why ? ` (rows dropped: ${why})` : ''}`, { rows: usable.length, dropped: Object.fromEntries(droppedBy) });
  }

  const labelCells = usable.map((i) => records[i]![label]!);
  let classes: string[] = [];
  const targets = new Float64Array(usable.length);
  if (task === 'classification') {
    classes = sortedDistinct(labelCells);
    if (classes.length < 2) throw refuse(`label column '${label}' has a single class ${describeValue(classes[0])} in the ${usable.length} usable rows: there is nothing to tell apart`, { column: label });
    for (const c of classes) checkValueLength(label, c, 'label');
    const index = new Map(classes.map((c, k) => [c, k]));
    labelCells.forEach((c, r) => (targets[r] = index.get(c)!));
  } else {
    labelCells.forEach((c, r) => (targets[r] = parseNumberCell(c)!));
  }

  const features: Feature[] = names.map((name, f) => {
    if (numeric[f]) return { name, type: 'number' };
    const values = sortedDistinct(usable.map((i) => records[i]![name]!));
    if (values.length > MAX_CATEGORY_VALUES) {
      throw refuse(`column '${name}' has ${values.length} distinct values, more than the ${MAX_CATEGORY_VALUES} a one-hot category allows (an id or free text?); leave it out of features`, { column: name });
    }
    for (const v of values) checkValueLength(name, v, 'value');
    // Values from all usable rows, validation included, so every validation row encodes.
    return { name, type: 'category', values, encoding: 'onehot' };
  });
  const layout = tabularLayout(tabularSpec(features));
  const x = encodeRecords(layout, usable.map((i) => records[i]!), usable);
  return { task, label, features, layout, classes, usable, dropped: records.length - usable.length, x, labelCells, targets };
}
