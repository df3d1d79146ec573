"""Local differential privacy: protocols, frequency estimation and budget splits."""

from fairldp.ldp.budget import BUDGET_SPLITS, split_budget
from fairldp.ldp.grr import GRR
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon

__all__ = [
    "BUDGET_SPLITS",
    "GRR",
    "check_codes",
    "check_domain_size",
    "check_epsilon",
    "split_budget",
]
