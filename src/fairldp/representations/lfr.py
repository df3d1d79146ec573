"""Learned fair representation (Zemel et al., ICML 2013), from true or privatized groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from fairldp.representations import (
    REPRESENTATIONS,
    Fitted,
    GroupRepresentation,
    Groups,
    Layout,
)

__all__ = ["LFR"]


@REPRESENTATIONS.register("lfr")
@dataclass(frozen=True)
class LFR(GroupRepresentation):
    """Prototype memberships ``M`` (n, ``n_prototypes``) of
    :class:`~fairldp.repair.LearnedFairRepresentation`, fitted on every feature but the group's
    report block. ``groups='naive'`` uses hard groups ``z``; ``deconvolution`` the unbiased
    signed weights ``T^-T e_z`` (:func:`~fairldp.repair.deconvolution_weights`); ``posterior``
    the EM posteriors ``P(A | z, x)`` (:func:`~fairldp.repair.group_weights`). Weights
    ``A_x, A_y, A_z`` as in Zemel et al."""

    kind: ClassVar[str] = "lfr"
    n_prototypes: int = 10
    reconstruct_weight: float = 0.01
    target_weight: float = 1.0
    fairness_weight: float = 50.0
    max_iter: int = 500
    max_samples: int | None = 5000

    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        from fairldp.repair import LearnedFairRepresentation

        x_tr, x_te = self.released_features(train, test, layout, groups)
        est = LearnedFairRepresentation(
            n_prototypes=self.n_prototypes, reconstruct_weight=self.reconstruct_weight,
            target_weight=self.target_weight, fairness_weight=self.fairness_weight,
            max_iter=self.max_iter, max_samples=self.max_samples, random_state=random_state,
        )  # fmt: skip
        est.fit(x_tr, y, **self.group_fit_args(groups, x_tr))
        cols = [f"lfr_{j}" for j in range(int(self.n_prototypes))]
        return [Fitted(None, pd.DataFrame(est.transform(x_tr), columns=cols),
                       pd.DataFrame(est.transform(x_te), columns=cols))]  # fmt: skip
