import { bucketRanges, chooseVariant, hashSubject, type BucketRange } from './assignment.js';
import { matchesSegment, parseSegment, type Condition } from './segment.js';
import type { AbTestSpec } from './spec.js';

/** A running test as the predict path sees it: everything needed to route a request without the database. */
export interface RoutedTest {
  name: string;
  model: string;
  phase: number;
  seed: string;
  ranges: BucketRange[];
  variants: Array<{ key: string; version: number; paused: boolean }>;
  conditions: Condition[];
  shadows: AbTestSpec['shadows'];
}

export interface Route {
  abtest: string;
  variant: string;
  version: number;
  /** `subject`: hashed from the subject id, stable across restarts and processes; `random`: no subject was given. */
  assignment: 'subject' | 'random';
}

export function routedTest(name: string, model: string, spec: AbTestSpec, phase: { phase: number; seed: string; coverage: number; weights: number[] }): RoutedTest {
  return {
    name,
    model,
    phase: phase.phase,
    seed: phase.seed,
    ranges: bucketRanges(spec.variants.length, phase.coverage, phase.weights),
    variants: spec.variants.map((v) => ({ key: v.key, version: v.version, paused: v.key in spec.paused_variants })),
    conditions: parseSegment(spec.segment ?? ''),
    shadows: spec.shadows,
  };
}

/**
 * Routes one request: outside the segment or the coverage → undefined (default routing); otherwise the
 * variant its subject hashes to (GrowthBook v2 hashing with the phase's seed), or a random draw without a
 * subject. A variant paused by a guardrail sends its traffic to the control, still reported as assigned.
 */
export function routeRequest(
  test: RoutedTest,
  subject: string | null,
  attributes: Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>),
  random: () => number = Math.random,
): Route | undefined {
  // Attributes may come as a function: most tests have no segment, and then they are never built.
  if (test.conditions.length > 0 && !matchesSegment(test.conditions, typeof attributes === 'function' ? attributes() : attributes)) return undefined;
  const n = subject === null ? random() : hashSubject(test.seed, subject, 2);
  const index = chooseVariant(n, test.ranges);
  if (index === -1) return undefined;
  const variant = test.variants[index]!;
  const served = variant.paused ? test.variants[0]! : variant;
  return { abtest: test.name, variant: served.key, version: served.version, assignment: subject === null ? 'random' : 'subject' };
}

/** Whether a shadow version gets a copy of this request: hashed per subject (stable), random without one. */
export function shadowed(test: RoutedTest, share: number, subject: string | null, random: () => number = Math.random): boolean {
  const n = subject === null ? random() : hashSubject(`${test.seed}:shadow`, subject, 2);
  return n < share;
}
