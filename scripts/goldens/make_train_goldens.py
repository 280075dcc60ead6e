#!/usr/bin/python3
"""Generate the golden values that hold Berth's built-in trainer to scikit-learn.

Run from anywhere with Debian's Python (not a pyenv/venv python):

    /usr/bin/python3 scripts/goldens/make_train_goldens.py

Needs these Debian packages (no pip, no network besides apt):

    apt-get update
    apt-get install -y python3-sklearn python3-numpy

Reads data/breast_cancer.csv and the split Berth's trainer makes of it (seed 1, validSplit 0.2,
stratified), committed as test/fixtures/train/breast_cancer_split.json by
`npx tsx test/train/write-split-fixture.ts`. Fits StandardScaler + LogisticRegression on the training
rows and scores the validation rows. Writes test/fixtures/goldens/train.json:

* `default`: LogisticRegression() as a user would write it (C=1.0, lbfgs, tol=1e-4), with max_iter
  raised from 100 so that it converges. test/train/train.test.ts requires Berth's validation accuracy
  to be within 0.01 of this one.
* `converged`: the same objective solved to tol=1e-10, with its predict_proba on the validation rows
  (columns in classes_ order, which is also Berth's sorted label order). Berth minimizes the same
  objective (sum of log-losses + 0.5 * ||w||^2, intercept not penalized), so its probabilities should
  agree closely; the test checks that too.

Deterministic: lbfgs from a zero start involves no randomness, so a rerun gives the same file (for a
given numpy / scikit-learn version, which the file records). Floats are written unrounded.
"""

import csv
import json
import os
import platform
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data", "breast_cancer.csv")
SPLIT = os.path.join(ROOT, "test", "fixtures", "train", "breast_cancer_split.json")
OUT = os.path.join(ROOT, "test", "fixtures", "goldens", "train.json")
MAX_ITER = 10_000


def read_table(path, label):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    features = [c for c in rows[0].keys() if c != label]
    X = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float64)
    y = np.array([r[label] for r in rows])
    return features, X, y


def fit(X_train, y_train, **kwargs):
    """StandardScaler + LogisticRegression; fails if lbfgs stops before converging."""
    scaler = StandardScaler().fit(X_train)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LogisticRegression(max_iter=MAX_ITER, **kwargs).fit(scaler.transform(X_train), y_train)
    return scaler, model


def scores(scaler, model, X_valid, y_valid):
    proba = model.predict_proba(scaler.transform(X_valid))
    predicted = model.classes_[np.argmax(proba, axis=1)]
    return proba, {
        "accuracy": float(accuracy_score(y_valid, predicted)),
        "f1_macro": float(f1_score(y_valid, predicted, average="macro")),
        "log_loss": float(log_loss(y_valid, proba, labels=model.classes_)),
        "n_iter": int(model.n_iter_[0]),
    }


def main():
    with open(SPLIT, encoding="utf-8") as fh:
        split = json.load(fh)
    features, X, y = read_table(DATA, split["label"])
    train, valid = np.array(split["train"]), np.array(split["valid"])
    assert len(set(split["train"]) & set(split["valid"])) == 0, "train and valid overlap"
    assert len(train) + len(valid) == len(y), "split does not cover every row"

    default_scaler, default_model = fit(X[train], y[train])
    _, default_scores = scores(default_scaler, default_model, X[valid], y[valid])
    tight_scaler, tight_model = fit(X[train], y[train], tol=1e-10)
    tight_proba, tight_scores = scores(tight_scaler, tight_model, X[valid], y[valid])

    doc = {
        "generator": "scripts/goldens/make_train_goldens.py",
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "data": split["source"],
        "split": {"fixture": os.path.relpath(SPLIT, ROOT), "seed": split["seed"], "valid_split": split["valid_split"], "train_rows": len(train), "valid_rows": len(valid)},
        "features": features,
        "classes": [str(c) for c in default_model.classes_],
        "default": {"model": f"StandardScaler + LogisticRegression(max_iter={MAX_ITER})", **default_scores},
        "converged": {
            "model": f"StandardScaler + LogisticRegression(tol=1e-10, max_iter={MAX_ITER})",
            **tight_scores,
            "valid_probabilities": tight_proba.tolist(),
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"sklearn {sklearn.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    print(f"validation accuracy {default_scores['accuracy']:.6f} (default), {tight_scores['accuracy']:.6f} (converged)")
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
