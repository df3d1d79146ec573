"""An LDP-released fair representation (Xie et al. 2024), from true or privatized groups.

S. Xie, Y. Wu, J. Li, M. Ding, K. B. Letaief, "Privacy for fairness: information obfuscation
for fair representation learning with local differential privacy", arXiv:2402.10473. The
estimator and its objective are :class:`fairldp.repair.xie.XieEncoder`.

Two budgets. The privatizer's epsilon protects the sensitive attributes (their reports; the
group's decoded ``z`` is what the encoder's fairness terms see). This kind's own ``epsilon``
is the budget of the Laplace mechanism on the encoded row: the features the representation is
computed from (every feature but the group's report block) are released only as the noisy code
``z = f(x) + Lap(2 m / epsilon)^m``. A user who releases both spends the sum (sequential
composition); with public non-sensitive features (the chain's default), the representation's
epsilon is an extra guarantee on them. The guarantee is given the encoder ``f``: the encoder is
fitted by the server on the training rows and then treated as public (shipped to the devices),
as in the paper; ``epsilon: .inf`` releases the noiseless code (the non-private reference).
Training and test rows are released alike (each user's device randomizes its own code).

Which parts follow the paper and which are ours: see :mod:`fairldp.repair.xie` (the paper's
method section and code were not available: only its abstract and summary, which fix the
Laplace-randomized bounded encoding, the information-bottleneck objective with ``I(Y; Z)`` and
``I(X; Z | S)``, non-adversarial training and no variational prior).
"""

from __future__ import annotations

import math
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

__all__ = ["Xie"]


@REPRESENTATIONS.register("xie")
@dataclass(frozen=True)
class Xie(GroupRepresentation):
    """The released codes ``z`` (n, ``n_components``) of
    :class:`~fairldp.repair.xie.XieEncoder`, fitted on every feature but the group's report
    block. ``epsilon``: the representation's own LDP budget (see the module docstring).
    ``groups='naive'`` conditions on (and measures parity over) the decoded group ``z``;
    ``deconvolution`` uses the weights ``T^-T e_z``, ``posterior`` the EM posteriors
    ``P(A | z, x)`` (as :class:`~fairldp.representations.lfr.LFR`). Needs the extra
    ``dpsgd`` (PyTorch)."""

    kind: ClassVar[str] = "xie"
    epsilon: float = 4.0
    n_components: int = 4
    hidden: int = 32
    reconstruct_weight: float = 0.1
    fairness_weight: float = 1.0
    epochs: int = 20
    batch_size: int = 256
    learning_rate: float = 0.005

    def __post_init__(self) -> None:
        super().__post_init__()
        eps = self.epsilon
        if isinstance(eps, bool) or not isinstance(eps, int | float) or not eps > 0:
            raise ValueError(f"epsilon must be a positive number (or .inf), got {eps!r}")
        if math.isnan(float(eps)):
            raise ValueError("epsilon must not be NaN")

    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        from fairldp.repair.xie import XieEncoder

        x_tr, x_te = self.released_features(train, test, layout, groups)
        est = XieEncoder(
            epsilon=float(self.epsilon), n_components=self.n_components, hidden=self.hidden,
            reconstruct_weight=self.reconstruct_weight, fairness_weight=self.fairness_weight,
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            random_state=random_state,
        )  # fmt: skip
        est.fit(x_tr, np.asarray(y, dtype=np.int64), **self.group_fit_args(groups, x_tr))
        cols = [f"xie_{j}" for j in range(int(self.n_components))]
        return [Fitted(None, pd.DataFrame(est.transform(x_tr), columns=cols),
                       pd.DataFrame(est.transform(x_te), columns=cols))]  # fmt: skip
