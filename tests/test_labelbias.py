"""Label-bias transforms (Blum & Stangl, FORC 2020) do what they state.

Tolerances: a rate r realised over m independent eligible rows has standard error
SE = sqrt(r (1 - r) / m); realised flip and keep rates are checked within 4 SE of nu and beta
(two-sided false-alarm rate 6e-5 per check). Everything else is checked exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp.labelbias import CLEAN_SUFFIX, underdiagnosis, underrepresentation
from fairldp.rng import make_rng

N = 100_000
Z = 4.0


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Group g in {a, b} (P(a) = 0.3), y ~ Bern(0.4 if a else 0.6), a feature, a shuffled index."""
    rng = make_rng(0, "test", "labelbias", "frame")
    g = np.where(rng.random(N) < 0.3, "a", "b")
    y = (rng.random(N) < np.where(g == "a", 0.4, 0.6)).astype(np.int8)
    return pd.DataFrame(
        {"x": rng.standard_normal(N), "g": g, "y": y},
        index=pd.Index(rng.permutation(N) + 1000, name="id"),
    )


def assert_rate(k: int, m: int, r: float) -> None:
    se = np.sqrt(r * (1 - r) / m)
    assert abs(k / m - r) <= Z * se, (k / m, r, se)


# ------------------------------------------------------------------------------ underdiagnosis


@pytest.mark.parametrize("nu", [0.2, 0.5])
def test_underdiagnosis_flips_positives_of_the_group(frame: pd.DataFrame, nu: float) -> None:
    before = frame.copy()
    res = underdiagnosis(frame, "y", "g", "a", nu, seed=1)
    out = res.frame
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert res.kind == "underdiagnosis" and res.params["nu"] == nu
    pd.testing.assert_index_equal(out.index, frame.index)
    assert list(out.columns) == ["x", "g", "y", "y" + CLEAN_SUFFIX]
    # clean labels kept exactly; other columns untouched; dtype kept
    pd.testing.assert_series_equal(out["y_clean"], frame["y"], check_names=False)
    pd.testing.assert_frame_equal(out[["x", "g"]], frame[["x", "g"]])
    assert out["y"].dtype == frame["y"].dtype
    eligible = ((frame["g"] == "a") & (frame["y"] == 1)).to_numpy()
    changed = (out["y"] != out["y_clean"]).to_numpy()
    assert np.array_equal(res.eligible, eligible)
    assert np.array_equal(res.changed, changed)
    assert res.changed_index.equals(frame.index[changed])
    # flips only positive -> negative, only among eligible rows
    assert not changed[~eligible].any()
    assert (out.loc[changed, "y"] == 0).all()
    # realised flip rate among the group's positives within 4 SE of nu
    assert_rate(res.n_changed, int(eligible.sum()), nu)


def test_underdiagnosis_extremes_and_coupling(frame: pd.DataFrame) -> None:
    eligible = ((frame["g"] == "a") & (frame["y"] == 1)).to_numpy()
    assert underdiagnosis(frame, "y", "g", "a", 0.0, seed=1).n_changed == 0
    assert np.array_equal(underdiagnosis(frame, "y", "g", "a", 1, seed=1).changed, eligible)
    # same uniforms for every nu: the flipped sets are nested
    lo = underdiagnosis(frame, "y", "g", "a", 0.2, seed=1).changed
    hi = underdiagnosis(frame, "y", "g", "a", 0.5, seed=1).changed
    assert not (lo & ~hi).any() and hi.sum() > lo.sum()


def test_underdiagnosis_is_deterministic(frame: pd.DataFrame) -> None:
    a = underdiagnosis(frame, "y", "g", "a", 0.3, seed=5)
    b = underdiagnosis(frame, "y", "g", "a", 0.3, seed=5)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert np.array_equal(a.changed, b.changed)
    assert not np.array_equal(a.changed, underdiagnosis(frame, "y", "g", "a", 0.3, seed=6).changed)


def test_underdiagnosis_string_categorical_labels() -> None:
    df = pd.DataFrame(
        {
            "sex": pd.Categorical(["f", "m", "f", "f"] * 50, categories=["f", "m"]),
            "dx": pd.Categorical(
                ["sick", "sick", "well", "sick"] * 50, categories=["well", "sick"]
            ),
        }
    )
    res = underdiagnosis(
        df, "dx", "sex", "f", 1.0, seed=0, positive_label="sick", negative_label="well"
    )
    out = res.frame
    assert isinstance(out["dx"].dtype, pd.CategoricalDtype)
    assert (out.loc[out["sex"] == "f", "dx"] == "well").all()
    assert (out.loc[out["sex"] == "m", "dx"] == "sick").all()
    assert out["dx_clean"].equals(df["dx"])


# ------------------------------------------------------------------------- underrepresentation


@pytest.mark.parametrize(("beta", "positives_only"), [(0.3, True), (0.7, False)])
def test_underrepresentation_keeps_a_beta_fraction(
    frame: pd.DataFrame, beta: float, positives_only: bool
) -> None:
    res = underrepresentation(frame, "y", "g", "a", beta, seed=2, positives_only=positives_only)
    out = res.frame
    in_a = (frame["g"] == "a").to_numpy()
    eligible = in_a & (frame["y"] == 1).to_numpy() if positives_only else in_a
    assert np.array_equal(res.eligible, eligible)
    assert not res.changed[~eligible].any()  # others always kept
    # kept rows are exactly the unchanged input rows, in order, labels untouched
    pd.testing.assert_index_equal(out.index, frame.index[~res.changed])
    pd.testing.assert_frame_equal(out[["x", "g", "y"]], frame.loc[out.index])
    assert (out["y"] == out["y_clean"]).all()
    assert res.changed_index.intersection(out.index).empty
    # realised keep rate among eligible rows within 4 SE of beta
    m = int(eligible.sum())
    assert_rate(m - res.n_changed, m, beta)


def test_underrepresentation_extremes_and_determinism(frame: pd.DataFrame) -> None:
    assert len(underrepresentation(frame, "y", "g", "a", 1.0, seed=2).frame) == N
    res0 = underrepresentation(frame, "y", "g", "a", 0.0, seed=2)
    assert np.array_equal(res0.changed, res0.eligible)
    assert not ((res0.frame["g"] == "a") & (res0.frame["y"] == 1)).any()
    a = underrepresentation(frame, "y", "g", "a", 0.4, seed=9)
    pd.testing.assert_frame_equal(a.frame, underrepresentation(frame, "y", "g", "a", 0.4, 9).frame)
    # nested kept sets across beta: what beta = 0.8 drops, beta = 0.4 drops too
    hi = underrepresentation(frame, "y", "g", "a", 0.8, seed=9)
    assert not (hi.changed & ~a.changed).any() and a.n_changed > hi.n_changed


def test_composition_keeps_the_original_clean_labels(frame: pd.DataFrame) -> None:
    first = underdiagnosis(frame, "y", "g", "a", 0.5, seed=1).frame
    second = underrepresentation(first, "y", "g", "a", 0.5, seed=1).frame
    pd.testing.assert_series_equal(
        second["y_clean"], frame.loc[second.index, "y"], check_names=False
    )
    pd.testing.assert_series_equal(second["y"], first.loc[second.index, "y"])


# --------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), True, "0.5"])
def test_bad_rates(frame: pd.DataFrame, bad: object) -> None:
    with pytest.raises(ValueError, match=r"nu must be a probability in \[0, 1\]"):
        underdiagnosis(frame, "y", "g", "a", bad, seed=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"beta must be a probability in \[0, 1\]"):
        underrepresentation(frame, "y", "g", "a", bad, seed=0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"group": "c"}, "group 'c' does not occur"),
        ({"group_col": "nope"}, "group_col 'nope'"),
        ({"target": "nope"}, "target 'nope'"),
        ({"target": "x"}, "target 'x' must be binary"),
        ({"positive_label": 2}, "must be binary"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments(frame: pd.DataFrame, kw: dict, match: str) -> None:
    args = {"target": "y", "group_col": "g", "group": "a", "seed": 0} | kw
    with pytest.raises(ValueError, match=match):
        underdiagnosis(frame, nu=0.5, **args)
    with pytest.raises(ValueError, match=match):
        underrepresentation(frame, beta=0.5, **args)


def test_missing_target_values_are_rejected() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, np.nan, 0.0]})
    with pytest.raises(ValueError, match="must be binary"):
        underdiagnosis(df, "y", "g", "a", 0.5, seed=0)
