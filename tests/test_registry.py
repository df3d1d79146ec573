"""Registries: names, lazy entries, replacement and the errors that name the closest entry."""

from __future__ import annotations

import sys

import pytest

from fairldp.registry import Registry, UnknownNameError


def test_register_get_and_order() -> None:
    reg: Registry[int] = Registry("widget")
    reg.register("one", 1)

    @reg.register("two", colour="blue")
    def two() -> int:
        return 2

    assert reg.names() == ["one", "two"] and list(reg) == ["one", "two"] and len(reg) == 2
    assert reg["one"] == 1 and reg.get("two") is two and "two" in reg and "three" not in reg
    assert reg.meta("two") == {"colour": "blue"}
    with pytest.raises(ValueError, match="widget 'one' is registered twice"):
        reg.register("one", 3)
    reg.register("one", 3, replace=True)
    assert reg["one"] == 3


def test_unknown_name_suggests_the_closest() -> None:
    reg: Registry[int] = Registry("widget")
    reg.register("logistic_regression", 1)
    with pytest.raises(UnknownNameError) as err:
        reg.get("logistic_regresion")
    assert str(err.value) == (
        "unknown widget 'logistic_regresion' (did you mean 'logistic_regression'?); "
        "registered: ['logistic_regression']"
    )
    assert isinstance(err.value, KeyError) and isinstance(err.value, ValueError)


def test_lazy_entries_are_imported_on_first_use() -> None:
    reg: Registry[object] = Registry("thing")
    reg.register_lazy("decoder", "json:JSONDecoder", light=True)
    reg.register_lazy("absent", "fairldp_no_such_module:X")
    assert reg.names() == ["decoder", "absent"] and reg.meta("decoder") == {"light": True}
    import json

    assert reg.get("decoder") is json.JSONDecoder
    with pytest.raises(ModuleNotFoundError):
        reg.get("absent")
    with pytest.raises(ValueError, match="must be 'module:attribute'"):
        reg.register_lazy("bad", "json")


def test_loader_runs_once_before_the_first_lookup() -> None:
    calls = []
    reg: Registry[int] = Registry("thing", loader=lambda: calls.append(1) or reg.register("a", 1))
    assert calls == []
    assert reg.names() == ["a"] and reg["a"] == 1
    assert calls == [1]


def test_fair_methods_are_named_without_importing_scikit_learn() -> None:
    """The DAG build checks learner names against METHODS; that must not import sklearn."""
    import subprocess

    code = ("import sys; from fairldp.fair import METHODS; n = METHODS.names(); "
            "assert 'corrected_postproc_eo' in n and METHODS.meta('corrected_postproc_eo')"
            "['needs_noise_model']; print('sklearn' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_builtin_registries_are_populated() -> None:
    from fairldp.audits import AUDITS
    from fairldp.datasets import REGISTRY
    from fairldp.fair import METHODS
    from fairldp.figures import FIGURE_KINDS
    from fairldp.ldp import PROTOCOLS
    from fairldp.metrics import METRICS
    from fairldp.models import MODELS
    from fairldp.representations import REPRESENTATIONS

    assert {"adult", "german", "compas", "synthetic_joint"} <= set(REGISTRY)
    assert list(PROTOCOLS) == ["grr", "sue", "oue", "blh", "olh", "ss", "the", "she", "adp",
                               "fair_rr"]
    assert list(MODELS) == ["lightgbm", "logistic_regression", "dpsgd", "cell_bayes"]
    assert len(METHODS) == 28
    assert list(REPRESENTATIONS) == ["fair_encoder", "identity", "lfr", "quantile", "ot",
                                     "correlation_remover", "xie"]
    assert list(AUDITS) == ["utility", "fairness_true", "fairness_privatized",
                            "attribute_recovery", "group_rates", "intersectional_rates",
                            "leakage", "leakage_strong", "membership", "membership_shadow"]
    assert "equalized_odds_difference" in METRICS
    assert set(FIGURE_KINDS) == {"budget", "frontier", "levelling", "lines", "pareto", "theory"}
