"""ot_transfer: learn on the reliably labelled group, transport the others onto it."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.fair import METHODS
from fairldp.fair.methods import make_method
from fairldp.fair.transfer import OTTransfer


def _registry(n: int, rng: np.random.Generator, underdiagnosis: float):
    """Group 1's features are group 0's shifted by (1.5, -1); the condition depends on the
    unshifted features alike in both groups; group 1's recorded labels miss a share
    ``underdiagnosis`` of its cases. Returns features, recorded and true labels, groups."""
    a = (rng.random(n) < 0.5).astype(int)
    u = rng.normal(size=(n, 2))
    d = (rng.random(n) < 1 / (1 + np.exp(-(2 * u[:, 0] - u[:, 1])))).astype(int)
    x = u + np.outer(a, [1.5, -1.0])
    y = d * ~((a == 1) & (rng.random(n) < underdiagnosis))
    return x, y.astype(int), d, a


def _sensitivity(p1: np.ndarray, d: np.ndarray, a: np.ndarray, g: int) -> float:
    return float(p1[(a == g) & (d == 1)].mean())


def test_registered() -> None:
    assert not METHODS.meta("ot_transfer")["needs_noise_model"]
    assert isinstance(make_method("ot_transfer", None, "logistic_regression", 0), OTTransfer)


def test_transfer_recovers_the_under_diagnosed_groups_sensitivity() -> None:
    # on 4,000 test rows a group has ~1,000 true cases: a sensitivity has SE ~0.015; the
    # margins below are several SE
    rng = np.random.default_rng(0)
    X, y, _, a = _registry(5000, rng, 0.5)
    Xt, _, dt, at = _registry(4000, rng, 0.0)
    plain = make_method("plain", None, "logistic_regression", 0).fit(X, y, sensitive_features=a)
    p_plain = (plain.predict_proba(Xt, sensitive_features=at)[:, 1] >= 0.5).astype(float)
    ot = make_method("ot_transfer", None, "logistic_regression", 0, max_samples=1000)
    ot.fit(X, y, sensitive_features=a)
    assert ot.target_ == 0  # the group with the higher recorded positive rate
    p_ot = ot.predict(Xt, sensitive_features=at).astype(float)
    gain = _sensitivity(p_ot, dt, at, 1) - _sensitivity(p_plain, dt, at, 1)
    assert gain > 0.15, gain  # the recorded labels taught plain to miss group 1's cases
    # the target group is scored as it is, by a model of its own rows only
    assert abs(_sensitivity(p_ot, dt, at, 0) - _sensitivity(p_plain, dt, at, 0)) < 0.06
    # transported rows of group 1 land on group 0's distribution (means within 0.1)
    moved = ot.transport_rows(Xt, at)[at == 1]
    assert np.allclose(moved.mean(axis=0), Xt[at == 0].mean(axis=0), atol=0.1)


@pytest.mark.parametrize("transport", ["sinkhorn", "sinkhorn_lpl1"])
def test_other_transports(transport: str) -> None:
    rng = np.random.default_rng(1)
    X, y, _, a = _registry(1500, rng, 0.3)
    est = make_method("ot_transfer", None, "logistic_regression", 0, transport=transport,
                      max_samples=500)  # fmt: skip
    p = est.fit(X, y, sensitive_features=a).predict_proba(X, sensitive_features=a)[:, 1]
    assert p.shape == (1500,) and np.all((p >= 0) & (p <= 1))


def test_bad_parameters() -> None:
    X, y, _, a = _registry(300, np.random.default_rng(2), 0.0)
    with pytest.raises(ValueError, match="transport must be one of"):
        make_method("ot_transfer", None, transport="wasserstein").fit(X, y, sensitive_features=a)
    with pytest.raises(ValueError, match="target group 5 has no training rows"):
        make_method("ot_transfer", None, target=5).fit(X, y, sensitive_features=a)
