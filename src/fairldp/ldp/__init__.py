"""Local differential privacy: protocols, frequency estimation and budget splits.

Every protocol is built as ``get_protocol(name, epsilon, k)`` (or its class), with ``epsilon``
in ``[EPSILON_MIN, EPSILON_MAX] = [1e-6, 1000]``, and offers ``perturb(x, rng)``,
``estimate(reports, method)``, ``variance(f, n)``, ``encode(reports)``, ``pack(reports)`` and
the estimation-only ``sample_support(counts, rng)``; see :mod:`fairldp.ldp.base`. Every
``perturb`` returns a :class:`Reports` (``len``, ``k``, ``rows``, ``iter_rows``,
``column_sums``; :mod:`fairldp.ldp.reports`). Several attributes: :func:`privatize` in
:mod:`fairldp.ldp.multi`. One bounded numeric value per user: the mechanisms of
:mod:`fairldp.ldp.numeric` (Duchi et al.; Piecewise and Hybrid, Wang et al. ICDE 2019), built
as ``get_numeric_mechanism(name, epsilon, low, high)``. Labels: :class:`LabelRR` and
:class:`RRWithPrior` of :mod:`fairldp.ldp.label` (Ghazi et al., NeurIPS 2021). How often the
Bayes-optimal adversary recovers a user's value from one report, per protocol, epsilon and
prior: :func:`attack_success` of :mod:`fairldp.ldp.attacks` (Arcolezi & Gambs 2025). A whole
record (sensitive attributes, features and label under one budget and one ledger):
:func:`privatize_record` of :mod:`fairldp.ldp.record` (Wang et al. ICDE 2019). The eps-LDP
channel of the group attribute chosen for fair learning (smallest worst-group variance of the
recovered group frequencies for a public prior): :class:`FairRR` (``fair_rr``) of
:mod:`fairldp.ldp.fairaware`.
"""

from fairldp.ldp.adp import ADP
from fairldp.ldp.attacks import (
    HASH_MODELS,
    attack_bound,
    attack_success,
    attack_table,
    empirical_attack_success,
)
from fairldp.ldp.base import FrequencyProtocol, PureProtocol, true_counts
from fairldp.ldp.budget import BUDGET_SPLITS, split_budget
from fairldp.ldp.estimators import ESTIMATION_METHODS, ibu, project_simplex
from fairldp.ldp.fairaware import FairRR, optimal_mechanism
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE, THE
from fairldp.ldp.label import LabelRR, RRWithPrior, check_prior
from fairldp.ldp.lh import BLH, OLH, LocalHashing
from fairldp.ldp.multi import (
    MAX_REPORT_BYTES,
    PrivatizedAttributes,
    PrivatizedColumn,
    combine_codes,
    privatize,
    privatize_column,
    split_codes,
)
from fairldp.ldp.numeric import (
    EPS_STAR,
    NUMERIC_MECHANISMS,
    Duchi,
    Hybrid,
    NumericMechanism,
    Piecewise,
    get_numeric_mechanism,
)
from fairldp.ldp.record import (
    RECORD_SPLITS,
    ColumnSpec,
    PrivatizedRecord,
    privatize_record,
    record_budgets,
)
from fairldp.ldp.registry import PROTOCOLS, get_protocol
from fairldp.ldp.reports import BitReports, CodeReports, HashReports, Reports, VectorReports
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import OUE, SUE, UnaryEncoding
from fairldp.ldp.validation import (
    EPSILON_MAX,
    EPSILON_MIN,
    check_codes,
    check_domain_size,
    check_epsilon,
    check_n_users,
)

__all__ = [
    "ADP",
    "BLH",
    "BUDGET_SPLITS",
    "EPSILON_MAX",
    "EPSILON_MIN",
    "EPS_STAR",
    "ESTIMATION_METHODS",
    "GRR",
    "HASH_MODELS",
    "MAX_REPORT_BYTES",
    "NUMERIC_MECHANISMS",
    "OLH",
    "OUE",
    "PROTOCOLS",
    "RECORD_SPLITS",
    "SHE",
    "SS",
    "SUE",
    "THE",
    "BitReports",
    "CodeReports",
    "ColumnSpec",
    "Duchi",
    "FairRR",
    "FrequencyProtocol",
    "HashReports",
    "Hybrid",
    "LabelRR",
    "LocalHashing",
    "NumericMechanism",
    "Piecewise",
    "PrivatizedAttributes",
    "PrivatizedColumn",
    "PrivatizedRecord",
    "PureProtocol",
    "RRWithPrior",
    "Reports",
    "UnaryEncoding",
    "VectorReports",
    "attack_bound",
    "attack_success",
    "attack_table",
    "check_codes",
    "check_domain_size",
    "check_epsilon",
    "check_n_users",
    "check_prior",
    "combine_codes",
    "empirical_attack_success",
    "get_numeric_mechanism",
    "get_protocol",
    "ibu",
    "optimal_mechanism",
    "privatize",
    "privatize_column",
    "privatize_record",
    "project_simplex",
    "record_budgets",
    "split_budget",
    "split_codes",
    "true_counts",
]
