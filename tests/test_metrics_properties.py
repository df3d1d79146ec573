"""Property-based tests of the metrics' input domain (hypothesis, derandomized: the same
examples on every run)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fairldp.metrics import fairness_metrics, utility_metrics

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


@st.composite
def binary_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(4, 60))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    yhat = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    a = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    return y, yhat, a


@SETTINGS
@given(binary_case())
def test_valid_binary_inputs_match_fairlearn(case: tuple[np.ndarray, ...]) -> None:
    from fairlearn.metrics import demographic_parity_difference, false_positive_rate_difference

    y, yhat, a = case
    m = fairness_metrics(y, yhat, a)
    assert m["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y, yhat, sensitive_features=a)
    )
    if not np.isnan(m["false_positive_rate_difference"]):
        assert m["false_positive_rate_difference"] == pytest.approx(
            false_positive_rate_difference(y, yhat, sensitive_features=a)
        )
    assert all(np.isnan(v) or -1.0 <= v <= 1.0 for k, v in m.items() if "ratio" not in k)


@SETTINGS
@given(binary_case(), st.integers(2, 9), st.sampled_from(["y_true", "y_pred"]))
def test_any_label_outside_0_1_is_refused(case: tuple[np.ndarray, ...], bad: int, which: str):
    y, yhat, a = case
    if which == "y_true":
        y = np.where(y == 1, bad, y)
        if not np.any(y == bad):
            y[0] = bad
    else:
        yhat = yhat.copy()
        yhat[0] = bad
    with pytest.raises(ValueError, match=f"{which} must be binary"):
        fairness_metrics(y, yhat, a)
    with pytest.raises(ValueError, match=f"{which} must be binary"):
        utility_metrics(y, yhat, np.linspace(0, 1, y.size))


@SETTINGS
@given(binary_case(), st.floats(0.01, 0.99))
def test_scores_passed_as_predictions_are_refused(case: tuple[np.ndarray, ...], s: float):
    y, yhat, a = case
    scores = yhat * s + (1 - yhat) * (s / 2)
    with pytest.raises(ValueError, match="scores"):
        fairness_metrics(y, scores, a)


@SETTINGS
@given(binary_case(), st.integers(0, 59))
def test_a_missing_group_is_refused(case: tuple[np.ndarray, ...], i: int) -> None:
    y, yhat, a = case
    groups = a.astype(object)
    groups[i % a.size] = None
    with pytest.raises(ValueError, match="missing value"):
        fairness_metrics(y, yhat, groups)
