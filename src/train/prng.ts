/**
 * The trainer's only source of randomness. Hand-written (mulberry32) because five lines need no
 * dependency, and because pinning the generator here keeps a seed's results the same forever.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: 32-bit state, fast, and good enough for shuffles and weight init. */
function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** What a stream is for: separate streams keep the split independent of, say, the MLP's width. */
export const STREAM = { split: 1, init: 2, shuffle: 3, synthetic: 4 } as const;

/**
 * A generator for (seed, stream). The two are mixed (splitmix32 finaliser) so that nearby seeds and
 * streams give unrelated sequences rather than shifted copies of one another.
 */
export function rngFor(seed: number, stream: number): Rng {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return mulberry32((h ^ (h >>> 15)) >>> 0);
}

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const held = items[i]!;
    items[i] = items[j]!;
    items[j] = held;
  }
  return items;
}

/** Standard normal by Box–Muller (one of the pair is discarded: simpler, and init is not hot). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) must not happen
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
