/**
 * Drift-check throughput of src/stats on one thread.
 *
 *   npx tsx bench/drift.ts                      # ROWS=1000000 FEATURES=30
 *   ROWS=200000 FEATURES=10 npx tsx bench/drift.ts
 *   SCIPY=1 ROWS=100000 npx tsx bench/drift.ts  # also time scipy/numpy doing the same work
 *
 * Per feature the timed work is what a drift run does once the reference is registered:
 * sortedFinite(current), ks2samp, wassersteinNormed, binnedShares(10 bins) + psi. The reference
 * sort happens once at registration in the product; it is timed separately and reported both
 * ways. Data (not timed): seeded normal columns; every third feature mildly shifted (0.02 sd:
 * the KS p-value then needs the O(n) one-sided series) and every third strongly shifted and
 * rescaled. One untimed warm-up pass on a small table lets the JIT settle first.
 */
import { spawnSync } from 'node:child_process';
import { binnedShares, ks2samp, psi, sortedFinite, wassersteinNormed } from '../src/stats/index.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const FEATURES = Number(process.env.FEATURES ?? 30);
const TARGET_SECONDS = 3;
const SCIPY_REFERENCE = '~32 s (scipy/numpy, 1M rows x 30 features)';

/** xorshift128+ (32-bit halves): fast, seedable, good enough for synthetic columns. */
function makeRng(seed: number): () => number {
  let s0 = seed >>> 0 || 1;
  let s1 = Math.imul(seed, 0x9e3779b9) >>> 0 || 2;
  let s2 = 0x243f6a88;
  let s3 = 0x85a308d3;
  const next32 = (): number => {
    const t = s0 ^ (s0 << 11);
    s0 = s1;
    s1 = s2;
    s2 = s3;
    s3 = (s3 ^ (s3 >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    return s3;
  };
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

/** Box-Muller normals, loc + scale * z. */
function normalColumn(rng: () => number, n: number, loc: number, scale: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = loc + scale * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = loc + scale * r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

interface Table {
  reference: Float64Array[];
  current: Float64Array[];
}

function makeTables(rows: number, features: number, seed: number): Table {
  const rng = makeRng(seed);
  const reference: Float64Array[] = [];
  const current: Float64Array[] = [];
  for (let f = 0; f < features; f++) {
    const loc = f * 0.37;
    const scale = 1 + (f % 5);
    reference.push(normalColumn(rng, rows, loc, scale));
    const kind = f % 3;
    const shift = kind === 1 ? 0.02 * scale : kind === 2 ? 0.25 * scale : 0;
    const rescale = kind === 2 ? 1.2 : 1;
    current.push(normalColumn(rng, rows, loc + shift, scale * rescale));
  }
  return { reference, current };
}

interface Timings {
  referenceSort: number;
  sort: number;
  ks: number;
  wasserstein: number;
  psi: number;
  checksum: number;
}

function run(table: Table): Timings {
  const t: Timings = { referenceSort: 0, sort: 0, ks: 0, wasserstein: 0, psi: 0, checksum: 0 };
  for (let f = 0; f < table.reference.length; f++) {
    let t0 = performance.now();
    const ref = sortedFinite(table.reference[f] as Float64Array);
    t.referenceSort += performance.now() - t0;

    t0 = performance.now();
    const cur = sortedFinite(table.current[f] as Float64Array);
    const t1 = performance.now();
    const ks = ks2samp(ref, cur);
    const t2 = performance.now();
    const w = wassersteinNormed(ref, cur);
    const t3 = performance.now();
    const shares = binnedShares(ref, cur, 10, true);
    const p = psi(shares.reference, shares.current);
    const t4 = performance.now();
    t.sort += t1 - t0;
    t.ks += t2 - t1;
    t.wasserstein += t3 - t2;
    t.psi += t4 - t3;
    // Keep every result live so nothing is optimised away.
    t.checksum += ks.statistic + ks.pValue + w + p;
  }
  return t;
}

/** The same work in scipy/numpy (Evidently's formulas), on data of the same shape. */
function timeScipy(rows: number, features: number): number | undefined {
  const script = `
import time, numpy as np
from scipy import stats
rows, features = ${rows}, ${features}
rng = np.random.default_rng(1)
total = 0.0
for f in range(features):
    scale = 1 + f % 5
    kind = f % 3
    shift = 0.02 * scale if kind == 1 else (0.25 * scale if kind == 2 else 0.0)
    ref = rng.normal(f * 0.37, scale, rows)
    cur = rng.normal(f * 0.37 + shift, scale * (1.2 if kind == 2 else 1.0), rows)
    t0 = time.perf_counter()
    stats.ks_2samp(ref, cur)
    stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=10)
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    np.place(r, r == 0, 0.0001)
    np.place(c, c == 0, 0.0001)
    float(np.sum((r - c) * np.log(r / c)))
    total += time.perf_counter() - t0
print(total)
`;
  const res = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  if (res.status !== 0) {
    console.error(`scipy timing failed: ${res.stderr}`);
    return undefined;
  }
  return Number(res.stdout.trim());
}

function main(): void {
  const warm = makeTables(Math.min(ROWS, 100_000), 3, 7);
  run(warm);

  const table = makeTables(ROWS, FEATURES, 42);
  const t = run(table);
  const excluding = (t.sort + t.ks + t.wasserstein + t.psi) / 1000;
  const including = excluding + t.referenceSort / 1000;

  console.table([
    {
      rows: ROWS,
      features: FEATURES,
      'total s (excl. reference sort)': Number(excluding.toFixed(3)),
      'total s (incl. reference sort)': Number(including.toFixed(3)),
      'per feature ms (excl.)': Number(((excluding * 1000) / FEATURES).toFixed(1)),
      'per feature ms (incl.)': Number(((including * 1000) / FEATURES).toFixed(1)),
      'target s': `<= ${TARGET_SECONDS} (1M x 30)`,
      scipy: SCIPY_REFERENCE,
    },
  ]);
  console.table([
    {
      'sort current ms': Number(t.sort.toFixed(1)),
      'ks2samp ms': Number(t.ks.toFixed(1)),
      'wassersteinNormed ms': Number(t.wasserstein.toFixed(1)),
      'binnedShares+psi ms': Number(t.psi.toFixed(1)),
      'reference sort ms': Number(t.referenceSort.toFixed(1)),
    },
  ]);
  if (process.env.SCIPY === '1') {
    const s = timeScipy(ROWS, FEATURES);
    if (s !== undefined) console.table([{ rows: ROWS, features: FEATURES, 'scipy s (same work, excl. data generation)': Number(s.toFixed(3)), 'src/stats s (excl. reference sort)': Number(excluding.toFixed(3)) }]);
  }
  if (!Number.isFinite(t.checksum)) console.warn(`non-finite checksum ${t.checksum}`);
}

main();
