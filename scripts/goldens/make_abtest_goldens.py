#!/usr/bin/python3
"""Generate the golden values that pin src/abtest/analysis to scipy, numpy and R.

Run from anywhere with Debian's Python (not a pyenv/venv python), with R's Rscript on PATH:

    /usr/bin/python3 scripts/goldens/make_abtest_goldens.py

Needs these Debian packages (no pip, no network besides apt):

    apt-get install -y python3-scipy python3-numpy r-base-core

Writes test/fixtures/goldens/abtest.json (prints nothing). test/abtest/analysis/*.test.ts check
src/abtest/analysis against every value. Deterministic: samples come from fixed seeds through an
integer-only generator, so running twice gives byte-identical output for given scipy / numpy / R
versions (which the file records).

References, per section of the JSON:

* welch             scipy.stats.ttest_ind(b, a, equal_var=False) for t and p; df by the
                    Welch-Satterthwaite formula (with scipy's "NaN df -> 1" rule). CI: R's
                    t.test(b, a, var.equal = FALSE, conf.level = 1 - alpha)$conf.int where R
                    answers (it refuses constant data), else diff -/+ scipy.stats.t.ppf(1 - alpha/2,
                    df) * se; the scipy form is kept as "ciScipy" (see welch_cases for why R's
                    is the tighter reference). t, df and p are cross-checked against R ("r").
* relativeEffect    no library implements it: numpy from GrowthBook gbstats' published formula
                    var = var_B/(mu_A^2 n_B) + var_A mu_B^2/(mu_A^4 n_A), with a normal CI and
                    p (scipy.stats.norm.ppf / norm.sf). Denominator |mu_A|.
* twoProportion     z with the pooled SE and p = 2 norm.sf(|z|) (statsmodels proportions_ztest's
                    formula; statsmodels is not installed); CI with the unpooled SE. Cross-checked
                    against R's prop.test(c(sB, sA), c(nB, nA), correct = FALSE): X-squared = z^2,
                    same p-value, same conf.int (stored under "r").
* contingency       scipy.stats.chi2_contingency(table, correction); R chisq.test cross-check.
* cohens            Cohen's d and h from their textbook formulas with numpy (no scipy function).
* chanceToWin       scipy.stats.norm.cdf(delta / se); expected loss by the normal partial
                    expectation (norm.pdf / norm.cdf), checked by scipy.integrate.quad.
* msprt             no library: numpy from the published mSPRT formulas (Johari et al.), and, for
                    the default tau^2, GrowthBook gbstats' sequential formulas written in terms
                    of rho (sequential_rho, sequential_interval_halfwidth, sequential_p_value) -
                    an independent formulation of the same quantities.
* srm               scipy.stats.chisquare(counts, total * weights / sum(weights)).
* sampleSize        R power.prop.test(p1, p2, sig.level, power)$n (uniroot, tol ~1e-4) and its
                    ceiling; the closed-form inverse is computed too and must give the same
                    ceiling (asserted here).
* adjust            R p.adjust(p, "holm") and p.adjust(p, "BH").
* analyzeMetric     whole MetricResult objects assembled from the references above.

Conventions of the JSON (as test/fixtures/goldens/stats.json): floats are Python's repr
(shortest round-trip form), never rounded; NaN / +-Infinity are stored as the strings "NaN",
"Infinity", "-Infinity"; a refusal is {"error": <type>, "message": <text>}; a sample is
{"values": [...]} or {"gen": {...}, "check": {"first", "sum"}}, rebuilt by the tests with the same
integer-only generator as generate() below (mirrored in test/abtest/analysis/golden.ts).
"""

import json
import math
import os
import platform
import subprocess
import tempfile
import warnings

import numpy as np
import scipy
from scipy import integrate, stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "goldens", "abtest.json")

M32 = 0xFFFFFFFF

# --------------------------------------------------------------------------------------------------
# Deterministic sample generator (mirrored in test/abtest/analysis/golden.ts)
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
    """normal: Irwin-Hall sum of 12 uniforms; uniform; constant; then floor to a quantum if given
    (quantum 1 on uniform(loc, 1) gives 0/1 data with P(1) = loc)."""
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


def binary(seed, n, rate):
    """0/1 sample with P(1) = rate: floor(rate + U)."""
    return gen(seed, n, "uniform", rate, 1.0, 1.0)


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


def suff(values):
    """Sufficient statistics, correctly rounded (math.fsum)."""
    return {"n": len(values), "sum": math.fsum(values), "sumSquares": math.fsum(float(v) * float(v) for v in values)}


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


def close(a, b, rtol, atol=0.0):
    a, b = float(a), float(b)
    if math.isnan(a) and math.isnan(b):
        return True
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(rtol * max(abs(a), abs(b)), atol)


def require(cond, what):
    if not cond:
        raise AssertionError(what)


# --------------------------------------------------------------------------------------------------
# R via subprocess
# --------------------------------------------------------------------------------------------------


def r_run(code, vectors=None):
    """Run R code with numeric vectors bound to names (passed through temporary files, so long
    samples do not hit the command-line length limit). Returns stdout lines; raises RuntimeError
    with R's message on an R error."""
    vectors = vectors or {}
    with tempfile.TemporaryDirectory() as tmp:
        prelude = []
        for name, values in vectors.items():
            path = os.path.join(tmp, name + ".txt")
            with open(path, "w") as f:
                f.write("\n".join(repr(float(v)) for v in values))
            prelude.append(f'{name} <- scan("{path}", quiet = TRUE)')
        expr = "\n".join(prelude + [code])
        res = subprocess.run(["Rscript", "--vanilla", "-e", expr], capture_output=True, text=True)
    if res.returncode != 0:
        msg = res.stderr.strip().splitlines()
        raise RuntimeError(" ".join(line.strip() for line in msg if not line.startswith("Execution halted")))
    return res.stdout.split()


def r_floats(code, vectors=None):
    return [float(x) for x in r_run(code, vectors)]


FMT = 'cat(sprintf("%.17g", c({})), sep = "\\n")'


def r_version():
    res = subprocess.run(["Rscript", "--version"], capture_output=True, text=True, check=True)
    return (res.stdout + res.stderr).strip()


# --------------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------------


def welch_ref(a, b, alpha):
    """scipy ttest_ind(b, a, equal_var=False) plus df and CI as described above."""
    na, nb = len(a), len(b)
    with np.errstate(all="ignore"):
        r = stats.ttest_ind(b, a, equal_var=False)
        va = np.var(a, ddof=1) / na if na > 1 else math.nan
        vb = np.var(b, ddof=1) / nb if nb > 1 else math.nan
        diff = np.mean(b) - np.mean(a)
        se = math.sqrt(va + vb) if not math.isnan(va + vb) else math.nan
        df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1)) if not math.isnan(se) else math.nan
        if not math.isnan(se) and math.isnan(df):
            df = 1.0  # scipy's _unequal_var_ttest_denom: NaN df (both variances 0) -> 1
        half = 0.0 if se == 0 else stats.t.ppf(1 - alpha / 2, df) * se
    return {"difference": diff, "se": se, "df": df, "t": r.statistic, "pValue": r.pvalue, "ci": [diff - half, diff + half]}


def welch_r(a, b, alpha):
    try:
        out = r_floats(
            f"r <- t.test(b, a, var.equal = FALSE, conf.level = {1 - alpha!r}); " + FMT.format("r$statistic, r$parameter, r$p.value, r$conf.int"),
            {"a": a, "b": b},
        )
    except RuntimeError as e:
        return {"error": "RError", "message": str(e)}
    return {"t": out[0], "df": out[1], "pValue": out[2], "ci": out[3:5]}


def relative_ref(a, b, alpha):
    mu_a, mu_b = float(np.mean(a)), float(np.mean(b))
    na, nb = len(a), len(b)
    if mu_a == 0:
        return {"relative": math.nan, "se": math.nan, "ci": [math.nan, math.nan], "pValue": math.nan, "undefined": True}
    rel = (mu_b - mu_a) / abs(mu_a)
    var_a, var_b = float(np.var(a, ddof=1)), float(np.var(b, ddof=1))
    variance = var_b / (mu_a ** 2 * nb) + var_a * mu_b ** 2 / (mu_a ** 4 * na)
    se = math.sqrt(variance)
    half = stats.norm.ppf(1 - alpha / 2) * se
    p = 2 * stats.norm.sf(abs(rel / se))
    return {"relative": rel, "se": se, "ci": [rel - half, rel + half], "pValue": p}


def proportion_ref(sa, na, sb, nb, alpha):
    pa, pb = sa / na, sb / nb
    pooled = (sa + sb) / (na + nb)
    z = (pb - pa) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    p = 2 * stats.norm.sf(abs(z))
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    half = stats.norm.ppf(1 - alpha / 2) * se
    return {"difference": pb - pa, "z": z, "pValue": p, "ci": [pb - pa - half, pb - pa + half]}


def proportion_r(sa, na, sb, nb, alpha):
    out = r_floats(
        f"r <- suppressWarnings(prop.test(c({sb}, {sa}), c({nb}, {na}), correct = FALSE, conf.level = {1 - alpha!r})); " + FMT.format("r$statistic, r$p.value, r$conf.int")
    )
    return {"chiSquare": out[0], "pValue": out[1], "ci": out[2:4]}


def cohens_d_ref(a, b):
    na, nb = len(a), len(b)
    ss = (na - 1) * (np.var(a, ddof=1) if na > 1 else 0.0) + (nb - 1) * (np.var(b, ddof=1) if nb > 1 else 0.0)
    with np.errstate(all="ignore"):
        return (np.mean(b) - np.mean(a)) / np.sqrt(ss / (na + nb - 2))


def posterior(a, b):
    delta = float(np.mean(b) - np.mean(a))
    se = math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
    return delta, se


def chance_ref(a, b):
    delta, se = posterior(a, b)
    z = delta / se
    loss_b = se * stats.norm.pdf(z) - delta * stats.norm.cdf(-z)
    loss_a = se * stats.norm.pdf(z) + delta * stats.norm.cdf(z)
    # Numerical check of the partial expectations E[max(0, -D)] and E[max(0, D)].
    qb = integrate.quad(lambda d: -d * stats.norm.pdf(d, delta, se), delta - 40 * se, min(0.0, delta + 40 * se), epsabs=0, epsrel=1e-12, limit=200)[0] if delta - 40 * se < 0 else 0.0
    qa = integrate.quad(lambda d: d * stats.norm.pdf(d, delta, se), max(0.0, delta - 40 * se), delta + 40 * se, epsabs=0, epsrel=1e-12, limit=200)[0] if delta + 40 * se > 0 else 0.0
    require(close(qb, loss_b, 1e-7, 1e-12 * se), f"expected loss (treatment) {qb} vs {loss_b}")
    require(close(qa, loss_a, 1e-7, 1e-12 * se), f"expected loss (control) {qa} vs {loss_a}")
    return {"chanceToWin": stats.norm.cdf(delta / se), "expectedLoss": {"chooseTreatment": loss_b, "keepControl": loss_a}}


def msprt_formula(a, b, tau2, theta0, previous_p, alpha):
    """The published mSPRT formulas (normal mixture, plug-in variance), with numpy."""
    delta = float(np.mean(b) - np.mean(a))
    v = np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)
    lam = np.sqrt(v / (v + tau2)) * np.exp(tau2 * (delta - theta0) ** 2 / (2 * v * (v + tau2)))
    p = min(previous_p, 1.0, 1.0 / lam)
    half = np.sqrt((v * (v + tau2) / tau2) * (np.log((v + tau2) / v) - 2 * np.log(alpha)))
    return {"lambda": lam, "pValue": p, "ci": [delta - half, delta + half], "tau2": tau2}


def gbstats_sequential(a, b, alpha, tuning=5000.0, previous_p=1.0):
    """GrowthBook gbstats' sequential testing (sequential_rho, sequential_interval_halfwidth,
    sequential_p_value), written in its own terms: rho, s2 = SE^2 * N, N = nA + nB."""
    delta = float(np.mean(b) - np.mean(a))
    se2 = np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)
    n = len(a) + len(b)
    log_alpha = np.log(alpha)
    rho = np.sqrt((-2 * log_alpha + np.log(-2 * log_alpha + 1)) / tuning)
    s2 = se2 * n
    n_rho_sq_p1 = n * rho ** 2 + 1
    half = np.sqrt(s2) * np.sqrt(2 * n_rho_sq_p1 * np.log(np.sqrt(n_rho_sq_p1) / alpha) / (n * rho) ** 2)
    t_squared = delta ** 2 * n / se2
    log_evalue = rho ** 2 * t_squared / (2 * n_rho_sq_p1) - 0.5 * np.log(n_rho_sq_p1)
    p = 1.0 if log_evalue <= 0 else min(np.exp(-log_evalue), 1.0)
    return {"lambda": np.exp(log_evalue), "pValue": min(p, previous_p), "ci": [delta - half, delta + half], "tau2": rho ** 2 * s2}


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------

NUMERIC_PAIRS = [
    # name, control, treatment, alpha
    ("moderate effect, equal n", gen(1, 400, loc=10.0, scale=3.0), gen(2, 400, loc=10.5, scale=3.0), 0.05),
    ("unequal n and variances", gen(3, 150, loc=5.0, scale=1.0), gen(4, 900, loc=5.3, scale=4.0), 0.05),
    ("tiny n (2 vs 3)", [1.0, 2.5], [2.0, 3.5, 5.0], 0.05),
    ("tiny n (3 vs 4), alpha 0.1", [4.2, 3.9, 5.1], [5.0, 6.2, 4.8, 5.9], 0.1),
    ("zero variance in the control", [5.0] * 20, gen(5, 30, loc=5.5, scale=1.0), 0.05),
    ("identical arms (p = 1)", gen(6, 200, loc=3.0), gen(6, 200, loc=3.0), 0.05),
    ("huge effect (p tiny)", gen(7, 500), gen(8, 500, loc=2.0), 0.05),
    ("enormous effect (p underflows)", gen(9, 500), gen(10, 500, loc=6.0), 0.05),
    ("negative effect, alpha 0.01", gen(11, 1000, loc=100.0, scale=20.0), gen(12, 1200, loc=98.0, scale=25.0), 0.01),
    ("large mean, small spread", gen(13, 5000, "uniform", 1000.0, 50.0), gen(14, 5000, "uniform", 1000.5, 50.0), 0.05),
    ("negative control mean", gen(15, 300, loc=-2.0, scale=1.5), gen(16, 350, loc=-1.8, scale=1.5), 0.05),
    ("conversion data through Welch", binary(17, 3000, 0.1), binary(18, 3000, 0.12), 0.05),
]

DEGENERATE_PAIRS = [
    ("both constant, different means (scipy df -> 1)", [2.0] * 5, [3.0] * 6, 0.05),
    ("both constant, equal means (NaN)", [2.0] * 5, [2.0] * 6, 0.05),
    ("one subject in an arm (NaN)", [1.0], [1.0, 2.0, 3.0], 0.05),
]


def arm_cases():
    out = []
    for name, a, b, _ in NUMERIC_PAIRS + DEGENERATE_PAIRS:
        for role, x in (("control", a), ("treatment", b)):
            js, values = sample(x)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                var = np.var(values, ddof=1) if len(values) > 1 else math.nan
            out.append({"name": f"{name} / {role}", "sample": js, **suff(values), "mean": np.mean(values), "variance": var})
    return out


def welch_cases():
    out = []
    for name, a, b, alpha in NUMERIC_PAIRS + DEGENERATE_PAIRS:
        ja, va = sample(a)
        jb, vb = sample(b)
        ref = welch_ref(va, vb, alpha)
        rr = welch_r(va, vb, alpha)
        if "error" not in rr and math.isfinite(ref["t"]) and ref["pValue"] > 1e-300:
            require(close(rr["t"], ref["t"], 1e-9), f"{name}: R t {rr['t']} vs scipy {ref['t']}")
            require(close(rr["df"], ref["df"], 1e-9), f"{name}: R df")
            require(close(rr["pValue"], ref["pValue"], 1e-6), f"{name}: R p {rr['pValue']} vs scipy {ref['pValue']}")
            # R's qt and scipy's t.ppf differ by up to ~1e-9 relative at small non-integer df.
            half = (ref["ci"][1] - ref["ci"][0]) / 2
            require(all(close(x, y, 1e-8, 1e-8 * half) for x, y in zip(rr["ci"], ref["ci"])), f"{name}: R CI {rr['ci']} vs {ref['ci']}")
        case = {"name": name, "control": ja, "treatment": jb, "alpha": alpha, **ref, "ciScipy": ref["ci"], "r": rr}
        if "error" not in rr:
            # The CI golden is R's conf.int: scipy 1.10's t.ppf is off by up to ~6e-10 relative at
            # small non-integer df (e.g. t.ppf(0.95, 4.6746) = 2.04645506866 where mpmath, R's qt
            # and stdlib give 2.04645506988); elsewhere the two agree to ~1e-15.
            case["ci"] = rr["ci"]
        out.append(case)
    return out


def relative_cases():
    out = []
    pairs = NUMERIC_PAIRS + [("control mean 0 (undefined)", [-1.0, 1.0, 0.0, 2.0, -2.0], [0.5, 1.5, 1.0], 0.05)]
    for name, a, b, alpha in pairs:
        if name.startswith("tiny n (2"):
            continue
        ja, va = sample(a)
        jb, vb = sample(b)
        with np.errstate(all="ignore"):
            out.append({"name": name, "control": ja, "treatment": jb, "alpha": alpha, **relative_ref(va, vb, alpha)})
    return out


PROPORTION_CASES = [
    ("10% vs 11%, 10k each", 1000, 10000, 1100, 10000, 0.05),
    ("10% vs 11%, 15k each", 1500, 15000, 1650, 15000, 0.05),
    ("tiny n", 1, 5, 4, 7, 0.05),
    ("unequal n", 30, 200, 400, 2000, 0.05),
    ("identical rates (p = 1)", 50, 500, 50, 500, 0.05),
    ("huge effect (p tiny)", 100, 10000, 1000, 10000, 0.05),
    ("zero successes in one arm", 0, 100, 5, 100, 0.05),
    ("alpha 0.1, decrease", 540, 4000, 470, 4100, 0.1),
    ("high rates", 9500, 10000, 9420, 10000, 0.01),
]


def proportion_cases():
    out = []
    for name, sa, na, sb, nb, alpha in PROPORTION_CASES:
        ref = proportion_ref(sa, na, sb, nb, alpha)
        rr = proportion_r(sa, na, sb, nb, alpha)
        require(close(rr["chiSquare"], ref["z"] ** 2, 1e-9, 1e-15), f"{name}: R X-squared vs z^2")
        require(close(rr["pValue"], ref["pValue"], 1e-7, 1e-15), f"{name}: R p")
        require(all(close(x, y, 1e-9, 1e-12) for x, y in zip(rr["ci"], ref["ci"])), f"{name}: R CI {rr['ci']} vs {ref['ci']}")
        out.append({"name": name, "control": {"n": na, "successes": sa}, "treatment": {"n": nb, "successes": sb}, "alpha": alpha, **ref, "r": rr})
    return out


def contingency_cases():
    tables = [
        ("2x2 conversions", [[9000, 1000], [8900, 1100]]),
        ("2x2 small counts", [[3, 7], [8, 2]]),
        ("2x2 |o - e| < 0.5 (Yates gives 0)", [[10, 12], [11, 13]]),
        ("2x2 strong association", [[500, 20], [30, 450]]),
        ("2x3 three outcomes", [[120, 90, 40], [110, 95, 45]]),
        ("3x3", [[20, 30, 50], [25, 25, 50], [40, 20, 40]]),
        ("2x4 float counts", [[10.5, 20.25, 30.0, 5.0], [12.0, 18.0, 25.5, 9.75]]),
        ("1x3 (df 0)", [[10, 20, 30]]),
        ("zero column (scipy refuses)", [[0, 20], [0, 30]]),
    ]
    out = []
    for name, table in tables:
        for correction in (True, False):
            case = {"name": name, "table": table, "correction": correction}
            try:
                r = stats.chi2_contingency(np.asarray(table, dtype=float), correction=correction)
                case.update({"statistic": r.statistic, "pValue": r.pvalue, "df": int(r.dof), "expected": r.expected_freq})
                if r.dof > 0:
                    flat = [x for row in table for x in row]
                    rows = len(table)
                    rr = r_floats(
                        f"m <- matrix(x, nrow = {rows}, byrow = TRUE); r <- suppressWarnings(chisq.test(m, correct = {'TRUE' if correction else 'FALSE'})); " + FMT.format("r$statistic, r$p.value"),
                        {"x": flat},
                    )
                    require(close(rr[0], r.statistic, 1e-9, 1e-12), f"{name}: R chisq.test statistic {rr[0]} vs {r.statistic}")
                    require(close(rr[1], r.pvalue, 1e-7, 1e-15), f"{name}: R chisq.test p")
                    case["r"] = {"statistic": rr[0], "pValue": rr[1]}
            except ValueError as e:
                case["result"] = refusal(e)
            out.append(case)
    return out


def cohens_cases():
    d = []
    for name, a, b, _ in NUMERIC_PAIRS + DEGENERATE_PAIRS[:2]:
        ja, va = sample(a)
        jb, vb = sample(b)
        d.append({"name": name, "control": ja, "treatment": jb, "d": cohens_d_ref(va, vb)})
    h = []
    for p1, p2 in [(0.1, 0.11), (0.5, 0.6), (0.0, 0.2), (0.9, 1.0), (0.3, 0.3), (0.75, 0.25), (1e-6, 2e-6)]:
        h.append({"p1": p1, "p2": p2, "h": 2 * np.arcsin(np.sqrt(p2)) - 2 * np.arcsin(np.sqrt(p1))})
    return {"d": d, "h": h}


def chance_cases():
    out = []
    for name, a, b, _ in NUMERIC_PAIRS:
        if name.startswith("enormous") or name.startswith("huge"):
            continue
        ja, va = sample(a)
        jb, vb = sample(b)
        out.append({"name": name, "control": ja, "treatment": jb, **chance_ref(va, vb)})
    return out


def msprt_cases():
    fixed = []
    specs = [
        # name, control, treatment, tau2, theta0, previousP, alpha
        ("moderate effect, tau2 = 0.25", gen(1, 400, loc=10.0, scale=3.0), gen(2, 400, loc=10.5, scale=3.0), 0.25, 0.0, 1.0, 0.05),
        ("moderate effect, tau2 = 0.01, previous p 0.2", gen(1, 400, loc=10.0, scale=3.0), gen(2, 400, loc=10.5, scale=3.0), 0.01, 0.0, 0.2, 0.05),
        ("strong effect, tau2 = 1 (Lambda large)", gen(7, 500), gen(8, 500, loc=0.5), 1.0, 0.0, 1.0, 0.05),
        ("huge effect, tau2 = 1 (p ~ 1e-200)", gen(7, 500), gen(8, 500, loc=2.0), 1.0, 0.0, 1.0, 0.05),
        ("no effect, tau2 = 0.04 (p = 1)", gen(6, 200, loc=3.0), gen(6, 200, loc=3.0), 0.04, 0.0, 1.0, 0.05),
        ("theta0 = 0.3, alpha 0.1", gen(3, 150, loc=5.0, scale=1.0), gen(4, 900, loc=5.3, scale=4.0), 0.5, 0.3, 1.0, 0.1),
        ("conversion, tau2 = 1e-4", binary(17, 3000, 0.1), binary(18, 3000, 0.12), 1e-4, 0.0, 1.0, 0.05),
    ]
    for name, a, b, tau2, theta0, prev, alpha in specs:
        ja, va = sample(a)
        jb, vb = sample(b)
        with np.errstate(over="ignore"):
            ref = msprt_formula(va, vb, tau2, theta0, prev, alpha)
        fixed.append({"name": name, "control": ja, "treatment": jb, "tau2": tau2, "theta0": theta0, "previousP": prev, "alpha": alpha, **ref})

    default = []
    for name, a, b, alpha in NUMERIC_PAIRS:
        if name.startswith("tiny n (2") or name.startswith("identical"):
            continue
        ja, va = sample(a)
        jb, vb = sample(b)
        with np.errstate(over="ignore"):
            ref = gbstats_sequential(va, vb, alpha)
            # The same numbers from the mSPRT formula with tau2 = rho^2 s2 (independent check).
            check = msprt_formula(va, vb, ref["tau2"], 0.0, 1.0, alpha)
        require(close(check["pValue"], ref["pValue"], 1e-9, 1e-300), f"{name}: gbstats p vs mSPRT p")
        require(all(close(x, y, 1e-9) for x, y in zip(check["ci"], ref["ci"])), f"{name}: gbstats CI vs mSPRT CI")
        default.append({"name": name, "control": ja, "treatment": jb, "alpha": alpha, **ref})

    # A test looked at after every 250 subjects per arm: prefixes of two long samples.
    ja, va = sample(gen(40, 4000, loc=1.0, scale=2.0))
    jb, vb = sample(gen(41, 4000, loc=1.12, scale=2.0))
    looks = []
    running = 1.0
    for k in range(250, 4001, 250):
        ref = gbstats_sequential(va[:k], vb[:k], 0.05, previous_p=running)
        running = ref["pValue"]
        looks.append({"n": k, **ref})
    return {"fixedTau2": fixed, "defaultTau2": default, "sequence": {"control": ja, "treatment": jb, "alpha": 0.05, "looks": looks}}


def srm_cases():
    cases = [
        ("5000 vs 5400 at 50/50 (flagged)", [5000, 5400], [0.5, 0.5]),
        ("5000 vs 5050 at 50/50 (fine)", [5000, 5050], [0.5, 0.5]),
        ("three arms 50/25/25 (fine)", [10030, 4980, 4990], [0.5, 0.25, 0.25]),
        ("three arms 50/25/25 (flagged)", [10000, 5300, 4700], [0.5, 0.25, 0.25]),
        ("weights not normalised (1:1)", [980, 1020], [1, 1]),
        ("90/10 split", [9050, 950], [0.9, 0.1]),
        ("tiny counts", [3, 9], [0.5, 0.5]),
        ("extreme mismatch (p tiny)", [100000, 50000], [0.5, 0.5]),
    ]
    out = []
    for name, counts, weights in cases:
        total = sum(counts)
        w = np.asarray(weights, dtype=float)
        expected = total * w / w.sum()
        r = stats.chisquare(counts, expected)
        out.append({"name": name, "counts": counts, "weights": weights, "statistic": r.statistic, "pValue": r.pvalue, "df": len(counts) - 1, "expected": expected, "mismatch": bool(r.pvalue < 0.001)})
    return out


def sample_size_cases():
    cases = [
        (0.10, 0.11, 0.05, 0.8),
        (0.05, 0.06, 0.05, 0.8),
        (0.50, 0.55, 0.05, 0.8),
        (0.20, 0.10, 0.05, 0.8),
        (0.10, 0.12, 0.01, 0.9),
        (0.01, 0.012, 0.05, 0.8),
        (0.30, 0.50, 0.05, 0.95),
        (0.02, 0.025, 0.1, 0.8),
        (0.9, 0.92, 0.05, 0.8),
    ]
    out = []
    for p1, p2, alpha, power in cases:
        n_r = r_floats(f"x <- power.prop.test(p1 = {p1!r}, p2 = {p2!r}, sig.level = {alpha!r}, power = {power!r}); " + FMT.format("x$n"))[0]
        pbar = (p1 + p2) / 2
        root = (stats.norm.ppf(1 - alpha / 2) * math.sqrt(2 * pbar * (1 - pbar)) + stats.norm.ppf(power) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) / abs(p1 - p2)
        closed = root * root
        require(math.ceil(closed) == math.ceil(n_r), f"power.prop.test({p1}, {p2}): closed form {closed} vs R {n_r}")
        out.append({"p1": p1, "p2": p2, "alpha": alpha, "power": power, "rN": n_r, "closedFormN": closed, "n": math.ceil(n_r)})
    return out


def r_p_adjust(p, method):
    vec = ",".join("NaN" if math.isnan(x) else repr(float(x)) for x in p)
    return r_floats(f'x <- p.adjust(c({vec}), method = "{method}"); ' + FMT.format("x"))


def adjust_cases():
    rng = np.random.default_rng(2024)
    cases = [
        ("five metrics", [0.01, 0.04, 0.03, 0.005, 0.2]),
        ("ties", [0.01, 0.04, 0.04, 0.2, 0.01, 0.5]),
        ("with NaN", [0.01, math.nan, 0.03, 0.2, math.nan]),
        ("zeros and ones", [0.0, 1.0, 0.5, 1e-300]),
        ("single", [0.3]),
        ("random 25", list(rng.random(25) ** 3)),
        ("tiny p", [1e-30, 1e-20, 0.001, 0.9]),
    ]
    return [{"name": name, "p": p, "holm": r_p_adjust(p, "holm"), "bh": r_p_adjust(p, "BH")} for name, p in cases]


def analyze_cases():
    out = []
    specs = [
        ("conversion", "binary", binary(50, 8000, 0.10), binary(51, 8000, 0.115), 0.05),
        ("revenue", "numeric", gen(52, 2500, loc=20.0, scale=8.0), gen(53, 2600, loc=20.4, scale=8.5), 0.05),
        ("latency_ms", "numeric", gen(54, 1500, loc=120.0, scale=30.0), gen(55, 1400, loc=119.0, scale=30.0), 0.1),
    ]
    for metric, kind, a, b, alpha in specs:
        ja, va = sample(a)
        jb, vb = sample(b)
        if kind == "binary":
            sa, sb = int(va.sum()), int(vb.sum())
            t = proportion_ref(sa, len(va), sb, len(vb), alpha)
            difference, diff_ci, p = t["difference"], t["ci"], t["pValue"]
            effect = 2 * np.arcsin(np.sqrt(np.mean(vb))) - 2 * np.arcsin(np.sqrt(np.mean(va)))
        else:
            w = welch_ref(va, vb, alpha)
            difference, diff_ci, p = w["difference"], w["ci"], w["pValue"]
            effect = cohens_d_ref(va, vb)
        rel = relative_ref(va, vb, alpha)
        seq = gbstats_sequential(va, vb, alpha)
        out.append(
            {
                "metric": metric,
                "kind": kind,
                "alpha": alpha,
                "control": ja,
                "treatment": jb,
                "result": {
                    "control": {"n": len(va), "mean": np.mean(va)},
                    "treatment": {"n": len(vb), "mean": np.mean(vb)},
                    "difference": difference,
                    "difference_ci": diff_ci,
                    "relative": rel["relative"],
                    "relative_ci": rel["ci"],
                    "p_value": p,
                    "sequential_p_value": seq["pValue"],
                    "sequential_ci": seq["ci"],
                    "effect_size": effect,
                    "chance_to_win": chance_ref(va, vb)["chanceToWin"],
                    "significant": bool(p < alpha),
                },
            }
        )
    return out


def main():
    warnings.simplefilter("ignore")
    data = {
        "generated_by": "scripts/goldens/make_abtest_goldens.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "r_version": r_version(),
        "conventions": {
            "non_finite": "NaN, Infinity, -Infinity and -0 are stored as the strings 'NaN', 'Infinity', '-Infinity', '-0'",
            "errors": "a call the reference refuses is stored as {error, message}",
            "samples": "{values: [...]} or {gen: {seed, n, dist, loc, scale, quantum?}, check: {first, sum}}; see generate() in the script",
            "no_library": "relativeEffect (gbstats delta method), msprt (Johari et al. / gbstats sequential) and Cohen's d/h are computed with numpy from their published formulas",
        },
        "armStats": arm_cases(),
        "welch": welch_cases(),
        "relativeEffect": relative_cases(),
        "twoProportion": proportion_cases(),
        "contingency": contingency_cases(),
        "cohens": cohens_cases(),
        "chanceToWin": chance_cases(),
        "msprt": msprt_cases(),
        "srm": srm_cases(),
        "sampleSize": sample_size_cases(),
        "adjust": adjust_cases(),
        "analyzeMetric": analyze_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(enc(data), f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
