import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketRanges, chooseVariant, fnv32a, hashSubject } from '../../src/abtest/assignment.js';

/** Known values from the A/B issue (GrowthBook sdk-js test/cases.json). */
describe('GrowthBook-compatible assignment', () => {
  it('hashes like the SDK on the known values', () => {
    expect(hashSubject('seed', 'a', 2)).toBe(0.0505);
    expect(hashSubject('foo', 'ab', 2)).toBe(0.2575);
    expect(hashSubject('90850943850283058242805', '123', 2)).toBe(0.7516);
    expect(hashSubject('', 'a', 1)).toBe(0.22);
    expect(hashSubject('b', 'a', 1)).toBe(0.946);
  });

  it('FNV-1a 32 matches the reference offset basis and a published vector', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c); // FNV-1a 32 of "a"
  });

  it('builds bucket ranges whose starts stay fixed as coverage changes', () => {
    const ranges = bucketRanges(3, 0.2, [0.2, 0.3, 0.5]);
    const expected = [
      [0, 0.04],
      [0.2, 0.26],
      [0.5, 0.6],
    ];
    ranges.forEach((r, i) => {
      expect(r[0]).toBeCloseTo(expected[i]![0]!, 12);
      expect(r[1]).toBeCloseTo(expected[i]![1]!, 12);
    });
    expect(bucketRanges(2, 1, [0.7, 0.7])).toEqual([[0, 0.5], [0.5, 1]]); // weights not summing to 1 → equal
    expect(chooseVariant(0.21, ranges)).toBe(1);
    expect(chooseVariant(0.1, ranges)).toBe(-1);
  });

  it('a subject in the test stays in its variant when coverage grows (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.double({ min: 0.01, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, subject, low, extra) => {
        const high = Math.min(1, low + extra);
        const n = hashSubject(seed, subject, 2);
        const before = chooseVariant(n, bucketRanges(2, low, [0.5, 0.5]));
        const after = chooseVariant(n, bucketRanges(2, high, [0.5, 0.5]));
        if (before !== -1) expect(after).toBe(before);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThan(1);
      }),
    );
  });
});
