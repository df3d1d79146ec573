"""Label-bias transforms for under-diagnosis studies (Blum & Stangl, FORC 2020).

Blum & Stangl, "Recovering from biased data: can fairness constraints improve accuracy?"
(FORC 2020) model two biases against a disadvantaged group G of a binary task:

* labelling bias (here *under-diagnosis*): each positive of G is recorded as negative with
  probability nu;
* under-representation: each positive of G (or each member, ``positives_only=False``) is kept
  in the sample with probability beta, else dropped.

Every transform returns a :class:`LabelBias` whose ``frame`` is a new DataFrame with the
biased labels in ``target`` and the clean ones in ``f"{target}_clean"`` (if that column
already exists, from an earlier transform, it is kept as it is: it holds the original labels,
and the new transform acts on the current ``target``). ``changed`` records which input rows
were flipped or dropped.

Randomness: one uniform U_i per input row from ``make_rng(seed, "labelbias", kind, target,
group_col)``; row i is flipped iff it is eligible and U_i < nu, dropped iff eligible and
U_i >= beta. The draws depend on neither nu nor beta, so with a fixed seed the flipped set
grows and the kept set grows monotonically in the parameter (coupled sweeps).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fairldp.rng import make_rng

__all__ = ["CLEAN_SUFFIX", "LabelBias", "underdiagnosis", "underrepresentation"]

CLEAN_SUFFIX = "_clean"


@dataclass(frozen=True, eq=False)
class LabelBias:
    """Result of a label-bias transform.

    ``frame``: the biased frame (original index labels kept). ``changed``: boolean array over
    the *input* rows, True where the label was flipped (under-diagnosis) or the row dropped
    (under-representation). ``eligible``: boolean array over the input rows that the bias
    could act on. ``input_index``: the index of the input frame. ``params``: the arguments,
    for provenance.
    """

    frame: pd.DataFrame
    changed: np.ndarray
    eligible: np.ndarray
    kind: str
    input_index: pd.Index
    params: dict[str, object] = field(default_factory=dict)

    @property
    def changed_index(self) -> pd.Index:
        """Index labels (of the input frame) of the changed rows."""
        return self.input_index[self.changed]

    @property
    def n_changed(self) -> int:
        return int(self.changed.sum())


def _check_rate(name: str, x: float) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a probability in [0, 1], got {x!r}")
    if not (0.0 <= float(x) <= 1.0):  # also rejects NaN
        raise ValueError(f"{name} must be a probability in [0, 1], got {x!r}")
    return float(x)


def _check_frame(
    df: pd.DataFrame,
    target: str,
    group_col: str,
    group: Hashable,
    positive_label: Hashable,
    negative_label: Hashable,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate columns, labels and group; return (in_group, positive) boolean arrays."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if target not in df.columns:
        raise ValueError(f"target {target!r} is not a column of df; columns: {list(df.columns)}")
    if group_col not in df.columns:
        raise ValueError(
            f"group_col {group_col!r} is not a column of df; columns: {list(df.columns)}"
        )
    if target == group_col:
        raise ValueError(f"target and group_col must differ, both are {target!r}")
    if positive_label == negative_label:
        raise ValueError(f"positive_label and negative_label must differ, both {positive_label!r}")
    y = df[target]
    labels = {positive_label, negative_label}
    is_pos = (y == positive_label).to_numpy(dtype=bool)
    is_neg = (y == negative_label).to_numpy(dtype=bool)
    if not np.all(is_pos | is_neg):
        other = pd.unique(y[~(is_pos | is_neg)])[:5]
        raise ValueError(
            f"target {target!r} must be binary with labels {sorted(labels, key=repr)} "
            f"(positive_label, negative_label); found other values {list(other)}"
        )
    if isinstance(y.dtype, pd.CategoricalDtype) and negative_label not in y.cat.categories:
        raise ValueError(
            f"negative_label {negative_label!r} is not a category of target {target!r}: "
            f"{list(y.cat.categories)}"
        )
    in_group = (df[group_col] == group).to_numpy(dtype=bool)
    if not in_group.any():
        values = list(pd.unique(df[group_col]))[:20]
        raise ValueError(
            f"group {group!r} does not occur in column group_col={group_col!r}; values: {values}"
        )
    return in_group, is_pos


def _with_clean(df: pd.DataFrame, target: str) -> pd.DataFrame:
    out = df.copy()
    clean = f"{target}{CLEAN_SUFFIX}"
    if clean not in out.columns:
        out[clean] = df[target].copy()
    return out


def underdiagnosis(
    df: pd.DataFrame,
    target: str,
    group_col: str,
    group: Hashable,
    nu: float,
    seed: int,
    *,
    positive_label: Hashable = 1,
    negative_label: Hashable = 0,
) -> LabelBias:
    """Flip each positive label of ``group`` to negative with probability ``nu``.

    Labelling bias of Blum & Stangl (FORC 2020): for rows with ``group_col == group`` and
    ``target == positive_label``, Y_obs = negative_label with probability nu, else Y. Other
    rows are untouched, so P(Y_obs = 1 | G) = (1 - nu) P(Y = 1 | G). ``nu`` in [0, 1].
    """
    nu = _check_rate("nu", nu)
    in_group, is_pos = _check_frame(df, target, group_col, group, positive_label, negative_label)
    u = make_rng(seed, "labelbias", "underdiagnosis", target, group_col).random(len(df))
    eligible = in_group & is_pos
    flip = eligible & (u < nu)
    out = _with_clean(df, target)
    out[target] = out[target].mask(pd.Series(flip, index=out.index), negative_label)
    return LabelBias(
        frame=out,
        changed=flip,
        eligible=eligible,
        kind="underdiagnosis",
        params={"target": target, "group_col": group_col, "group": group, "nu": nu, "seed": seed},
        input_index=df.index,
    )


def underrepresentation(
    df: pd.DataFrame,
    target: str,
    group_col: str,
    group: Hashable,
    beta: float,
    seed: int,
    positives_only: bool = True,
    *,
    positive_label: Hashable = 1,
    negative_label: Hashable = 0,
) -> LabelBias:
    """Keep each eligible row of ``group`` with probability ``beta``, drop it otherwise.

    Under-representation bias of Blum & Stangl (FORC 2020). Eligible rows are those with
    ``group_col == group`` (and ``target == positive_label`` if ``positives_only``); other rows
    are always kept. Labels of kept rows are unchanged, so among the kept rows of the group
    P(Y = 1 | G, kept) = beta p / (beta p + 1 - p) with p = P(Y = 1 | G) (positives_only).
    ``beta`` in [0, 1].
    """
    beta = _check_rate("beta", beta)
    in_group, is_pos = _check_frame(df, target, group_col, group, positive_label, negative_label)
    u = make_rng(seed, "labelbias", "underrepresentation", target, group_col).random(len(df))
    eligible = in_group & is_pos if positives_only else in_group
    drop = eligible & (u >= beta)
    out = _with_clean(df, target).iloc[~drop]
    return LabelBias(
        frame=out,
        changed=drop,
        eligible=eligible,
        kind="underrepresentation",
        params={
            "target": target,
            "group_col": group_col,
            "group": group,
            "beta": beta,
            "positives_only": bool(positives_only),
            "seed": seed,
        },
        input_index=df.index,
    )
