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


def test_transfer_adapts_a_model_from_one_hospital_to_another() -> None:
    """Site adaptation on the registry simulator: two hospitals whose features differ by a
    shift (``site_shift`` 3 along SITE_DIRECTION), no recording bias. A model of hospital 0
    misjudges hospital 1's patients; transporting them onto hospital 0 recovers the accuracy
    of a model of hospital 1's own labelled rows. Tolerances: on ~3,000 test patients of
    hospital 1 the paired accuracy difference has SE ~ sqrt(0.06 / 3000) ~ 0.0045 (6% of
    patients judged differently); the gain asked is 4 SE, the gap to the oracle 3 SE."""
    from fairldp.datasets.diagnosis import NUMERIC, RegistrySim

    sim = RegistrySim(n_sites=2, site_shift=3.0, underdiagnosis=0.0, access_effect=0.0,
                      group_shift=0.0)  # fmt: skip
    train, test = sim.sample(6000, 0), sim.sample(6000, 1)
    X, s, y = train[list(NUMERIC)].to_numpy(float), train["S"].to_numpy(int), train["Y"].to_numpy()
    hospital1 = test["S"].to_numpy(int) == 1
    Xt, dt = test[list(NUMERIC)].to_numpy(float)[hospital1], test["Y_clean"].to_numpy()[hospital1]

    def accuracy(model, site: int) -> float:
        groups = np.full(len(Xt), site)
        return float((model.predict(Xt, sensitive_features=groups) == dt).mean())

    def plain(site: int):
        rows = s == site
        return make_method("plain", None, "logistic_regression", 0).fit(
            X[rows], y[rows], sensitive_features=s[rows])  # fmt: skip

    # hospital 1's labels are never used by the transfer (exact transport, no class term)
    ot = make_method("ot_transfer", None, "logistic_regression", 0, target=0)
    ot.fit(X, np.where(s == 1, 0, y), sensitive_features=s)
    source, adapted, oracle = accuracy(plain(0), 0), accuracy(ot, 1), accuracy(plain(1), 1)
    assert adapted - source > 0.018, (source, adapted)
    assert abs(adapted - oracle) < 0.0135, (adapted, oracle)
