import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { predictionId } from '../../src/inference/index.js';

describe('prediction ids (UUID v7)', () => {
  it('are RFC 9562 version 7 UUIDs carrying the time, unique, and ordered by time', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => predictionId(1_700_000_000_000 + Math.floor(i / 10)));
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_000);
    // Ids of later milliseconds sort after earlier ones (string order is time order).
    for (let i = 10; i < ids.length; i += 10) expect(ids[i]! > ids[i - 10]!).toBe(true);
  });

  it('carry the millisecond they are given, in whatever order times come (the cached prefix follows)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 48 - 1 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const t of [...times, ...times.reverse()]) {
          const id = predictionId(t);
          expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
        }
      }),
    );
  });
});
