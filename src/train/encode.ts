import { BerthError } from '../errors/index.js';
import { encodeTabular, tabularLayout, type TabularLayout, type TabularSpec } from '../inference/codecs/tabular-codec.js';
import type { Feature } from '../registry/index.js';
import { parseNumberCell } from './columns.js';

/** The card's tabular input; its name is what serving feeds and the exported graph declares. */
export const INPUT_NAME = 'features';

export function tabularSpec(features: Feature[]): TabularSpec {
  return { name: INPUT_NAME, kind: 'tabular', dtype: 'float32', features };
}

/**
 * A record as the serving API would receive it: numbers for number features, strings for categories,
 * and nothing else (so a record's label or unused columns never reach the codec).
 */
export function toInstance(features: readonly Feature[], record: Readonly<Record<string, string | number | undefined>>, where: string): Record<string, string | number> {
  const instance: Record<string, string | number> = {};
  for (const feature of features) {
    const cell = record[feature.name];
    if (cell === undefined || cell === '') {
      throw new BerthError('invalid_input', `${where}column '${feature.name}' is missing`, { feature: feature.name });
    }
    if (feature.type === 'number') {
      const value = parseNumberCell(cell);
      if (value === undefined) {
        throw new BerthError('invalid_input', `${where}column '${feature.name}': expected a number, found ${JSON.stringify(cell)}`, { feature: feature.name });
      }
      instance[feature.name] = value;
    } else {
      instance[feature.name] = String(cell);
    }
  }
  return instance;
}

/** Encodes records row-major into float64 with the serving codec itself, so train and serve columns agree. */
export function encodeRecords(
  layout: TabularLayout,
  records: ReadonlyArray<Readonly<Record<string, string | number | undefined>>>,
  rowNumbers?: readonly number[],
): Float64Array {
  const out = new Float64Array(records.length * layout.width);
  records.forEach((record, i) => {
    const where = `row ${rowNumbers?.[i] ?? i}: `;
    encodeTabular(layout, toInstance(layout.spec.features, record, where), out, i * layout.width, where);
  });
  return out;
}

export { tabularLayout, type TabularLayout };

/** Which encoded columns hold numbers (standardized) rather than one-hot indicators (left as 0/1). */
export function numberColumns(layout: TabularLayout): boolean[] {
  const numeric = new Array<boolean>(layout.width).fill(false);
  layout.spec.features.forEach((feature, i) => {
    if (feature.type === 'number') numeric[layout.columns[i]!.column] = true;
  });
  return numeric;
}

export interface Standardizer {
  mean: Float64Array;
  scale: Float64Array;
}

/**
 * Per-column mean and population std (ddof = 0, as StandardScaler) over the given rows. One-hot
 * columns get mean 0 and scale 1: indicators keep their 0/1 meaning and the L2 penalty treats each
 * category's weight like an unscaled dummy, as a one-hot + StandardScaler-on-numbers pipeline does.
 * A constant column gets scale 1 (it then contributes a constant the bias absorbs).
 */
export function fitStandardizer(x: Float64Array, width: number, rows: readonly number[], standardize: readonly boolean[]): Standardizer {
  const mean = new Float64Array(width);
  const scale = new Float64Array(width).fill(1);
  for (let j = 0; j < width; j++) {
    if (!standardize[j]) continue;
    let sum = 0;
    for (const r of rows) sum += x[r * width + j]!;
    const m = sum / rows.length;
    let squares = 0;
    for (const r of rows) squares += (x[r * width + j]! - m) ** 2;
    const std = Math.sqrt(squares / rows.length);
    mean[j] = m;
    scale[j] = std > 0 ? std : 1;
  }
  return { mean, scale };
}

/** The given rows of x, standardized, as a new contiguous matrix. */
export function standardizedRows(x: Float64Array, width: number, rows: readonly number[], s: Standardizer): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, i) => {
    for (let j = 0; j < width; j++) out[i * width + j] = (x[r * width + j]! - s.mean[j]!) / s.scale[j]!;
  });
  return out;
}
