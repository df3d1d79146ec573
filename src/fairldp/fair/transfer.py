"""Geometric transfer between groups by optimal transport (POT's domain adaptation).

When one group's labels are unreliable (a condition under-diagnosed in it) and its features
are shifted from another group's, a model can be learned where the labels are reliable and
applied to the other group after moving its rows onto that group's feature distribution
(Courty, Flamary, Tuia & Rakotomamonjy, "Optimal transport for domain adaptation", IEEE TPAMI
2017; POT's ``ot.da``): :class:`OTTransfer`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from fairldp.fair.methods import FairMethod, base_estimator

__all__ = ["TRANSPORTS", "OTTransfer"]

#: transport -> POT class (``ot.da``) and its regularization keyword
TRANSPORTS = {
    "emd": ("EMDTransport", None),
    "sinkhorn": ("SinkhornTransport", "reg_e"),
    "sinkhorn_lpl1": ("SinkhornLpl1Transport", "reg_e"),  # + class regularization (labels)
}


class OTTransfer(FairMethod):
    """Learn on the ``target`` group, transport the other groups onto it.

    1. ``target``: the group code whose training rows the base model is fitted on (``None``:
       the group with the highest observed positive rate, the best-diagnosed one);
    2. for every other group ``g``, a transport plan from its training rows to the target's
       (standardized features; at most ``max_samples`` rows of each, drawn with
       ``random_state``), of kind ``transport``: ``emd`` (exact), ``sinkhorn`` (entropic,
       ``reg``) or ``sinkhorn_lpl1`` (entropic with the group-lasso class regularization
       ``eta`` on the source labels, Courty et al. 2017);
    3. a row of group ``g`` is scored by the base model at its barycentric image (for rows
       outside the plan, POT moves them by the displacement of their nearest planned row);
       a row of the target group is scored as it is.

    The groups are the decoded ones (``Z`` taken as ``A``; no noise correction). Fitted:
    ``target_``, ``model_``, ``scale_`` (mean, sd), ``maps_`` (group -> fitted POT
    transport).
    """

    group_at_predict: ClassVar[bool] = True

    def __init__(
        self,
        noise_model: Any = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        target: int | None = None,
        transport: str = "emd",
        reg: float = 1.0,
        eta: float = 0.1,
        max_samples: int = 2000,
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.target = target
        self.transport = transport
        self.reg = reg
        self.eta = eta
        self.max_samples = max_samples

    def _check_params(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {list(TRANSPORTS)}, got "
                             f"{self.transport!r}")  # fmt: skip
        if not (isinstance(self.reg, int | float) and self.reg > 0):
            raise ValueError(f"reg must be a positive number, got {self.reg!r}")
        if isinstance(self.max_samples, bool) or not isinstance(
                self.max_samples, int | np.integer) or self.max_samples < 10:  # fmt: skip
            raise ValueError(f"max_samples must be an integer >= 10, got {self.max_samples!r}")

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        from fairldp.repair.ot import import_pot

        ot = import_pot()

        self._check_params()
        present = np.unique(z)
        rates = {int(g): float(y[z == g].mean()) for g in present}
        target = max(rates, key=rates.__getitem__) if self.target is None else int(self.target)
        if target not in rates:
            raise ValueError(f"target group {target} has no training rows (groups present: "
                             f"{sorted(rates)})")  # fmt: skip
        self.target_ = target
        rows = z == target
        if np.unique(y[rows]).size < 2:
            raise ValueError(f"the target group {target} has one class only: nothing to learn")
        self.model_ = base_estimator(self.base_model, self.random_state).fit(X[rows], y[rows])
        mean, sd = X.mean(axis=0), X.std(axis=0)
        self.scale_ = (mean, np.where(sd > 0, sd, 1.0))
        s = (X - mean) / self.scale_[1]
        rng = np.random.default_rng(self.random_state)
        name, reg_key = TRANSPORTS[self.transport]
        kwargs: dict[str, Any] = {} if reg_key is None else {reg_key: float(self.reg)}
        if self.transport == "sinkhorn_lpl1":
            kwargs["reg_cl"] = float(self.eta)
        t_idx = self._sample(np.flatnonzero(rows), rng)
        self.maps_ = {}
        for g in present:
            if int(g) == target:
                continue
            s_idx = self._sample(np.flatnonzero(z == g), rng)
            plan = getattr(ot.da, name)(**kwargs)
            fit_kw = {"ys": y[s_idx]} if self.transport == "sinkhorn_lpl1" else {}
            plan.fit(Xs=s[s_idx], Xt=s[t_idx], **fit_kw)
            self.maps_[int(g)] = plan

    def _sample(self, idx: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
        if idx.size <= self.max_samples:
            return idx
        return np.sort(rng.choice(idx, size=int(self.max_samples), replace=False))

    def transport_rows(self, X: NDArray[np.float64], z: NDArray[np.int64]) -> NDArray[np.float64]:
        """The rows as the base model sees them: each row of a transported group moved onto
        the target group's distribution (rows of the target group unchanged)."""
        out = np.array(X, dtype=np.float64, copy=True)
        mean, sd = self.scale_
        for g, plan in self.maps_.items():
            rows = z == g
            if rows.any():
                moved = plan.transform(Xs=(X[rows] - mean) / sd)
                out[rows] = moved * sd + mean
        return out

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        return self.model_.predict_proba(self.transport_rows(X, z))[:, 1]
