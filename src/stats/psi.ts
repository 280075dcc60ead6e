/**
 * Histogram shares as Evidently's `get_binned_data` builds them, and the Population Stability
 * Index over them. The same shares feed Jensen-Shannon drift (see jensenShannonDistance).
 */

/** Evidently's stand-in for an empty bin, so that ln(ref/cur) stays finite. */
const ZERO_SHARE = 0.0001;

/**
 * Evidently's `get_binned_data` for a numeric feature: edges are
 * `np.histogram_bin_edges(concat(reference, current), bins)` (equal-width on [min, max] of the
 * pooled data, built like np.linspace: edge_i = i * ((max - min) / bins) + min, last edge = max),
 * then each sample's `np.histogram` counts over those edges (half-open bins, the last one closed)
 * divided by that sample's size. With `feelZeroes` (Evidently's default, used by its PSI and JS
 * tests) every zero share becomes 0.0001.
 *
 * Inputs must be sorted ascending (from {@link sortedFinite}); counting is a binary search per
 * edge, O(bins log n). ±Infinity values are excluded from the edges, the counts and the sizes
 * (Evidently drops infinities before any stattest; numpy itself would refuse an infinite range).
 * A constant pooled range [v, v] gets edges over [v - 0.5, v + 0.5] as numpy does. An empty
 * sample gives NaN shares (0/0) for that sample; both empty give numpy's default range [0, 1].
 * Throws RangeError when bins is not a positive integer or max - min overflows.
 *
 * Note: Evidently decides numeric vs categorical itself (categorical when the reference has <= 20
 * distinct values); callers choose between this and {@link categoryShares}. Newer Evidently
 * releases replace zeros by min(non-zero share) / 1e6 when that minimum is <= 1e-4; this follows
 * the fixed 0.0001 rule.
 */
export function binnedShares(
  sortedReference: Float64Array,
  sortedCurrent: Float64Array,
  bins = 10,
  feelZeroes = true,
): { reference: number[]; current: number[] } {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`binnedShares: bins must be a positive integer, got ${bins}`);
  const [r0, r1] = finiteRange(sortedReference);
  const [c0, c1] = finiteRange(sortedCurrent);
  let first: number;
  let last: number;
  if (r1 > r0 && c1 > c0) {
    first = Math.min(sortedReference[r0] as number, sortedCurrent[c0] as number);
    last = Math.max(sortedReference[r1 - 1] as number, sortedCurrent[c1 - 1] as number);
  } else if (r1 > r0) {
    first = sortedReference[r0] as number;
    last = sortedReference[r1 - 1] as number;
  } else if (c1 > c0) {
    first = sortedCurrent[c0] as number;
    last = sortedCurrent[c1 - 1] as number;
  } else {
    first = 0;
    last = 1;
  }
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const edges = linspaceEdges(first, last, bins);
  return {
    reference: histogramShares(sortedReference, r0, r1, edges, feelZeroes),
    current: histogramShares(sortedCurrent, c0, c1, edges, feelZeroes),
  };
}

/** [start, end) of the finite values in a sorted array (infinities sit at the ends). */
function finiteRange(sorted: Float64Array): [number, number] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi && (sorted[lo] as number) === -Infinity) lo++;
  while (hi > lo && (sorted[hi - 1] as number) === Infinity) hi--;
  return [lo, hi];
}

/** np.linspace(first, last, bins + 1) operation for operation, so the edges are bitwise numpy's. */
function linspaceEdges(first: number, last: number, bins: number): Float64Array {
  const delta = last - first;
  if (!Number.isFinite(delta)) throw new RangeError(`binnedShares: the data range [${first}, ${last}] overflows`);
  const edges = new Float64Array(bins + 1);
  const step = delta / bins;
  if (step === 0) {
    // numpy's path for subnormal ranges: divide first, then scale.
    for (let i = 0; i <= bins; i++) edges[i] = (i / bins) * delta + first;
  } else {
    for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  }
  edges[bins] = last;
  return edges;
}

/** np.histogram(x, edges)[0] / x.size on the finite slice [lo, hi) of a sorted array. */
function histogramShares(sorted: Float64Array, lo: number, hi: number, edges: Float64Array, feelZeroes: boolean): number[] {
  const bins = edges.length - 1;
  const n = hi - lo;
  const shares = new Array<number>(bins);
  // numpy counts cumulative searchsorted positions: 'left' for every edge but the last, 'right'
  // for the last (its bin is closed).
  let prev = lowerBound(sorted, lo, hi, edges[0] as number);
  for (let b = 0; b < bins; b++) {
    const e = edges[b + 1] as number;
    const pos = b + 1 === bins ? upperBound(sorted, lo, hi, e) : lowerBound(sorted, lo, hi, e);
    const share = (pos - prev) / n;
    shares[b] = feelZeroes && share === 0 ? ZERO_SHARE : share;
    prev = pos;
  }
  return shares;
}

/** First index in [lo, hi) with sorted[i] >= x (hi if none). */
function lowerBound(sorted: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((sorted[mid] as number) < x) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** First index in [lo, hi) with sorted[i] > x (hi if none). */
function upperBound(sorted: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((sorted[mid] as number) <= x) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * Evidently's `get_binned_data` for a categorical feature: keys are the union of categories
 * (reference order first, then categories new in current; keys counted 0 in both are dropped),
 * shares are count / total of that sample. With `feelZeroes` (default) zero shares become 0.0001,
 * as Evidently's PSI and JS tests do. A sample whose total is 0 gives NaN shares.
 * Counts must be finite and >= 0 (RangeError otherwise).
 */
export function categoryShares(
  referenceCounts: ReadonlyMap<string, number>,
  currentCounts: ReadonlyMap<string, number>,
  feelZeroes = true,
): { keys: string[]; reference: number[]; current: number[] } {
  const keys: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  let nRef = 0;
  let nCur = 0;
  for (const [key, r] of referenceCounts) {
    checkCount(key, r);
    const c = currentCounts.get(key) ?? 0;
    nRef += r;
    if (r === 0 && c === 0) continue;
    keys.push(key);
    ref.push(r);
    cur.push(c);
  }
  for (const [key, c] of currentCounts) {
    checkCount(key, c);
    nCur += c;
    if (referenceCounts.has(key) || c === 0) continue;
    keys.push(key);
    ref.push(0);
    cur.push(c);
  }
  const toShare = (count: number, total: number): number => {
    const share = count / total;
    return feelZeroes && share === 0 ? ZERO_SHARE : share;
  };
  return {
    keys,
    reference: ref.map((r) => toShare(r, nRef)),
    current: cur.map((c) => toShare(c, nCur)),
  };
}

function checkCount(key: string, c: number): void {
  if (!(c >= 0) || c === Infinity) throw new RangeError(`category ${JSON.stringify(key)}: count must be a finite number >= 0, got ${c}`);
}

/**
 * Evidently's `psi_stat_test` value: sum over bins of (ref - cur) * ln(ref / cur), accumulated in
 * bin order as Evidently's loop does. Feed it shares from {@link binnedShares} (Evidently uses
 * 10 bins for PSI) or {@link categoryShares}, with zero shares filled (otherwise a bin that is
 * empty on one side gives Infinity, and empty on both gives NaN, as numpy would).
 * Lengths must match (RangeError); empty input gives 0.
 */
export function psi(referenceShares: readonly number[], currentShares: readonly number[]): number {
  const k = referenceShares.length;
  if (currentShares.length !== k) throw new RangeError(`psi: share vectors of different lengths (${k} and ${currentShares.length})`);
  let value = 0;
  for (let i = 0; i < k; i++) {
    const r = referenceShares[i] as number;
    const c = currentShares[i] as number;
    value += (r - c) * Math.log(r / c);
  }
  return value;
}
