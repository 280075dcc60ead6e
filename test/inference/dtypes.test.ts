import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, allocateSmall, ownsBuffer, TYPED_ARRAYS, type Dtype } from '../../src/inference/dtypes.js';

const DTYPES = Object.keys(TYPED_ARRAYS) as Dtype[];

describe('allocateSmall', () => {
  it('hands out zeroed, aligned, disjoint arrays of the asked type and length', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ dtype: fc.constantFrom(...DTYPES), length: fc.integer({ min: 0, max: 1500 }) }), { minLength: 1, maxLength: 200 }), (asks) => {
        const arrays = asks.map(({ dtype, length }) => {
          const a = allocateSmall(dtype, length);
          expect(a).toBeInstanceOf(TYPED_ARRAYS[dtype]);
          expect(a.length).toBe(length);
          expect(a.byteOffset % 8).toBe(0);
          for (let i = 0; i < a.length; i++) expect(a[i]).toBe(typeof a[i] === 'bigint' ? 0n : 0);
          return a;
        });
        // Fill each with its own marker byte, then check no array was overwritten by another.
        arrays.forEach((a, k) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill((k % 250) + 1));
        arrays.forEach((a, k) => expect(new Uint8Array(a.buffer, a.byteOffset, a.byteLength).every((b) => b === (k % 250) + 1)).toBe(true));
      }),
    );
  });

  it('gives larger arrays their own buffer; small ones are views that must not be transferred', () => {
    expect(ownsBuffer(allocateSmall('float32', 4096))).toBe(true);
    expect(ownsBuffer(allocateSmall('float32', 30))).toBe(false);
    expect(ownsBuffer(allocate('float32', 30))).toBe(true);
    expect(ownsBuffer(new Float32Array(new ArrayBuffer(64), 8, 4))).toBe(false);
  });
});
