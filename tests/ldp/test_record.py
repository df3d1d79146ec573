"""Whole-record privatization (fairldp.ldp.record): budgets, ledger, unbiased encodings.

Statistical checks use a fixed seed and a tolerance of 4 standard errors of the mean (exact
per-user variances from the mechanisms' closed forms), so each fails by chance with
probability below 1e-4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fairldp.ldp.record import (
    ColumnSpec,
    auto_sampled,
    privatize_record,
    record_budgets,
    with_weights,
)

COLS = [
    ColumnSpec("sex", "categorical", "grr", k=2),
    ColumnSpec("job", "categorical", "adp", k=12),
    ColumnSpec("age", "numeric", "hybrid", low=17, high=90),
    ColumnSpec("y", "label", "rr", k=2),
]


def _values(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"sex": rng.integers(0, 2, n), "job": rng.integers(0, 12, n),
            "age": rng.uniform(17, 40, n), "y": rng.integers(0, 2, n)}  # fmt: skip


@pytest.mark.parametrize("split", ["uniform", "k_based", "weighted", "sampling"])
def test_budgets_compose_to_the_total(split):
    cols = with_weights(COLS, {"age": 3.0})
    budgets, m = record_budgets(cols, 2.0, split, sampled=2)
    # the columns one user reports spend exactly the total budget
    if split == "sampling":
        assert m == 2 and budgets == pytest.approx([1.0] * 4)
    else:
        assert sum(budgets) == pytest.approx(2.0) and m == 4
    if split == "k_based":  # k = 2, 12, numeric weight 2, 2
        assert budgets == pytest.approx([2 * 2 / 18, 2 * 12 / 18, 2 * 2 / 18, 2 * 2 / 18])
    if split == "weighted":
        assert budgets == pytest.approx([2 / 6, 2 / 6, 6 / 6, 2 / 6])


def test_auto_sampled_is_wang_et_al():
    assert [auto_sampled(e, 10) for e in (0.5, 2.5, 5, 8, 100)] == [1, 1, 2, 3, 10]


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="finite range"):
        ColumnSpec("age", "numeric", "hybrid", low=5, high=5)
    with pytest.raises(ValueError, match="budget_split must be one of"):
        record_budgets(COLS, 1.0, "combined")
    with pytest.raises(ValueError, match="sampled must be"):
        record_budgets(COLS, 1.0, "sampling", sampled=7)
    with pytest.raises(ValueError, match="does not release"):
        with_weights(COLS, {"income": 2})


def test_ledger_and_streams_are_deterministic():
    rng = np.random.default_rng(0)
    v = _values(1000, rng)
    a = privatize_record(v, COLS, 1.0, seed=3, dataset="toy")
    b = privatize_record(v, COLS, 1.0, seed=3, dataset="toy")
    c = privatize_record(v, COLS, 1.0, seed=3, dataset="toy", part="test")
    np.testing.assert_array_equal(a.features("age"), b.features("age"))
    assert not np.array_equal(a.features("age"), c.features("age"))
    led = a.ledger()
    assert sum(col["epsilon"] for col in led["columns"].values()) == pytest.approx(1.0)
    # adp at eps 0.25 over 12 values: 12 >= 3 e^0.25 + 2, so OUE
    assert led["columns"]["job"]["mechanism"] == "oue"
    assert led["columns"]["age"]["range"] == [17.0, 90.0]


@pytest.mark.parametrize("split", ["uniform", "sampling"])
def test_unbiased_encoding_recovers_means(split):
    """The per-user unbiased encodings average to the true one-hot / mean (4 SE)."""
    n = 200_000
    rng = np.random.default_rng(1)
    v = _values(n, rng)
    rec = privatize_record(v, COLS, 4.0, split, seed=0, dataset="toy", sampled=2)
    job = rec.features("job", "unbiased", dtype=np.float64)
    truth = np.eye(12)[v["job"]]
    err = job - truth
    se = err.std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(err.mean(axis=0)) < 4 * se)
    age = rec.features("age", "unbiased", dtype=np.float64)
    d = age - np.clip(v["age"], 17, 90)
    assert abs(d.mean()) < 4 * d.std() / math.sqrt(n)
    # the reports encoding of a sampled column is biased toward the middle of the range
    if split == "sampling":
        reports = rec.features("age", "reports", dtype=np.float64)
        assert abs((reports - v["age"]).mean()) > 10 * d.std() / math.sqrt(n)


def test_sampling_reports_m_columns_per_user():
    rng = np.random.default_rng(2)
    v = _values(5000, rng)
    rec = privatize_record(v, COLS, 5.0, "sampling", seed=0, dataset="toy", sampled=2)
    reported = np.zeros(5000, int)
    for c in ("sex", "job", "age"):
        users = rec.parts[c].users
        reported[users] += 1
        assert rec.epsilons[c] == pytest.approx(2.5)
    assert reported.max() <= 2 and rec.report_probability == 0.5
    # label: RR at eps/m for users who sampled it, a uniform class for the others
    lab = rec.label()
    keep = (lab == v["y"]).mean()
    p = math.exp(2.5) / (math.exp(2.5) + 1)
    expected = 0.5 * p + 0.5 * 0.5
    assert abs(keep - expected) < 4 * math.sqrt(expected * (1 - expected) / 5000)


def test_label_frequency_estimate_is_unbiased_under_sampling():
    """The label part holds only the users who sampled it, so its frequency estimate is
    unbiased (within 4 SE of the protocol's exact variance); the released label still gives
    every user a class (a uniform one to those who did not sample it)."""
    n = 100_000
    rng = np.random.default_rng(3)
    v = _values(n, rng)
    rec = privatize_record(v, COLS, 5.0, "sampling", seed=0, dataset="toy", sampled=2)
    part = rec.parts["y"]
    assert part.users is not None and len(part.reports) == part.users.size < n
    est = part.estimate()
    truth = np.bincount(v["y"][part.users], minlength=2) / part.users.size
    se = np.sqrt(part.protocol.variance(truth, part.users.size))
    assert np.all(np.abs(est - truth) < 4 * se)
    assert rec.label().shape == (n,)
    np.testing.assert_array_equal(rec.label()[part.users], part.reports)
