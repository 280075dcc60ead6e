/**
 * Sorting for the drift tests: every two-sample statistic here (KS, Wasserstein, histograms) runs
 * as a single pass over two ascending arrays, so the sort is the dominant cost. V8's
 * TypedArray#sort is a comparison sort; an LSD radix sort on the IEEE-754 bit pattern is several
 * times faster at monitoring sizes (10^5..10^7 rows) and gives the same order.
 */

/** Below this many values the radix passes' fixed cost (histogram setup) outweighs their gain. */
const RADIX_THRESHOLD = 512;

/**
 * 11-bit digits (a 2048-bucket scatter stays in L1/L2): the 32-bit high word of the key is
 * 11 + 11 + 10 bits.
 */
const BUCKETS = 2048;
const DIGIT_SHIFTS = [0, 11, 22] as const;
const DIGIT_MASKS = [0x7ff, 0x7ff, 0x3ff] as const;

/**
 * Runs of equal high words are finished by insertion sort up to INSERTION_MAX values, by the
 * built-in sort up to NATIVE_MAX (a radix pass's histogram setup would dominate), and by a radix
 * sort on the low word beyond.
 */
const INSERTION_MAX = 32;
const NATIVE_MAX = 4096;

/** Native byte order decides which 32-bit half of a float64 holds the sign and exponent. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/**
 * Ascending sort of the values with NaN dropped; ±Infinity are kept (they sort to the ends) and
 * -0 sorts before +0, exactly like `Float64Array.prototype.sort`. Returns a new Float64Array; the
 * input is not modified. Equivalent to numpy's `np.sort(x[~np.isnan(x)])` (numpy does not order
 * -0 before +0, but they compare equal, so every statistic here is unaffected).
 *
 * Empty input (or all NaN) gives an empty array. Below 512 values this is the built-in
 * typed-array sort. From 512 up it is an LSD radix sort (11-bit digits, passes whose digit is the
 * same for every value skipped) on the high 32 bits of the order-preserving key (sign, exponent,
 * 20 mantissa bits), then a pass that puts each run of equal high words in order (insertion sort,
 * the built-in sort, or a radix sort on the low word, by run length). Continuous data has runs of
 * one or two values, so this does 3 scatter passes instead of 6.
 */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  const len = values.length;
  const out = new Float64Array(len);
  if (len < RADIX_THRESHOLD) {
    let k = 0;
    for (let i = 0; i < len; i++) {
      const v = values[i] as number;
      // NaN is the only value not equal to itself.
      if (v === v) out[k++] = v;
    }
    return (k === len ? out : out.slice(0, k)).sort();
  }
  // The copy doubles as the histogram pass: each value's bits are read back while still in cache.
  const counts = new Int32Array(BUCKETS * 3);
  const words = new Uint32Array(out.buffer, out.byteOffset, len * 2);
  let k = 0;
  for (let i = 0; i < len; i++) {
    const v = values[i] as number;
    if (v !== v) continue;
    out[k] = v;
    const hi = words[2 * k + HI] as number;
    k++;
    const khi = (hi ^ ((hi >> 31) | 0x80000000)) >>> 0;
    counts[khi & 0x7ff]!++;
    counts[BUCKETS + ((khi >>> 11) & 0x7ff)]!++;
    counts[2 * BUCKETS + (khi >>> 22)]!++;
  }
  const data = k < len ? out.subarray(0, k) : out;
  sortByHighWord(data, counts);
  finishRuns(data);
  // NaNs were dropped: hand back an exactly sized copy.
  return k < len ? data.slice() : data;
}

/**
 * Stable LSD radix sort of `data` (no NaN) by the high 32 bits of the order-preserving key, given
 * the per-digit histograms; the result is left in `data`.
 *
 * The key of a double is its bit pattern with the sign bit flipped for non-negative numbers and
 * all bits flipped for negative ones. It is recomputed from the bits on each pass instead of being
 * stored, so the values move as plain float64 (no NaN-pattern keys ever pass through a
 * Float64Array, where an engine may canonicalise them).
 */
function sortByHighWord(data: Float64Array, counts: Int32Array): void {
  const n = data.length;
  let src: Float64Array = data;
  let dst: Float64Array = scratchFor(n);
  const offsets = new Int32Array(BUCKETS);
  for (let pass = 0; pass < 3; pass++) {
    if (!prefixOffsets(counts, pass * BUCKETS, DIGIT_MASKS[pass] as number, n, offsets)) continue;
    const shift = DIGIT_SHIFTS[pass] as number;
    const mask = DIGIT_MASKS[pass] as number;
    const srcWords = new Uint32Array(src.buffer, src.byteOffset, n * 2);
    for (let i = 0; i < n; i++) {
      const hi = srcWords[2 * i + HI] as number;
      const digit = (((hi ^ ((hi >> 31) | 0x80000000)) >>> shift) & mask) >>> 0;
      dst[offsets[digit]!++] = src[i] as number;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // An odd number of passes leaves the result in the scratch buffer.
  if (src !== data) data.set(src);
}

/**
 * Exclusive prefix sums of one digit's histogram into `offsets`. Returns false when every value
 * has the same digit (the pass would not change the order and is skipped).
 */
function prefixOffsets(counts: Int32Array, base: number, mask: number, n: number, offsets: Int32Array): boolean {
  let sum = 0;
  for (let b = 0; b <= mask; b++) {
    const c = counts[base + b] as number;
    if (c === n) return false;
    offsets[b] = sum;
    sum += c;
  }
  return true;
}

/**
 * After the high-word sort, values sharing a high word (same sign, exponent and top 20 mantissa
 * bits) sit together in input order. Put each such run in numeric order: within a run the low
 * word decides, and comparing the doubles is equivalent (the run has one sign, and -0/+0 differ in
 * the high word).
 */
function finishRuns(data: Float64Array): void {
  const n = data.length;
  const words = new Uint32Array(data.buffer, data.byteOffset, n * 2);
  let start = 0;
  let prevHi = words[HI] as number;
  for (let i = 1; i <= n; i++) {
    const hi = i < n ? (words[2 * i + HI] as number) : ~prevHi;
    if (hi === prevHi) continue;
    const runLength = i - start;
    if (runLength > 1) {
      if (runLength <= INSERTION_MAX) insertionSort(data, start, i);
      else if (runLength <= NATIVE_MAX) data.subarray(start, i).sort();
      else sortRunByLowWord(data.subarray(start, i), (prevHi >> 31) !== 0);
    }
    start = i;
    prevHi = hi;
  }
}

function insertionSort(a: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const v = a[i] as number;
    let j = i - 1;
    while (j >= from && (a[j] as number) > v) {
      a[j + 1] = a[j] as number;
      j--;
    }
    a[j + 1] = v;
  }
}

/** LSD radix sort of a run sharing one high word by its low word (inverted for negatives). */
function sortRunByLowWord(run: Float64Array, negative: boolean): void {
  const n = run.length;
  const flip = negative ? -1 : 0;
  const counts = new Int32Array(BUCKETS * 3);
  const words = new Uint32Array(run.buffer, run.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const klo = ((words[2 * i + LO] as number) ^ flip) >>> 0;
    counts[klo & 0x7ff]!++;
    counts[BUCKETS + ((klo >>> 11) & 0x7ff)]!++;
    counts[2 * BUCKETS + (klo >>> 22)]!++;
  }
  let src: Float64Array = run;
  // The high-word passes are done with the scratch buffer; reuse it.
  let dst: Float64Array = scratchFor(n);
  const offsets = new Int32Array(BUCKETS);
  for (let pass = 0; pass < 3; pass++) {
    if (!prefixOffsets(counts, pass * BUCKETS, DIGIT_MASKS[pass] as number, n, offsets)) continue;
    const shift = DIGIT_SHIFTS[pass] as number;
    const mask = DIGIT_MASKS[pass] as number;
    const srcWords = new Uint32Array(src.buffer, src.byteOffset, n * 2);
    for (let i = 0; i < n; i++) {
      const digit = ((((srcWords[2 * i + LO] as number) ^ flip) >>> shift) & mask) >>> 0;
      dst[offsets[digit]!++] = src[i] as number;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== run) run.set(src);
}

/**
 * Scratch buffers up to this many values are kept between calls: a fresh 8 MB typed array costs
 * about as much as a radix pass (page faults and zeroing), and drift checks sort many columns
 * of the same size. Larger sorts allocate and release their own.
 */
const SCRATCH_KEEP_MAX = 1 << 22;
let scratch: Float64Array | undefined;

function scratchFor(n: number): Float64Array {
  if (scratch !== undefined && scratch.length >= n) return scratch.subarray(0, n);
  const buf = new Float64Array(n);
  if (n <= SCRATCH_KEEP_MAX) scratch = buf;
  return buf;
}
