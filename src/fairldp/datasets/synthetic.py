"""Synthetic data with exactly known distributions, for theory-vs-simulation checks.

Each generator returns a :class:`pandas.DataFrame` whose discrete columns are
:class:`pandas.Categorical` over a declared domain, and has a companion function returning
the exact distribution it samples from.

Randomness: every variable is drawn from its own stream
``make_rng(seed, "synthetic", name, variable)`` as uniforms (or standard normals) that are
then thresholded. Hence (i) a sample of size ``n`` is the prefix of a sample of size
``n' > n`` with the same seed, and (ii) changing a parameter changes only the variables that
depend on it (common random numbers, which makes parameter sweeps coupled).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fairldp.rng import make_rng

__all__ = [
    "MULTI_ATTRIBUTE_M_GIVEN_A",
    "MultiAttributeDistribution",
    "as_joint_table",
    "discrete_joint",
    "makhlouf_2024_example",
    "multi_attribute_distribution",
    "multi_attribute_scenario",
    "scenario",
    "scenario_distribution",
]

SUM_TOL = 1e-9  # tolerance on sum(p) == 1 for joint tables

# P(M = m | A = a) of the multi-attribute scenario, rows a = 0, 1, columns m = 0, 1, 2: the
# authors' generator (github KarimaMakhlouf/Impact_of_LDP_on_Fairness @76da4de,
# 1_Generating_Synthetic_Data.ipynb; docs/reproductions/published.md, section 2).
MULTI_ATTRIBUTE_M_GIVEN_A: tuple[tuple[float, float, float], tuple[float, float, float]] = (
    (0.5, 0.4, 0.1),
    (0.35, 0.4, 0.25),
)
_P_C1 = 0.35  # P(C = 1)
_P_A1_GIVEN_C = (0.55, 0.75)  # P(A = 1 | C = c), c = 0, 1
_COEF_C, _COEF_A, _COEF_M = 0.5, 0.75, 0.6  # Y* = 0.5 C + 0.75 A + 0.6 M + N(0, 1)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def _check_prob(name: str, x: float) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a probability in [0, 1], got {x!r}")
    x = float(x)
    if not (0.0 <= x <= 1.0):  # also rejects NaN
        raise ValueError(f"{name} must be a probability in [0, 1], got {x!r}")
    return x


def _categorical(codes: np.ndarray, domain: Sequence[Hashable]) -> pd.Categorical:
    """Categorical over ``domain`` from integer codes (no per-row work)."""
    return pd.Categorical.from_codes(codes, categories=list(domain))


def _binary(u: np.ndarray, p1: float | np.ndarray) -> np.ndarray:
    """Bernoulli(p1) codes 1[u < p1] (int8) from uniforms ``u``."""
    return (u < p1).astype(np.int8)


# --------------------------------------------------------------------------- (a) joint tables


def as_joint_table(
    table: Mapping[tuple[Hashable, ...], float] | pd.DataFrame,
    columns: Sequence[str] = ("A", "X", "Y"),
) -> pd.DataFrame:
    """Validate a joint probability table and return it in tidy form (variables..., ``p``).

    ``table`` is either a mapping ``{(a, x, y): p}`` whose keys follow ``columns``, or a tidy
    DataFrame with one column per variable and a column ``p`` (then ``columns`` is ignored and
    every column other than ``p`` is a variable). Cells must be distinct, ``p`` finite and
    ``>= 0``, and ``|sum(p) - 1| <= 1e-9``. The returned ``p`` is renormalised to sum to 1.
    """
    if isinstance(table, pd.DataFrame):
        if "p" not in table.columns:
            raise ValueError(f"joint table needs a column 'p', has {list(table.columns)}")
        variables = [c for c in table.columns if c != "p"]
        if not variables:
            raise ValueError("joint table needs at least one variable column besides 'p'")
        tidy = table[[*variables, "p"]].reset_index(drop=True).copy()
    elif isinstance(table, Mapping):
        variables = list(columns)
        rows = []
        for key, p in table.items():
            cell = key if isinstance(key, tuple) else (key,)
            if len(cell) != len(variables):
                raise ValueError(
                    f"joint table key {key!r} has {len(cell)} entries, expected "
                    f"{len(variables)} for columns {variables}"
                )
            rows.append((*cell, p))
        tidy = pd.DataFrame(rows, columns=[*variables, "p"])
    else:
        raise TypeError(f"table must be a mapping or a DataFrame, got {type(table).__name__}")

    if len(tidy) == 0:
        raise ValueError("joint table is empty")
    if tidy.duplicated(subset=variables).any():
        dup = tidy.loc[tidy.duplicated(subset=variables, keep=False), variables]
        raise ValueError(f"joint table has duplicate cells:\n{dup}")
    try:
        p = tidy["p"].to_numpy(dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"joint table probabilities must be numbers: {e}") from None
    if not np.all(np.isfinite(p)):
        raise ValueError("joint table probabilities must be finite")
    if np.any(p < 0):
        bad = tidy.loc[p < 0, [*variables, "p"]]
        raise ValueError(f"joint table probabilities must be >= 0, got:\n{bad}")
    total = float(p.sum())
    if abs(total - 1.0) > SUM_TOL:
        raise ValueError(
            f"joint table probabilities must sum to 1 (within {SUM_TOL:g}), got {total!r}"
        )
    tidy["p"] = p / total
    return tidy


def makhlouf_2024_example() -> pd.DataFrame:
    """Joint P(A, X, Y) of the running example of Makhlouf et al. (2024).

    P(A=0) = 0.3; X uniform on {0, 1}, independent of A; Y = 1[A=1 and X=1]. All 8 cells are
    listed (4 of probability 0), so the domains are {0, 1} for every variable.
    """
    p_a = {0: 0.3, 1: 0.7}
    rows = [
        (a, x, y, p_a[a] * 0.5 if y == int(a == 1 and x == 1) else 0.0)
        for a in (0, 1)
        for x in (0, 1)
        for y in (0, 1)
    ]
    return pd.DataFrame(rows, columns=["A", "X", "Y", "p"])


def discrete_joint(
    table: Mapping[tuple[Hashable, ...], float] | pd.DataFrame,
    n: int,
    seed: int,
    *,
    columns: Sequence[str] = ("A", "X", "Y"),
) -> pd.DataFrame:
    """``n`` i.i.d. draws from a joint probability table (see :func:`as_joint_table`).

    Inverse CDF over the cells in table order: with ``F`` the cumulative sums of ``p`` and
    ``U ~ Uniform[0, 1)``, the cell drawn is ``min{i : U < F_i}`` (cells of probability 0 are
    never drawn). Each variable becomes a Categorical whose domain is the values of that
    variable in the table, in order of first appearance, zero-probability cells included.
    Stream: ``make_rng(seed, "synthetic", "discrete_joint")``.
    """
    n = _check_n(n)
    tidy = as_joint_table(table, columns)
    variables = [c for c in tidy.columns if c != "p"]
    cdf = np.cumsum(tidy["p"].to_numpy())
    cdf[-1] = 1.0  # guard against rounding: every U < 1 falls in some cell
    u = make_rng(seed, "synthetic", "discrete_joint").random(n)
    cell = np.searchsorted(cdf, u, side="right")
    out = {}
    for v in variables:
        codes, domain = pd.factorize(tidy[v], sort=False)
        out[v] = _categorical(codes[cell], list(domain))
    return pd.DataFrame(out)


# ------------------------------------------------------------ (b) multi-attribute scenario


@dataclass(frozen=True, eq=False)
class MultiAttributeDistribution:
    """Exact distribution of :func:`multi_attribute_scenario` for one quantile.

    ``cells`` has one row per (C, A, M) with ``p`` = P(C, A, M), ``mean`` = E[Y* | C, A, M]
    and ``p_y1`` = P(Y = 1 | C, A, M) = Phi(mean - threshold).
    """

    quantile: float
    threshold: float
    cells: pd.DataFrame

    @property
    def p_y1(self) -> float:
        """P(Y = 1) = sum over cells of P(C, A, M) P(Y = 1 | C, A, M) (= 1 - quantile)."""
        return float((self.cells["p"] * self.cells["p_y1"]).sum())

    def joint(self) -> pd.DataFrame:
        """Tidy joint P(C, A, M, Y), usable as a table for :func:`discrete_joint`."""
        c = self.cells
        rows = []
        for y in (0, 1):
            py = c["p_y1"] if y == 1 else 1.0 - c["p_y1"]
            rows.append(c[["C", "A", "M"]].assign(Y=y, p=c["p"] * py))
        return pd.concat(rows, ignore_index=True)


def _multi_attribute_cells() -> pd.DataFrame:
    c, a, m = np.meshgrid([0, 1], [0, 1], [0, 1, 2], indexing="ij")
    c, a, m = c.ravel(), a.ravel(), m.ravel()
    p_c = np.where(c == 1, _P_C1, 1.0 - _P_C1)
    p_a1 = np.asarray(_P_A1_GIVEN_C)[c]
    p_a = np.where(a == 1, p_a1, 1.0 - p_a1)
    p_m = np.asarray(MULTI_ATTRIBUTE_M_GIVEN_A)[a, m]
    mean = _COEF_C * c + _COEF_A * a + _COEF_M * m
    return pd.DataFrame({"C": c, "A": a, "M": m, "p": p_c * p_a * p_m, "mean": mean})


def multi_attribute_distribution(quantile: float = 0.5) -> MultiAttributeDistribution:
    """Exact P(C, A, M) and P(Y = 1 | C, A, M) of :func:`multi_attribute_scenario`.

    Y* given (C, A, M) is N(mu, 1) with mu = 0.5 C + 0.75 A + 0.6 M, so Y* is a mixture of 12
    unit-variance normals with CDF F(t) = sum_cells P(cell) Phi(t - mu_cell). The threshold is
    t = F^{-1}(quantile) (Brent's method on F), hence P(Y = 1) = 1 - quantile exactly and
    P(Y = 1 | cell) = Phi(mu_cell - t).
    """
    from scipy.optimize import brentq
    from scipy.special import ndtr

    q = _check_prob("quantile", quantile)
    if not (0.0 < q < 1.0):
        raise ValueError(f"quantile must be in the open interval (0, 1), got {quantile!r}")
    cells = _multi_attribute_cells()
    w, mu = cells["p"].to_numpy(), cells["mean"].to_numpy()

    def excess(t: float) -> float:
        return float(np.dot(w, ndtr(t - mu))) - q

    # Phi(-40) underflows to 0 and Phi(40) rounds to 1, so F - q < 0 at lo and > 0 at hi for
    # every q in (0, 1): the bracket is valid without a search.
    lo, hi = float(mu.min()) - 40.0, float(mu.max()) + 40.0
    t = float(brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))
    cells["p_y1"] = ndtr(mu - t)
    return MultiAttributeDistribution(quantile=q, threshold=t, cells=cells)


def multi_attribute_scenario(
    n: int, seed: int, *, quantile: float = 0.5, latent: bool = False
) -> pd.DataFrame:
    """Three sensitive attributes and a thresholded outcome (Makhlouf et al. 2023).

    Makhlouf, Arcolezi, Zhioua, Ben Brahim & Palamidessi, "On the impact of multi-dimensional
    local differential privacy on fairness" (arXiv:2312.04404; DMKD 2024)::

        C ~ Bern(0.35)
        A | C ~ Bern(0.55 if C = 0 else 0.75)
        M | A ~ Categorical on {0, 1, 2}: (0.5, 0.4, 0.1) if A = 0, (0.35, 0.4, 0.25) if A = 1
        Y* = 0.5 C + 0.75 A + 0.6 M + N(0, 1),   Y = 1[Y* > t]

    with t the ``quantile`` of the exact (mixture) distribution of Y*, so P(Y = 1) = 1 -
    quantile (:data:`MULTI_ATTRIBUTE_M_GIVEN_A`: the authors' code). The authors min-max scale
    Y* of their sample and threshold it at its 25%, 50% and 75% quantiles (their files S1_0.44,
    S1_0.52, S1_0.6, named after the scaled thresholds): the same labels as ``quantile`` 0.25,
    0.5, 0.75 up to the sample quantile's error. Columns C, A, M, Y are Categorical over {0, 1},
    {0, 1}, {0, 1, 2}, {0, 1}; ``latent=True`` adds the float column ``Y_star``. The exact
    distribution is :func:`multi_attribute_distribution`.
    """
    n = _check_n(n)
    dist = multi_attribute_distribution(quantile)

    def stream(var: str) -> np.random.Generator:
        return make_rng(seed, "synthetic", "multi_attribute", var)

    c = _binary(stream("C").random(n), _P_C1)
    a = _binary(stream("A").random(n), np.asarray(_P_A1_GIVEN_C)[c])
    cdf_m = np.cumsum(np.asarray(MULTI_ATTRIBUTE_M_GIVEN_A), axis=1)  # (2, 3)
    u_m = stream("M").random(n)
    m = (u_m[:, None] >= cdf_m[a, :-1]).sum(axis=1).astype(np.int8)  # inverse CDF per row
    y_star = _COEF_C * c + _COEF_A * a + _COEF_M * m + stream("noise").standard_normal(n)
    y = (y_star > dist.threshold).astype(np.int8)
    out = pd.DataFrame(
        {
            "C": _categorical(c, (0, 1)),
            "A": _categorical(a, (0, 1)),
            "M": _categorical(m, (0, 1, 2)),
            "Y": _categorical(y, (0, 1)),
        }
    )
    if latent:
        out["Y_star"] = y_star
    return out


# -------------------------------------------------------------- (c) configurable scenario


def _check_scenario_args(
    p_group: float, base_rates: Sequence[float], proxy_strength: float
) -> tuple[float, tuple[float, float], float]:
    p_group = _check_prob("p_group", p_group)
    if isinstance(base_rates, str) or len(base_rates) != 2:
        raise ValueError(f"base_rates must be a pair (P(Y=1|A=0), P(Y=1|A=1)), got {base_rates!r}")
    rates = (
        _check_prob("base_rates[0]", base_rates[0]),
        _check_prob("base_rates[1]", base_rates[1]),
    )
    return p_group, rates, _check_prob("proxy_strength", proxy_strength)


def scenario_distribution(
    *,
    p_group: float = 0.3,
    base_rates: Sequence[float] = (0.3, 0.5),
    proxy_strength: float = 0.8,
) -> pd.DataFrame:
    """Exact joint P(A, Xp, Y) of :func:`scenario`, tidy (A, Xp, Y, p), 8 rows.

    P(A=a, Xp=x, Y=y) = P(A=a) P(Xp=x | A=a) P(Y=y | A=a), with P(A=1) = p_group,
    P(Xp = A) = proxy_strength and P(Y=1 | A=a) = base_rates[a]. The noise features are
    independent of these and uniform on {0, 1}, so they are left out of the table.
    """
    p_group, rates, s = _check_scenario_args(p_group, base_rates, proxy_strength)
    rows = []
    for a in (0, 1):
        pa = p_group if a == 1 else 1.0 - p_group
        for x in (0, 1):
            px = s if x == a else 1.0 - s
            for y in (0, 1):
                py = rates[a] if y == 1 else 1.0 - rates[a]
                rows.append((a, x, y, pa * px * py))
    return pd.DataFrame(rows, columns=["A", "Xp", "Y", "p"])


def scenario(
    n: int,
    seed: int,
    *,
    p_group: float = 0.3,
    base_rates: Sequence[float] = (0.3, 0.5),
    proxy_strength: float = 0.8,
    n_features: int = 1,
) -> pd.DataFrame:
    """Group imbalance, base-rate gap and a proxy of the protected attribute.

    ::

        A ~ Bern(p_group)                                  (group imbalance)
        Y | A = a ~ Bern(base_rates[a])                    (base-rate gap)
        Xp = A with probability proxy_strength, else 1 - A, independently of Y given A
        Xn1, ..., Xn{n_features} ~ Bern(0.5) i.i.d., independent of everything

    so P(A, Xp, Y, Xn) = P(A) P(Xp | A) P(Y | A) 2^-n_features (see
    :func:`scenario_distribution`). The mutual information between Xp and A grows with
    ``|proxy_strength - 1/2|``. All columns are Categorical over {0, 1}, in the order A, Xp,
    Xn1.., Y.
    """
    n = _check_n(n)
    p_group, rates, s = _check_scenario_args(p_group, base_rates, proxy_strength)
    if isinstance(n_features, bool) or not isinstance(n_features, int | np.integer):
        raise ValueError(f"n_features must be a non-negative integer, got {n_features!r}")
    if n_features < 0:
        raise ValueError(f"n_features must be a non-negative integer, got {n_features!r}")

    def stream(*var: str | int) -> np.random.Generator:
        return make_rng(seed, "synthetic", "scenario", *var)

    a = _binary(stream("A").random(n), p_group)
    y = _binary(stream("Y").random(n), np.asarray(rates)[a])
    same = stream("Xp").random(n) < s
    xp = np.where(same, a, 1 - a).astype(np.int8)
    out = {"A": _categorical(a, (0, 1)), "Xp": _categorical(xp, (0, 1))}
    for j in range(1, int(n_features) + 1):
        out[f"Xn{j}"] = _categorical(_binary(stream("Xn", j).random(n), 0.5), (0, 1))
    out["Y"] = _categorical(y, (0, 1))
    return pd.DataFrame(out)


# ------------------------------------------------------- registry entries (config-selectable)


def _as_prepared(df: pd.DataFrame, target: str = "Y") -> pd.DataFrame:
    """Sensitive/feature columns as Categoricals, the target as int8 (the prepared format)."""
    out = df.copy()
    out[target] = out[target].astype("int64").astype("int8")
    return out


def _joint_generator(
    n: int = 20_000,
    seed: int = 0,
    table: Sequence[Sequence[float]] | None = None,
    x_domain: Sequence[int] = (0, 1),
) -> pd.DataFrame:
    """Draws of a joint P(A, X, Y) (binary A and Y, X in ``x_domain``) given as rows
    ``[a, x, y, p]`` (default: the Makhlouf et al. 2024 example); every cell of the domains is
    listed, the absent ones with probability 0, so that the categories are the domains."""
    joint = (
        makhlouf_2024_example()
        if table is None
        else pd.DataFrame([list(r) for r in table], columns=["A", "X", "Y", "p"])
    )
    domains = {"A": (0, 1), "X": tuple(x_domain), "Y": (0, 1)}
    for col, domain in domains.items():
        if not set(joint[col]) <= set(domain):
            raise ValueError(f"synthetic table: column {col} must hold values of {list(domain)}")
    joint = joint.astype({"A": int, "X": int, "Y": int})
    full = pd.MultiIndex.from_product(list(domains.values()), names=list(domains))
    joint = joint.set_index(["A", "X", "Y"])["p"].reindex(full, fill_value=0.0).reset_index()
    return _as_prepared(discrete_joint(joint, n, seed))


def _joint3_generator(
    n: int = 20_000, seed: int = 0, table: Sequence[Sequence[float]] | None = None
) -> pd.DataFrame:
    if table is None:
        raise ValueError("synthetic_joint3 has no default table: give synthetic.synthetic_joint3"
                         ".table, rows [a, x, y, p] with x in {0, 1, 2}")  # fmt: skip
    return _joint_generator(n, seed, table, x_domain=(0, 1, 2))


def _multi_generator(n: int = 20_000, seed: int = 0, quantile: float = 0.5) -> pd.DataFrame:
    return _as_prepared(multi_attribute_scenario(n, seed, quantile=quantile))


def _scenario_generator(
    n: int = 20_000,
    seed: int = 0,
    p_group: float = 0.3,
    base_rates: Sequence[float] = (0.3, 0.5),
    proxy_strength: float = 0.8,
) -> pd.DataFrame:
    return _as_prepared(
        scenario(
            n, seed, p_group=p_group, base_rates=base_rates,
            proxy_strength=proxy_strength, n_features=2,
        )
    )  # fmt: skip


def _register_synthetic() -> None:
    from fairldp.datasets.registry import Attribute, DatasetSpec, register

    binary = (0, 1)
    common = {
        "raw_files": (),
        "licence": "generated (no licence needed)",
        "parser": lambda files, spec: pd.DataFrame(),
        "target": "Y",
        "positive_label": "1",
        "preprocessing": __doc__ or "",
    }
    register(
        DatasetSpec(
            name="synthetic_joint",
            title="Discrete joint table P(A, X, Y) (Makhlouf et al. 2024 example by default)",
            citation="Makhlouf, K., Arcolezi, H. H., Zhioua, S., Ben Brahim, G. & Palamidessi, "
            "C. (2024). On the impact of multi-dimensional local differential privacy on fairness.",
            protected="A",
            sensitive=(Attribute("A", binary),),
            categorical=(Attribute("X", binary),),
            numeric=(),
            generator=_joint_generator,
            **common,  # type: ignore[arg-type]
        )
    )
    register(
        DatasetSpec(
            name="synthetic_joint3",
            title="Discrete joint table P(A, X, Y) with X in {0, 1, 2} (the study's table)",
            citation="Makhlouf, K., Stefanović, T., Arcolezi, H. H. & Palamidessi, C. (2024). "
            "A systematic and formal study of the impact of local differential privacy on "
            "fairness: preliminary results. arXiv:2405.14725 (scenario S3).",
            protected="A",
            sensitive=(Attribute("A", binary),),
            categorical=(Attribute("X", (0, 1, 2)),),
            numeric=(),
            generator=_joint3_generator,
            **common,  # type: ignore[arg-type]
        )
    )
    register(
        DatasetSpec(
            name="synthetic_multi",
            title="Multi-attribute scenario C, A, M -> Y (Makhlouf et al. 2023)",
            citation="Makhlouf, K. et al. (2023). On the impact of multi-dimensional local "
            "differential privacy on fairness. arXiv:2312.04404.",
            protected="A",
            sensitive=(
                Attribute("A", binary),
                Attribute("C", binary),
                Attribute("M", (0, 1, 2)),
            ),
            categorical=(),
            numeric=(),
            generator=_multi_generator,
            **common,  # type: ignore[arg-type]
        )
    )
    register(
        DatasetSpec(
            name="synthetic_scenario",
            title="Group imbalance, base-rate gap and a proxy of A",
            citation="fairldp (this package): fairldp.datasets.synthetic.scenario.",
            protected="A",
            sensitive=(Attribute("A", binary),),
            categorical=(
                Attribute("Xp", binary),
                Attribute("Xn1", binary),
                Attribute("Xn2", binary),
            ),
            numeric=(),
            generator=_scenario_generator,
            **common,  # type: ignore[arg-type]
        )
    )


_register_synthetic()
