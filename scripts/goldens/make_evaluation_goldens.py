#!/usr/bin/python3
"""Generate the golden values that pin Berth's evaluation metrics to scikit-learn.

Run from anywhere with Debian's Python (not a pyenv/venv python):

    /usr/bin/python3 scripts/goldens/make_evaluation_goldens.py

Needs these Debian packages (no pip, no network besides apt):

    apt-get update
    apt-get install -y python3-sklearn python3-numpy

Writes test/fixtures/goldens/evaluation.json: a list of cases, each with its inputs and the outputs that
scikit-learn computes for them (plus a numpy reference for the expected calibration error, which
scikit-learn does not have). test/evaluation/evaluation.test.ts checks src/evaluation against every
value. Deterministic: every case draws from its own fixed seed, so running twice gives byte-identical
output (for a given numpy / scikit-learn version, which the file records).

Conventions of the JSON:

* floats are stored as Python's repr (shortest round-trip form), never rounded;
* NaN and +/-infinity, which JSON cannot hold, are stored as the strings "NaN", "Infinity", "-Infinity";
* a metric that scikit-learn refuses is stored as {"error": "<exception type>", "message": "<text>"};
* `probabilities[i][j]` is the probability of `labels[j]` (the caller's column order). scikit-learn's
  log_loss and roc_auc_score(multi_class="ovr") want columns in sorted label order, so this script
  permutes the columns before calling them; the metric values do not depend on the column order.
* binary ranking metrics (roc_auc, roc_curve, average_precision, precision_recall_curve, brier) are
  computed on y_true == positive (as 0/1) against `scores`.
"""

import json
import os
import platform
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M
from sklearn.utils.multiclass import unique_labels

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "goldens", "evaluation.json")
SEED = 20240611
ECE_BINS = (10, 15)


def rng_for(k):
    """A generator of its own for case number k, so adding a case never changes another."""
    return np.random.default_rng([SEED, k])


# --------------------------------------------------------------------------------------------------
# JSON encoding
# --------------------------------------------------------------------------------------------------


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


def attempt(fn):
    """The metric's value, or the error scikit-learn raises for these inputs."""
    with warnings.catch_warnings():
        # UndefinedMetricWarning etc.: zero_division="warn" sets 0.0 and warns; we only keep values.
        warnings.simplefilter("ignore")
        try:
            return fn()
        except (ValueError, ZeroDivisionError) as err:
            return {"error": type(err).__name__, "message": str(err)}


def is_error(v):
    return isinstance(v, dict) and "error" in v


# --------------------------------------------------------------------------------------------------
# Reference for the expected calibration error (scikit-learn has none)
# --------------------------------------------------------------------------------------------------


def ece_reference(y_true, probabilities, labels, bins):
    """Top-label expected calibration error with equal-width bins on the confidence.

    conf_i = max_j P[i, j] and pred_i = labels[argmax_j P[i, j]] (the first column on ties);
    correct_i = 1 if pred_i == y_true[i] else 0.
    Bin edges e_k = k / bins (k = 0..bins, one float64 division each). Sample i falls in bin b
    (0-based) when e_b < conf_i <= e_{b+1}: bins (0, 1/B], (1/B, 2/B], ..., (1 - 1/B, 1];
    a confidence of exactly 0 goes to the first bin (and one above 1, if any, to the last).

        ECE = sum over non-empty bins b, in increasing order, of |B_b| / n * |acc(B_b) - conf(B_b)|

    where acc(B_b) is the mean of correct_i and conf(B_b) the mean of conf_i over the bin.
    Probabilities outside [0, 1] are refused (ValueError): calibration of non-probabilities is undefined.
    """
    P = np.asarray(probabilities, dtype=np.float64)
    if P.min() < 0 or P.max() > 1:
        raise ValueError("probabilities must lie in [0, 1] for the expected calibration error")
    conf = P.max(axis=1)
    pred = np.asarray(labels, dtype=object)[P.argmax(axis=1)]
    correct = (pred == np.asarray(y_true, dtype=object)).astype(np.float64)
    edges = np.arange(bins + 1, dtype=np.float64) / bins
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    n = conf.shape[0]
    ece = 0.0
    for b in range(bins):
        in_bin = idx == b
        count = int(in_bin.sum())
        if count == 0:
            continue
        ece += (count / n) * abs(np.mean(correct[in_bin]) - np.mean(conf[in_bin]))
    return float(ece)


# --------------------------------------------------------------------------------------------------
# Expected values
# --------------------------------------------------------------------------------------------------


def confusion(y_true, y_pred, labels):
    used = list(labels) if labels is not None else unique_labels(y_true, y_pred).tolist()
    matrix = M.confusion_matrix(y_true, y_pred, labels=labels)
    return {"labels": used, "matrix": matrix}


def prf(y_true, y_pred, labels):
    used = list(labels) if labels is not None else unique_labels(y_true, y_pred).tolist()
    p, r, f, s = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None)
    out = {
        "labels": used,
        "per_class": {"precision": p, "recall": r, "f1": f, "support": s},
    }
    for avg in ("macro", "micro", "weighted"):
        ap, ar, af, _ = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg)
        out[avg] = {"precision": ap, "recall": ar, "f1": af}
    return out


def roc_curve_points(y01, scores):
    fpr, tpr, thr = M.roc_curve(y01, scores, pos_label=1, drop_intermediate=True)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thr}


def pr_curve_points(y01, scores):
    precision, recall, thr = M.precision_recall_curve(y01, scores, pos_label=1)
    return {"precision": precision, "recall": recall, "thresholds": thr}


def sorted_columns(labels, probabilities):
    order = sorted(range(len(labels)), key=lambda j: labels[j])
    P = np.asarray(probabilities, dtype=np.float64)
    return [labels[j] for j in order], P[:, order]


def classification_expected(inp):
    y_true = np.asarray(inp["y_true"], dtype=object)
    labels = inp.get("labels")
    exp = {}
    if "y_pred" in inp:
        y_pred = np.asarray(inp["y_pred"], dtype=object)
        exp["confusion_matrix"] = attempt(lambda: confusion(y_true, y_pred, labels))
        exp["accuracy"] = attempt(lambda: M.accuracy_score(y_true, y_pred))
        exp["prf"] = attempt(lambda: prf(y_true, y_pred, labels))
        if labels is not None:
            exp["confusion_matrix_default"] = attempt(lambda: confusion(y_true, y_pred, None))
            exp["prf_default"] = attempt(lambda: prf(y_true, y_pred, None))
    if "scores" in inp:
        positive = inp["positive"]
        y01 = np.asarray([1 if y == positive else 0 for y in inp["y_true"]], dtype=np.int64)
        scores = np.asarray(inp["scores"], dtype=np.float64)
        exp["roc_auc"] = attempt(lambda: M.roc_auc_score(y01, scores))
        exp["roc_curve"] = attempt(lambda: roc_curve_points(y01, scores))
        exp["average_precision"] = attempt(lambda: M.average_precision_score(y01, scores, pos_label=1))
        exp["precision_recall_curve"] = attempt(lambda: pr_curve_points(y01, scores))
        exp["brier"] = attempt(lambda: M.brier_score_loss(y01, scores, pos_label=1))
    if "probabilities" in inp:
        sorted_labels, P = sorted_columns(labels, inp["probabilities"])
        exp["log_loss"] = attempt(lambda: M.log_loss(y_true, P, labels=sorted_labels))
        if len(labels) >= 3:
            exp["roc_auc_ovr"] = {
                avg: attempt(
                    lambda avg=avg: M.roc_auc_score(
                        y_true, P, multi_class="ovr", average=avg, labels=sorted_labels
                    )
                )
                for avg in ("macro", "weighted")
            }
        exp["ece"] = [
            {"bins": b, "value": attempt(lambda b=b: ece_reference(inp["y_true"], inp["probabilities"], labels, b))}
            for b in ECE_BINS
        ]
    return exp


def regression_expected(inp):
    y_true = np.asarray(inp["y_true"], dtype=np.float64)
    y_pred = np.asarray(inp["y_pred"], dtype=np.float64)
    return {
        "mae": attempt(lambda: M.mean_absolute_error(y_true, y_pred)),
        "mse": attempt(lambda: M.mean_squared_error(y_true, y_pred)),
        "rmse": attempt(lambda: M.mean_squared_error(y_true, y_pred, squared=False)),
        "r2": attempt(lambda: M.r2_score(y_true, y_pred)),
        "mape": attempt(lambda: M.mean_absolute_percentage_error(y_true, y_pred)),
    }


# --------------------------------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------------------------------


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def rows(P):
    return [floats(r) for r in np.asarray(P, dtype=np.float64)]


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def informative_probabilities(r, y_idx, k, strength):
    """Softmax of noisy logits that lean towards the true class: a usable but imperfect model."""
    n = len(y_idx)
    logits = r.normal(0.0, 1.0, size=(n, k))
    logits[np.arange(n), y_idx] += strength
    return softmax(logits)


def argmax_labels(labels, P):
    return [labels[j] for j in np.asarray(P).argmax(axis=1)]


def ensure_all_present(r, y_idx, k):
    """Put every class in y_idx at least once (small random cases)."""
    y_idx = np.array(y_idx)
    spots = r.choice(len(y_idx), size=k, replace=False)
    y_idx[spots] = np.arange(k)
    return y_idx


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------

CASES = []


def add_classification(name, description, **inputs):
    inputs = {k: v for k, v in inputs.items() if v is not None}
    CASES.append({"name": name, "kind": "classification", "description": description, "inputs": inputs})


def add_regression(name, description, y_true, y_pred):
    CASES.append(
        {
            "name": name,
            "kind": "regression",
            "description": description,
            "inputs": {"y_true": floats(y_true), "y_pred": floats(y_pred)},
        }
    )


def binary_from_probabilities(name, description, r_labels, y_idx, P, positive_index=1, y_pred=None):
    labels = list(r_labels)
    y_true = [labels[i] for i in y_idx]
    add_classification(
        name,
        description,
        y_true=y_true,
        y_pred=y_pred if y_pred is not None else argmax_labels(labels, P),
        labels=labels,
        probabilities=rows(P),
        positive=labels[positive_index],
        scores=floats(np.asarray(P)[:, positive_index]),
    )


def multiclass_from_probabilities(name, description, labels, y_idx, P, y_pred=None):
    labels = list(labels)
    add_classification(
        name,
        description,
        y_true=[labels[i] for i in y_idx],
        y_pred=y_pred if y_pred is not None else argmax_labels(labels, P),
        labels=labels,
        probabilities=rows(P),
    )


def build_cases():
    # ---- binary -----------------------------------------------------------------------------------
    r = rng_for(1)
    y = np.array([0] * 20 + [1] * 20)
    r.shuffle(y)
    binary_from_probabilities(
        "binary_balanced", "40 samples, 20/20, an informative but noisy model",
        ["neg", "pos"], y, informative_probabilities(r, y, 2, 1.5),
    )

    r = rng_for(2)
    y = (r.random(400) < 0.07).astype(int)
    binary_from_probabilities(
        "binary_imbalanced", "400 samples, about 7% positives",
        ["benign", "malignant"], y, informative_probabilities(r, y, 2, 2.0),
    )

    r = rng_for(3)
    y = (r.random(300) < 0.4).astype(int)
    s = np.round(r.random(300) * 0.6 + 0.4 * y, 1)  # one decimal: 11 distinct scores, many ties
    binary_from_probabilities(
        "binary_many_ties", "300 samples, scores rounded to one decimal (ties across both classes)",
        ["no", "yes"], y, np.column_stack([1 - s, s]),
    )

    r = rng_for(4)
    y = np.array([0, 1] * 10)
    r.shuffle(y)
    s = np.full(20, 0.5)
    binary_from_probabilities(
        "binary_all_scores_tied", "every score equal: AUC 0.5, AP the prevalence",
        ["neg", "pos"], y, np.column_stack([1 - s, s]),
    )

    r = rng_for(5)
    y_idx = (r.random(120) < 0.5).astype(int)
    scores = r.integers(-3, 4, size=120) + 2 * y_idx - 1  # decision-function-like integer scores
    labels = ["ham", "spam"]
    add_classification(
        "binary_integer_decision_scores",
        "integer decision scores in [-4, 4] with heavy ties; Brier score is refused (not probabilities)",
        y_true=[labels[i] for i in y_idx],
        y_pred=[labels[1] if v > 0 else labels[0] for v in scores],
        labels=labels,
        positive="spam",
        scores=floats(scores),
    )

    r = rng_for(6)
    y = np.array([0] * 15 + [1] * 10)
    r.shuffle(y)
    s = np.where(y == 1, 0.6 + 0.4 * r.random(25), 0.5 * r.random(25))
    binary_from_probabilities(
        "binary_perfect", "scores separate the classes perfectly",
        ["neg", "pos"], y, np.column_stack([1 - s, s]),
    )
    binary_from_probabilities(
        "binary_worst", "scores rank every negative above every positive",
        ["neg", "pos"], y, np.column_stack([s, 1 - s]),
    )

    r = rng_for(7)
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    P = np.array([[0.0, 1.0], [1.0, 0.0], [1e-300, 1.0 - 1e-17], [0.3, 0.7],
                  [0.9999999999999999, 1e-16], [0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    binary_from_probabilities(
        "binary_extreme_probabilities",
        "probabilities of exactly 0 and 1 and below eps: log loss clipping; a confident wrong answer",
        ["neg", "pos"], y, P,
    )

    for k, n in ((10, 10), (11, 100), (12, 1000)):
        r = rng_for(k)
        y = (r.random(n) < 0.5).astype(int)
        if y.min() == y.max():
            y[0] = 1 - y[0]
        p = r.random(n)
        binary_from_probabilities(
            f"binary_random_{n}", f"{n} samples, uniform random probabilities (an uninformative model)",
            ["0", "1"], y, np.column_stack([1 - p, p]),
        )

    r = rng_for(13)
    y = np.array([1] * 12)
    p = r.random(12)
    binary_from_probabilities(
        "binary_single_class_positive_only",
        "y_true holds only the positive class: ROC AUC is refused, fpr is NaN, AP is 1",
        ["neg", "pos"], y, np.column_stack([1 - p, p]),
    )
    y = np.array([0] * 12)
    binary_from_probabilities(
        "binary_single_class_negative_only",
        "y_true holds only the negative class: ROC AUC is refused, tpr is NaN, recall set to 1, AP is 0",
        ["neg", "pos"], y, np.column_stack([1 - p, p]),
    )

    # ---- multiclass -------------------------------------------------------------------------------
    r = rng_for(20)
    y = r.integers(0, 3, size=90)
    multiclass_from_probabilities(
        "multiclass_3", "3 classes, 90 samples, informative model",
        ["cat", "dog", "pig"], y, informative_probabilities(r, y, 3, 1.5),
    )

    r = rng_for(21)
    y = r.choice(5, size=250, p=[0.4, 0.25, 0.15, 0.15, 0.05])
    multiclass_from_probabilities(
        "multiclass_5", "5 classes, 250 samples, unequal class sizes",
        ["a", "b", "c", "d", "e"], y, informative_probabilities(r, y, 5, 1.2),
    )

    r = rng_for(22)
    y = r.integers(0, 3, size=60)
    P = informative_probabilities(r, y, 3, 1.5)
    others = np.maximum(P[:, 0], P[:, 1])
    P[:, 2] = np.minimum(P[:, 2], 0.8 * others)  # 'pig' is never the top class
    P = P / P.sum(axis=1, keepdims=True)
    multiclass_from_probabilities(
        "multiclass_class_never_predicted", "'pig' is in y_true but never predicted: its precision is 0",
        ["cat", "dog", "pig"], y, P,
    )

    r = rng_for(23)
    y = r.integers(0, 3, size=50)
    P = informative_probabilities(r, y, 4, 1.0)
    pred = argmax_labels(["a", "b", "c", "d"], P)
    multiclass_from_probabilities(
        "multiclass_label_absent_from_y_true",
        "labels a-d, y_true only a-c, 'd' sometimes predicted: recall of d is 0, OvR AUC refused",
        ["a", "b", "c", "d"], y, P, y_pred=pred,
    )

    r = rng_for(24)
    y = r.integers(0, 2, size=30)
    P = informative_probabilities(r, y, 3, 2.0)
    P[:, 2] *= 0.1
    P = P / P.sum(axis=1, keepdims=True)
    multiclass_from_probabilities(
        "multiclass_label_absent_everywhere",
        "labels x, y, z; 'z' is neither true nor predicted (all its scores 0 by zero_division)",
        ["x", "y", "z"], y, P,
    )

    r = rng_for(25)
    y = r.integers(0, 3, size=45)
    P = informative_probabilities(r, y, 3, 1.0)
    labels = ["pig", "dog", "cat"]
    multiclass_from_probabilities(
        "multiclass_custom_label_order",
        "labels (and probability columns) in a non-sorted order: per-class results follow that order",
        labels, y, P,
    )

    r = rng_for(26)
    vocab = ["b", "B", "a", "\u00e9", "Z", "10", "9"]
    yt = [vocab[i] for i in r.integers(0, len(vocab), size=70)]
    yp = [v if r.random() < 0.6 else vocab[r.integers(0, len(vocab))] for v in yt]
    add_classification(
        "labels_string_sort",
        "no labels given: default label order is code-point string order ('10' < '9' < 'B' < 'Z' < 'a' < 'b' < 'e-acute')",
        y_true=yt, y_pred=yp,
    )

    r = rng_for(27)
    vocab = ["a", "b", "c"]
    yt = [vocab[i] for i in r.integers(0, 3, size=40)]
    yp = [v if r.random() < 0.7 else vocab[r.integers(0, 3)] for v in yt]
    add_classification(
        "labels_subset",
        "labels ['b', 'a'] while the data also holds 'c': samples with other labels leave the confusion matrix",
        y_true=yt, y_pred=yp, labels=["b", "a"],
    )

    r = rng_for(28)
    y = np.zeros(15, dtype=int)
    multiclass_from_probabilities(
        "multiclass_single_class_present",
        "3 labels but y_true holds only 'a': OvR AUC is refused",
        ["a", "b", "c"], y, informative_probabilities(r, y, 3, 1.0),
    )

    add_classification(
        "single_label_only",
        "one label in all: log loss is refused (needs at least two labels)",
        y_true=["a"] * 5, y_pred=["a"] * 5, labels=["a"], probabilities=[[1.0]] * 5,
    )

    r = rng_for(29)
    y = r.integers(0, 4, size=40)
    multiclass_from_probabilities(
        "multiclass_perfect_one_hot", "one-hot probabilities on the true class",
        ["w", "x", "y", "z"], y, np.eye(4)[y],
    )
    multiclass_from_probabilities(
        "multiclass_worst_one_hot", "one-hot probabilities on a wrong class",
        ["w", "x", "y", "z"], y, np.eye(4)[(y + 1) % 4],
    )

    r = rng_for(30)
    y = r.integers(0, 3, size=30)
    P = informative_probabilities(r, y, 3, 1.0) * r.uniform(0.8, 1.2, size=(30, 1))
    multiclass_from_probabilities(
        "multiclass_unnormalized",
        "rows sum to 0.8-1.2 (some entries above 1): log loss renormalizes, OvR AUC and ECE are refused",
        ["a", "b", "c"], y, P,
    )

    for k, (n, c) in ((31, (10, 3)), (32, (100, 4)), (33, (1000, 5))):
        r = rng_for(k)
        y = r.integers(0, c, size=n)
        if n < 50:
            y = ensure_all_present(r, y, c)
        P = r.dirichlet(np.ones(c), size=n)
        multiclass_from_probabilities(
            f"multiclass_random_{n}", f"{n} samples, {c} classes, Dirichlet(1) random probabilities",
            [f"class_{j}" for j in range(c)], y, P,
        )

    add_classification(
        "length_mismatch",
        "y_pred and scores shorter than y_true: every metric is refused",
        y_true=["a", "b", "a", "b"], y_pred=["a", "b", "a"], positive="b", scores=[0.1, 0.9, 0.2],
    )

    # ---- regression -------------------------------------------------------------------------------
    for k, n in ((40, 10), (41, 100), (42, 1000)):
        r = rng_for(k)
        yt = r.normal(50.0, 20.0, size=n)
        add_regression(f"regression_random_{n}", f"{n} samples, y ~ N(50, 20), noisy predictions",
                       yt, yt + r.normal(0.0, 5.0, size=n))

    r = rng_for(43)
    yt = r.normal(0.0, 1.0, size=200)
    yp = yt + r.normal(0.0, 0.3, size=200)
    yt[[3, 50, 120]] = [40.0, -75.0, 300.0]
    yp[[7, 99]] = [-500.0, 1e4]
    add_regression("regression_outliers", "200 samples with large outliers in both y_true and y_pred", yt, yp)

    r = rng_for(44)
    yt = r.normal(0.0, 1e6, size=100)
    add_regression("regression_large_magnitudes", "values around +/-1e6", yt, yt * (1 + r.normal(0, 0.01, 100)))

    yt = r.normal(5.0, 2.0, size=25)
    add_regression("regression_perfect", "y_pred == y_true", yt, yt)

    add_regression("regression_constant_perfect", "constant y_true, perfect predictions: r2 = 1",
                   [3.0] * 10, [3.0] * 10)
    r = rng_for(45)
    add_regression("regression_constant_imperfect", "constant y_true, imperfect predictions: r2 = 0",
                   [2.5] * 10, 2.5 + r.normal(0, 0.5, size=10))
    add_regression(
        "regression_constant_inexact_mean",
        "y_true = 0.1 x 7: the float64 mean is 0.09999999999999999, so sklearn's denominator is tiny "
        "but not zero and r2 is about -7.4e30 (not 0)",
        [0.1] * 7, [0.1] * 6 + [0.2],
    )
    add_regression("regression_constant_inexact_mean_perfect",
                   "y_true = y_pred = 0.1 x 7: zero numerator, r2 = 1", [0.1] * 7, [0.1] * 7)

    r = rng_for(46)
    yt = r.normal(0.0, 3.0, size=30)
    yt[[0, 5, 17]] = 0.0
    yp = yt + r.normal(0.0, 0.5, size=30)
    yp[5] = 0.0  # a zero predicted for a zero: contributes 0
    add_regression("regression_zeros_in_y_true",
                   "y_true holds zeros: MAPE divides by eps = 2^-52 and becomes huge", yt, yp)

    add_regression("regression_single_sample", "one sample: r2 is NaN (undefined)", [1.5], [2.0])
    add_regression("regression_two_samples", "two samples", [1.0, 2.0], [1.5, 1.0])
    CASES.append({
        "name": "regression_length_mismatch", "kind": "regression",
        "description": "y_pred shorter than y_true: every metric is refused",
        "inputs": {"y_true": [1.0, 2.0, 3.0], "y_pred": [1.0, 2.0]},
    })
    CASES.append({
        "name": "regression_empty", "kind": "regression",
        "description": "no samples: every metric is refused",
        "inputs": {"y_true": [], "y_pred": []},
    })


def main():
    build_cases()
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in CASES:
        inp = case["inputs"]
        case["expected"] = (
            classification_expected(inp) if case["kind"] == "classification" else regression_expected(inp)
        )
    doc = {
        "generated_by": "scripts/goldens/make_evaluation_goldens.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "seed": SEED,
        "conventions": {
            "non_finite": "NaN, Infinity and -Infinity are stored as the strings 'NaN', 'Infinity', '-Infinity'",
            "errors": "a metric scikit-learn refuses is stored as {error, message}",
            "probabilities": "probabilities[i][j] is the probability of labels[j]",
            "binary": "ranking metrics use y_true == positive against scores",
            "ece": "top-label ECE, bins (0,1/B],...,((B-1)/B,1] with edges k/B, confidence 0 in the first bin; "
                   "sum over bins of |bin|/n * |accuracy(bin) - mean confidence(bin)|",
        },
        "cases": enc(CASES),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    text = json.dumps(doc, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write(text)

    n_class = sum(1 for c in CASES if c["kind"] == "classification")
    n_reg = len(CASES) - n_class
    def leaves(v):
        if is_error(v):
            yield v
        elif isinstance(v, dict):
            for w in v.values():
                yield from leaves(w)
        elif isinstance(v, list):
            for w in v:
                yield from leaves(w)

    n_err = sum(1 for c in CASES for v in c["expected"].values() for w in leaves(v) if is_error(w))
    print(f"sklearn {sklearn.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    print(f"{len(CASES)} cases ({n_class} classification, {n_reg} regression), {n_err} expected errors")
    print(f"wrote {os.path.relpath(OUT, ROOT)} ({len(text.encode('utf-8')):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
