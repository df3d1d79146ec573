"""fairldp's locally private fair encoder (fairldp.repair.encoder) and its representation kind.

Statistical tolerances are a few standard errors of the quantity checked, computed from the
same draws and stated at each assertion; every draw has a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp._sklearn import MissingGroupError
from fairldp.fair import NoiseModel
from fairldp.ldp import get_protocol
from fairldp.repair import FairEncoder
from fairldp.repair.encoder import class_conditional_weights, invariance_penalty

torch = pytest.importorskip("torch")


def _population(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group a (30% ones), label y with P(y=1 | a) = 0.3 + 0.2 a, features: x0 = signal of y,
    x1 = a proxy of a (shifted by 1.5 sd), x2 = noise."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.3).astype(np.int64)
    y = (rng.random(n) < 0.3 + 0.2 * a).astype(np.int64)
    x = np.column_stack([y + rng.normal(0, 1, n), 1.5 * a + rng.normal(0, 1, n),
                         rng.normal(0, 1, n)])  # fmt: skip
    return x, y, a


def _grr(a: np.ndarray, eps: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    proto = get_protocol("grr", eps, 2)
    z = np.asarray(proto.perturb(a, np.random.default_rng(seed)), dtype=np.int64)
    return z, NoiseModel(proto).T


def test_weights_are_unbiased_for_the_class_conditional_gaps() -> None:
    """mean_i C[i, (a, c)] f(x_i) estimates mu_{a,c} - mu_c from GRR-released groups at eps = 1:
    within 4 SE (the per-row sd of C f over sqrt(n)) of the truth computed on the true groups
    of the same rows."""
    x, y, a = _population(200_000, 0)
    z, T = _grr(a, 1.0, 1)
    coef, cond = class_conditional_weights(z, y, 2, T)
    f = x[:, 1]  # the proxy: its gaps between groups are large
    for c in (0, 1):
        for g in (0, 1):
            v = coef[:, c * 2 + g] * f
            truth = f[(a == g) & (y == c)].mean() - f[y == c].mean()
            se = v.std() / np.sqrt(v.size)
            assert abs(v.mean() - truth) < 4 * se, (c, g, v.mean(), truth, se)
        true_cond = np.bincount(a[y == c], minlength=2) / (y == c).sum()
        # a deconvolved frequency: SE ~ ||M|| sqrt(p (1 - p) / n_c) <= 2.2 * 0.5 / sqrt(n_c)
        assert np.abs(cond[c] - true_cond).max() < 4 * 2.2 * 0.5 / np.sqrt((y == c).sum())


def test_u_statistic_is_unbiased_and_the_plugin_is_biased_upward() -> None:
    """Over 4,000 batches of 64 rows (GRR eps = 1), the mean U-statistic is within 4 SE of the
    population ||mu_{a,c} - mu_c||^2 (weighted); the plug-in exceeds it by more than 10 SE:
    its bias tr Cov(v) / B is what the unbiased form removes."""
    x, y, a = _population(256_000, 2)
    z, T = _grr(a, 1.0, 3)
    coef, cond = class_conditional_weights(z, y, 2, T)
    feats = x[:, :2]
    truth = 0.0
    for c in (0, 1):
        for g in (0, 1):
            gap = feats[(a == g) & (y == c)].mean(0) - feats[y == c].mean(0)
            truth += cond[c, g] * float(gap @ gap)
    B = 64
    C = torch.from_numpy(coef).reshape(-1, B, 4)
    F = torch.from_numpy(feats).reshape(-1, B, 2)
    w = torch.from_numpy(cond.ravel())
    u = torch.stack([invariance_penalty(C[i], F[i], w) for i in range(C.shape[0])]).numpy()
    p = torch.stack([invariance_penalty(C[i], F[i], w, "plugin")
                     for i in range(C.shape[0])]).numpy()  # fmt: skip
    se_u, se_p = u.std() / np.sqrt(u.size), p.std() / np.sqrt(p.size)
    assert abs(u.mean() - truth) < 4 * se_u, (u.mean(), truth, se_u)
    assert p.mean() - truth > 10 * se_p


def _eo_gap(pred: np.ndarray, y: np.ndarray, a: np.ndarray) -> float:
    return max(abs(pred[(a == 0) & (y == c)].mean() - pred[(a == 1) & (y == c)].mean())
               for c in (0, 1))  # fmt: skip


def test_penalty_from_privatized_groups_closes_the_equalized_odds_gap() -> None:
    """GRR at eps = 2 on the group; the encoder's own predictions on fresh rows. Without the
    penalty the proxy feature x1 opens an equalized-odds gap on the TRUE group (0.12 here);
    with it (deconvolved groups) the gap falls below half of it. The margin is many SE: each
    rate is over >= 2,000 test rows (SE <= 0.011), and the measured gaps are 0.123 vs 0.007,
    at accuracies 0.720 vs 0.717."""
    x, y, a = _population(20_000, 4)
    xt, yt, at = _population(20_000, 5)
    z, T = _grr(a, 2.0, 6)
    common = {"epochs": 10, "hidden": 16, "random_state": 0}
    plain = FairEncoder(fairness_weight=0.0, **common).fit(x, y, sensitive_features=z,
                                                             transition=T)  # fmt: skip
    fair = FairEncoder(fairness_weight=4.0, **common).fit(x, y, sensitive_features=z,
                                                            transition=T)  # fmt: skip
    gap_plain = _eo_gap(plain.predict(xt), yt, at)
    gap_fair = _eo_gap(fair.predict(xt), yt, at)
    assert gap_plain > 0.06
    assert gap_fair < 0.5 * gap_plain, (gap_plain, gap_fair)
    assert (fair.predict(xt) == yt).mean() > 0.68  # not the constant classifier (0.638)


def test_deterministic_and_seeded() -> None:
    x, y, a = _population(2_000, 7)
    fit = {"sensitive_features": a}
    h1 = FairEncoder(epochs=2, random_state=3).fit(x, y, **fit).transform(x)
    h2 = FairEncoder(epochs=2, random_state=3).fit(x, y, **fit).transform(x)
    h3 = FairEncoder(epochs=2, random_state=4).fit(x, y, **fit).transform(x)
    assert np.array_equal(h1, h2)
    assert not np.array_equal(h1, h3)
    assert h1.shape == (2_000, 8) and np.abs(h1).max() <= 1.0


def test_bad_input_is_refused_in_one_sentence() -> None:
    x, y, a = _population(200, 8)
    with pytest.raises(MissingGroupError, match="sensitive_features"):
        FairEncoder().fit(x, y)
    with pytest.raises(ValueError, match="did you mean 'plugin'"):
        FairEncoder(penalty="plugn").fit(x, y, sensitive_features=a)
    with pytest.raises(ValueError, match="binary"):
        FairEncoder().fit(x, y + 1, sensitive_features=a)
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        FairEncoder(batch_size=1).fit(x, y, sensitive_features=a)
    with pytest.raises(ValueError, match="no row of class 1"):
        FairEncoder().fit(x, np.zeros_like(y), sensitive_features=a)
    with pytest.raises(ValueError, match=r"lie in \[0, 2\)"):
        FairEncoder().fit(x, y, sensitive_features=a + 1, transition=np.eye(2) * 0.5 + 0.25)


def test_a_group_the_release_cannot_see_is_left_out_of_the_penalty() -> None:
    """k = 3 with a 1% group under GRR at eps = 0.5 (n = 4,000): its deconvolved share is within
    2 SE of 0, so its cells get zero coefficients and weight, with a warning; the other groups'
    coefficients are unchanged in form (bounded by ||M|| / pi)."""
    rng = np.random.default_rng(11)
    n = 4_000
    a = rng.choice(3, n, p=[0.6, 0.39, 0.01])
    y = (rng.random(n) < 0.3).astype(np.int64)
    proto = get_protocol("grr", 0.5, 3)
    z = np.asarray(proto.perturb(a, np.random.default_rng(12)), dtype=np.int64)
    with pytest.warns(UserWarning, match="left out of the invariance penalty"):
        coef, cond = class_conditional_weights(z, y, 3, NoiseModel(proto).T)
    assert (cond[:, 2] == 0).all() and (coef[:, [2, 5]] == 0).all()
    assert (cond[:, :2] > 0.25).all()
    # max |M| = 4.08 here and pi_{a,c} >= 0.25 * 0.3: no coefficient near the scale n of a floor
    assert np.abs(coef).max() < 4.1 / (0.25 * 0.3) + 1 / 0.3


def test_representation_kind_on_released_rows() -> None:
    from fairldp.representations import REPRESENTATIONS, Groups, Layout

    x, y, a = _population(1_500, 9)
    z, _ = _grr(a, 1.0, 10)
    cols = {"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2]}
    df = pd.DataFrame(cols)
    layout = Layout(categorical=(), numeric=("x0", "x1", "x2"), reports={}, group="a")
    groups = Groups(train=z[:1_000], test=z[1_000:], k=2, noise=NoiseModel(get_protocol("grr",
                                                                                        1.0, 2)))
    kind = REPRESENTATIONS.get("fair_encoder")(amounts=(0.0, 1.0), epochs=2, n_components=3)
    out = kind.fit_transform(df.iloc[:1_000], df.iloc[1_000:], layout, groups, y[:1_000], 0)
    assert [f.amount for f in out] == [0.0, 1.0]
    assert list(out[0].train.columns) == ["enc_0", "enc_1", "enc_2"]
    assert out[1].test.shape == (500, 3)
    assert not np.allclose(out[0].train.to_numpy(), out[1].train.to_numpy())
    with pytest.raises(ValueError, match="posterior"):
        REPRESENTATIONS.get("fair_encoder")(groups="posterior")
    with pytest.raises(ValueError, match="needs the group"):
        kind.fit_transform(df.iloc[:1_000], df.iloc[1_000:], layout, None, y[:1_000], 0)
