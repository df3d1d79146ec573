"""Budget splits over several sensitive attributes."""

from __future__ import annotations

import pytest

from fairldp.ldp import split_budget


def test_uniform_and_k_based() -> None:
    assert split_budget(4.0, [2, 5, 41, 74], "uniform") == pytest.approx([1.0] * 4)
    assert split_budget(4.0, [2, 5, 41, 74], "k_based") == pytest.approx(
        [4 * 2 / 122, 4 * 5 / 122, 4 * 41 / 122, 4 * 74 / 122]
    )
    for method in ("uniform", "k_based"):
        assert sum(split_budget(1.7, [3, 9], method)) == pytest.approx(1.7)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.0, [2], "uniform"), "epsilon must be a finite number > 0"),
        ((float("nan"), [2], "uniform"), "epsilon must be a finite number > 0"),
        ((1.0, [], "uniform"), "domain_sizes is empty"),
        ((1.0, [1], "uniform"), r"must be an integer >= 2"),
        ((1.0, [2], "equal"), r"split_budget gives per-attribute budgets of 'uniform' and 'k_based', got 'equal'"),
    ],
)
def test_bad_input(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_budget(*args)
