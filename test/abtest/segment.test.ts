import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesSegment, parseSegment, routeRequest, routedTest } from '../../src/abtest/index.js';
import type { AbTestSpec } from '../../src/abtest/index.js';
import { refusal } from '../helpers/refusals.js';

describe('segments', () => {
  it('parses ranges, sets, equality and comparisons joined by and', () => {
    expect(parseSegment('age in [65, 85] and region in [north, south] and plan = pro and tier != free and score >= 0.5')).toEqual([
      { field: 'age', op: 'range', min: 65, max: 85 },
      { field: 'region', op: 'in', values: ['north', 'south'] },
      { field: 'plan', op: '=', value: 'pro' },
      { field: 'tier', op: '!=', value: 'free' },
      { field: 'score', op: '>=', value: 0.5 },
    ]);
    expect(parseSegment('')).toEqual([]);
  });

  it('refuses what it cannot read, saying what it expected', () => {
    expect(refusal(() => parseSegment('age between 1 and 2')).message).toMatch(/cannot read 'age between 1'/);
    expect(refusal(() => parseSegment('age in 65')).message).toMatch(/needs a bracketed list/);
    expect(refusal(() => parseSegment('age in [85, 65]')).message).toMatch(/min > max/);
    expect(refusal(() => parseSegment('age > old')).message).toMatch(/needs a number/);
  });

  it('matches inclusive ranges and sets; a missing field never matches', () => {
    const c = parseSegment('age in [65, 85] and region in [north, south]');
    expect(matchesSegment(c, { age: 65, region: 'north' })).toBe(true);
    expect(matchesSegment(c, { age: 85, region: 'south' })).toBe(true);
    expect(matchesSegment(c, { age: 86, region: 'south' })).toBe(false);
    expect(matchesSegment(c, { age: 70, region: 'east' })).toBe(false);
    expect(matchesSegment(c, { region: 'north' })).toBe(false);
  });

  it('range membership equals min <= x <= max for any numbers (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 500 }), fc.double({ min: -2000, max: 2000, noNaN: true }), (min, width, x) => {
        const c = parseSegment(`x in [${min}, ${min + width}]`);
        expect(matchesSegment(c, { x })).toBe(x >= min && x <= min + width);
      }),
    );
  });
});

describe('routing a request', () => {
  const spec: AbTestSpec = {
    variants: [{ key: 'A', version: 1, weight: 0.5 }, { key: 'B', version: 2, weight: 0.5 }],
    coverage: 0.5,
    seed: 's',
    segment: 'age in [18, 65]',
    shadows: [],
    guardrails: [],
    primary_metric: 'accuracy',
    higher_is_better: true,
    min_samples_per_arm: 1,
    min_duration_hours: 0,
    alpha: 0.05,
    paused_variants: {},
  };
  const test = routedTest('t', 'm', spec, { phase: 1, seed: 's', coverage: 0.5, weights: [0.5, 0.5] });

  it('leaves subjects outside the segment or the coverage to the default routing', () => {
    expect(routeRequest(test, 'u1', { age: 80 })).toBeUndefined();
    const routed = Array.from({ length: 2000 }, (_, i) => routeRequest(test, `u${i}`, { age: 30 }));
    const share = routed.filter((r) => r !== undefined).length / routed.length;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
  });

  it('sends a paused variant’s subjects to the control, and assigns randomly without a subject', () => {
    const paused = routedTest('t', 'm', { ...spec, coverage: 1, segment: '', paused_variants: { B: 'guardrail' } }, { phase: 1, seed: 's', coverage: 1, weights: [0.5, 0.5] });
    const routes = Array.from({ length: 200 }, (_, i) => routeRequest(paused, `u${i}`, {})!);
    expect(new Set(routes.map((r) => `${r.variant}:${r.version}`))).toEqual(new Set(['A:1']));
    expect(routeRequest(paused, null, {}, () => 0.1)).toMatchObject({ variant: 'A', assignment: 'random' });
  });

  it('builds lazily given attributes only when the test has a segment', () => {
    let built = 0;
    const attributes = (age: number) => () => {
      built += 1;
      return { age };
    };
    expect(routeRequest(test, 'u1', attributes(80))).toBeUndefined();
    expect(built).toBe(1);
    const open = routedTest('t', 'm', { ...spec, segment: '' }, { phase: 1, seed: 's', coverage: 1, weights: [0.5, 0.5] });
    expect(routeRequest(open, 'u1', attributes(80))).toBeDefined();
    expect(built).toBe(1);
  });
});
