"""Splitting one privacy budget over several sensitive attributes.

By sequential composition, perturbing ``d`` attributes independently with budgets
``eps_1, ..., eps_d`` is ``sum(eps_j)``-LDP. The splits of Arcolezi et al. (DBSec 2023):

- ``uniform``: ``eps_j = eps / d``;
- ``k_based``: ``eps_j = eps * k_j / sum(k)``, more budget for larger domains.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fairldp.ldp.validation import check_domain_size, check_epsilon

__all__ = ["BUDGET_SPLITS", "split_budget"]

BUDGET_SPLITS = ("uniform", "k_based")


def split_budget(epsilon: float, domain_sizes: Sequence[int], method: str) -> list[float]:
    """Per-attribute budgets that sum to ``epsilon`` for attributes with the given domain sizes."""
    eps = check_epsilon(epsilon)
    if len(domain_sizes) == 0:
        raise ValueError("domain_sizes is empty: at least one sensitive attribute is needed")
    ks = np.array([check_domain_size(k, name="domain_sizes[]") for k in domain_sizes], dtype=float)
    if method == "uniform":
        shares = np.full(ks.size, 1.0 / ks.size)
    elif method == "k_based":
        shares = ks / ks.sum()
    else:
        raise ValueError(f"budget split must be one of {list(BUDGET_SPLITS)}, got {method!r}")
    return [float(eps * s) for s in shares]
