"""Group-aware repairs of the features, from true or privatized groups.

- ``quantile`` and ``ot``: the numeric features mapped onto the Wasserstein barycenter of their
  group-conditional distributions (:class:`~fairldp.repair.QuantileRepair`, exact per-feature
  1-D; :class:`~fairldp.repair.OTRepair`, multivariate with POT; Gordaliza et al., ICML 2019),
  partially by the geometric interpolation ``(1 - lambda) x + lambda T(x)`` for every amount
  lambda of ``amounts`` (Feldman et al., KDD 2015);
- ``correlation_remover``: fairlearn's CorrelationRemover on every feature, corrected for the
  attenuation by the channel when ``groups='deconvolution'``
  (:class:`~fairldp.repair.CorrelationRemoverRepair`).

``groups`` says how the group distributions are estimated from the decoded group ``z``
(:mod:`fairldp.repair.groups`): ``naive`` (``z`` taken as the group), ``deconvolution`` or
``posterior`` (through the exact transition matrix of the channel). Without privatization the
groups are the true ones. Categorical features pass through one-hot encoded; the group's own
report block is never a feature of a repaired representation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.representations import (
    REPRESENTATIONS,
    Fitted,
    GroupRepresentation,
    Groups,
    Layout,
    _check_amounts,
    _check_choice,
    encode,
)

__all__ = ["OT", "CorrelationRemover", "Quantile"]


def _require_groups(kind: str, groups: Groups | None) -> Groups:
    if groups is None:
        raise ValueError(
            f"representation {kind!r} needs the group attribute released by the privatizer"
        )
    return groups


@dataclass(frozen=True)
class _NumericRepair(GroupRepresentation):
    """Repair of the numeric block with a sweep over repair amounts."""

    needs_numeric: ClassVar[bool] = True
    interpolates: ClassVar[bool] = True
    amounts: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "amounts", _check_amounts(self.amounts))

    def _estimator(self, transition: np.ndarray | None, random_state: int) -> Any:
        raise NotImplementedError

    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        g = _require_groups(self.kind, groups)
        numeric = list(layout.numeric)
        if not numeric:
            raise ValueError(f"representation {self.kind!r} needs numeric features")
        est = self._estimator(self.transition(g), random_state)
        x_tr = train[numeric].to_numpy(np.float64)
        x_te = test[numeric].to_numpy(np.float64)
        est.fit(x_tr, sensitive_features=g.train)
        full = {"train": np.asarray(est.transform(x_tr, sensitive_features=g.train)),
                "test": np.asarray(est.transform(x_te, sensitive_features=g.test))}  # fmt: skip
        raw = {"train": x_tr, "test": x_te}
        base = {"train": encode(train, layout, drop_group=True),
                "test": encode(test, layout, drop_group=True)}  # fmt: skip
        out = []
        for lam in self.amounts:
            parts = {}
            for part, frame in base.items():
                repaired = (1.0 - lam) * raw[part] + lam * full[part]
                parts[part] = frame.assign(**{c: repaired[:, j] for j, c in enumerate(numeric)})
            out.append(Fitted(lam, parts["train"], parts["test"]))
        return out


@REPRESENTATIONS.register("quantile")
@dataclass(frozen=True)
class Quantile(_NumericRepair):
    """Exact per-feature 1-D barycenter repair (:class:`~fairldp.repair.QuantileRepair`).

    Parameters: ``groups``, ``amounts`` (see the module docstring) and ``n_quantiles`` (None:
    every distinct value is a knot, exact; else at most that many knots per group CDF).
    """

    kind: ClassVar[str] = "quantile"
    n_quantiles: int | None = None

    def _estimator(self, transition: np.ndarray | None, random_state: int) -> Any:
        from fairldp.repair import QuantileRepair

        return QuantileRepair(amount=1.0, groups=self.groups, transition=transition,
                              n_quantiles=self.n_quantiles)  # fmt: skip


@REPRESENTATIONS.register("ot")
@dataclass(frozen=True)
class OT(_NumericRepair):
    """Multivariate optimal-transport repair of the numeric block (:class:`~fairldp.repair.
    OTRepair`): exact plans on at most ``max_samples`` support points per group, out-of-sample
    extension by the mean displacement of the ``n_neighbors`` nearest support points."""

    kind: ClassVar[str] = "ot"
    max_samples: int = 1000
    n_neighbors: int = 5

    def _estimator(self, transition: np.ndarray | None, random_state: int) -> Any:
        from fairldp.repair import OTRepair

        return OTRepair(amount=1.0, groups=self.groups, transition=transition,
                        max_samples=self.max_samples, n_neighbors=self.n_neighbors,
                        random_state=random_state)  # fmt: skip


@REPRESENTATIONS.register("correlation_remover")
@dataclass(frozen=True)
class CorrelationRemover(GroupRepresentation):
    """fairlearn's CorrelationRemover on every feature: ``X - alpha g(z)`` with ``g`` the
    group effects; ``groups='deconvolution'`` undoes their attenuation by the channel
    (``g = (Post T)^-1 G``, :class:`~fairldp.repair.CorrelationRemoverRepair`)."""

    kind: ClassVar[str] = "correlation_remover"
    alpha: float = 1.0

    def __post_init__(self) -> None:
        _check_choice("groups", self.groups, ("naive", "deconvolution", "true"))
        if not 0.0 <= float(self.alpha) <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {self.alpha!r}")

    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        from fairldp.repair import CorrelationRemoverRepair

        g = _require_groups(self.kind, groups)
        x_tr = encode(train, layout, drop_group=True)
        x_te = encode(test, layout, drop_group=True)
        est = CorrelationRemoverRepair(alpha=float(self.alpha), groups=g.k,
                                       transition=self.transition(g))  # fmt: skip
        est.fit(x_tr.to_numpy(np.float64), sensitive_features=g.train)
        cols = list(x_tr.columns)
        out = {part: pd.DataFrame(est.transform(x.to_numpy(np.float64), sensitive_features=z),
                                  columns=cols)
               for part, x, z in (("train", x_tr, g.train), ("test", x_te, g.test))}  # fmt: skip
        return [Fitted(None, out["train"], out["test"])]
