"""The privacy boundary between raw and privatized sensitive attributes.

After the ``perturb`` stage, training code sees the sensitive attributes of training rows only
through their LDP reports. :func:`privatize` is the one place where raw training values are
read and replaced; the frame it returns carries a marker (``df.attrs["fairldp"]["privatized"]``,
saved in the Parquet metadata). Training-side code calls :func:`require_privatized`, which
raises :class:`PrivacyBoundaryError` for a frame whose sensitive columns are not marked as
privatized. Only evaluation reads the true attributes, of the test rows.

The non-private baseline (protocol ``"none"``) passes the raw values through, and says so in
its marker, so the boundary check still tells the two apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from fairldp.datasets.registry import DatasetSpec
from fairldp.ldp import GRR, split_budget
from fairldp.rng import make_rng

__all__ = [
    "NON_PRIVATE",
    "PROTOCOLS",
    "PrivacyBoundaryError",
    "privatization_info",
    "privatize",
    "require_privatized",
]

NON_PRIVATE = "none"
PROTOCOLS = {"grr": GRR}


class PrivacyBoundaryError(RuntimeError):
    """Training code was handed raw sensitive attributes."""


def privatization_info(df: pd.DataFrame) -> dict[str, Any] | None:
    """The privatization marker of a frame, or None."""
    return df.attrs.get("fairldp", {}).get("privatized")


def privatize(
    train: pd.DataFrame,
    spec: DatasetSpec,
    protocol: str,
    epsilon: float,
    budget_split: str,
    seed: int,
    attributes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Replace each sensitive attribute of the training rows by its LDP report.

    The total budget ``epsilon`` is shared by the attributes with ``budget_split``
    (:func:`fairldp.ldp.split_budget`); attribute ``j`` is perturbed with its own stream
    ``make_rng(seed, "perturb", dataset, protocol, epsilon, attribute)``. With ``protocol="none"``
    the values pass through unchanged (the non-private baseline).
    """
    names = list(attributes) if attributes is not None else spec.sensitive_names
    attrs = [spec.attribute(a) for a in names]
    out = train.copy()
    if protocol == NON_PRIVATE:
        info: dict[str, Any] = {
            "protocol": NON_PRIVATE,
            "epsilon": math.inf,
            "budget_split": NON_PRIVATE,
            "attributes": names,
            "epsilons": dict.fromkeys(names, math.inf),
        }
    else:
        if protocol not in PROTOCOLS:
            raise ValueError(
                f"protocol must be one of {[NON_PRIVATE, *PROTOCOLS]}, got {protocol!r}"
            )
        budgets = split_budget(epsilon, [a.k for a in attrs], budget_split)
        for attr, eps_j in zip(attrs, budgets, strict=True):
            col = out[attr.name]
            if not isinstance(col.dtype, pd.CategoricalDtype) or list(col.cat.categories) != list(
                attr.domain
            ):
                raise ValueError(
                    f"column {attr.name!r} must be categorical over its declared domain"
                )
            if col.isna().any():
                raise ValueError(
                    f"column {attr.name!r} has missing values; LDP needs a value per user"
                )
            mech = PROTOCOLS[protocol](eps_j, attr.k)
            rng = make_rng(seed, "perturb", spec.name, protocol, float(epsilon), attr.name)
            reports = mech.perturb(col.cat.codes.to_numpy(), rng)
            out[attr.name] = pd.Categorical.from_codes(reports, dtype=col.dtype)
        info = {
            "protocol": protocol,
            "epsilon": float(epsilon),
            "budget_split": budget_split,
            "attributes": names,
            "epsilons": dict(zip(names, budgets, strict=True)),
        }
    out.attrs["fairldp"] = {**train.attrs.get("fairldp", {}), "privatized": info}
    return out


def require_privatized(df: pd.DataFrame, sensitive: Sequence[str]) -> dict[str, Any]:
    """Raise :class:`PrivacyBoundaryError` unless every sensitive column of ``df`` is marked.

    Returns the marker. Columns of ``sensitive`` absent from ``df`` need no marking.
    """
    present = [c for c in sensitive if c in df.columns]
    info = privatization_info(df)
    if info is None:
        if present:
            raise PrivacyBoundaryError(
                f"training data holds sensitive columns {present} that were not privatized; "
                "pass the output of fairldp.privacy.privatize (the perturb stage)"
            )
        return {}
    missing = [c for c in present if c not in info.get("attributes", [])]
    if missing:
        raise PrivacyBoundaryError(
            f"sensitive columns {missing} are present but not privatized "
            f"(privatized: {info.get('attributes')})"
        )
    return info
