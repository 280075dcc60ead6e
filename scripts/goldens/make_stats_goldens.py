#!/usr/bin/python3
"""Generate the golden values that pin src/stats to scipy, numpy, Evidently's formulas and R.

Run from anywhere with Debian's Python (not a pyenv/venv python), with R's Rscript on PATH:

    /usr/bin/python3 scripts/goldens/make_stats_goldens.py

Needs these Debian packages (no pip, no network besides apt):

    apt-get update
    apt-get install -y python3-scipy python3-numpy r-base-core

Writes test/fixtures/goldens/stats.json (prints nothing). test/stats/*.test.ts check src/stats
against every value. Deterministic: inputs come from fixed seeds, so running twice gives
byte-identical output for given scipy / numpy / R versions (which the file records).

Conventions of the JSON:

* floats are stored as Python's repr (shortest round-trip form), never rounded;
* NaN and +/-infinity, which JSON cannot hold, are stored as the strings "NaN", "Infinity",
  "-Infinity"; -0.0 is stored as the string "-0";
* a call the reference refuses is stored as {"error": "<exception type>", "message": "<text>"};
* a sample is either {"values": [...]} or {"gen": {...}, "check": {...}}: a generated sample is
  rebuilt by the TypeScript tests with the same arithmetic-only generator as `generate()` below
  (a Weyl sequence through the murmur3 32-bit finaliser; normal draws are Irwin-Hall sums of 12
  uniforms). No libm function is involved, so Python and JavaScript produce bit-identical values;
  `check` (first value and left-to-right sum) lets the tests prove it;
* Evidently is not installed here: its stattests are re-implemented below from its source
  (get_binned_data with bins=n and zero shares -> 0.0001, psi, chisquare_stat_test, z_stat_test,
  wasserstein_distance_norm), on top of numpy/scipy.
"""

import json
import math
import os
import platform
import subprocess
import warnings

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "goldens", "stats.json")

M32 = 0xFFFFFFFF

# --------------------------------------------------------------------------------------------------
# Deterministic sample generator (mirrored in test/stats/golden.ts)
# --------------------------------------------------------------------------------------------------


class Rng:
    """Weyl sequence + murmur3 fmix32: all 32-bit integer arithmetic, identical in JavaScript."""

    def __init__(self, seed):
        self.s = seed & M32

    def next_u32(self):
        self.s = (self.s + 0x9E3779B9) & M32
        z = self.s
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        return (z ^ (z >> 16)) & M32

    def uniform(self):
        """53-bit uniform in [0, 1): exact integer / 2^53."""
        a = self.next_u32() >> 5
        b = self.next_u32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0


def generate(spec):
    rng = Rng(spec["seed"])
    n, dist = spec["n"], spec["dist"]
    loc, scale, quantum = spec.get("loc", 0.0), spec.get("scale", 1.0), spec.get("quantum")
    out = np.empty(n)
    for i in range(n):
        if dist == "normal":
            s = 0.0
            for _ in range(12):
                s += rng.uniform()
            x = loc + scale * (s - 6.0)
        elif dist == "uniform":
            x = loc + scale * rng.uniform()
        elif dist == "constant":
            x = loc
        else:
            raise ValueError(dist)
        if quantum is not None:
            x = math.floor(x / quantum) * quantum
        out[i] = x
    return out


def gen(seed, n, dist="normal", loc=0.0, scale=1.0, quantum=None):
    spec = {"seed": seed, "n": n, "dist": dist, "loc": loc, "scale": scale}
    if quantum is not None:
        spec["quantum"] = quantum
    return spec


def sample(x):
    """JSON form of a sample: explicit values, or a generator spec plus its check values."""
    if isinstance(x, dict):
        values = generate(x)
        total = 0.0
        for v in values:
            total += float(v)
        return {"gen": x, "check": {"first": float(values[0]), "sum": total}}, values
    values = np.asarray(x, dtype=float)
    return {"values": [float(v) for v in values]}, values


# --------------------------------------------------------------------------------------------------
# JSON encoding
# --------------------------------------------------------------------------------------------------


def enc(v):
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [enc(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        if f == 0 and math.copysign(1.0, f) < 0:
            return "-0"
        return f
    return v


def refusal(e):
    return {"error": type(e).__name__, "message": str(e)}


# --------------------------------------------------------------------------------------------------
# Evidently's stattests, from its source (numeric bins = n, zeros -> 0.0001)
# --------------------------------------------------------------------------------------------------


def evidently_binned(ref, cur, n, feel_zeroes=True):
    # Evidently drops NaN and +/-inf before running a stattest.
    ref = ref[np.isfinite(ref)]
    cur = cur[np.isfinite(cur)]
    bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_p = np.histogram(ref, bins)[0] / len(ref)
        cur_p = np.histogram(cur, bins)[0] / len(cur)
    if feel_zeroes:
        np.place(ref_p, ref_p == 0, 0.0001)
        np.place(cur_p, cur_p == 0, 0.0001)
    return ref_p, cur_p, bins


def evidently_category_shares(ref_counts, cur_counts, feel_zeroes=True):
    keys = [k for k, c in ref_counts if c > 0 or dict(cur_counts).get(k, 0) > 0]
    keys += [k for k, c in cur_counts if k not in dict(ref_counts) and c > 0]
    rd, cd = dict(ref_counts), dict(cur_counts)
    n_ref, n_cur = sum(rd.values()), sum(cd.values())
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_p = np.array([rd.get(k, 0) / n_ref if n_ref else math.nan for k in keys], dtype=float)
        cur_p = np.array([cd.get(k, 0) / n_cur if n_cur else math.nan for k in keys], dtype=float)
    if feel_zeroes:
        np.place(ref_p, ref_p == 0, 0.0001)
        np.place(cur_p, cur_p == 0, 0.0001)
    return keys, ref_p, cur_p


def evidently_psi(ref_p, cur_p):
    value = 0
    for i in range(len(ref_p)):
        value += (ref_p[i] - cur_p[i]) * np.log(ref_p[i] / cur_p[i])
    return value


def evidently_chisquare(ref_counts, cur_counts):
    rd, cd = dict(ref_counts), dict(cur_counts)
    keys = [k for k, c in ref_counts if c > 0 or cd.get(k, 0) > 0]
    keys += [k for k, c in cur_counts if k not in rd and c > 0]
    n_ref, n_cur = sum(rd.values()), sum(cd.values())
    k_norm = n_cur / n_ref
    f_exp = [rd.get(k, 0) * k_norm for k in keys]
    f_obs = [cd.get(k, 0) for k in keys]
    return stats.chisquare(f_obs, f_exp)


def evidently_z(sa, na, sb, nb):
    p1, p2 = float(sa) / na, float(sb) / nb
    P = float(p1 * na + p2 * nb) / (na + nb)
    if P == 0 or P == 1:
        return 0.0, 1.0, 1.0
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / na + 1.0 / nb))
    p_literal = 2 * (1 - stats.norm.cdf(np.abs(z)))
    p_exact = 2 * stats.norm.sf(np.abs(z))
    return z, p_exact, p_literal


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------


def sort_cases():
    raw = [
        [3.0, -0.0, math.nan, math.inf, -math.inf, 0.0, -1.0, 2.5, math.nan, -1e-310, 1e-310, -2.0],
        [],
        [math.nan, math.nan],
    ]
    out = []
    for x in raw:
        a = np.asarray(x, dtype=float)
        out.append({"input": [float(v) for v in a], "sorted": np.sort(a[~np.isnan(a)])})
    for seed, n, q in [(101, 600, None), (102, 5000, 0.25), (103, 20000, None)]:
        js, values = sample(gen(seed, n, "normal", 0.0, 3.0, q))
        out.append({"input": js, "sorted_check": {"first": np.sort(values)[0], "last": np.sort(values)[-1], "median_index": n // 2, "median": np.sort(values)[n // 2]}})
    return out


def ks_cases():
    cases = [
        ("small explicit", [1, 2, 3, 4, 5], [2.5, 6, 7], "auto"),
        ("n1 != n2 small", gen(1, 20), gen(2, 30, loc=0.5), "auto"),
        ("n1 != n2 small, asymp forced", gen(1, 20), gen(2, 30, loc=0.5), "asymp"),
        ("n1 == n2 small", gen(3, 25), gen(4, 25, loc=0.8), "auto"),
        ("ties within and across samples", gen(5, 40, quantum=0.5), gen(6, 55, loc=0.3, quantum=0.5), "auto"),
        ("heavy ties (5 distinct values)", gen(7, 200, "uniform", 0, 5, 1.0), gen(8, 150, "uniform", 0.4, 5, 1.0), "auto"),
        ("heavy ties, asymp", gen(7, 200, "uniform", 0, 5, 1.0), gen(8, 150, "uniform", 0.4, 5, 1.0), "asymp"),
        ("identical samples", gen(9, 100), gen(9, 100), "auto"),
        ("one sample constant", gen(10, 50, "constant", 0.25), gen(11, 60), "auto"),
        ("both constant, same value", [2.0] * 10, [2.0] * 20, "auto"),
        ("both constant, different values", [1.0] * 10, [2.0] * 15, "auto"),
        ("both constant, different values, n1 == n2", [1.0] * 12, [2.0] * 12, "auto"),
        ("single values", [0.0], [1.0], "auto"),
        ("single values equal", [0.0], [0.0], "auto"),
        ("single values asymp (round(0.5) = 0 -> NaN in scipy)", [0.0], [1.0], "asymp"),
        ("1 vs 3 asymp", [0.0], [1.0, 2.0, 3.0], "asymp"),
        ("signed zeros", [-0.0, 1.0, 2.0], [0.0, 1.0, 3.0], "auto"),
        ("infinities", [-math.inf, 1.0, 2.0, math.inf], [0.0, 3.0, math.inf], "auto"),
        ("exact 1000 vs 800", gen(12, 1000), gen(13, 800, loc=0.1), "auto"),
        ("exact 3000 vs 4500", gen(14, 3000), gen(15, 4500, loc=0.05), "auto"),
        ("exact 2000 vs 3000 (gcd 1000)", gen(26, 2000), gen(27, 3000, loc=0.07), "auto"),
        ("exact 997 vs 1009 (coprime)", gen(28, 997), gen(29, 1009, loc=0.1), "auto"),
        ("exact equal n 10000", gen(16, 10000), gen(17, 10000, loc=0.03), "auto"),
        ("exact 10000 vs 9000", gen(18, 10000), gen(19, 9000, loc=0.03), "auto"),
        ("asymp 12000 vs 15000", gen(20, 12000), gen(21, 15000, loc=0.03), "auto"),
        ("asymp 20000 vs 20000 same distribution", gen(22, 20000), gen(23, 20000), "auto"),
        ("asymp 12000 vs 11000, p ~ 1e-30", gen(24, 12000), gen(25, 11000, loc=0.215), "auto"),
        ("exact 300 vs 250, tiny p", gen(30, 300), gen(31, 250, loc=1.3), "auto"),
        ("exact 300 vs 300, tiny p", gen(32, 300), gen(33, 300, loc=1.6), "auto"),
        ("exact forced 12000 vs 15000", gen(20, 12000), gen(21, 15000, loc=0.03), "exact"),
        ("asymp forced 1000 vs 800", gen(12, 1000), gen(13, 800, loc=0.1), "asymp"),
        ("ties, asymp 15000 vs 12000", gen(34, 15000, quantum=0.1), gen(35, 12000, loc=0.02, quantum=0.1), "auto"),
    ]
    out = []
    for name, a, b, mode in cases:
        ja, va = sample(a)
        jb, vb = sample(b)
        # scipy warns when an exact attempt fails and it switches to the asymptotic p-value.
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = stats.ks_2samp(va, vb, alternative="two-sided", method=mode)
            switched = any("Switching to" in str(x.message) for x in w)
        n1, n2 = len(va), len(vb)
        if mode == "asymp" or switched:
            method = "asymp"
        elif mode == "exact":
            method = "exact"
        else:
            method = "exact" if max(n1, n2) <= 10000 else "asymp"
        out.append({"name": name, "a": ja, "b": jb, "mode": mode, "statistic": r.statistic, "pValue": r.pvalue, "method": method})
    return out


KOLMOGOROV_N = [1, 2, 5, 10, 50, 100, 140, 141, 500, 1000, 10000, 100000, 1000000]


def kolmogorov_cases():
    out = []
    for n in KOLMOGOROV_N:
        ds = [-0.1, 0.0, 0.25 / n, 0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n]
        ds += [c / math.sqrt(n) for c in (0.2, 0.3, 0.5, 0.7, 0.8, 0.868, 1.0, 1.2, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0, 19.3)]
        ds += [0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 - 1.0 / n, 1.0 - 0.5 / n, 1.0, 1.5, math.inf, -math.inf, math.nan]
        if n <= 100000:
            # n * d^1.5 <= 1.4: the Durbin matrix region for 140 < n <= 100000
            ds += [(1.0 / n) ** (2.0 / 3.0), (1.3 / n) ** (2.0 / 3.0)]
        seen = set()
        for d in ds:
            if (not math.isnan(d)) and (d > 1.5 or d in seen):
                continue
            seen.add(d)
            out.append({"n": n, "d": d, "sf": stats.kstwo.sf(d, n)})
    for n, d in [(0, 0.5), (2.5, 0.5), (math.nan, 0.5), (-3, 0.5)]:
        out.append({"n": n, "d": d, "sf": stats.kstwo.sf(d, n)})
    return out


def smirnov_cases():
    out = []
    # 1000 < n: src/stats sums the lower series in log space instead of double-double; the
    # intermediate sizes check that path against scipy across its range.
    for n in [1, 2, 5, 10, 11, 50, 100, 141, 1000, 1002, 2000, 10000, 20000, 50000, 100000, 300000, 500000, 1000000, 1000001, 5000000]:
        for c in [0.0, 0.3, 0.5 / n, 1.0 / n, 1.7 / n, 0.1, 0.5, 0.9, 1.0 - 1.0 / n, 1.0]:
            out.append({"n": n, "d": c, "sf": special.smirnov(n, c)})
        for c in [0.1, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 20.0]:
            d = c / math.sqrt(n)
            if d <= 1:
                out.append({"n": n, "d": d, "sf": special.smirnov(n, d)})
    return out


def chisquare_gof_cases():
    cases = [
        ("scipy docs example", [16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]),
        ("uniform expectation", [16, 18, 16, 14, 12, 12], [14.666666666666666, 14.666666666666666, 14.666666666666666, 14.666666666666666, 14.666666666666666, 14.666666666666668]),
        ("zero observed", [0, 10, 20], [10, 10, 10]),
        ("expected 0, observed > 0 (Infinity)", [5, 10, 15], [0, 15, 15]),
        ("expected 0 and observed 0 (NaN)", [0, 10, 20], [0, 15, 15]),
        ("single category (df 0)", [10], [10]),
        ("perfect fit", [5, 5, 5], [5, 5, 5]),
        ("tiny p", [1000, 0, 0, 0], [250, 250, 250, 250]),
        ("very tiny p", [10000, 0, 0, 0, 0, 0], [10000 / 6] * 6),
        ("float frequencies", [0.5, 1.25, 2.25], [1.0, 1.0, 2.0]),
        ("totals differ (scipy refuses)", [10, 20], [10, 10]),
        ("length mismatch (scipy refuses)", [10, 20, 30], [30, 30]),
    ]
    rng = np.random.default_rng(20240611)
    obs = rng.integers(0, 200, size=40).astype(float)
    exp = rng.random(40) + 0.5
    exp = exp / exp.sum() * obs.sum()
    cases.append(("40 categories", list(obs), list(exp)))
    out = []
    for name, o, e in cases:
        case = {"name": name, "observed": [float(x) for x in o], "expected": [float(x) for x in e]}
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = stats.chisquare(o, e)
            case.update({"statistic": r.statistic, "pValue": r.pvalue, "df": len(o) - 1})
        except ValueError as ex:
            case["result"] = refusal(ex)
        out.append(case)
    return out


def chisquare_drift_cases():
    cases = [
        ("same shares", [("a", 100), ("b", 200), ("c", 300)], [("a", 50), ("b", 100), ("c", 150)]),
        ("shifted", [("a", 100), ("b", 200), ("c", 300)], [("a", 90), ("b", 120), ("c", 190)]),
        ("category missing from current", [("a", 100), ("b", 200), ("c", 300)], [("a", 90), ("b", 120)]),
        ("category unseen in reference (Infinity, p 0)", [("a", 100), ("b", 200)], [("a", 90), ("b", 120), ("z", 3)]),
        ("single category both (df 0)", [("a", 100)], [("a", 7)]),
        ("large counts, tiny p", [("a", 500000), ("b", 500000)], [("a", 520000), ("b", 480000)]),
        ("many categories", [(f"k{i}", 10 + (i * 37) % 91) for i in range(25)], [(f"k{i}", 12 + (i * 53) % 83) for i in range(25)]),
        ("zero-count keys ignored", [("a", 10), ("b", 0), ("c", 5)], [("a", 8), ("b", 0), ("c", 9)]),
    ]
    out = []
    for name, ref, cur in cases:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = evidently_chisquare(ref, cur)
        out.append({"name": name, "reference": ref, "current": cur, "statistic": r.statistic, "pValue": r.pvalue})
    return out


def ztest_cases():
    cases = [(50, 100, 60, 100), (0, 100, 0, 50), (100, 100, 80, 80), (0, 10, 5, 10), (5000, 10000, 5300, 10000), (1, 3, 2, 7), (10, 10000, 9000, 10000), (480, 1000, 520, 1000), (3, 1000000, 9, 1000000), (7, 20, 7, 20)]
    out = []
    for sa, na, sb, nb in cases:
        z, p, p_literal = evidently_z(sa, na, sb, nb)
        out.append({"successesA": sa, "nA": na, "successesB": sb, "nB": nb, "statistic": z, "pValue": p, "pValueEvidentlyLiteral": p_literal})
    return out


def wasserstein_cases():
    cases = [
        ("scipy docs example", [0, 1, 3], [5, 6, 8]),
        ("ties", [0, 1, 1, 1, 3], [1, 1, 2, 2, 8]),
        ("identical", [1.5, 2.5, 3.5], [1.5, 2.5, 3.5]),
        ("single values", [0.0], [2.5]),
        ("constant reference", [2.0] * 20, gen(40, 30)),
        ("different sizes", gen(41, 500), gen(42, 730, loc=0.3, scale=1.4)),
        ("heavy ties", gen(43, 2000, "uniform", 0, 10, 1.0), gen(44, 1500, "uniform", 1, 10, 1.0)),
        ("large", gen(45, 20000), gen(46, 15000, loc=0.05)),
        ("infinite value (Infinity, std NaN)", [0.0, 1.0, math.inf], [0.0, 1.0, 2.0]),
    ]
    out = []
    for name, a, b in cases:
        ja, va = sample(a)
        jb, vb = sample(b)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = stats.wasserstein_distance(va, vb)
            norm = max(np.std(va), 0.001)
            normed = w / norm
        out.append({"name": name, "a": ja, "b": jb, "distance": w, "normed": normed})
    return out


def js_cases():
    cases = [
        ("scipy docs example", [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
        ("scipy docs example 2", [1.0, 0.0], [0.5, 0.5]),
        ("identical", [0.2, 0.3, 0.5], [0.2, 0.3, 0.5]),
        ("unnormalised counts", [10, 20, 30, 0], [5, 25, 10, 3]),
        ("zeros on both sides", [0, 1, 2, 0], [0, 3, 1, 0]),
        ("tiny difference", [0.25, 0.25, 0.25, 0.25], [0.25000001, 0.24999999, 0.25, 0.25]),
        ("empty", [], []),
        ("all-zero vector (NaN)", [0, 0], [1, 1]),
    ]
    rng = np.random.default_rng(7)
    cases.append(("30 bins random", list(rng.random(30)), list(rng.random(30))))
    out = []
    for name, p, q in cases:
        with np.errstate(all="ignore"):
            v = distance.jensenshannon(np.asarray(p, dtype=float), np.asarray(q, dtype=float))
        out.append({"name": name, "p": [float(x) for x in p], "q": [float(x) for x in q], "distance": v})
    return out


def binned_cases():
    cases = [
        ("normal vs shifted, 10 bins", gen(50, 1000), gen(51, 1200, loc=0.4), 10, True),
        ("normal vs shifted, 10 bins, no zero filling", gen(50, 1000), gen(51, 1200, loc=0.4), 10, False),
        ("30 bins (Evidently JS)", gen(52, 5000), gen(53, 4000, scale=1.3), 30, True),
        ("constant, same value", gen(54, 100, "constant", 3.0), gen(55, 80, "constant", 3.0), 10, True),
        ("constant reference, different current", gen(56, 100, "constant", 3.0), gen(57, 80, "uniform", 2.0, 3.0), 10, True),
        ("empty bins (bimodal)", [0.0] * 50 + [10.0] * 50, [0.0] * 30 + [5.0] * 10 + [10.0] * 60, 10, True),
        ("values exactly on edges", list(range(11)) * 3, list(range(0, 11, 2)) * 4, 10, True),
        ("values exactly on edges, no zero filling", list(range(11)) * 3, list(range(0, 11, 2)) * 4, 10, False),
        ("infinities dropped", [-math.inf, 0.0, 1.0, 2.0, 3.0, math.inf], [0.5, 1.5, 2.5, math.inf], 4, True),
        ("disjoint ranges", gen(58, 300, "uniform", 0, 1), gen(59, 300, "uniform", 5, 1), 10, True),
        ("large", gen(60, 20000), gen(61, 20000, loc=0.1), 10, True),
        ("one bin", [1.0, 2.0, 3.0], [2.0, 4.0], 1, True),
    ]
    out = []
    for name, a, b, bins, feel in cases:
        ja, va = sample(a)
        jb, vb = sample(b)
        ref_p, cur_p, edges = evidently_binned(va, vb, bins, feel)
        case = {"name": name, "a": ja, "b": jb, "bins": bins, "feelZeroes": feel, "edges": edges, "reference": ref_p, "current": cur_p}
        with np.errstate(all="ignore"):
            case["psi"] = evidently_psi(ref_p, cur_p)
            case["jensenShannon"] = distance.jensenshannon(ref_p, cur_p)
        out.append(case)
    return out


def category_cases():
    cases = [
        ("same keys", [("a", 10), ("b", 30)], [("a", 5), ("b", 5)], True),
        ("unseen in reference", [("a", 10), ("b", 30)], [("a", 5), ("c", 5)], True),
        ("unseen in reference, no zero filling", [("a", 10), ("b", 30)], [("a", 5), ("c", 5)], False),
        ("zero-count key dropped", [("a", 10), ("b", 0)], [("a", 5), ("b", 0), ("c", 1)], True),
    ]
    out = []
    for name, ref, cur, feel in cases:
        keys, ref_p, cur_p = evidently_category_shares(ref, cur, feel)
        case = {"name": name, "reference": ref, "current": cur, "feelZeroes": feel, "keys": keys, "referenceShares": ref_p, "currentShares": cur_p}
        with np.errstate(all="ignore"):
            case["psi"] = evidently_psi(ref_p, cur_p)
        out.append(case)
    return out


def r_p_adjust(p, method):
    vec = ",".join("NaN" if math.isnan(x) else repr(float(x)) for x in p)
    expr = f'x <- p.adjust(c({vec}), method = "{method}"); cat(sprintf("%.17g", x), sep = "\\n")'
    res = subprocess.run(["Rscript", "--vanilla", "-e", expr], capture_output=True, text=True, check=True)
    return [float(line) for line in res.stdout.split()]


def adjust_cases():
    rng = np.random.default_rng(99)
    cases = [
        ("R docs style", [0.01, 0.02, 0.03, 0.04, 0.05]),
        ("ties", [0.01, 0.04, 0.04, 0.2, 0.01, 0.5]),
        ("with NaN", [0.01, math.nan, 0.03, 0.2, math.nan]),
        ("zeros and ones", [0.0, 1.0, 0.5, 1e-300]),
        ("single", [0.3]),
        ("random 30", list(rng.random(30) ** 3)),
        ("tiny p", [1e-30, 1e-20, 0.001, 0.9]),
    ]
    out = []
    for name, p in cases:
        out.append({"name": name, "p": p, "bonferroni": r_p_adjust(p, "bonferroni"), "bh": r_p_adjust(p, "BH")})
    return out


def normal_cases():
    zs = [-math.inf, -40.0, -5.0, -1.0, -0.5, 0.0, 0.3, 0.5, 0.7071, 1.0, 1.959963984540054, 3.0, 5.0, 8.3, 10.0, 20.0, 37.0, 38.4, 38.5, 40.0, math.inf, math.nan]
    return [{"z": z, "sf": stats.norm.sf(z)} for z in zs]


def chi2_cases():
    pairs = [(0.0, 1), (0.0, 3), (-1.0, 2), (1e-10, 1), (0.5, 1), (1.0, 1), (3.84, 1), (2.0, 2), (10.0, 3), (5.5, 5.5), (100.0, 10), (1000.0, 10), (2000.0, 3), (50.0, 100), (150.0, 100), (1e4, 9999), (1.2e4, 9999), (math.inf, 3), (math.nan, 3), (5.0, 0), (5.0, -1), (5.0, math.nan), (0.001, 0.5), (30.0, 0.5),
             # x/2 > 1000: where stdlib's gammainc is inaccurate and src/stats evaluates Q itself
             (2001.0, 2001), (2500.0, 1999), (4000.0, 4000), (4200.0, 4000), (2100.0, 20), (3000.0, 0.5), (1e6, 1e6), (1.01e6, 1e6), (2500.0, 3000)]
    return [{"x": x, "df": df, "sf": stats.chi2.sf(x, df)} for x, df in pairs]


def r_version():
    res = subprocess.run(["Rscript", "--version"], capture_output=True, text=True, check=True)
    return (res.stdout + res.stderr).strip()


def main():
    # scipy warns on the deliberately degenerate cases (0/0, n = 0, ...); the script prints nothing.
    warnings.simplefilter("ignore")
    data = {
        "generated_by": "scripts/goldens/make_stats_goldens.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "r_version": r_version(),
        "conventions": {
            "non_finite": "NaN, Infinity, -Infinity and -0 are stored as the strings 'NaN', 'Infinity', '-Infinity', '-0'",
            "errors": "a call the reference refuses is stored as {error, message}",
            "samples": "{values: [...]} or {gen: {seed, n, dist, loc, scale, quantum?}, check: {first, sum}}; see generate() in the script",
            "evidently": "Evidently stattests re-implemented from its source: get_binned_data(bins=n, zero shares -> 0.0001), psi, chisquare_stat_test, z_stat_test, wasserstein_distance_norm",
        },
        "sortedFinite": sort_cases(),
        "ks2samp": ks_cases(),
        "kolmogorovSf": kolmogorov_cases(),
        "smirnov": smirnov_cases(),
        "chiSquareGoodnessOfFit": chisquare_gof_cases(),
        "chiSquareDrift": chisquare_drift_cases(),
        "twoProportionZTest": ztest_cases(),
        "wasserstein": wasserstein_cases(),
        "jensenShannon": js_cases(),
        "binnedShares": binned_cases(),
        "categoryShares": category_cases(),
        "adjustPValues": adjust_cases(),
        "normalSf": normal_cases(),
        "chiSquareSf": chi2_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(enc(data), f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
