"""fairldp's locally private fair encoder as a representation kind (``fair_encoder``).

The encoder (:class:`~fairldp.repair.FairEncoder`) is fitted by the server on the released
training rows: every feature but the group's report block, the clean-or-released label, and
the decoded group ``z`` of the study's group attribute with its channel ``T`` (deployment A of
docs/guide/encoder.md: the server learns the encoder from LDP reports; with a whole-record
release the features are the privatized ones). The features of a learner are the encoder's
output ``h`` for the training and test rows.
"""

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
    _check_amounts,
    _check_choice,
)

__all__ = ["FairEncoderRepresentation"]


@REPRESENTATIONS.register("fair_encoder")
@dataclass(frozen=True)
class FairEncoderRepresentation(GroupRepresentation):
    """The encoder's representation ``h`` (``n_components`` columns ``enc_j``) for every
    amount of ``amounts``: the encoder fitted with penalty weight ``amount * fairness_weight``
    (amount 0: the plain supervised encoder). ``groups``: ``deconvolution`` (default; the
    unbiased signed weights ``T^{-1}``), ``naive`` (``z`` taken as the group) or, without
    privatization, ``true``; ``penalty``: ``unbiased`` (the U-statistic) or ``plugin``."""

    kind: ClassVar[str] = "fair_encoder"
    groups: str = "deconvolution"
    amounts: tuple[float, ...] = (1.0,)
    fairness_weight: float = 4.0
    penalty: str = "unbiased"
    n_components: int = 8
    hidden: int = 64
    n_fourier: int = 32
    bandwidth: float = 1.0
    epochs: int = 20
    batch_size: int = 512
    learning_rate: float = 3e-3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.groups == "posterior":
            raise ValueError("representation 'fair_encoder' takes groups 'deconvolution' or "
                             "'naive' (its penalty needs unbiased signed weights, which "
                             "posteriors are not)")  # fmt: skip
        object.__setattr__(self, "amounts", _check_amounts(self.amounts))
        from fairldp.repair.encoder import PENALTIES

        _check_choice("penalty", self.penalty, PENALTIES)
        if not (np.isfinite(self.fairness_weight) and self.fairness_weight >= 0):
            raise ValueError(f"fairness_weight must be finite and >= 0, got "
                             f"{self.fairness_weight!r}")  # fmt: skip

    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        from fairldp.repair.encoder import FairEncoder

        x_tr, x_te = self.released_features(train, test, layout, groups)
        transition = self.transition(groups)
        cols = [f"enc_{j}" for j in range(int(self.n_components))]
        out = []
        for amount in self.amounts:
            est = FairEncoder(
                n_components=self.n_components, hidden=self.hidden,
                fairness_weight=amount * self.fairness_weight, penalty=self.penalty,
                n_fourier=self.n_fourier, bandwidth=self.bandwidth, epochs=self.epochs,
                batch_size=self.batch_size, learning_rate=self.learning_rate,
                random_state=random_state,
            )  # fmt: skip
            est.fit(x_tr, y, sensitive_features=groups.train, transition=transition)
            out.append(Fitted(amount, pd.DataFrame(est.transform(x_tr), columns=cols),
                              pd.DataFrame(est.transform(x_te), columns=cols)))  # fmt: skip
        return out
