"""The identity representation: the released table, encoded (Arcolezi et al., DBSec 2023)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from fairldp.representations import (
    REPRESENTATIONS,
    Fitted,
    Groups,
    Layout,
    Representation,
    encode,
)

__all__ = ["Identity"]


@REPRESENTATIONS.register("identity")
@dataclass(frozen=True)
class Identity(Representation):
    """Report encodings, one-hot categorical features and numeric features, unchanged
    (:func:`~fairldp.representations.encode`). Stateless: applied by the stages that read it.

    Parameters
    ----------
    drop_group : bool
        Leave out the report block of the study's group attribute (a model "unaware" of the
        privatized group; what every group-aware representation does).
    """

    kind: ClassVar[str] = "identity"
    stateless: ClassVar[bool] = True
    drop_group: bool = False

    @property
    def drops_group_report(self) -> bool:
        return self.drop_group

    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        return [Fitted(None, encode(train, layout, self.drop_group),
                       encode(test, layout, self.drop_group))]  # fmt: skip
