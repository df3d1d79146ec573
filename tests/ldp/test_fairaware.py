"""The fairness-aware randomizer ``fair_rr``: LDP, sampling, estimation, objective, noise model,
and its parameters from a study file."""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairldp.config import ConfigError, load_study
from fairldp.fair.noise import NoiseModel, decode, transition_matrix
from fairldp.ldp import FairRR, get_protocol
from fairldp.ldp.fairaware import (
    LDP_TOLERANCE,
    OBJECTIVES,
    ga_mechanism,
    grr_matrix,
    ldp_violation,
    objective_value,
    optimal_mechanism,
    protocol_name,
    relative_variances,
)
from fairldp.ldp.registry import split_protocol
from fairldp.rng import make_rng

PRIOR = (0.67, 0.33)
#: worst-group relative variance n Var(hat pi_a) / pi_a^2 of GRR, Ghoukasian & Asoodeh (our
#: reading) and fair_rr, binary s with prior (0.67, 0.33); the table of docs/guide/ldp.md
BINARY_TABLE = {  # eps: (GRR, G&A, fair_rr)
    0.5: (38.0055, 58.3131, 38.0055),
    1.0: (10.4846, 21.9812, 10.4846),
    2.0: (3.6925, 11.2822, 3.6925),
    4.0: (2.2048, 8.5286, 2.2048),
}
CASES = [  # (eps, k, prior): binary and 3- / 5-ary, uniform and skewed priors
    (1.0, 2, PRIOR), (0.5, 3, (0.6, 0.3, 0.1)), (1.0, 3, None), (2.0, 5, (0.4, 0.3, 0.15, 0.1, 0.05)),
]  # fmt: skip


def test_binary_objective_table() -> None:
    """ours <= GRR and <= G&A at every eps (GRR is optimal for k = 2: every binary eps-LDP
    channel is a garbling of randomized response, whose unbiased recovery attains the
    Cramer-Rao bound, so fair_rr keeps GRR)."""
    for eps, (grr, ga, ours) in BINARY_TABLE.items():
        m = optimal_mechanism(eps, 2, PRIOR)
        v_grr = objective_value(grr_matrix(eps, 2), PRIOR)
        v_ga = objective_value(ga_mechanism(eps, PRIOR), PRIOR)
        assert (v_grr, v_ga, m.value) == pytest.approx((grr, ga, ours), abs=1e-4)
        assert m.value <= v_grr and m.value <= v_ga
        for obj in OBJECTIVES:
            w = optimal_mechanism(eps, 2, PRIOR, obj).value
            assert w <= objective_value(grr_matrix(eps, 2), PRIOR, obj)
            assert w <= objective_value(ga_mechanism(eps, PRIOR), PRIOR, obj)


def test_multi_valued_prior_improves_on_grr() -> None:
    p = (0.6, 0.3, 0.1)
    for eps in (0.5, 1.0):
        m = optimal_mechanism(eps, 3, p)
        assert m.optimized and m.value < 0.99 * m.grr_value
        assert m.value == pytest.approx(float(np.max(relative_variances(m.Q, p))))


@pytest.mark.parametrize(("eps", "k", "prior"), CASES)
def test_ldp_constraints_and_rows(eps: float, k: int, prior: Any) -> None:
    q = FairRR(eps, k, prior).transition_matrix
    assert np.all(q >= 0) and np.allclose(q.sum(axis=1), 1.0, atol=1e-12)
    ratio = q[:, None, :] / q[None, :, :]  # Q[a, z] / Q[a', z]
    assert np.max(ratio) <= math.exp(eps) * (1 + LDP_TOLERANCE)
    assert ldp_violation(q, eps) <= LDP_TOLERANCE
    # outputs labelled to put the most mass on the diagonal (not every row's mode: the worst-
    # group optimum can give a majority group a report it rarely sends)
    best = max(np.trace(q[:, list(p)]) for p in itertools.permutations(range(k)))
    assert np.trace(q) == pytest.approx(best, abs=1e-12)


@pytest.mark.parametrize(("eps", "k", "prior"), CASES)
def test_perturb_follows_q_and_estimate_is_unbiased(eps: float, k: int, prior: Any) -> None:
    n_per = 40_000
    pr = FairRR(eps, k, prior)
    q = pr.transition_matrix
    x = np.repeat(np.arange(k), n_per)
    z = pr.perturb(x, make_rng(7, "fair_rr-test", eps, k))
    emp = np.stack([np.bincount(z[x == a], minlength=k) / n_per for a in range(k)])
    # each entry is a binomial proportion: SE = sqrt(Q (1 - Q) / n_per); 4 SE (k^2 <= 25 cells)
    assert np.all(np.abs(emp - q) <= 4 * np.sqrt(q * (1 - q) / n_per) + 1e-12)
    # fixed population f = 1/k: the unbiased estimate's exact SE is sqrt(variance(f, n))
    f = np.full(k, 1.0 / k)
    est = pr.estimate(z)
    assert np.all(np.abs(est - f) <= 4 * np.sqrt(pr.variance(f, x.size)))
    assert pr.estimate(z, "simplex").sum() == pytest.approx(1.0)
    assert pr.estimate(z, "ibu") == pytest.approx(f, abs=0.05)


def test_variance_matches_simulation() -> None:
    """Exact fixed-population variance against 2000 draws of sample_support (the sample
    variance is within 4 SE, SE ~ var sqrt(2 / 1999))."""
    pr = FairRR(0.5, 3, (0.6, 0.3, 0.1))
    counts = np.array([600, 300, 100])
    rng = make_rng(3, "fair_rr-var")
    ests = np.stack([pr.unbiased(pr.sample_support(counts, rng), 1000) for _ in range(2000)])
    var = pr.variance(counts / 1000, 1000)
    assert np.all(np.abs(ests.var(axis=0, ddof=1) - var) <= 4 * var * math.sqrt(2 / 1999))
    assert np.all(np.abs(ests.mean(axis=0) - counts / 1000) <= 4 * np.sqrt(var / 2000))


@pytest.mark.parametrize(("eps", "k", "prior"), CASES)
def test_noise_model_is_q_and_decoding_is_identity(eps: float, k: int, prior: Any) -> None:
    pr = FairRR(eps, k, prior)
    nm = NoiseModel(pr)
    # transition_matrix renormalizes the rows: equal up to rounding
    np.testing.assert_allclose(nm.T, pr.transition_matrix, rtol=0, atol=1e-15)
    t = transition_matrix(pr, prior, tie_break="smallest")
    np.testing.assert_allclose(t, pr.transition_matrix, rtol=0, atol=1e-15)
    z = pr.perturb(np.arange(k).repeat(5), make_rng(1, "x"))
    np.testing.assert_array_equal(decode(pr, z), z)
    # the name carries the parameters: the ledger's channel rebuilds the same mechanism
    again = get_protocol(pr.name, eps, k)
    assert again.mechanism is pr.mechanism and again.name == pr.name


def test_names_round_trip() -> None:
    assert protocol_name() == "fair_rr" and FairRR(1.0, 2).name == "fair_rr"
    name = protocol_name([0.67, 0.33], "weighted")
    assert name == "fair_rr(prior=0.67,0.33;objective=weighted)"
    assert split_protocol(name) == ("fair_rr", {"prior": (0.67, 0.33), "objective": "weighted"})
    assert get_protocol(name, 1.0, 2).params["objective"] == "weighted"
    with pytest.raises(ValueError, match="has no parameter 'priors'"):
        get_protocol("fair_rr(priors=0.5,0.5)", 1.0, 2)


@pytest.mark.parametrize(("prior", "objective", "words"), [
    ((0.5, 0.3, 0.2), "worst_group", "prior must have k = 2 entries"),
    ((0.7, 0.7), "worst_group", "prior must sum to 1"),
    ((1.0, 0.0), "worst_group", "strictly positive"),
    ((0.5, math.nan), "worst_group", "strictly positive"),
    ("abc", "worst_group", "list of numbers"),
    (None, "minority", "objective must be one of"),
])  # fmt: skip
def test_bad_parameters_raise_one_sentence(prior: Any, objective: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as err:
        FairRR(1.0, 2, prior, objective)
    msg = str(err.value)
    assert msg.count(". ") == 0 and "\n" not in msg


def test_large_domains_fall_back_to_grr() -> None:
    pr = FairRR(1.0, 12)
    assert not pr.params["optimized"]
    np.testing.assert_allclose(pr.transition_matrix, grr_matrix(1.0, 12))


# ----- study files -----------------------------------------------------------------------------

STUDY: dict[str, Any] = {
    "study": "t",
    "results": "results/t",
    "datasets": ["german"],
    "seeds": [0],
    "epsilons": [1, 4],
    "privatizers": {
        "fair": {"protocol": "fair_rr", "attributes": "group", "test": "privatized",
                 "protocol_params": {"prior": [0.67, 0.33]}},
        "fair_default": {"protocol": "fair_rr", "attributes": "group"},
    },
    "learners": {"logistic_regression": {}},
}  # fmt: skip


def test_study_with_fair_rr_loads() -> None:
    s = load_study(STUDY)
    assert s.privatizer("fair").protocol == "fair_rr(prior=0.67,0.33)"
    assert s.privatizer("fair_default").protocol == "fair_rr"
    assert s.privatizer("fair").params()["protocol"] == "fair_rr(prior=0.67,0.33)"


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"prior": [0.5, 0.3, 0.2]}, "protocol_params.prior", "has k = 2 values"),
    ({"prior": [0.6, 0.6]}, "protocol_params", "prior must sum to 1"),
    ({"objective": "worst"}, "protocol_params", "objective must be one of"),
    ({"priors": [0.5, 0.5]}, "protocol_params", "did you mean 'prior'"),
])  # fmt: skip
def test_study_protocol_params_are_checked(change: dict, key: str, words: str) -> None:
    cfg = copy.deepcopy(STUDY)
    cfg["privatizers"]["fair"]["protocol_params"] = change
    with pytest.raises(ConfigError) as err:
        load_study(cfg)
    assert f"privatizers.fair.{key}" in str(err.value) and words in str(err.value)
    cfg["privatizers"]["fair"].update(protocol="grr", protocol_params={"prior": [0.5, 0.5]})
    with pytest.raises(ConfigError, match="not a parameter of protocol 'grr'"):
        load_study(cfg)


def test_release_records_a_channel_that_rebuilds_q(raw_dir: Path) -> None:
    from fairldp.datasets import get_dataset, prepare
    from fairldp.privacy import group_noise_model, release

    spec = get_dataset("german")
    rows: pd.DataFrame = prepare(spec, raw_dir)
    name = "fair_rr(prior=0.67,0.33)"
    out, ledger = release(rows, spec, name, 1.0, "uniform", 0, ["sex"], "sex")
    assert ledger["group"]["channel"]["protocol"] == name
    t = group_noise_model(ledger).T
    np.testing.assert_allclose(t, FairRR(1.0, 2, PRIOR).transition_matrix, rtol=0, atol=1e-15)
    assert set(np.unique(out["z"])) <= {0, 1}


@pytest.mark.parametrize("prior", [None, (0.6, 0.3, 0.1)])
def test_attack_success_closed_form_matches_the_bayes_adversary(prior: tuple | None) -> None:
    """``sum_z max_a pi_a Q[a, z]`` against the posterior-mode attack on 200,000 users drawn
    with a fixed composition: within 4 binomial SE ``sqrt(S (1 - S) / n)``."""
    from fairldp.ldp.attacks import attack_success, empirical_attack_success

    n, pi = 200_000, np.full(3, 1 / 3) if prior is None else np.asarray(prior)
    proto = FairRR(1.0, 3, prior=prior)
    exact = attack_success(proto.name, 1.0, 3, prior)
    x = np.repeat(np.arange(3), np.round(pi * n).astype(int))
    got = empirical_attack_success(proto, x, np.random.default_rng(7), prior)
    assert abs(got - exact) < 4 * np.sqrt(exact * (1 - exact) / x.size)
    assert exact >= pi.max()  # never below guessing the largest group
