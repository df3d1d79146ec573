"""Synthetic generators sample the distributions they declare.

Statistical tolerances: a cell probability p estimated from n draws has standard error
SE = sqrt(p (1 - p) / n); single estimates are checked within 4 SE (two-sided false-alarm
rate 6e-5 per check), whole tables with a chi-square goodness-of-fit test at alpha = 1e-3.
Seeds are fixed, so the outcomes are deterministic; the tolerances say the checks would pass
for almost every seed, i.e. that they are not tuned to one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairldp.datasets.synthetic import (
    MULTI_ATTRIBUTE_M_GIVEN_A,
    as_joint_table,
    discrete_joint,
    makhlouf_2024_example,
    multi_attribute_distribution,
    multi_attribute_scenario,
    scenario,
    scenario_distribution,
)

N = 200_000
ALPHA = 1e-3
Z = 4.0


def cell_counts(df: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Counts of the cells of ``table`` (variables + p) in ``df``, in table order."""
    variables = [c for c in table.columns if c not in ("p", "p_y1", "mean")]
    counts = df.groupby(variables, observed=False).size()
    return counts.reindex(pd.MultiIndex.from_frame(table[variables]), fill_value=0).to_numpy()


def assert_fits(counts: np.ndarray, p: np.ndarray) -> None:
    """Chi-square GOF over the cells of positive probability; zero cells never drawn."""
    p = np.asarray(p, dtype=float)
    assert counts[p == 0].sum() == 0
    pos = p > 0
    n = counts.sum()
    res = stats.chisquare(counts[pos], n * p[pos] / p[pos].sum())
    assert res.pvalue > ALPHA, (counts, n * p)


def assert_within_se(k: int | float, n: int, p: float, z: float = Z) -> None:
    se = np.sqrt(p * (1 - p) / n)
    assert abs(k / n - p) <= z * se, (k / n, p, se)


# ------------------------------------------------------------------------------ joint tables


def test_makhlouf_2024_example_is_the_stated_table() -> None:
    t = makhlouf_2024_example()
    assert list(t.columns) == ["A", "X", "Y", "p"] and len(t) == 8
    assert t["p"].sum() == pytest.approx(1.0, abs=1e-15)
    assert t.loc[t.A == 0, "p"].sum() == pytest.approx(0.3)
    # X uniform and independent of A
    for a in (0, 1):
        pa = t.loc[t.A == a, "p"].sum()
        assert t.loc[(t.A == a) & (t.X == 1), "p"].sum() == pytest.approx(pa / 2)
    # Y = 1[A=1 and X=1]: all mass on cells with that Y
    y_det = ((t.A == 1) & (t.X == 1)).astype(int)
    assert t.loc[t.Y != y_det, "p"].sum() == 0


def test_discrete_joint_fits_the_table() -> None:
    table = makhlouf_2024_example()
    df = discrete_joint(table, N, seed=0)
    assert list(df.columns) == ["A", "X", "Y"] and len(df) == N
    for c in df.columns:
        assert isinstance(df[c].dtype, pd.CategoricalDtype)
        assert list(df[c].cat.categories) == [0, 1]
    counts = cell_counts(df, table)
    assert_fits(counts, table["p"].to_numpy())
    for k, p in zip(counts, table["p"], strict=True):
        if p > 0:
            assert_within_se(k, N, p)
    # the deterministic structure holds exactly
    y = ((df.A == 1) & (df.X == 1)).astype(int)
    assert (df.Y.astype(int) == y).all()


def test_discrete_joint_general_table_and_mapping_form() -> None:
    mapping = {("u", 0): 0.1, ("u", 1): 0.2, ("v", 0): 0.0, ("v", 1): 0.3, ("w", 0): 0.4}
    a = discrete_joint(mapping, 50_000, seed=3, columns=("S", "T"))
    tidy = as_joint_table(mapping, columns=("S", "T"))
    b = discrete_joint(tidy, 50_000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["S"].cat.categories) == ["u", "v", "w"]
    assert_fits(cell_counts(a, tidy), tidy["p"].to_numpy())


def test_discrete_joint_is_deterministic_and_prefix_consistent() -> None:
    table = makhlouf_2024_example()
    a = discrete_joint(table, 1000, seed=7)
    pd.testing.assert_frame_equal(a, discrete_joint(table, 1000, seed=7))
    pd.testing.assert_frame_equal(a.iloc[:300], discrete_joint(table, 300, seed=7))
    assert not a.equals(discrete_joint(table, 1000, seed=8))
    assert len(discrete_joint(table, 0, seed=7)) == 0


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({(0, 0, 0): 0.5, (0, 0, 1): 0.5 + 1e-6}, "sum to 1"),
        ({(0, 0, 0): 1.2, (0, 0, 1): -0.2}, ">= 0"),
        ({(0, 0, 0): float("nan"), (0, 0, 1): 1.0}, "finite"),
        ({(0, 0): 1.0}, "expected 3"),
        (pd.DataFrame({"A": [0, 0], "X": [0, 0], "Y": [1, 1], "p": [0.5, 0.5]}), "duplicate"),
        (pd.DataFrame({"A": [0], "q": [1.0]}), "column 'p'"),
        ({}, "empty"),
    ],
)
def test_invalid_tables(table: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        discrete_joint(table, 10, seed=0)  # type: ignore[arg-type]


def test_sum_tolerance_is_1e_9() -> None:
    t = as_joint_table({(0, 0, 0): 0.5, (0, 0, 1): 0.5 + 5e-10})
    assert t["p"].sum() == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(ValueError, match="sum to 1"):
        as_joint_table({(0, 0, 0): 0.5, (0, 0, 1): 0.5 + 2e-9})


# --------------------------------------------------------------------- multi-attribute scenario


@pytest.mark.parametrize("q", [0.5, 0.8, 0.05])
def test_multi_attribute_threshold_is_the_exact_quantile(q: float) -> None:
    d = multi_attribute_distribution(q)
    c = d.cells
    assert c["p"].sum() == pytest.approx(1.0, abs=1e-14)
    # mixture CDF recomputed independently with scipy.stats
    cdf = float((c["p"] * stats.norm.cdf(d.threshold - c["mean"])).sum())
    assert cdf == pytest.approx(q, abs=1e-12)
    assert d.p_y1 == pytest.approx(1 - q, abs=1e-12)
    assert d.joint()["p"].sum() == pytest.approx(1.0, abs=1e-14)


def test_multi_attribute_cell_probabilities_follow_the_definition() -> None:
    c = multi_attribute_distribution().cells.set_index(["C", "A", "M"])["p"]
    assert c.groupby(level="C").sum()[1] == pytest.approx(0.35)
    pca = c.groupby(level=["C", "A"]).sum()
    assert pca[(0, 1)] / (pca[(0, 0)] + pca[(0, 1)]) == pytest.approx(0.55)
    assert pca[(1, 1)] / (pca[(1, 0)] + pca[(1, 1)]) == pytest.approx(0.75)
    pam = c.groupby(level=["A", "M"]).sum()
    for a in (0, 1):
        pa = pam.loc[a].sum()
        assert (pam.loc[a] / pa).to_numpy() == pytest.approx(MULTI_ATTRIBUTE_M_GIVEN_A[a])
    assert multi_attribute_distribution(0.3).threshold < multi_attribute_distribution(0.7).threshold


@pytest.mark.parametrize("q", [0.5, 0.8])
def test_multi_attribute_scenario_matches_its_distribution(q: float) -> None:
    d = multi_attribute_distribution(q)
    df = multi_attribute_scenario(N, seed=11, quantile=q)
    assert list(df.columns) == ["C", "A", "M", "Y"]
    assert list(df["M"].cat.categories) == [0, 1, 2]
    cells = d.cells
    counts = cell_counts(df, cells[["C", "A", "M", "p"]])
    assert_fits(counts, cells["p"].to_numpy())
    # P(Y=1 | cell): n_cell draws, SE = sqrt(p (1 - p) / n_cell)
    y1 = df["Y"].astype(int).groupby([df.C, df.A, df.M], observed=False).sum()
    y1 = y1.reindex(pd.MultiIndex.from_frame(cells[["C", "A", "M"]])).to_numpy()
    for k, n_cell, p in zip(y1, counts, cells["p_y1"], strict=True):
        assert_within_se(k, n_cell, p)
    # overall P(Y = 1) = 1 - quantile
    assert_within_se(int((df["Y"] == 1).sum()), N, 1 - q)


def test_multi_attribute_scenario_latent_and_determinism() -> None:
    a = multi_attribute_scenario(2000, seed=5, latent=True)
    t = multi_attribute_distribution().threshold
    assert ((a["Y_star"] > t).astype(int) == a["Y"].astype(int)).all()
    pd.testing.assert_frame_equal(a, multi_attribute_scenario(2000, seed=5, latent=True))
    pd.testing.assert_frame_equal(a.iloc[:500], multi_attribute_scenario(500, 5, latent=True))
    # a different quantile moves only the threshold (common random numbers)
    b = multi_attribute_scenario(2000, seed=5, quantile=0.9, latent=True)
    pd.testing.assert_frame_equal(a.drop(columns="Y"), b.drop(columns="Y"))
    assert not a.equals(multi_attribute_scenario(2000, seed=6, latent=True))


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, float("nan")])
def test_multi_attribute_bad_quantile(q: float) -> None:
    with pytest.raises(ValueError, match="quantile"):
        multi_attribute_distribution(q)


# --------------------------------------------------------------------- configurable scenario


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"p_group": 0.1, "base_rates": (0.6, 0.2), "proxy_strength": 0.95},
        {"p_group": 0.5, "base_rates": (0.0, 1.0), "proxy_strength": 0.5},
    ],
)
def test_scenario_matches_its_distribution(kw: dict) -> None:
    table = scenario_distribution(**kw)
    assert table["p"].sum() == pytest.approx(1.0, abs=1e-14)
    df = scenario(N, seed=2, n_features=2, **kw)
    assert list(df.columns) == ["A", "Xp", "Xn1", "Xn2", "Y"]
    assert all(list(df[c].cat.categories) == [0, 1] for c in df.columns)
    counts = cell_counts(df, table)
    assert_fits(counts, table["p"].to_numpy())
    # the stated parameters, each within 4 SE
    a = df["A"].astype(int).to_numpy()
    assert_within_se(a.sum(), N, kw.get("p_group", 0.3))
    assert_within_se((df["Xp"].astype(int).to_numpy() == a).sum(), N, kw.get("proxy_strength", 0.8))
    # noise features: uniform and independent of (A, Y): GOF of (A, Xn1, Y) to the product
    prod = table.groupby(["A", "Y"])["p"].sum().reset_index()
    noise_table = pd.concat([prod.assign(Xn1=z, p=prod["p"] / 2) for z in (0, 1)])
    noise_table = noise_table[["A", "Xn1", "Y", "p"]]
    assert_fits(cell_counts(df, noise_table), noise_table["p"].to_numpy())


def test_scenario_determinism_and_coupling() -> None:
    a = scenario(3000, seed=4)
    assert list(a.columns) == ["A", "Xp", "Xn1", "Y"]
    pd.testing.assert_frame_equal(a, scenario(3000, seed=4))
    pd.testing.assert_frame_equal(a.iloc[:1000], scenario(1000, seed=4))
    # changing the proxy strength changes only Xp; extra noise features change nothing else
    b = scenario(3000, seed=4, proxy_strength=0.6, n_features=3)
    pd.testing.assert_frame_equal(a[["A", "Xn1", "Y"]], b[["A", "Xn1", "Y"]])
    assert not a["Xp"].equals(b["Xp"])
    assert list(scenario(10, seed=4, n_features=0).columns) == ["A", "Xp", "Y"]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"p_group": 1.5}, "p_group"),
        ({"base_rates": (0.3,)}, "base_rates"),
        ({"base_rates": (0.3, -0.1)}, r"base_rates\[1\]"),
        ({"proxy_strength": float("nan")}, "proxy_strength"),
        ({"n_features": -1}, "n_features"),
    ],
)
def test_scenario_bad_arguments(kw: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        scenario(10, seed=0, **kw)


def test_bad_n_and_seed() -> None:
    with pytest.raises(ValueError, match="n must be"):
        scenario(-1, seed=0)
    with pytest.raises(ValueError, match="seed"):
        scenario(10, seed=-1)


def test_ternary_joint_dataset_draws_its_table_on_the_declared_domains() -> None:
    from fairldp.datasets import get_dataset

    spec = get_dataset("synthetic_joint3")
    # S3 of Makhlouf et al. 2024, in 30ths; n = 60,000: each share within 4 binomial SEs
    table = [[0, 0, 0, 3], [0, 1, 0, 6], [0, 1, 1, 5], [0, 2, 1, 1], [1, 0, 0, 7], [1, 0, 1, 1],
             [1, 1, 0, 1], [1, 1, 1, 5], [1, 2, 1, 1]]  # fmt: skip
    table = [[a, x, y, c / 30] for a, x, y, c in table]
    df = spec.generator(n=60_000, seed=0, table=table)
    assert list(df["X"].cat.categories) == [0, 1, 2]
    got = df.groupby(["A", "X", "Y"], observed=False).size() / len(df)
    for a, x, y, p in table:
        se = (p * (1 - p) / len(df)) ** 0.5
        assert abs(got[(a, x, y)] - p) < 4 * se + 1e-12, (a, x, y)
    assert got.sum() == 1 and got[(0, 0, 1)] == 0  # a cell of probability 0 is never drawn
    with pytest.raises(ValueError, match="no default table"):
        spec.generator(n=10, seed=0)
    with pytest.raises(ValueError, match=r"column X must hold values of \[0, 1, 2\]"):
        spec.generator(n=10, seed=0, table=[[0, 3, 0, 1.0]])
