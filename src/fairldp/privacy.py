"""The privacy boundary between raw and privatized sensitive attributes.

After the ``perturb`` stage, training code sees the sensitive attributes of training rows only
through their LDP reports. :func:`privatize` is the one place where raw training values are
read: it drops the raw columns and adds, for each sensitive attribute, the report encoding of
Arcolezi et al. (2023) as model features ``attribute=value`` (GRR: one-hot of the report; UE:
the noisy bits; LH: the values whose hash matches; SS: the subset; THE: the thresholded bits;
SHE: the noisy real vector). The frame it returns carries a marker
(``df.attrs["fairldp"]["privatized"]``, saved in the Parquet metadata). Training-side code calls
:func:`require_privatized`, which raises :class:`PrivacyBoundaryError` for a frame that holds a
raw sensitive column or has no marker. Only evaluation reads the true attributes, of the test
rows.

The non-private baseline (protocol ``"none"``) encodes the raw values one-hot, in the same
columns, and says so in its marker.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairldp.datasets.registry import DatasetSpec
from fairldp.ldp import PROTOCOLS
from fairldp.ldp import privatize as ldp_privatize

__all__ = [
    "NON_PRIVATE",
    "PROTOCOL_NAMES",
    "PrivacyBoundaryError",
    "one_hot",
    "privatization_info",
    "privatize",
    "require_no_raw_sensitive",
    "require_privatized",
]

NON_PRIVATE = "none"
PROTOCOL_NAMES = (NON_PRIVATE, *PROTOCOLS)


class PrivacyBoundaryError(RuntimeError):
    """Training code was handed raw sensitive attributes."""


def privatization_info(df: pd.DataFrame) -> dict[str, Any] | None:
    """The privatization marker of a frame, or None."""
    return df.attrs.get("fairldp", {}).get("privatized")


def one_hot(df: pd.DataFrame, spec: DatasetSpec, attributes: Sequence[str]) -> pd.DataFrame:
    """Indicator columns ``attribute=value`` over each attribute's declared domain (uint8)."""
    blocks = {}
    for name in attributes:
        attr = spec.attribute(name)
        codes = df[name].cat.codes.to_numpy()
        if (codes < 0).any():
            raise ValueError(f"column {name!r} has missing values")
        for j, v in enumerate(attr.domain):
            blocks[f"{name}={v}"] = (codes == j).astype(np.uint8)
    return pd.DataFrame(blocks, index=df.index)


def privatize(
    train: pd.DataFrame,
    spec: DatasetSpec,
    protocol: str,
    epsilon: float,
    budget_split: str,
    seed: int,
    attributes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Replace the sensitive attributes of the training rows by their encoded LDP reports.

    The total budget ``epsilon`` is shared by the attributes with ``budget_split`` (see
    :func:`fairldp.ldp.privatize`); attribute ``a`` is perturbed with its own stream
    ``make_rng(seed, "perturb", dataset, protocol, epsilon, a)``. With ``protocol="none"`` the
    raw values are one-hot encoded (the non-private baseline).
    """
    names = list(attributes) if attributes is not None else spec.sensitive_names
    attrs = [spec.attribute(a) for a in names]
    for attr in attrs:
        col = train[attr.name]
        if not isinstance(col.dtype, pd.CategoricalDtype) or list(col.cat.categories) != list(
            attr.domain
        ):
            raise ValueError(f"column {attr.name!r} must be categorical over its declared domain")
        if col.isna().any():
            raise ValueError(f"column {attr.name!r} has missing values; LDP needs a value per user")
    if protocol == NON_PRIVATE:
        features = one_hot(train, spec, names)
        epsilons = dict.fromkeys(names, math.inf)
        epsilon, budget_split = math.inf, NON_PRIVATE
    elif protocol in PROTOCOLS:
        priv = ldp_privatize(
            {a.name: train[a.name].cat.codes.to_numpy() for a in attrs},
            {a.name: a.k for a in attrs},
            protocol,
            epsilon,
            budget_split,
            seed=int(seed),
            dataset=spec.name,
        )
        x, cols = priv.features({a.name: list(a.domain) for a in attrs}, dtype=np.float32)
        if protocol != "she":  # indicator encodings: 0/1
            x = x.astype(np.uint8)
        features = pd.DataFrame(x, columns=cols, index=train.index)
        epsilons = priv.epsilons
    else:
        raise ValueError(f"protocol must be one of {list(PROTOCOL_NAMES)}, got {protocol!r}")
    out = pd.concat([train.drop(columns=names), features], axis=1)
    info = {
        "protocol": protocol,
        "epsilon": float(epsilon),
        "budget_split": budget_split,
        "attributes": names,
        "epsilons": {a: float(e) for a, e in epsilons.items()},
        "features": list(features.columns),
    }
    out.attrs["fairldp"] = {**train.attrs.get("fairldp", {}), "privatized": info}
    return out


def require_no_raw_sensitive(
    df: pd.DataFrame, sensitive: Sequence[str], source: str = "training data"
) -> None:
    """Raise :class:`PrivacyBoundaryError` if ``df`` holds a raw sensitive column."""
    raw = [c for c in sensitive if c in df.columns]
    if raw:
        raise PrivacyBoundaryError(
            f"{source} holds raw sensitive columns {raw} that were not privatized; pass the "
            "output of a perturbation stage"
        )


def require_privatized(df: pd.DataFrame, sensitive: Sequence[str]) -> dict[str, Any]:
    """Raise :class:`PrivacyBoundaryError` unless ``df`` is the output of :func:`privatize`:
    a privatization marker and no raw sensitive column. Returns the marker."""
    require_no_raw_sensitive(df, sensitive)
    info = privatization_info(df)
    if info is None:
        raise PrivacyBoundaryError(
            "training data carries no privatization record; pass the output of "
            "fairldp.privacy.privatize (the perturb stage)"
        )
    return info
