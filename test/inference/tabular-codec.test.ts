import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/index.js';
import { encodeTabular, tabularLayout } from '../../src/inference/index.js';
import type { TabularSpec } from '../../src/inference/codecs/tabular-codec.js';

/**
 * The codec's contract written the plain way: an unknown key (not a feature, not ignored) is refused
 * first, then features in card order: missing, wrong type, non-finite, out of range, undeclared category.
 * Returns the error message, or the encoded row.
 */
function reference(spec: TabularSpec, instance: Record<string, unknown>, ignore: ReadonlySet<string>): string | number[] {
  const names = new Set(spec.features.map((f) => f.name));
  if (!spec.allow_extra) {
    const unknown = Object.keys(instance).find((k) => !names.has(k) && !ignore.has(k));
    if (unknown !== undefined) return `feature '${unknown}' is not one of the model's features`;
  }
  const row: number[] = [];
  for (const f of spec.features) {
    const v = instance[f.name];
    if (v === undefined || v === null) return `feature '${f.name}' is missing`;
    if (f.type === 'number') {
      if (typeof v !== 'number') return `feature '${f.name}': expected number`;
      if (!Number.isFinite(v)) return `feature '${f.name}': expected a finite number`;
      if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) return `feature '${f.name}': ${v} is outside`;
      row.push(v);
    } else {
      const index = typeof v === 'string' ? f.values.indexOf(v) : -1;
      if (index < 0) return `feature '${f.name}': expected one of`;
      if ((f.encoding ?? 'onehot') === 'onehot') row.push(...f.values.map((_, k) => (k === index ? 1 : 0)));
      else row.push(index);
    }
  }
  return row;
}

const featureName = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const spec = fc
  .record({
    features: fc.uniqueArray(
      fc.oneof(
        fc.record({ name: featureName, type: fc.constant('number' as const), min: fc.option(fc.constant(0), { nil: undefined }), max: fc.option(fc.constant(10), { nil: undefined }) }),
        fc.record({ name: featureName, type: fc.constant('category' as const), values: fc.constant(['x', 'y', 'z']).map((v) => [...v]), encoding: fc.constantFrom('onehot' as const, 'index' as const) }),
      ),
      { minLength: 1, maxLength: 5, selector: (f) => f.name },
    ),
    allow_extra: fc.boolean(),
  })
  .map((s): TabularSpec => ({ name: 'features', kind: 'tabular', ...s }));
const value = fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom('x', 'y', 'q', null, Number.NaN, Number.POSITIVE_INFINITY, true));
const instance = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'extra', 'other'), value, { maxKeys: 9 });

describe('encodeTabular', () => {
  it('encodes or refuses exactly as the plain reference does (same row, same first error)', () => {
    fc.assert(
      fc.property(spec, instance, fc.boolean(), (s, inst, withIgnore) => {
        const layout = tabularLayout(s);
        const ignore = new Set(withIgnore ? ['other'] : []);
        const expected = reference(s, inst, ignore);
        const out = new Float32Array(layout.width + 2).fill(-1);
        let got: string | number[];
        try {
          encodeTabular(layout, inst, out, 1, '', withIgnore ? ignore : undefined);
          got = Array.from(out.subarray(1, 1 + layout.width));
          expect(out[0]).toBe(-1);
          expect(out[layout.width + 1]).toBe(-1);
        } catch (err) {
          if (!(err instanceof BerthError)) throw err;
          expect(err.code).toBe('invalid_input');
          got = err.message;
        }
        if (typeof expected === 'string') expect(typeof got === 'string' && got.startsWith(expected)).toBe(true);
        else expect(got).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
