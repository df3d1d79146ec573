"""Human labels of the identifiers of a study: one mapping for figures, tables and the report.

:func:`label` gives the label of an axis of the metrics table (``label("budget_split")`` ->
"budget split") or of one of its values (``label("budget_split", "k_based")`` -> "k-based
split"). A label comes, in this order, from the registry of the axis when its entry declares
one (metrics: :attr:`fairldp.metrics.Metric.label`; any registry entry registered with
``label=...`` as meta), from the built-in table below, or from a readable form of the
identifier (underscores to spaces, known acronyms in capitals: ``expgrad_dp`` -> "exp.
gradient DP"). Epsilon is written one way: ``ε = 1``, ``ε = ∞ (non-private)``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["AXIS_LABELS", "label", "readable"]

#: axis -> its label
AXIS_LABELS: dict[str, str] = {
    "study": "study",
    "dataset": "dataset",
    "attribute": "sensitive attribute",
    "bias_rate": "label-bias rate",
    "privatizer": "privatizer",
    "protocol": "LDP protocol",
    "budget_split": "budget split",
    "epsilon": "ε (total privacy budget)",
    "representation": "representation",
    "kind": "representation kind",
    "amount": "repair amount λ",
    "learner": "learner",
    "model": "model",
    "method": "fair method",
    "seed": "seed",
    "audit": "audit",
    "metric": "metric",
    "value": "value",
}

NON_PRIVATE = "non-private"

_DATASETS = {
    "adult": "Adult",
    "german": "German credit",
    "compas": "COMPAS",
    "lsac": "LSAC bar passage",
    "diabetes": "Diabetes 130-US",
    "acs_income": "ACS Income",
    "acs_employment": "ACS Employment",
    "acs_public_coverage": "ACS Public Coverage",
    "synthetic_joint": "synthetic P(A, X, Y)",
    "synthetic_joint3": "synthetic P(A, X, Y), ternary X",
    "synthetic_multi": "synthetic multi-attribute",
    "synthetic_scenario": "synthetic scenario",
    "registry_sim": "simulated registry",
    "support2": "SUPPORT",
    "rhc": "RHC (right heart catheterization)",
    "actg320": "ACTG 320",
    "help_cesd": "HELP (CES-D)",
}
_BUDGET_SPLITS = {
    "none": NON_PRIVATE,
    "uniform": "uniform split",
    "k_based": "k-based split",
    "combined": "combined (product domain)",
    "weighted": "weighted split",
    "sampling": "sampling (each user reports a sample of the attributes)",
}
_MODELS = {"lightgbm": "LightGBM", "logistic_regression": "logistic regression",
           "cell_bayes": "cell Bayes classifier"}  # fmt: skip
_METHODS = {
    "none": "no fair method",
    "unaware": "unaware",
    "plain": "plain (group as a feature)",
    "expgrad_dp": "exp. gradient, DP",
    "expgrad_eo": "exp. gradient, EO",
    "expgrad_tpr": "exp. gradient, TPR",
    "threshold_dp": "threshold optimizer, DP",
    "threshold_eo": "threshold optimizer, EO",
    "corrected_expgrad_dp": "corrected exp. gradient, DP",
    "corrected_expgrad_eo": "corrected exp. gradient, EO",
    "corrected_expgrad_tpr": "corrected exp. gradient, TPR",
    "postproc_naive_eo": "naive post-processing, EO",
    "postproc_naive_dp": "naive post-processing, DP",
    "corrected_postproc_eo": "corrected post-processing, EO",
    "corrected_postproc_dp": "corrected post-processing, DP",
    "reweigh": "reweighing",
    "corrected_reweigh": "corrected reweighing",
    "corrected_threshold_eo": "corrected thresholds, EO",
    "corrected_threshold_dp": "corrected thresholds, DP",
    "arl": "ARL (no group)",
}
_KINDS = {
    "identity": "identity",
    "quantile": "quantile repair",
    "ot": "OT repair",
    "correlation_remover": "correlation remover",
    "lfr": "LFR",
    "fair_encoder": "fair encoder (fairldp)",
    "xie": "Xie et al. encoder",
}
_GROUPS = {"naive": "naive groups", "deconvolution": "deconvolved groups",
           "posterior": "posterior groups"}  # fmt: skip
_AUDITS = {
    "utility": "utility",
    "fairness_true": "fairness on the true attribute",
    "fairness_privatized": "fairness on the privatized (decoded) attribute",
    "leakage": "attribute leakage",
    "membership": "membership inference (loss threshold)",
    "membership_shadow": "membership inference (shadow models)",
    "attribute_recovery": "attack success on the released group",
}
#: tokens of identifiers written otherwise in a readable form
_TOKENS = {
    "grr": "GRR", "sue": "SUE", "oue": "OUE", "blh": "BLH", "olh": "OLH", "adp": "ADP",
    "ss": "SS", "she": "SHE", "ot": "OT", "lfr": "LFR", "acs": "ACS", "auc": "AUC",
    "arl": "ARL", "rr": "RR",
    "roc": "ROC", "ldp": "LDP", "dp": "DP", "eo": "EO", "tpr": "TPR", "fpr": "FPR",
    "lgbm": "LightGBM", "lightgbm": "LightGBM", "lr": "LR", "k": "k",
    "expgrad": "exp. gradient", "postproc": "post-processing", "deconv": "deconvolved",
    "clear": "in the clear", "eps": "ε",
}  # fmt: skip
_VALUES = {
    "dataset": _DATASETS,
    "budget_split": _BUDGET_SPLITS,
    "model": _MODELS,
    "method": _METHODS,
    "kind": _KINDS,
    "audit": _AUDITS,
}


def readable(identifier: str) -> str:
    """A readable form of an identifier: ``k_based`` -> "k-based", ``grr_group`` -> "GRR
    group", ``logistic_regression`` -> "logistic regression"."""
    text = str(identifier)
    if text.startswith("k_"):  # k_based, k_anonymous: a hyphenated prefix
        text = "k-" + text[2:]
    return " ".join(_TOKENS.get(t.lower(), t) for t in text.split("_") if t)


def _is_missing(value: Any) -> bool:
    try:
        return bool(value is None or (not isinstance(value, str) and math.isnan(value)))
    except (TypeError, ValueError):
        return str(value) in ("<NA>", "NaT")


def _registered(axis: str, value: str) -> str | None:
    """The label the axis's registry declares for ``value``, if any (no heavy import: only
    metrics, whose entries are light, and entries' ``label`` meta)."""
    try:
        if axis == "metric":
            from fairldp.metrics import METRICS

            return METRICS.get(value).label if value in METRICS else None
        registry: Any = None
        if axis == "protocol":
            from fairldp.ldp.registry import PROTOCOLS as registry
        elif axis == "model":
            from fairldp.models import MODELS as registry
        elif axis == "method":
            from fairldp.fair import METHODS as registry
        elif axis == "kind":
            from fairldp.representations import REPRESENTATIONS as registry
        elif axis == "audit":
            from fairldp.audits import AUDITS as registry
        elif axis == "dataset":
            from fairldp.datasets import REGISTRY as registry
        if registry is None or value not in registry:
            return None
        meta = registry.meta(value).get("label")
        if meta:
            return str(meta)
        if axis == "dataset":  # a DatasetSpec may carry a short label
            return getattr(registry.get(value), "label", None)
    except ImportError:  # a registry that cannot load leaves the built-in label
        return None
    return None


def _epsilon(value: Any) -> str:
    eps = float(value)
    return "ε = ∞ (non-private)" if math.isinf(eps) else f"ε = {eps:g}"


def _representation(value: str) -> str:
    """A study's representation name: ``quantile_naive`` -> "quantile repair (naive groups)"."""
    if value in _KINDS:
        return _KINDS[value]
    for kind, text in _KINDS.items():
        rest = value[len(kind) + 1:] if value.startswith(kind + "_") else None
        if rest in _GROUPS:
            return f"{text} ({_GROUPS[rest]})"
    return readable(value)


def label(axis: str, value: Any = None) -> str:
    """Human label of an axis (``value`` None) or of one of its values.

    Datasets, protocols, budget splits, learners (a study's name: the label of the model or
    fair method of that name), representations, audits and metrics have their own labels;
    epsilon is ``ε = 1`` or ``ε = ∞ (non-private)``, the repair amount ``λ = 0.5``, the
    label-bias rate ``label bias 0.3``; any other value (a study's privatizer name, a
    plugin's entry) a readable form of the identifier.
    """
    if value is None:
        return AXIS_LABELS.get(axis, readable(axis))
    if _is_missing(value):
        return "n/a"
    if axis == "epsilon":
        return _epsilon(value)
    if axis == "amount":
        return f"λ = {float(value):g}"
    if axis == "bias_rate":
        return f"label bias {float(value):g}"
    if axis == "seed":
        return f"seed {value}"
    if axis == "group" and str(value) == "":
        return "all groups"
    text = str(value)
    if text == "none" and axis in ("privatizer", "protocol", "budget_split"):
        return NON_PRIVATE
    found = _registered(axis, text)
    if found:
        return found
    if axis in _VALUES and text in _VALUES[axis]:
        return _VALUES[axis][text]
    if axis == "protocol":
        if text.startswith("fair_rr"):  # fair_rr(prior=...,objective=...): the parameters kept
            return "fairness-aware RR" + text[len("fair_rr"):]
        return text.upper()
    if axis == "learner":  # a learner named after its model or fair method
        return _MODELS.get(text) or _METHODS.get(text) or readable(text)
    if axis == "representation":
        return _representation(text)
    return readable(text)
