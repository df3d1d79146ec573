"""Audits: what the evaluation side measures, on the TRUE attribute and the clean labels.

Every audit is an entry of :data:`AUDITS`; a study names the ones it wants (``audits:``) and
each produces rows of the metrics table with its name in the ``audit`` column.

- ``utility`` (predictions): accuracy, balanced accuracy, F1, ROC AUC against the clean labels;
- ``fairness_true`` (predictions): every fairness metric on the TRUE group attribute of the
  test rows (what matters);
- ``fairness_privatized`` (predictions): the same on the decoded group ``z`` of the test rows
  (what an auditor who only sees the privatized attribute measures);
- ``group_rates`` (predictions): the per-group rates of :func:`fairldp.metrics.group_table`
  (sensitivity, specificity, false-negative rate, predictive values, calibration) on the
  TRUE group and the clean labels, one row per group (the ``group`` column of the metrics);
- ``intersectional_rates`` (predictions): the same per-group rates on the intersections of
  the TRUE values of every sensitive attribute of the dataset (e.g. ``sex=female, race=black``;
  the ``group`` column), whatever the study's group attribute;
- ``attribute_recovery`` (predictions): how often the decoded group ``z`` of a released test
  row is its TRUE group, overall and per group (the empirical attack success against the
  randomiser; needs ``test: privatized``);
- ``leakage`` (representation): how well an attacker recovers the TRUE group attribute from
  the representation, from every feature and from the numeric features alone
  (:func:`fairldp.repair.cross_fitted_leakage`): the representation's map is fitted on the
  training rows; the attacker is cross-fitted on the test rows (5 stratified folds: fitted on
  four, scored on the fifth), so 0.5 AUC means no leakage; ``leakage_strong`` the same with
  gradient-boosted trees as the attacker, on every feature;
- ``membership`` (model): how well an attacker tells the model's training rows (members) from
  held-out rows released the same way (non-members), from the model's loss on each
  (:func:`fairldp.membership.membership_audit`, loss-threshold attack of Yeom et al. 2018,
  threshold chosen on another half): ``membership_advantage`` (TPR - FPR) and
  ``membership_auc``, overall and per TRUE group (Chang & Shokri, EuroS&P 2021), each with
  its per-seed bootstrap interval (``{metric}_ci_low``, ``{metric}_ci_high``). Its stage
  (:func:`fairldp.stages.evaluate.membership`) refits the learner exactly and checks its test
  scores against the learn stage's;
- ``membership_shadow`` (model): the same metrics for the shadow-model attack (Shokri et al.,
  S&P 2017), in the same stage: shadow models fitted like the target on half of the held-out
  rows teach an attack model; the other half are the audited non-members.

A prediction audit maps the test predictions (columns ``y``, ``y_pred``, ``y_score``,
``a`` = true group, ``z`` = decoded group, ``a_joint`` = the true intersection of every
sensitive attribute for an audit that is :attr:`PredictionAudit.intersectional`, and control
columns) to one row per combination of
the control columns; a representation audit maps the features of one (seed, amount).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from fairldp.metrics import fairness_table, group_table, utility_table
from fairldp.registry import Registry
from fairldp.runlog import log

__all__ = ["AUDITS", "Audit", "PredictionAudit", "RepresentationAudit"]


class Audit(ABC):
    """Base class: ``name`` (registry key), ``scope`` (``predictions`` or
    ``representation``), ``needs_groups`` (needs the decoded group ``z``)."""

    name: ClassVar[str]
    scope: ClassVar[str]
    needs_groups: ClassVar[bool] = False


class PredictionAudit(Audit):
    scope: ClassVar[str] = "predictions"
    #: whether :meth:`table` reads ``a_joint``, the intersection of every sensitive attribute
    intersectional: ClassVar[bool] = False

    @abstractmethod
    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        """One row per combination of the columns ``by`` (index), one column per metric
        (``reference``: the privileged value of the true attribute ``a``, or None)."""


class RepresentationAudit(Audit):
    scope: ClassVar[str] = "representation"
    #: whether :meth:`values` reads the TRUE group of the training rows (else it gets None)
    uses_training_groups: ClassVar[bool] = True

    @abstractmethod
    def values(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        a_train: np.ndarray | None,
        a_test: np.ndarray,
        numeric: Sequence[str],
        random_state: int,
    ) -> dict[str, float]:
        """Metric values of one representation (features of the training and test rows;
        ``a_train`` None unless :attr:`uses_training_groups`)."""


#: audit name -> :class:`Audit` instance
AUDITS: Registry[Audit] = Registry("audit")


def register(cls: type[Audit]) -> type[Audit]:
    AUDITS.register(cls.name, cls())
    return cls


@register
class Utility(PredictionAudit):
    name = "utility"

    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        return utility_table(df["y"], df["y_pred"], df["y_score"], df[list(by)])


@register
class FairnessTrue(PredictionAudit):
    name = "fairness_true"

    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        """Differences and ratios on the true group; their signed variants (``r_b - r_ref``)
        when the dataset declares the reference group."""
        return fairness_table(df["y"], df["y_pred"], df["a"].astype(str), df[list(by)],
                              reference=None if reference is None else str(reference))  # fmt: skip


@register
class FairnessPrivatized(PredictionAudit):
    name = "fairness_privatized"
    needs_groups = True

    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        return fairness_table(df["y"], df["y_pred"], df["z"].to_numpy(), df[list(by)])


@register
class AttributeRecovery(PredictionAudit):
    """How often the decoded group ``z`` of a test row's report is its TRUE group: the
    empirical success of the attacker who decodes a report to its most likely value
    (:func:`fairldp.fair.noise.decode`; the Bayes-optimal attack under a uniform prior,
    :func:`fairldp.ldp.attack_success` gives its closed form), overall (``group`` empty) and
    per true group (``P(z = a | A = a)``). Needs the test rows released (``test:
    privatized``): with clean test rows ``z`` is the true group and the rate is 1."""

    name = "attribute_recovery"
    needs_groups = True

    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        hit = (df["z"].to_numpy() == df["a_code"].to_numpy()).astype(np.float64)
        keys = [df[c] for c in by]
        overall = pd.Series(hit).groupby(keys, sort=False, dropna=False).mean()
        per = pd.Series(hit).groupby([*keys, df["a"].astype(str).rename("group")], sort=False,
                                     dropna=False).mean()  # fmt: skip
        overall.index = pd.MultiIndex.from_tuples(
            [(*(k if isinstance(k, tuple) else (k,)), "") for k in overall.index],
            names=[*by, "group"])  # fmt: skip
        per.index = per.index.set_names([*by, "group"])
        return pd.concat([overall, per]).rename("attribute_recovery").to_frame()


@register
class GroupRates(PredictionAudit):
    """Per-group rates on the TRUE group (index: ``by`` and ``group``)."""

    name = "group_rates"

    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        return group_table(df["y"], df["y_pred"], df["y_score"], df["a"].astype(str),
                           df[list(by)])  # fmt: skip


@register
class IntersectionalRates(PredictionAudit):
    """Per-group rates on the TRUE intersections of every sensitive attribute (index: ``by``
    and ``group``, e.g. ``sex=female, race=black``)."""

    name = "intersectional_rates"
    intersectional = True

    def table(
        self, df: pd.DataFrame, by: Sequence[str], reference: object = None
    ) -> pd.DataFrame:
        return group_table(df["y"], df["y_pred"], df["y_score"], df["a_joint"].astype(str),
                           df[list(by)])  # fmt: skip


@register
class Leakage(RepresentationAudit):
    """Attacker AUC and accuracy for the TRUE group, from every feature of the representation
    and from its numeric features alone (logistic attacker cross-fitted over 5 folds of the
    test rows, seed ``random_state``; the training rows, in-sample for the map, are unused)."""

    name = "leakage"
    uses_training_groups = False
    #: the attacker model of :func:`fairldp.repair.cross_fitted_leakage` and the metric prefix
    attacker = "logistic"
    prefix = "leakage"
    #: also attack the numeric features alone (metrics ``{prefix}_auc_numeric``, ...)
    numeric_view = True

    def values(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        a_train: np.ndarray | None,
        a_test: np.ndarray,
        numeric: Sequence[str],
        random_state: int,
    ) -> dict[str, float]:
        from fairldp.repair import cross_fitted_leakage

        del train, a_train  # the map was fitted on them: in-sample rows would bias the attacker
        views = {"": list(test.columns)}
        if self.numeric_view:
            views = {"_numeric": [c for c in numeric if c in test.columns], **views}
        out: dict[str, float] = {}
        for suffix, cols in views.items():
            if not cols:
                continue
            try:
                leak = cross_fitted_leakage(test[cols].to_numpy(float), a_test,
                                            random_state=random_state,
                                            model=self.attacker)  # fmt: skip
            except ValueError as err:  # too few test rows of a group to cross-fit: undefined
                log.warning("leakage undefined: %s", err)
                leak = {"auc": np.nan, "accuracy": np.nan, "baseline_accuracy": np.nan}
            out[f"{self.prefix}_auc{suffix}"] = leak["auc"]
            out[f"{self.prefix}_accuracy{suffix}"] = leak["accuracy"]
            if not suffix and self.numeric_view:
                out[f"{self.prefix}_baseline_accuracy"] = leak["baseline_accuracy"]
        return out


@register
class LeakageStrong(Leakage):
    """The leakage audit with a strong attacker: gradient-boosted trees
    (HistGradientBoostingClassifier, early stopping), cross-fitted the same way, on every
    feature of the representation (metrics ``leakage_strong_auc``, ``leakage_strong_accuracy``)."""

    name = "leakage_strong"
    attacker = "hgb"
    prefix = "leakage_strong"
    numeric_view = False


@register
class Membership(Audit):
    """Membership inference against each learner (its own stage: it needs the model's scores
    on the training rows, which the prediction files do not hold)."""

    name = "membership"
    scope = "model"
    #: the metrics it writes (each with its per-seed bootstrap interval, ``_ci_low``/``_ci_high``)
    metrics = ("membership_advantage", "membership_auc")


@register
class MembershipShadow(Membership):
    """Membership inference by shadow models (Shokri et al., S&P 2017) against each learner, in
    the membership stage: half of the held-out rows are the attacker's shadow set, the other
    half the audited non-members."""

    name = "membership_shadow"
