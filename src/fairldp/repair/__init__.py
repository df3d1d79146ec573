"""Fair representations of features, from true or privatized groups.

- :class:`QuantileRepair` (per-feature 1-D barycenter repair) and :class:`OTRepair`
  (multivariate, POT) map the group-conditional feature distributions onto their Wasserstein
  barycenter (Gordaliza et al., ICML 2019), fully or partially (Feldman et al., KDD 2015);
- :func:`group_weights` estimates the group distributions from a privatized label with a known
  channel ``T[a, z] = P(Z=z | A=a)`` (naive, deconvolution, posterior);
- baselines: :class:`CorrelationRemoverRepair` (fairlearn's CorrelationRemover, optionally
  corrected through ``T``) and :class:`LearnedFairRepresentation` (Zemel et al., ICML 2013,
  analytic gradient);
- :class:`FairEncoder`: fairldp's own learned representation, class-conditionally invariant
  to a group seen only through an LDP channel (debiased U-statistic penalty; PyTorch);
- :func:`attribute_leakage`, :func:`cross_fitted_leakage`: how well the TRUE attribute can
  be inferred from a representation (evaluation side).
"""

from fairldp.repair.baselines import CorrelationRemoverRepair
from fairldp.repair.encoder import FairEncoder
from fairldp.repair.groups import (
    GROUP_METHODS,
    GroupPosterior,
    deconvolution_weights,
    group_weights,
    project_rows_simplex,
)
from fairldp.repair.leakage import attribute_leakage, cross_fitted_leakage
from fairldp.repair.lfr import LearnedFairRepresentation
from fairldp.repair.ot import OTRepair, QuantileRepair

__all__ = [
    "GROUP_METHODS",
    "CorrelationRemoverRepair",
    "FairEncoder",
    "GroupPosterior",
    "LearnedFairRepresentation",
    "OTRepair",
    "QuantileRepair",
    "attribute_leakage",
    "cross_fitted_leakage",
    "deconvolution_weights",
    "group_weights",
    "project_rows_simplex",
]
