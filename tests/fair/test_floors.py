"""Per-group floors (levelling up): floor_* and corrected_floor_* of CorrectedThreshold.

Tolerances: on 20,000 test rows group 1 has ~6,000 positives, so a recall is estimated with
SE ~ sqrt(0.9 x 0.1 / 6000) = 0.004 on the test rows and as much on the training rows the
policy was chosen on; GRR at eps = 1 (k = 2, keep probability 0.73) amplifies the recovered
rates' SE by 1 / (2 x 0.73 - 1) = 2.2. The tolerances below are about three combined SEs."""

from __future__ import annotations

import numpy as np
import pytest
from _synthetic import synthetic

from fairldp.fair import METHODS
from fairldp.fair.methods import CorrectedThreshold, make_method
from fairldp.fair.noise import NoiseModel
from fairldp.ldp import get_protocol


def _rates(p1: np.ndarray, y: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
    """Per true group: recall, precision and accuracy of expected predictions ``p1``."""
    g = [a == j for j in range(2)]
    return {
        "recall": np.array([p1[m & (y == 1)].mean() for m in g]),
        "precision": np.array([(p1 * (y == 1))[m].sum() / p1[m].sum() for m in g]),
        "accuracy": np.array([np.where(y == 1, p1, 1 - p1)[m].mean() for m in g]),
    }


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return synthetic(20_000, 2, rng), synthetic(20_000, 2, rng), rng


def _fit(name, train, test, floor, noise=None, z=None, zt=None):
    X, y, a = train
    Xt, yt, at = test
    m = make_method(name, noise, "logistic_regression", 0, floor=floor)
    m.fit(X, y, sensitive_features=a if z is None else z)
    return _rates(m.predict_proba(Xt, sensitive_features=at if zt is None else zt)[:, 1], yt, at)


def test_registered_floors() -> None:
    for rate in ("recall", "precision", "accuracy"):
        assert not METHODS.meta(f"floor_{rate}")["needs_noise_model"]
        assert METHODS.meta(f"corrected_floor_{rate}")["needs_noise_model"]
        est = make_method(f"floor_{rate}", None, "logistic_regression", 1)
        assert isinstance(est, CorrectedThreshold) and est.constraint == f"{rate}_floor"


def test_recall_floor_levels_up_the_worse_group_and_leaves_the_other(data) -> None:
    train, test, _ = data
    plain = make_method("plain", None, "logistic_regression", 0)
    plain.fit(train[0], train[1], sensitive_features=train[2])
    p = (plain.predict_proba(test[0], sensitive_features=test[2])[:, 1] >= 0.5).astype(float)
    before = _rates(p, test[1], test[2])
    assert before["recall"][1] < 0.87  # the hard group is under-diagnosed
    after = _fit("floor_recall", train, test, 0.9)
    assert after["recall"][1] >= 0.9 - 0.02
    assert abs(after["recall"][0] - before["recall"][0]) < 0.01  # no group made worse
    assert abs(after["accuracy"][0] - before["accuracy"][0]) < 0.01


@pytest.mark.parametrize(("rate", "floor"), [("precision", 0.85), ("accuracy", 0.8)])
def test_precision_and_accuracy_floors_hold_on_new_rows(data, rate: str, floor: float) -> None:
    train, test, _ = data
    got = _fit(f"floor_{rate}", train, test, floor)[rate]
    assert (got >= floor - 0.02).all(), got


def test_corrected_floor_holds_on_the_true_groups_where_the_naive_one_fails(data) -> None:
    train, test, rng = data
    proto = get_protocol("grr", 1.0, 2)
    nm = NoiseModel(proto)
    z = nm.decode(proto.perturb(train[2], rng), rng)
    zt = nm.decode(proto.perturb(test[2], rng), rng)
    naive = _fit("floor_recall", train, test, 0.9, None, z, zt)
    corrected = _fit("corrected_floor_recall", train, test, 0.9, nm, z, zt)
    assert corrected["recall"].min() >= 0.9 - 0.03
    assert naive["recall"].min() < 0.9 - 0.03  # the decoded group is not the true one


def test_unreachable_floor_and_bad_values(data) -> None:
    train, test, _ = data
    with pytest.raises(ValueError, match=r"no policy gives every group accuracy at least 0\.99"):
        _fit("floor_accuracy", train, test, 0.99)
    with pytest.raises(ValueError, match=r"floor must be a number in \[0, 1\]"):
        _fit("floor_recall", train, test, 1.5)


def test_minimax_accuracy_raises_the_worst_group_to_the_best_floor(data) -> None:
    from fairldp.fair.thresholds import max_floor

    train, test, _ = data
    m = make_method("minimax_accuracy", None, "logistic_regression", 0)
    m.fit(*train[:2], sensitive_features=train[2])
    # on the rows the policy was chosen on, the worst group's accuracy is the LP's best floor
    best = max_floor(m.observed_, None)
    q = m.joint_
    acc = (q[:, 0].sum(axis=1) + (m.policy_ * (q[:, 1] - q[:, 0])).sum(axis=1)) / q.sum(axis=(1, 2))
    assert acc.min() == pytest.approx(best, abs=1e-6)
    # no deterministic pair of group thresholds on the same bins does better (the LP's
    # randomized mixtures include them)
    cum = np.cumsum(q[:, :, ::-1], axis=2)[:, :, ::-1]  # mass at or above each bin
    mass = q.sum(axis=(1, 2))
    per_cut = (q[:, 0].sum(axis=1)[:, None] - cum[:, 0] + cum[:, 1]) / mass[:, None]
    assert per_cut.max(axis=1).min() <= best + 1e-9
    # on new rows: the worst group at least as well off as under every accuracy floor
    # it could have been given, within three SEs (~0.004 each, module docstring)
    got = _fit("minimax_accuracy", train, test, 0.8)["accuracy"]
    floor = _fit("floor_accuracy", train, test, 0.8)["accuracy"]
    assert got.min() >= floor.min() - 0.012 and got.min() >= best - 0.015
    assert METHODS.meta("corrected_minimax_accuracy")["needs_noise_model"]
