import type { Static } from 'typebox';
import { BerthError, describeValue } from '../../errors/index.js';
import { encodedWidth, type TabularInput } from '../../registry/index.js';

export type TabularSpec = Static<typeof TabularInput>;

/** Precomputed once per loaded version: where each feature lands in the row. */
export interface TabularLayout {
  spec: TabularSpec;
  width: number;
  names: Set<string>;
  /** Column of each feature, and for categories the column (one-hot) or index of each value. */
  columns: Array<{ column: number; categories?: Map<string, number> }>;
}

export function tabularLayout(spec: TabularSpec): TabularLayout {
  let column = 0;
  const columns = spec.features.map((f) => {
    const at = column;
    if (f.type === 'category') {
      const onehot = (f.encoding ?? 'onehot') === 'onehot';
      column += onehot ? f.values.length : 1;
      return { column: at, categories: new Map(f.values.map((v, i) => [v, i])) };
    }
    column += 1;
    return { column: at };
  });
  return { spec, width: encodedWidth(spec.features), names: new Set(spec.features.map((f) => f.name)), columns };
}

/**
 * Writes one instance's features into `out` at `offset`, in card order. Refuses missing, unknown (unless
 * the card allows extras), wrong-typed, non-finite and out-of-range values, naming the feature.
 * `ignore` lists keys that are not features (other inputs' names) and so are never "unknown".
 */
export function encodeTabular(
  layout: TabularLayout,
  instance: Record<string, unknown>,
  out: Float32Array | Float64Array,
  offset: number,
  where: string,
  ignore?: ReadonlySet<string>,
): void {
  const { spec } = layout;
  // Every feature present and no more keys than features means no unknown key, so the full scan runs
  // only when there are more keys, or once a feature is refused: an unknown key is reported first (it is
  // likely a misspelt feature).
  if (!spec.allow_extra && Object.keys(instance).length > spec.features.length) refuseUnknown(layout, instance, where, ignore);
  try {
    writeFeatures(layout, instance, out, offset, where);
  } catch (err) {
    if (!spec.allow_extra) refuseUnknown(layout, instance, where, ignore);
    throw err;
  }
}

function writeFeatures(layout: TabularLayout, instance: Record<string, unknown>, out: Float32Array | Float64Array, offset: number, where: string): void {
  const features = layout.spec.features;
  for (let i = 0; i < features.length; i++) {
    const feature = features[i]!;
    const value = instance[feature.name];
    const place = layout.columns[i]!;
    if (value === undefined || value === null) {
      throw new BerthError('invalid_input', `${where}feature '${feature.name}' is missing`, { feature: feature.name });
    }
    if (feature.type === 'number') {
      if (typeof value !== 'number') {
        throw new BerthError('invalid_input', `${where}feature '${feature.name}': expected number, got ${typeof value === 'string' ? 'string' : typeof value} ${describeValue(value)}`, { feature: feature.name });
      }
      if (!Number.isFinite(value)) throw new BerthError('invalid_input', `${where}feature '${feature.name}': expected a finite number, got ${value}`, { feature: feature.name });
      if ((feature.min !== undefined && value < feature.min) || (feature.max !== undefined && value > feature.max)) {
        throw new BerthError('invalid_input', `${where}feature '${feature.name}': ${value} is outside the valid range [${feature.min ?? '-inf'}, ${feature.max ?? 'inf'}]`, { feature: feature.name });
      }
      out[offset + place.column] = value;
      continue;
    }
    const index = typeof value === 'string' ? place.categories!.get(value) : undefined;
    if (index === undefined) {
      const shown = feature.values.length <= 20 ? feature.values.map((v) => JSON.stringify(v)).join(', ') : `${feature.values.length} declared values`;
      throw new BerthError('invalid_input', `${where}feature '${feature.name}': expected one of ${shown}, got ${describeValue(value)}`, { feature: feature.name });
    }
    if ((feature.encoding ?? 'onehot') === 'onehot') {
      for (let k = 0; k < feature.values.length; k++) out[offset + place.column + k] = k === index ? 1 : 0;
    } else {
      out[offset + place.column] = index;
    }
  }
}

/** Throws for the first key that is neither a feature nor in `ignore`. */
function refuseUnknown(layout: TabularLayout, instance: Record<string, unknown>, where: string, ignore?: ReadonlySet<string>): void {
  for (const key of Object.keys(instance)) {
    if (!layout.names.has(key) && !ignore?.has(key)) {
      throw new BerthError('invalid_input', `${where}feature '${key}' is not one of the model's features (the card does not allow extra fields)`, { feature: key });
    }
  }
}
