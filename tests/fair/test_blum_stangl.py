"""Blum & Stangl (FORC 2020), "Recovering from biased data: can fairness constraints improve
accuracy?": when both groups share the Bayes classifier h* (labels h*(x) flipped with
probability eta < 1/2) and the positives of one group are under-recorded with probability
nu, ERM under the equal-opportunity constraint on the BIASED labels recovers h*; unconstrained
ERM does not. Checked with fairlearn's reduction under true-positive-rate parity
(``expgrad_tpr``) and logistic regression on one-hot x.

Tolerances: 10,000 test rows, so the clean accuracy of h* (1 - eta = 0.8) is estimated with SE
sqrt(0.8 x 0.2 / 10000) = 0.004; we allow 3 SE. Agreement with h* is a proportion of test
rows; 0.98 leaves room for a handful of randomized decisions."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.fair.methods import make_method

ETA = 0.2


def _draw(n: int, rng: np.random.Generator, nu: float):
    a = (rng.random(n) < 0.5).astype(int)
    x = rng.integers(0, 10, n)
    h = (x >= 5).astype(int)  # the Bayes classifier of both groups
    y = np.where(rng.random(n) < ETA, 1 - h, h)  # clean labels
    biased = y * ~((a == 1) & (rng.random(n) < nu))  # group 1's positives under-recorded
    return np.eye(10)[x], biased.astype(int), y, a, h


@pytest.mark.parametrize("nu", [0.5])
def test_equal_opportunity_on_biased_labels_recovers_the_bayes_classifier(nu: float) -> None:
    rng = np.random.default_rng(7)
    X, biased, _, a, _ = _draw(10_000, rng, nu)
    Xt, _, yt, at, ht = _draw(10_000, rng, 0.0)
    out = {}
    for name in ("plain", "expgrad_tpr"):
        m = make_method(name, None, "logistic_regression", 0)
        p = m.fit(X, biased, sensitive_features=a).predict_proba(Xt, sensitive_features=at)[:, 1]
        out[name] = (np.mean(np.where(yt == 1, p, 1 - p)), np.mean(np.where(ht == 1, p, 1 - p)))
    acc, agree = out["expgrad_tpr"]
    assert agree >= 0.98 and abs(acc - (1 - ETA)) < 3 * 0.004, out
    assert out["plain"][1] < 0.8 and out["plain"][0] < 1 - ETA - 0.1, out  # ERM does not
