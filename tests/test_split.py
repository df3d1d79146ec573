"""Deterministic stratified splits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairldp.datasets import stratified_split


def _frame(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"y": rng.integers(0, 2, n), "a": rng.integers(0, 3, n)})


def test_same_seed_same_split_and_different_seed_different() -> None:
    df = _frame()
    a = stratified_split(df, 0.2, 7, "d")
    assert np.array_equal(a, stratified_split(df, 0.2, 7, "d"))
    assert not np.array_equal(a, stratified_split(df, 0.2, 8, "d"))
    assert not np.array_equal(a, stratified_split(df, 0.2, 7, "other-dataset"))


def test_every_stratum_gets_its_rounded_share() -> None:
    df = _frame()
    test = stratified_split(df, 0.2, 1, "d")
    for _, idx in df.groupby(["y", "a"]).groups.items():
        n = len(idx)
        assert test[np.asarray(idx)].sum() == int(np.floor(0.2 * n + 0.5))


def test_split_does_not_depend_on_row_chunk_of_other_strata() -> None:
    # adding rows of a new stratum changes nothing for the rows already there
    df = _frame()
    extra = pd.concat([df, pd.DataFrame({"y": [5] * 10, "a": [9] * 10})], ignore_index=True)
    # uniform keys are drawn for all rows in order, so the first len(df) keys are identical
    assert np.array_equal(
        stratified_split(df, 0.2, 3, "d"), stratified_split(extra, 0.2, 3, "d")[: len(df)]
    )


def test_a_split_that_empties_a_group_of_the_audited_attribute_is_refused() -> None:
    """German credit is stratified by (target, sex); an audited attribute that the split does
    not stratify (a 2-row group here) can lose every test row at a small test_size, and a
    stratum of one row gets no test row at all: refused, naming test_size, the group and
    the seed."""
    import pytest

    from fairldp.stages.data import check_split_groups

    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"credit": rng.integers(0, 2, n), "sex": rng.choice(["f", "m"], n),
                       "foreign_worker": np.r_[["no"] * 2, ["yes"] * (n - 2)]})
    check_split_groups(df, "german", "sex", 0.2, [0, 1, 2])  # every group in both parts
    with pytest.raises(ValueError, match=r"test_size: 0.2 leaves group 'no' of foreign_worker "
                                         r"on german \(2 rows\) without a (test|training) row"):
        check_split_groups(df, "german", "foreign_worker", 0.2, list(range(20)))
