/** Distances between distributions: Wasserstein-1 on samples, Jensen-Shannon on histograms. */

/**
 * scipy.stats.wasserstein_distance(u, v) (unit weights) for samples sorted ascending (from
 * {@link sortedFinite}): the integral of |F_u - F_v|, evaluated as the equal integral of the
 * quantile functions, sum over the merged breakpoints of the quantile levels of
 * (q_{k+1} - q_k) |u_(i) - v_(j)|. The levels i/nu and j/nv are compared as integers
 * (i nv vs j nu), so the merge does not branch on the data (and with nu = nv it is simply
 * mean |u_(i) - v_(i)|). Summed with Neumaier compensation; agrees with scipy's CDF-side sum to a
 * few ulp.
 *
 * Ties need no special care. Infinite values follow IEEE arithmetic as scipy's do (an unmatched
 * ±Infinity makes the distance Infinity; Infinity matched with Infinity gives NaN, as in scipy).
 * Empty input (scipy raises ValueError) gives NaN.
 */
export function wassersteinDistance(sortedA: Float64Array, sortedB: Float64Array): number {
  const nu = sortedA.length;
  const nv = sortedB.length;
  if (nu === 0 || nv === 0) return NaN;
  let sum = 0;
  let comp = 0;
  if (nu === nv) {
    for (let i = 0; i < nu; i++) {
      const term = Math.abs((sortedA[i] as number) - (sortedB[i] as number));
      const t = sum + term;
      comp += sum >= term ? sum - t + term : term - t + sum;
      sum = t;
    }
    if (!Number.isFinite(sum) || sum !== sum) return sum;
    return (sum + comp) / nu;
  }
  // Quantile levels on the common integer scale nu * nv: u_(i) covers (i nv, (i+1) nv].
  let i = 0;
  let j = 0;
  let prev = 0;
  while (i < nu && j < nv) {
    const ka = (i + 1) * nv;
    const kb = (j + 1) * nu;
    const next = ka < kb ? ka : kb;
    const term = (next - prev) * Math.abs((sortedA[i] as number) - (sortedB[j] as number));
    const t = sum + term;
    comp += sum >= term ? sum - t + term : term - t + sum;
    sum = t;
    prev = next;
    if (ka <= kb) i++;
    if (kb <= ka) j++;
  }
  if (!Number.isFinite(sum) || sum !== sum) return sum;
  return (sum + comp) / (nu * nv);
}

/**
 * Evidently's normed Wasserstein drift score (`wasserstein_distance_norm`):
 * wasserstein_distance(ref, cur) / max(std(ref, ddof=0), 0.001). The floor keeps a constant
 * reference from dividing by zero (a constant reference gives W / 0.001).
 * Empty input gives NaN; infinities propagate as in numpy (std becomes NaN, so the result is NaN).
 */
export function wassersteinNormed(sortedReference: Float64Array, sortedCurrent: Float64Array): number {
  const w = wassersteinDistance(sortedReference, sortedCurrent);
  const sd = populationStd(sortedReference);
  // Python's max(nan, 0.001) is nan: keep NaN rather than flooring it.
  const norm = sd !== sd ? sd : Math.max(sd, 0.001);
  return w / norm;
}

/** numpy's std(x, ddof=0) by two passes (mean, then mean squared deviation). */
function populationStd(x: Float64Array): number {
  const n = x.length;
  if (n === 0) return NaN;
  // Four accumulators: independent add chains run in parallel and round less than one long chain.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += x[i] as number;
    s1 += x[i + 1] as number;
    s2 += x[i + 2] as number;
    s3 += x[i + 3] as number;
  }
  for (; i < n; i++) s0 += x[i] as number;
  const mean = (s0 + s1 + (s2 + s3)) / n;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  i = 0;
  for (; i + 3 < n; i += 4) {
    const d0 = (x[i] as number) - mean;
    const d1 = (x[i + 1] as number) - mean;
    const d2 = (x[i + 2] as number) - mean;
    const d3 = (x[i + 3] as number) - mean;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
  }
  for (; i < n; i++) {
    const d = (x[i] as number) - mean;
    q0 += d * d;
  }
  return Math.sqrt((q0 + q1 + (q2 + q3)) / n);
}

/**
 * scipy.spatial.distance.jensenshannon(p, q) with the natural log: both vectors are first divided
 * by their sums (so unnormalised counts are fine), m = (p + q) / 2, and the result is
 * sqrt((KL(p||m) + KL(q||m)) / 2), using scipy's rel_entr conventions (0 log 0 = 0). The value lies
 * in [0, sqrt(ln 2)]; a sum that rounding pushes below 0 gives 0 where scipy would give NaN.
 *
 * Lengths must match (RangeError). Empty vectors give 0 (as scipy); an all-zero vector gives NaN
 * (0/0 normalisation, as scipy); negative entries give the same Infinity/NaN scipy produces.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const k = p.length;
  if (q.length !== k) throw new RangeError(`jensenShannonDistance: vectors of different lengths (${k} and ${q.length})`);
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < k; i++) {
    sp += p[i] as number;
    sq += q[i] as number;
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < k; i++) {
    const pi = (p[i] as number) / sp;
    const qi = (q[i] as number) / sq;
    const mi = (pi + qi) / 2.0;
    left += relEntr(pi, mi);
    right += relEntr(qi, mi);
  }
  const js = left + right;
  // Rounding can push the sum a few ulp outside [0, 2 ln 2] when p ~ q (or disjoint); scipy
  // would then return NaN (sqrt of a negative). Clamp to the mathematical range instead.
  if (js < 0) return 0;
  if (js > 2 * Math.LN2 && js < Infinity) return Math.sqrt(Math.LN2);
  return Math.sqrt(js / 2.0);
}

/** scipy.special.rel_entr: x log(x/y), 0 when x = 0 and y >= 0, Infinity otherwise. */
function relEntr(x: number, y: number): number {
  if (x !== x || y !== y) return NaN;
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}
