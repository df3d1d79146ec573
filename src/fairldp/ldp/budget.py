"""Spending one privacy budget on several sensitive attributes: the budget splits.

By sequential composition, perturbing ``d`` attributes independently with budgets
``eps_1, ..., eps_d`` is ``sum(eps_j)``-LDP. :data:`BUDGET_SPLITS` (Arcolezi et al., DBSec
2023; Wang et al., ICDE 2019):

- ``uniform``: ``eps_j = eps / d``;
- ``k_based``: ``eps_j = eps * k_j / sum(k)``, more budget for larger domains;
- ``combined``: one protocol on the product domain with the whole ``eps``;
- ``sampling``: each user reports one uniformly sampled attribute with the whole ``eps``.

:func:`split_budget` gives the per-attribute budgets of the two composition splits; the
others are implemented by :func:`fairldp.ldp.privatize`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fairldp.ldp.validation import check_domain_size, check_epsilon

__all__ = ["BUDGET_SPLITS", "split_budget"]

BUDGET_SPLITS = ("uniform", "k_based", "combined", "sampling")


def split_budget(epsilon: float, domain_sizes: Sequence[int], budget_split: str) -> list[float]:
    """Per-attribute budgets that sum to ``epsilon`` for attributes with the given domain sizes."""
    eps = check_epsilon(epsilon)
    if len(domain_sizes) == 0:
        raise ValueError("domain_sizes is empty: at least one sensitive attribute is needed")
    ks = np.array([check_domain_size(k, name="domain_sizes[]") for k in domain_sizes], dtype=float)
    if budget_split == "uniform":
        shares = np.full(ks.size, 1.0 / ks.size)
    elif budget_split == "k_based":
        shares = ks / ks.sum()
    else:
        raise ValueError(
            f"split_budget gives per-attribute budgets of 'uniform' and 'k_based', got "
            f"{budget_split!r} (the budget splits are {list(BUDGET_SPLITS)})"
        )
    return [float(eps * s) for s in shares]
