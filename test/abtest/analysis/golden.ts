/**
 * Loader for test/fixtures/goldens/abtest.json (written by scripts/goldens/make_abtest_goldens.py)
 * and the sample generator the script uses, mirrored operation for operation.
 *
 * Tolerances used by the golden tests (see each file):
 * - statistics, estimates, standard errors, df, confidence limits: 1e-9 relative. A confidence
 *   limit is compared relative to the larger of |limit| and the interval's half-width, since a limit
 *   near 0 is a difference of two larger numbers;
 * - p-values (and probabilities): 1e-7 relative with a floor of 1e-15 absolute;
 * - sample sizes and counts: exact.
 */
import { readFileSync } from 'node:fs';
import { armStats, type ArmStats } from '../../../src/abtest/analysis/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const goldens = JSON.parse(readFileSync(new URL('../../fixtures/goldens/abtest.json', import.meta.url), 'utf8')) as Record<string, Json>;

export const STAT_REL = 1e-9;
export const P_REL = 1e-7;
export const P_ABS = 1e-15;

export function section<T>(name: string): T {
  const v = goldens[name];
  if (v === undefined || v === null) throw new Error(`abtest.json has no section ${name}`);
  return v as unknown as T;
}

/** A JSON number or one of the non-finite spellings, as a number. */
export function num(v: Json | undefined): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === '-0') return -0;
  throw new Error(`not a number in abtest.json: ${JSON.stringify(v)}`);
}

export function pair(v: Json | undefined): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`not a pair in abtest.json: ${JSON.stringify(v)}`);
  return [num(v[0]), num(v[1])];
}

export interface GenSpec {
  seed: number;
  n: number;
  dist: 'normal' | 'uniform' | 'constant';
  loc: number;
  scale: number;
  quantum?: number;
}

export type SampleJson = { values: Json[] } | { gen: GenSpec; check: { first: number; sum: number } };

/** Weyl sequence through the murmur3 32-bit finaliser: integer-only, so bit-identical to Python. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  nextU32(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }
}

export function generate(spec: GenSpec): Float64Array {
  const rng = new Rng(spec.seed);
  const out = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    let x: number;
    if (spec.dist === 'normal') {
      let s = 0.0;
      for (let k = 0; k < 12; k++) s += rng.uniform();
      x = spec.loc + spec.scale * (s - 6.0);
    } else if (spec.dist === 'uniform') {
      x = spec.loc + spec.scale * rng.uniform();
    } else {
      x = spec.loc;
    }
    if (spec.quantum !== undefined) x = Math.floor(x / spec.quantum) * spec.quantum;
    out[i] = x;
  }
  return out;
}

const cache = new Map<string, Float64Array>();

/** The sample a golden case describes (explicit values or generator spec, checked against the file). */
export function sampleOf(s: SampleJson): Float64Array {
  if ('values' in s) return Float64Array.from(s.values.map(num));
  const key = JSON.stringify(s.gen);
  let values = cache.get(key);
  if (!values) {
    values = generate(s.gen);
    let sum = 0;
    for (const v of values) sum += v;
    // The generator must reproduce Python's values bit for bit, or every comparison is moot.
    if (values[0] !== s.check.first || sum !== s.check.sum) {
      throw new Error(`generator mismatch for ${key}: first ${values[0]} vs ${s.check.first}, sum ${sum} vs ${s.check.sum}`);
    }
    cache.set(key, values);
  }
  return values;
}

/** ArmStats of a golden sample. */
export function armOf(variant: string, s: SampleJson): ArmStats {
  return armStats(variant, sampleOf(s));
}

/**
 * |actual - expected| <= max(rel * |expected|, abs); NaN must match NaN and infinities must match
 * exactly. Returns a message on failure (for expect(...).toBeUndefined()) so failures show values.
 */
export function closeTo(actual: number, expected: number, rel: number, abs = 0): string | undefined {
  if (Number.isNaN(expected)) return Number.isNaN(actual) ? undefined : `expected NaN, got ${actual}`;
  if (!Number.isFinite(expected)) return actual === expected ? undefined : `expected ${expected}, got ${actual}`;
  const err = Math.abs(actual - expected);
  const allowed = Math.max(rel * Math.abs(expected), abs);
  if (err <= allowed) return undefined;
  return `expected ${expected}, got ${actual} (abs err ${err.toExponential(3)}, rel err ${(err / Math.abs(expected)).toExponential(3)}, allowed ${allowed.toExponential(3)})`;
}

/** A statistic: 1e-9 relative. */
export function statClose(actual: number, expected: number): string | undefined {
  return closeTo(actual, expected, STAT_REL);
}

/** A p-value or probability: 1e-7 relative, floor 1e-15 absolute. */
export function pClose(actual: number, expected: number): string | undefined {
  return closeTo(actual, expected, P_REL, P_ABS);
}

/** A confidence interval: each limit within 1e-9 of max(|limit|, half-width). */
export function ciClose(actual: [number, number], expected: [number, number]): string | undefined {
  const half = Math.abs(expected[1] - expected[0]) / 2;
  for (let i = 0; i < 2; i++) {
    const e = expected[i] as number;
    const msg = closeTo(actual[i] as number, e, STAT_REL, STAT_REL * (Number.isFinite(half) ? half : 0));
    if (msg !== undefined) return `limit ${i}: ${msg}`;
  }
  return undefined;
}
