"""Local differential privacy: protocols, frequency estimation and budget splits.

Every protocol is built as ``get_protocol(name, epsilon, k)`` (or its class) and offers
``perturb(x, rng)``, ``estimate(reports, method)``, ``variance(f, n)``, ``encode(reports)``,
``pack(reports)`` and the estimation-only ``sample_support(counts, rng)``; see
:mod:`fairldp.ldp.base`. Several attributes: :func:`privatize` in :mod:`fairldp.ldp.multi`.
"""

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol, PureProtocol, true_counts
from fairldp.ldp.budget import BUDGET_SPLITS, split_budget
from fairldp.ldp.estimators import ESTIMATION_METHODS, ibu, project_simplex
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE, THE
from fairldp.ldp.lh import BLH, OLH, LocalHashing
from fairldp.ldp.multi import (
    PrivatizedAttributes,
    PrivatizedColumn,
    combine_codes,
    privatize,
    privatize_column,
    split_codes,
)
from fairldp.ldp.registry import PROTOCOLS, get_protocol
from fairldp.ldp.reports import BitReports, HashReports
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import OUE, SUE, UnaryEncoding
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon

__all__ = [
    "ADP",
    "BLH",
    "BUDGET_SPLITS",
    "ESTIMATION_METHODS",
    "GRR",
    "OLH",
    "OUE",
    "PROTOCOLS",
    "SHE",
    "SS",
    "SUE",
    "THE",
    "BitReports",
    "FrequencyProtocol",
    "HashReports",
    "LocalHashing",
    "PrivatizedAttributes",
    "PrivatizedColumn",
    "PureProtocol",
    "UnaryEncoding",
    "check_codes",
    "check_domain_size",
    "check_epsilon",
    "combine_codes",
    "get_protocol",
    "ibu",
    "privatize",
    "privatize_column",
    "project_simplex",
    "split_budget",
    "split_codes",
    "true_counts",
]
