"""scikit-learn conventions shared by fairldp's estimators.

The group (true or privatized sensitive attribute) is passed as fairlearn passes it: the
keyword-only ``sensitive_features=`` of ``fit``, ``transform``, ``predict`` (never positionally,
where scikit-learn passes ``y``). Inside a ``Pipeline``, ``cross_val_score`` or
``GridSearchCV`` it is routed as metadata::

    sklearn.set_config(enable_metadata_routing=True)
    est.set_fit_request(sensitive_features=True)   # and set_transform_request / ...

A method that needs the group and does not get it raises :class:`MissingGroupError`, never
takes the label (or anything else) as the group.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import TransformerMixin

__all__ = [
    "GROUP_HINT",
    "GroupTransformerMixin",
    "MissingGroupError",
    "check_sensitive_features",
    "group_codes",
]

GROUP_HINT = (
    "pass the group as fairlearn does, e.g. fit(X, y, sensitive_features=z); inside a Pipeline, "
    "cross_val_score or GridSearchCV enable metadata routing "
    "(sklearn.set_config(enable_metadata_routing=True)) and request it with "
    "set_fit_request(sensitive_features=True) (and set_transform_request / "
    "set_predict_request / set_score_request where the method uses it)"
)


class MissingGroupError(TypeError):
    """A method that needs ``sensitive_features`` was called without it."""


class GroupTransformerMixin(TransformerMixin):
    """A transformer of ``X`` given the group: ``fit(X, y=None, *, sensitive_features)`` and
    ``transform(X, *, sensitive_features)``, both requesting the group under metadata routing;
    ``fit_transform`` passes it to both (scikit-learn's would not pass it to ``transform``);
    no target needed."""

    __metadata_request__fit: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__transform: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    def fit_transform(
        self, X: Any, y: Any = None, *, sensitive_features: ArrayLike | None = None
    ) -> Any:
        """``fit(X, y, sensitive_features=g).transform(X, sensitive_features=g)``."""
        return self.fit(X, y, sensitive_features=sensitive_features).transform(  # type: ignore[attr-defined]
            X, sensitive_features=sensitive_features
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def check_sensitive_features(
    sensitive_features: ArrayLike | None, n: int, owner: Any, method: str
) -> NDArray[Any]:
    """``sensitive_features`` as a 1-D array of ``n`` values, with no missing value.

    A one-column DataFrame (or ``(n, 1)`` array) is flattened; ``None`` raises
    :class:`MissingGroupError` naming ``owner.method`` and how to pass the group.
    """
    name = f"{type(owner).__name__}.{method}"
    if sensitive_features is None:
        raise MissingGroupError(f"{name} needs the group: {GROUP_HINT}")
    s = sensitive_features
    if isinstance(s, pd.DataFrame):
        if s.shape[1] != 1:
            raise ValueError(f"{name}: sensitive_features must be one column, got {s.shape[1]}")
        s = s.iloc[:, 0]
    arr = np.asarray(s)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{name}: sensitive_features must be 1-D with {n} entries (rows of X), "
            f"got shape {arr.shape}"
        )
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: sensitive_features contains NaN or infinite values")
    if arr.dtype.kind == "O" and bool(pd.isna(arr).any()):
        raise ValueError(f"{name}: sensitive_features contains missing values (None/NaN)")
    return arr


def group_codes(groups: NDArray[Any], k: int | None, owner: Any) -> NDArray[np.int64]:
    """Integer group codes in ``[0, k)`` (``k``: the declared domain, e.g. the noise model's;
    None: ``max + 1``), checked by :func:`fairldp.ldp.validation.check_codes`."""
    from fairldp.ldp.validation import check_codes

    if k is None:
        numeric = groups.dtype.kind in "iubf" and groups.size
        k = int(np.nanmax(groups)) + 1 if numeric and np.any(np.isfinite(groups)) else 1
    return check_codes(groups, max(k, 1), f"{type(owner).__name__}: sensitive_features")
