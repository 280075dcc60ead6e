/**
 * sortedFinite: exact equality only (a sort has no tolerance). Against numpy's np.sort on the
 * golden inputs (NaN removed; -0 and +0 compare equal there), and, by property, against
 * Float64Array#sort of the NaN-free input, compared with Object.is so -0 must precede +0.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedFinite } from '../../src/stats/index.js';
import { cases, num, nums, sampleOf, type Json, type SampleJson } from './golden.js';

interface SortCase {
  input: Json[] | SampleJson;
  sorted?: Json[];
  sorted_check?: { first: number; last: number; median_index: number; median: number };
}

/** Reference: the built-in typed-array sort, which orders -0 before +0 and is well tested. */
function referenceSort(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Array.from(values).filter((v) => !Number.isNaN(v))).sort();
}

function expectSameBits(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('sortedFinite against numpy goldens', () => {
  for (const [k, c] of cases<SortCase>('sortedFinite').entries()) {
    it(`case ${k}`, () => {
      const input = Array.isArray(c.input) ? nums(c.input) : sampleOf(c.input);
      const out = sortedFinite(input);
      if (c.sorted) {
        const expected = nums(c.sorted);
        expect(out.length).toBe(expected.length);
        // numpy leaves -0 and +0 in input order; === treats them as equal, as numpy does.
        for (let i = 0; i < expected.length; i++) expect(out[i] === expected[i]).toBe(true);
        expectSameBits(out, referenceSort(input));
      } else if (c.sorted_check) {
        expect(out.length).toBe(input.length);
        expect(out[0]).toBe(num(c.sorted_check.first));
        expect(out[out.length - 1]).toBe(num(c.sorted_check.last));
        expect(out[c.sorted_check.median_index]).toBe(num(c.sorted_check.median));
        expectSameBits(out, referenceSort(input));
      }
    });
  }
});

describe('sortedFinite properties', () => {
  const special = fc.constantFrom(0, -0, Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1);
  const anyDouble = fc.oneof(fc.double(), special, fc.integer({ min: -5, max: 5 }));

  it('equals the reference sort for arbitrary doubles, small arrays (built-in path)', () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 600 }), (xs) => {
        expectSameBits(sortedFinite(xs), referenceSort(xs));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the reference sort for arbitrary doubles, large arrays (radix path)', () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { minLength: 512, maxLength: 3000 }), (xs) => {
        const input = Float64Array.from(xs);
        const copy = input.slice();
        expectSameBits(sortedFinite(input), referenceSort(xs));
        expectSameBits(input, copy); // the input is not modified
      }),
      { numRuns: 60 },
    );
  });

  it('handles low-entropy data where radix passes are skipped', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, -0, 1, 2.5, -7, Infinity, NaN), { minLength: 512, maxLength: 2000 }), (xs) => {
        expectSameBits(sortedFinite(xs), referenceSort(xs));
      }),
      { numRuns: 40 },
    );
  });

  it('orders long runs that share the high 32 bits (sign, exponent, top mantissa bits)', () => {
    // 1 + k * 2^-52 and its negatives: all share one high word per sign, so the order comes from
    // the low word alone.
    // Both a narrow low-word range (runs finished by the built-in sort) and the full one (radix).
    const nearOne = fc.oneof(fc.integer({ min: 0, max: 0xfffff }), fc.integer({ min: 0, max: 0x3f })).map((k) => 1 + k * 2 ** -52);
    const mixed = fc.oneof(nearOne, nearOne.map((v) => -v), fc.constantFrom(0, -0, 1.5, -1.5, NaN));
    fc.assert(
      fc.property(fc.array(mixed, { minLength: 512, maxLength: 12000 }), (xs) => {
        expectSameBits(sortedFinite(xs), referenceSort(xs));
      }),
      { numRuns: 40 },
    );
  });

  it('returns a new array, drops NaN, keeps infinities at the ends', () => {
    const input = new Float64Array(1000);
    for (let i = 0; i < input.length; i++) input[i] = ((i * 7919) % 1000) - 500;
    input[3] = NaN;
    input[4] = Infinity;
    input[5] = -Infinity;
    const out = sortedFinite(input);
    expect(out).not.toBe(input);
    expect(out.length).toBe(999);
    expect(out[0]).toBe(-Infinity);
    expect(out[998]).toBe(Infinity);
    expect(sortedFinite([]).length).toBe(0);
    expect(sortedFinite([NaN, NaN]).length).toBe(0);
  });
});
