"""A fair method and a representation defined outside the package, for the plugin test.

A study that lists ``plugins: [toy_method]`` (this folder on ``PYTHONPATH``) can name them:
``learners: {toy: {method: group_threshold}}``, ``representations: {scaled: {kind: scaled}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fairldp.fair import METHODS
from fairldp.fair.methods import FairMethod, base_estimator
from fairldp.representations import REPRESENTATIONS, Fitted, Representation, encode


@METHODS.register("group_threshold")
class GroupThreshold(FairMethod):
    """The base model, with one threshold per decoded group so that every group has the
    overall positive rate on the training rows (demographic parity on z, naively)."""

    def _fit(self, X, y, z):
        self.model_ = base_estimator(self.base_model, self.random_state).fit(X, y)
        score = self.model_.predict_proba(X)[:, 1]
        rate = float(np.mean(y))
        self.thresholds_ = np.full(self.k_, 0.5)
        for g in np.unique(z):  # one threshold per group (a loop over groups, not rows)
            self.thresholds_[g] = np.quantile(score[z == g], 1 - rate)

    def _proba1(self, X, z):
        score = self.model_.predict_proba(X)[:, 1]
        return np.clip(score + 0.5 - self.thresholds_[z], 0.0, 1.0)


@REPRESENTATIONS.register("scaled")
@dataclass(frozen=True)
class Scaled(Representation):
    """The identity encoding with the numeric features divided by ``factor``."""

    kind: ClassVar[str] = "scaled"
    factor: float = 2.0

    def fit_transform(self, train, test, layout, groups, y, random_state):
        out = []
        for frame in (train, test):
            x = encode(frame, layout)
            x[list(layout.numeric)] = x[list(layout.numeric)] / self.factor
            out.append(x)
        return [Fitted(None, *out)]
