#!/usr/bin/python3
"""Generate the golden values that pin Berth's data drift (src/monitoring/drift) to Evidently's defaults.

Run from anywhere with Debian's Python (the `python3` on PATH may lack scipy):

    /usr/bin/python3 scripts/goldens/make_drift_goldens.py

Needs numpy and scipy only (Debian packages python3-numpy python3-scipy). Evidently itself is not
installed, so this script re-states what Evidently's legacy data drift does, function by function, with
numpy/scipy exactly as Evidently calls them. The sources followed (evidentlyai/evidently, src/evidently/
legacy/calculations/):

* stattests/registry.py `_get_default_stattest`: the default test per column;
* stattests/ks_stattest.py: scipy.stats.ks_2samp(ref, cur)[1], drift when p <= threshold (0.05);
* stattests/chisquare_stattest.py: scipy.stats.chisquare(f_obs = current counts, f_exp = reference
  counts * n_cur / n_ref) over the union of values, drift when p < threshold (0.05);
* stattests/z_stattest.py: two-proportion z-test of "value != first sorted value", p = 2 * (1 - Phi(|z|)),
  p = 1 when both samples hold the same single value, drift when p < threshold (0.05);
* stattests/wasserstein_distance_norm.py: scipy.stats.wasserstein_distance / max(np.std(ref), 0.001),
  drift when >= threshold (0.1);
* stattests/jensenshannon.py: scipy.spatial.distance.jensenshannon over get_binned_data(..., feel_zeroes=
  False), natural log, drift when >= threshold (0.1);
* stattests/psi.py: sum((ref% - cur%) * ln(ref% / cur%)) over get_binned_data(..., feel_zeroes=True),
  drift when >= threshold (0.1);
* stattests/utils.py `get_binned_data`: numeric columns with more than 20 distinct reference values are
  binned with np.histogram_bin_edges(ref + cur, bins="sturges"), everything else is counted per value;
* data_drift.py `get_one_column_drift`: +-inf -> NaN, NaN dropped per column before anything else
  (so "reference rows" in the default rule means non-missing reference values);
  `get_dataset_drift`: dataset drift when drifted / columns >= drift_share (0.5).

Berth extensions the goldens also pin (not in Evidently): a column with no current values is not tested
(drifted false, note "no current values", left out of the share); --correction bonferroni / bh adjusts
the p-values of p-value tests across those columns and decides drift on the adjusted value; a reference
may be a sketch (numeric columns with more than max_sample values replaced by max_sample evenly spaced
numpy-linear quantiles, the std kept from all values, exact value counts kept for columns with at most
20 distinct values); when both samples hold one and the same value the z statistic is reported as 0.

Writes test/fixtures/goldens/drift.json (cases with their inputs and, per run of options, the expected
report) and test/fixtures/drift/{reference,current}.csv (case "small_mixed" as CSV for the CLI test).
Deterministic: each case draws from its own fixed seed.
"""

import csv
import json
import math
import os
import platform
import re
import warnings

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "goldens", "drift.json")
CSV_DIR = os.path.join(ROOT, "test", "fixtures", "drift")
SEED = 20240917

THRESHOLDS = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1}
P_VALUE_TESTS = ("ks", "chisquare", "z")


def rng_for(k):
    return np.random.default_rng([SEED, k])


def enc(v):
    """numpy / python values -> JSON-able values, NaN and infinities as strings, floats unrounded."""
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, np.ndarray):
        return enc(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if np.isnan(f):
            return "NaN"
        if np.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    if isinstance(v, (str, np.str_)):
        return str(v)
    if v is None:
        return None
    raise TypeError(f"cannot encode {type(v)}: {v!r}")


# --------------------------------------------------------------------------------------------------
# Evidently, restated
# --------------------------------------------------------------------------------------------------


def present(kind, values):
    """data_drift.py: replace +-inf by NaN and dropna (None for categories)."""
    if kind == "numeric":
        return [float(v) for v in values if v is not None and math.isfinite(v)]
    return [v for v in values if v is not None]


def default_method(kind, ref, cur):
    """registry.py _get_default_stattest (ref, cur already without missing values)."""
    n_values = len(set(ref) | set(cur))
    if len(ref) <= 1000:
        if kind == "numeric" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == "numeric":
        return "jensenshannon" if n_values <= 5 else "wasserstein"
    return "jensenshannon"


def value_counts(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def binned(kind, ref, cur, feel_zeroes):
    """utils.py get_binned_data."""
    if kind == "numeric" and len(set(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([np.asarray(ref), np.asarray(cur)]), bins="sturges")
        rp = np.histogram(np.asarray(ref), bins)[0] / len(ref)
        cp = np.histogram(np.asarray(cur), bins)[0] / len(cur)
    else:
        keys = sorted(set(ref) | set(cur))  # Evidently: list(set(...)), an arbitrary order; sorted for byte-stable output
        rc, cc = value_counts(ref), value_counts(cur)
        rp = np.array([rc.get(k, 0) / len(ref) for k in keys])
        cp = np.array([cc.get(k, 0) / len(cur) for k in keys])
    if feel_zeroes:
        for arr in (rp, cp):
            smallest = min(arr[arr != 0])
            np.place(arr, arr == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return rp, cp


def sturges_edges(ref, cur, n_total):
    """np.histogram_bin_edges(ref + cur, bins="sturges"), with the sample size n_total (numpy 1.24's
    _hist_bin_sturges and _get_bin_edges); n_total is len(ref) + len(cur) unless ref is a sketch."""
    both = np.concatenate([np.asarray(ref), np.asarray(cur)])
    if n_total == len(both):
        return np.histogram_bin_edges(both, bins="sturges")
    first, last = float(both.min()), float(both.max())
    width = np.ptp(both) / (np.log2(n_total) + 1.0)
    return np.linspace(first, last, int(np.ceil((last - first) / width)) + 1, endpoint=True)


def binned(kind, ref, cur, feel_zeroes, ref_unique, n_total):
    """utils.py get_binned_data (ref_unique: distinct reference values; n_total: see sturges_edges)."""
    if kind == "numeric" and ref_unique > 20:
        bins = sturges_edges(ref, cur, n_total)
        rp = np.histogram(np.asarray(ref), bins)[0] / len(ref)
        cp = np.histogram(np.asarray(cur), bins)[0] / len(cur)
    else:
        keys = sorted(set(ref) | set(cur))  # Evidently: list(set(...)), an arbitrary order; sorted for byte-stable output
        rc, cc = value_counts(ref), value_counts(cur)
        rp = np.array([rc.get(k, 0) / len(ref) for k in keys])
        cp = np.array([cc.get(k, 0) / len(cur) for k in keys])
    if feel_zeroes:
        for arr in (rp, cp):
            smallest = min(arr[arr != 0])
            np.place(arr, arr == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return rp, cp


def run_test(method, kind, ref, cur, view):
    """(statistic, p_value or None, score) of one column, as Evidently computes it. `view` is what
    Berth keeps of the reference: the values themselves, or a sketch plus the std and counts of all."""
    sample, std, ref_unique, n_ref = view
    if method == "ks":
        res = stats.ks_2samp(sample, cur)
        return float(res.statistic), float(res.pvalue), float(res.pvalue)
    if method == "chisquare":
        keys = sorted(set(ref) | set(cur))  # Evidently: list(set(...)), an arbitrary order; sorted for byte-stable output
        rc, cc = value_counts(ref), value_counts(cur)
        k_norm = len(cur) / len(ref)
        f_exp = [rc.get(k, 0) * k_norm for k in keys]
        f_obs = [cc.get(k, 0) for k in keys]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # division by zero for values unseen in the reference
            res = stats.chisquare(f_obs, f_exp)
        return float(res.statistic), float(res.pvalue), float(res.pvalue)
    if method == "z":
        if len(set(ref)) == 1 and len(set(cur)) == 1 and ref[0] == cur[0]:
            return 0.0, 1.0, 1.0
        first = sorted(set(ref) | set(cur))[0]
        a = [0 if x == first else 1 for x in ref]
        b = [0 if x == first else 1 for x in cur]
        n1, n2 = len(a), len(b)
        p1, p2 = float(sum(a)) / n1, float(sum(b)) / n2
        P = float(p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        p = 2 * (1 - stats.norm.cdf(np.abs(z)))
        return float(z), float(p), float(p)
    if method == "wasserstein":
        w = stats.wasserstein_distance(sample, cur) / max(std, 0.001)
        return float(w), None, float(w)
    if method == "jensenshannon":
        rp, cp = binned(kind, sample, cur, False, ref_unique, n_ref + len(cur))
        js = distance.jensenshannon(rp, cp)
        return float(js), None, float(js)
    if method == "psi":
        rp, cp = binned(kind, sample, cur, True, ref_unique, n_ref + len(cur))
        value = float(np.sum((rp - cp) * np.log(rp / cp)))
        return value, None, value
    raise ValueError(method)


def adjust(pvalues, method):
    """Bonferroni: min(m p, 1). Benjamini-Hochberg: step-up, as statsmodels multipletests('fdr_bh')."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = len(p)
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    return out


def is_sketched(kind, ref, max_sample):
    """Berth keeps a numeric reference column as a quantile sketch when it has more than max_sample
    values and more than 20 distinct ones (with at most 20, exact value counts are kept instead)."""
    return kind == "numeric" and len(ref) > max_sample and len(set(ref)) > 20


def reference_view(kind, ref, max_sample):
    """(sample, std, distinct, rows) of a reference column as Berth keeps it: the sample is the sorted
    values, or max_sample evenly spaced numpy-linear quantiles of them; std (ddof 0), distinct and rows
    always describe all values."""
    if kind != "numeric":
        return ref, None, len(set(ref)), len(ref)
    s = np.sort(np.asarray(ref, dtype=np.float64))
    std = float(np.std(s))
    if is_sketched(kind, ref, max_sample):
        s = np.quantile(s, np.linspace(0.0, 1.0, max_sample))
    return s, std, len(set(ref)), len(ref)


def expected_report(reference, current, options):
    """The DriftReport Berth must produce for these tables and options."""
    methods = options.get("methods", {})
    by_kind = options.get("method_by_kind", {})
    thresholds = {**THRESHOLDS, **options.get("thresholds", {})}
    drift_share = options.get("drift_share", 0.5)
    correction = options.get("correction", "none")
    max_sample = options.get("max_sample", 10000)
    names = options.get("columns", list(reference.keys()))
    columns = []
    for name in names:
        kind = reference[name]["kind"]
        ref_all, cur_all = reference[name]["values"], current[name]["values"]
        ref, cur = present(kind, ref_all), present(kind, cur_all)
        row = {
            "column": name,
            "kind": kind,
            "reference_rows": len(ref_all),
            "reference_missing": len(ref_all) - len(ref),
            "current_rows": len(cur_all),
            "current_missing": len(cur_all) - len(cur),
        }
        if not cur:
            row.update({"tested": False, "drifted": False, "note": "no current values"})
            columns.append(row)
            continue
        method = methods.get(name) or by_kind.get(kind) or default_method(kind, ref, cur)
        view = reference_view(kind, ref, max_sample)
        statistic, p_value, score = run_test(method, kind, ref, cur, view)
        row.update({"tested": True, "method": method, "statistic": statistic, "p_value": p_value, "score": score, "threshold": thresholds[method]})
        columns.append(row)
    tested = [c for c in columns if c["tested"]]
    p_cols = [c for c in tested if c["method"] in P_VALUE_TESTS]
    if correction != "none" and p_cols:
        for c, adj in zip(p_cols, adjust([c["p_value"] for c in p_cols], correction)):
            c["adjusted_p_value"] = float(adj)
    for c in tested:
        decided = c.get("adjusted_p_value", c["score"])
        if c["method"] == "ks":
            c["drifted"] = bool(decided <= c["threshold"])
        elif c["method"] in P_VALUE_TESTS:
            c["drifted"] = bool(decided < c["threshold"])
        else:
            c["drifted"] = bool(decided >= c["threshold"])
    drifted = sum(1 for c in tested if c["drifted"])
    share = drifted / len(tested) if tested else 0.0
    return {
        "columns": columns,
        "tested": len(tested),
        "drifted": drifted,
        "share": share,
        "drift_share_threshold": drift_share,
        "dataset_drift": bool(tested) and share >= drift_share,
        "correction": correction,
        "sampled": any(is_sketched(reference[n]["kind"], present(reference[n]["kind"], reference[n]["values"]), max_sample) for n in reference),
    }


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------


def num(values, decimals):
    return [float(v) for v in np.round(np.asarray(values, dtype=np.float64), decimals)]


def cat(rng, choices, probs, n):
    return [str(x) for x in rng.choice(choices, size=n, p=probs)]


def with_missing(rng, values, share, missing):
    return [missing if rng.random() < share else v for v in values]


def case_small_mixed(k):
    rng = rng_for(k)
    nr, nc = 300, 200
    reference = {
        "age": {"kind": "numeric", "values": num(rng.normal(40, 10, nr), 1)},
        "income": {"kind": "numeric", "values": num(rng.lognormal(10, 0.5, nr), 2)},
        "flag": {"kind": "numeric", "values": num(rng.binomial(1, 0.3, nr), 0)},
        "rating": {"kind": "numeric", "values": num(rng.choice([1, 2, 3], nr, p=[0.2, 0.5, 0.3]), 0)},
        "city": {"kind": "categorical", "values": cat(rng, ["Paris", "Lyon", "Nice", "Lille", "Nantes", "Brest"], [0.3, 0.2, 0.15, 0.15, 0.1, 0.1], nr)},
        "member": {"kind": "categorical", "values": cat(rng, ["yes", "no"], [0.6, 0.4], nr)},
    }
    current = {
        "age": {"kind": "numeric", "values": num(rng.normal(44, 10, nc), 1)},
        "income": {"kind": "numeric", "values": num(rng.lognormal(10, 0.5, nc), 2)},
        "flag": {"kind": "numeric", "values": num(rng.binomial(1, 0.42, nc), 0)},
        "rating": {"kind": "numeric", "values": num(rng.choice([1, 2, 3], nc, p=[0.25, 0.45, 0.3]), 0)},
        "city": {"kind": "categorical", "values": cat(rng, ["Paris", "Lyon", "Nice", "Lille", "Nantes", "Brest"], [0.2, 0.2, 0.2, 0.15, 0.15, 0.1], nc)},
        "member": {"kind": "categorical", "values": cat(rng, ["yes", "no"], [0.58, 0.42], nc)},
    }
    runs = [
        {"options": {}},
        {"options": {"drift_share": 0.7}},
        {"options": {"method_by_kind": {"categorical": "jensenshannon"}, "methods": {"age": "psi", "income": "wasserstein"}}},
        {"options": {"columns": ["city", "age"], "thresholds": {"ks": 0.01, "chisquare": 0.5}}},
    ]
    return "small_mixed", reference, current, runs


def case_large_reference(k):
    rng = rng_for(k)
    nr, nc = 2000, 600
    reference = {
        "x": {"kind": "numeric", "values": num(rng.normal(0, 1, nr), 3)},
        "y": {"kind": "numeric", "values": num(rng.uniform(0, 10, nr), 3)},
        "level": {"kind": "numeric", "values": num(rng.choice([0, 1, 2, 3], nr, p=[0.4, 0.3, 0.2, 0.1]), 0)},
        "device": {"kind": "categorical", "values": cat(rng, list("abcdefgh"), [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05], nr)},
    }
    current = {
        "x": {"kind": "numeric", "values": num(rng.normal(0.2, 1, nc), 3)},
        "y": {"kind": "numeric", "values": num(rng.uniform(0, 10, nc), 3)},
        "level": {"kind": "numeric", "values": num(rng.choice([0, 1, 2, 3], nc, p=[0.25, 0.3, 0.25, 0.2]), 0)},
        "device": {"kind": "categorical", "values": cat(rng, list("abcdefgh"), [0.28, 0.22, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05], nc)},
    }
    runs = [
        {"options": {}},
        {"options": {"max_sample": 150}},
        {"options": {"methods": {"y": "psi", "device": "psi", "x": "ks"}, "thresholds": {"psi": 0.2}}},
    ]
    return "large_reference", reference, current, runs


def case_missing_values(k):
    rng = rng_for(k)
    nr, nc = 250, 180
    reference = {
        "temp": {"kind": "numeric", "values": with_missing(rng, num(rng.normal(20, 5, nr), 2), 0.1, float("nan"))},
        "color": {"kind": "categorical", "values": with_missing(rng, cat(rng, ["red", "green", "blue", "black"], [0.4, 0.3, 0.2, 0.1], nr), 0.08, None)},
        "sensor": {"kind": "numeric", "values": num(rng.normal(1, 0.1, nr), 3)},
        "late": {"kind": "numeric", "values": with_missing(rng, num(rng.binomial(1, 0.5, nr), 0), 0.2, float("nan"))},
    }
    current = {
        "temp": {"kind": "numeric", "values": with_missing(rng, num(rng.normal(21, 5, nc), 2), 0.3, float("nan"))},
        "color": {"kind": "categorical", "values": with_missing(rng, cat(rng, ["red", "green", "blue", "black"], [0.3, 0.3, 0.3, 0.1], nc), 0.25, None)},
        "sensor": {"kind": "numeric", "values": [float("nan")] * nc},
        "late": {"kind": "numeric", "values": with_missing(rng, num(rng.binomial(1, 0.3, nc), 0), 0.1, float("nan"))},
    }
    runs = [{"options": {}}, {"options": {"correction": "bonferroni"}}]
    return "missing_values", reference, current, runs


def case_constant_small(k):
    rng = rng_for(k)
    reference = {
        "same": {"kind": "numeric", "values": [5.0] * 100},
        "moved": {"kind": "numeric", "values": [5.0] * 100},
        "code": {"kind": "categorical", "values": ["A"] * 100},
        "noise": {"kind": "numeric", "values": num(rng.normal(0, 1, 100), 2)},
    }
    current = {
        "same": {"kind": "numeric", "values": [5.0] * 80},
        "moved": {"kind": "numeric", "values": [5.0] * 60 + [6.0] * 20},
        "code": {"kind": "categorical", "values": ["A"] * 80},
        "noise": {"kind": "numeric", "values": num(rng.normal(0, 1, 80), 2)},
    }
    runs = [{"options": {}}, {"options": {"methods": {"same": "wasserstein", "code": "jensenshannon", "moved": "psi"}}}]
    return "constant_small", reference, current, runs


def case_constant_large(k):
    reference = {
        "same": {"kind": "numeric", "values": [1.5] * 1500},
        "other": {"kind": "numeric", "values": [1.5] * 1500},
        "code": {"kind": "categorical", "values": ["A"] * 1500},
    }
    current = {
        "same": {"kind": "numeric", "values": [1.5] * 50},
        "other": {"kind": "numeric", "values": [2.5] * 50},
        "code": {"kind": "categorical", "values": ["A"] * 49 + ["B"]},
    }
    runs = [{"options": {}}]
    return "constant_large", reference, current, runs


def case_unseen_category(k):
    rng = rng_for(k)
    reference = {
        "plan": {"kind": "categorical", "values": cat(rng, ["free", "pro", "team"], [0.6, 0.3, 0.1], 400)},
        "seats": {"kind": "numeric", "values": num(rng.poisson(4, 400), 0)},
    }
    current = {
        "plan": {"kind": "categorical", "values": cat(rng, ["free", "pro", "team", "enterprise"], [0.58, 0.3, 0.1, 0.02], 300)},
        "seats": {"kind": "numeric", "values": num(rng.poisson(4, 300), 0)},
    }
    runs = [{"options": {}}, {"options": {"methods": {"plan": "psi"}}}, {"options": {"methods": {"plan": "jensenshannon"}}}]
    return "unseen_category", reference, current, runs


def case_many_tests(k):
    rng = rng_for(k)
    shifts = [0.0, 0.2, 0.33, 0.3, 0.35, 0.6]
    reference = {f"f{i}": {"kind": "numeric", "values": num(rng.normal(0, 1, 200), 3)} for i in range(len(shifts))}
    current = {f"f{i}": {"kind": "numeric", "values": num(rng.normal(s, 1, 200), 3)} for i, s in enumerate(shifts)}
    reference["g"] = {"kind": "categorical", "values": cat(rng, ["u", "v", "w"], [0.5, 0.3, 0.2], 200)}
    current["g"] = {"kind": "categorical", "values": cat(rng, ["u", "v", "w"], [0.4, 0.35, 0.25], 200)}
    reference["h"] = {"kind": "numeric", "values": num(rng.normal(0, 1, 200), 3)}
    current["h"] = {"kind": "numeric", "values": num(rng.normal(0.1, 1, 200), 3)}
    runs = [
        {"options": {}},
        {"options": {"correction": "bonferroni"}},
        {"options": {"correction": "bh"}},
        {"options": {"correction": "bh", "methods": {"h": "wasserstein", "f0": "jensenshannon"}}},
    ]
    return "many_tests", reference, current, runs


def case_rare_values(k):
    """More than 10000 reference values, so a share falls below 0.0001 and PSI's feel_zeroes fills empty
    shares with min(share) / 1e6 (utils.py) instead of 0.0001."""
    rng = rng_for(k)
    reference = {"tier": {"kind": "categorical", "values": cat(rng, ["a", "b", "c"], [0.7, 0.2, 0.1], 12000 - 1) + ["r"]}}
    current = {"tier": {"kind": "categorical", "values": cat(rng, ["a", "b", "c", "n"], [0.66, 0.2, 0.1, 0.04], 500)}}
    runs = [{"options": {}}, {"options": {"methods": {"tier": "psi"}}}, {"options": {"methods": {"tier": "chisquare"}}}]
    return "rare_values", reference, current, runs


CASES = [case_small_mixed, case_large_reference, case_missing_values, case_constant_small, case_constant_large, case_unseen_category, case_many_tests, case_rare_values]


def write_csv(path, table):
    names = list(table.keys())
    n = len(table[names[0]]["values"])
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in range(n):
            row = []
            for name in names:
                v = table[name]["values"][i]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    row.append("")
                elif table[name]["kind"] == "numeric" and float(v).is_integer():
                    row.append(str(int(v)))
                else:
                    row.append(repr(v) if isinstance(v, float) else v)
            w.writerow(row)


def main():
    cases = []
    for k, make in enumerate(CASES):
        name, reference, current, runs = make(k)
        for run in runs:
            run["expected"] = expected_report(reference, current, run["options"])
        cases.append({"name": name, "reference": reference, "current": current, "runs": runs})
        if name == "small_mixed":
            os.makedirs(CSV_DIR, exist_ok=True)
            write_csv(os.path.join(CSV_DIR, "reference.csv"), reference)
            write_csv(os.path.join(CSV_DIR, "current.csv"), current)
    doc = {
        "generated_by": "scripts/goldens/make_drift_goldens.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "seed": SEED,
        "conventions": {
            "non_finite": "NaN, Infinity and -Infinity are stored as the strings 'NaN', 'Infinity', '-Infinity'",
            "missing": "a missing numeric value is 'NaN', a missing category null",
            "options": "snake_case: methods, method_by_kind, thresholds, drift_share, correction, columns, max_sample",
            "untested": "a column with no current values has tested false, drifted false and a note",
        },
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    text = json.dumps(enc(doc), indent=1)
    # lists of scalars (the data columns) on one line each: same JSON, a tenth of the lines
    text = re.sub(r"\[\n\s*([^\[\]{}]*?)\n\s*\]", lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text)
    with open(OUT, "w") as f:
        f.write(text)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases, {sum(len(c['runs']) for c in cases)} runs")


if __name__ == "__main__":
    main()
