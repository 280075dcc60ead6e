/**
 * Deterministic assignment, identical to GrowthBook's SDK (sdk-js src/util.ts): FNV-1a 32-bit over UTF-16
 * code units, hash versions 1 and 2, and bucket ranges whose starts stay fixed when coverage changes, so
 * subjects keep their variant when a test widens. Written by hand: it is a few lines, and matching the
 * SDK bit for bit is the point (the known values are in test/abtest/assignment.test.ts).
 */

/** FNV-1a, 32-bit, over the string's UTF-16 code units (as `charCodeAt`), like GrowthBook's `hashFnv32a`. */
export function fnv32a(text: string): number {
  let hval = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hval ^= text.charCodeAt(i);
    hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
  }
  return hval >>> 0;
}

/** GrowthBook's hash in [0, 1): v2 = fnv(String(fnv(seed + value))) % 10000 / 10000; v1 = fnv(value + seed) % 1000 / 1000. */
export function hashSubject(seed: string, value: string, version: 1 | 2): number {
  if (version === 2) return (fnv32a(String(fnv32a(seed + value))) % 10000) / 10000;
  return (fnv32a(value + seed) % 1000) / 1000;
}

export type BucketRange = [number, number];

/**
 * Cumulative weights; range i = [start_i, start_i + coverage · w_i]. Coverage is clamped to [0, 1];
 * weights that are absent, of the wrong count, or do not sum to ~1 (outside [0.99, 1.01]) become equal.
 */
export function bucketRanges(variants: number, coverage = 1, weights?: readonly number[]): BucketRange[] {
  const cover = Math.min(1, Math.max(0, coverage));
  const equal = () => new Array<number>(variants).fill(1 / variants);
  let w = weights && weights.length === variants ? [...weights] : equal();
  const total = w.reduce((s, x) => s + x, 0);
  if (total < 0.99 || total > 1.01) w = equal();
  let cumulative = 0;
  return w.map((weight) => {
    const start = cumulative;
    cumulative += weight;
    return [start, start + cover * weight];
  });
}

/** The variant whose range holds n (start <= n < end), or -1: the subject is not in the test. */
export function chooseVariant(n: number, ranges: readonly BucketRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const [start, end] = ranges[i]!;
    if (n >= start && n < end) return i;
  }
  return -1;
}
