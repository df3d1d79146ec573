"""Fair learning from a locally privatized sensitive attribute.

- :mod:`fairldp.fair.noise`: the channel ``A -> Z`` of an LDP protocol (:func:`decode`,
  exact :func:`transition_matrix`, :class:`NoiseModel` with :meth:`NoiseModel.recover`);
- :mod:`fairldp.fair.methods`: fair classifiers trained on the decoded attribute ``Z`` only
  (:func:`~fairldp.fair.methods.make_method`; imported on demand, it loads scikit-learn);
- :mod:`fairldp.fair.transfer`: geometric transfer between groups by optimal transport
  (``ot_transfer``: learn where the labels are reliable, transport the other groups there);
- :mod:`fairldp.fair.arl`: adversarially reweighted learning (``arl``, Lahoti et al. 2020),
  which uses no group at all (``uses_groups=False``; PyTorch, the extra ``dpsgd``).

:data:`METHODS` is the registry of fair methods (name -> estimator class built as
``cls(noise_model, base_model, random_state, **fixed, **params)``). The built-in names are
declared here with their light facts (``fixed`` constructor arguments, ``needs_noise_model``,
``uses_groups``) and imported from :mod:`fairldp.fair.methods` on first use, so that a study
file is checked without importing scikit-learn. A new method is a registered class::

    @METHODS.register("my_method", needs_noise_model=True)
    class MyMethod(fairldp.fair.methods.FairMethod): ...  # _fit(X, y, z), _proba1(X, z)
"""

from fairldp.registry import Registry

#: fair method name -> estimator class (see the module docstring)
METHODS: Registry[type] = Registry("fair method")


_DP, _EO, _TPR = "demographic_parity", "equalized_odds", "true_positive_rate_parity"
#: built-in methods: name, class in fairldp.fair.methods, needs a noise model, fixed arguments
_BUILTIN: tuple[tuple[str, str, bool, dict[str, object]], ...] = (
    ("unaware", "Unaware", False, {}),
    ("plain", "Plain", False, {}),
    ("expgrad_dp", "NaiveExpGrad", False, {"constraint": _DP}),
    ("expgrad_eo", "NaiveExpGrad", False, {"constraint": _EO}),
    ("expgrad_tpr", "NaiveExpGrad", False, {"constraint": _TPR}),
    ("threshold_dp", "NaiveThreshold", False, {"constraint": _DP}),
    ("threshold_eo", "NaiveThreshold", False, {"constraint": _EO}),
    ("corrected_expgrad_dp", "CorrectedExpGrad", True, {"constraint": _DP}),
    ("corrected_expgrad_eo", "CorrectedExpGrad", True, {"constraint": _EO}),
    ("corrected_expgrad_tpr", "CorrectedExpGrad", True, {"constraint": _TPR}),
    ("postproc_naive_eo", "TwoStepPostProcessing", False, {"constraint": _EO, "corrected": False}),
    ("postproc_naive_dp", "TwoStepPostProcessing", False, {"constraint": _DP, "corrected": False}),
    ("corrected_postproc_eo", "TwoStepPostProcessing", True, {"constraint": _EO}),
    ("corrected_postproc_dp", "TwoStepPostProcessing", True, {"constraint": _DP}),
    ("corrected_threshold_eo", "CorrectedThreshold", True, {"constraint": _EO}),
    ("corrected_threshold_dp", "CorrectedThreshold", True, {"constraint": _DP}),
    ("reweigh", "Reweighing", False, {"corrected": False}),
    ("corrected_reweigh", "Reweighing", True, {"corrected": True}),
    *((f"{pre}floor_{rate}", "CorrectedThreshold", noise, {"constraint": f"{rate}_floor"})
      for rate in ("recall", "precision", "accuracy")
      for pre, noise in (("", False), ("corrected_", True))),
    ("minimax_accuracy", "CorrectedThreshold", False, {"constraint": "minimax_accuracy"}),
    ("corrected_minimax_accuracy", "CorrectedThreshold", True,
     {"constraint": "minimax_accuracy"}),
)
for _name, _cls, _noise, _fixed in _BUILTIN:
    METHODS.register_lazy(_name, f"fairldp.fair.methods:{_cls}", fixed=_fixed,
                          needs_noise_model=_noise, uses_groups=_name != "unaware")  # fmt: skip
# geometric transfer by optimal transport (fairldp.fair.transfer)
METHODS.register_lazy("ot_transfer", "fairldp.fair.transfer:OTTransfer", fixed={},
                      needs_noise_model=False, uses_groups=True)  # fmt: skip
# adversarially reweighted learning (fairldp.fair.arl): no sensitive attribute at all
METHODS.register_lazy("arl", "fairldp.fair.arl:ARL", fixed={}, needs_noise_model=False,
                      uses_groups=False)  # fmt: skip

from fairldp.fair.noise import (  # noqa: E402
    MAX_CONDITION,
    TIE_BREAKS,
    NoiseModel,
    NoiseModelError,
    decode,
    transition_matrix,
)

__all__ = [
    "MAX_CONDITION",
    "METHODS",
    "TIE_BREAKS",
    "NoiseModel",
    "NoiseModelError",
    "decode",
    "transition_matrix",
]
