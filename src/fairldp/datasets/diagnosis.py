"""Registry-study simulator: a true condition, a recorded diagnosis, and exact ground truth.

A diagnostic registry records a diagnosis ``Y`` that is a biased copy of the true condition
``D``: a true case is missed (recorded 0) more often in a disadvantaged group (under-diagnosis,
measured as a per-group false-negative rate: Seyyed-Kalantari et al. 2021) and among patients
with poor access to care (the recorded outcome reflects care received, not need: Obermeyer et
al. 2019). This is the labelling bias of Blum & Stangl (2020) with a group- and
access-dependent rate. Every row is drawn i.i.d.::

    A ~ Bern(p_group)                                     group (e.g. sex)
    S ~ Uniform{0, .., n_sites - 1}    (S = site if given) site / hospital
    R | A = a ~ Bern(p_access[a])                          access to care (1 = good)
    D | A = a ~ Bern(prevalence[a])                        true condition, D indep. of (S, R) | A
    C | D = d ~ Categorical on {0, 1, 2}: C_GIVEN_D[d]    symptom score
    X | D, A, S ~ N(signal D delta + group_shift A g + site_shift S v, Sigma)   X = (X1, X2, X3)
    u(a, r) = 1 - (1 - underdiagnosis 1[a = group]) (1 - access_effect 1[r = 0])
    Y = D 1[U >= u(A, R)] + (1 - D) 1[U' < false_positive]   recorded diagnosis

with ``delta`` = :data:`DELTA`, ``g`` = :data:`GROUP_DIRECTION`, ``v`` = :data:`SITE_DIRECTION`,
``Sigma`` = :data:`COVARIANCE` and U, U' independent uniforms. Why this form (features drawn
given the condition, a shared covariance, access acting on the record only, a noisy-OR of the
two miss mechanisms):

- the per-group prevalence P(D=1 | A=a) = prevalence[a] is a parameter, not an integral;
- the posterior is logistic-linear (Fisher's discriminant), exact and cheap::

      logit P(D=1 | x, a, s, r, c) = logit prevalence[a] + log(C_GIVEN_D[1][c] / C_GIVEN_D[0][c])
                                     + w'(x - group_shift a g - site_shift s v - signal delta / 2)

  with w = signal Sigma^-1 delta, so logistic regression on one-hot (A, S, R, C) and X is well
  specified for the clean label;
- given (D, A, C) the log-odds is N(m, Delta^2) with m = logit prevalence[a] + llr[c] +
  (D - 1/2) Delta^2 and Delta^2 = w' Sigma w (the Mahalanobis separation), so the exact
  per-group TPR, FPR and accuracy of any threshold rule on the posterior are sums of Phi;
- R does not enter P(D | ...): whatever weight a model gives to access is learned from the
  record, the mechanism Obermeyer et al. found (cost as a proxy of need);
- the noisy-OR u(a, r) stays in [0, 1] and grows in both rates (an additive term would need
  clipping, which breaks both properties);
- the recorded posterior is P(Y=1 | x, a, r) = f + (1 - u(a, r) - f) p with p the clean one and
  f = false_positive, so the Bayes classifier of the recorded label is the clean posterior
  thresholded at t(a, r) = (1/2 - f) / (1 - u(a, r) - f) (never positive if t >= 1):
  under-diagnosis of a group raises its decision threshold.

Exact per-group truths: prevalence pi_a, recording probability rho_a = P(Y=1 | D=1, A=a) =
sum_r P(r | a) (1 - u(a, r)), recorded prevalence pi_a rho_a + f (1 - pi_a), FNR of the record
1 - rho_a and FPR f (:meth:`RegistrySim.groups`).

Randomness (the conventions of :mod:`fairldp.datasets.synthetic`): each variable has its own
stream ``make_rng(seed, "synthetic", "registry_sim", variable)`` of uniforms (standard normals
for X, one stream per feature) that are thresholded, so a sample of size n is the prefix of a
larger one with the same seed, and changing ``underdiagnosis`` or ``access_effect`` changes
only ``Y``: the under-diagnosed rows {D = 1, U < u(A, R)} grow with either rate (coupled
sweeps). ``Y`` (the record) is the target and ``Y_clean`` (= D) its clean label
(:data:`fairldp.labelbias.CLEAN_SUFFIX`), as a label-biased table of :mod:`fairldp.labelbias`.

References: A. Blum & K. Stangl, "Recovering from biased data: can fairness constraints improve
accuracy?", FORC 2020. L. Seyyed-Kalantari, H. Zhang, M. McDermott, I. Y. Chen & M. Ghassemi,
"Underdiagnosis bias of artificial intelligence algorithms applied to chest radiographs in
under-served patient populations", Nature Medicine 27, 2176-2182 (2021). Z. Obermeyer,
B. Powers, C. Vogeli & S. Mullainathan, "Dissecting racial bias in an algorithm used to manage
the health of populations", Science 366, 447-453 (2019).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from fairldp.labelbias import CLEAN_SUFFIX
from fairldp.rng import make_rng

__all__ = [
    "CLEAN",
    "COVARIANCE",
    "C_DOMAIN",
    "C_GIVEN_D",
    "DELTA",
    "GROUP_DIRECTION",
    "MAX_SITES",
    "NUMERIC",
    "SITE_DIRECTION",
    "TARGET",
    "RegistrySim",
    "registry_sim",
]

TARGET = "Y"  #: the recorded diagnosis
CLEAN = f"{TARGET}{CLEAN_SUFFIX}"  #: the true condition D
NUMERIC = ("X1", "X2", "X3")
C_DOMAIN = (0, 1, 2)
#: the registered dataset declares the site domain {0, .., MAX_SITES - 1}
MAX_SITES = 8
#: mean difference of (X1, X2, X3) between D = 1 and D = 0, per unit of ``signal``
DELTA = (1.0, 0.5, 0.0)
#: mean shift of the features of group A = 1, per unit of ``group_shift``
GROUP_DIRECTION = (0.0, 0.5, 1.0)
#: mean shift of the features of site s is s times this, per unit of ``site_shift``
SITE_DIRECTION = (0.5, -0.5, 1.0)
#: covariance of (X1, X2, X3) given (D, A, S), shared by all cells
COVARIANCE = ((1.0, 0.3, 0.1), (0.3, 1.0, 0.2), (0.1, 0.2, 1.0))
#: P(C = c | D = d), rows d = 0, 1, columns c = 0, 1, 2 (symptom score none, mild, severe)
C_GIVEN_D = ((0.6, 0.3, 0.1), (0.3, 0.4, 0.3))

_BINARY = (0, 1)
_NAME = "registry_sim"


# ------------------------------------------------------------------------------ input checks


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def _check_number(name: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if not math.isfinite(float(x)):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    return float(x)


def _check_prob(name: str, x: object, *, open_: bool = False) -> float:
    interval = "the open interval (0, 1)" if open_ else "[0, 1]"
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a probability in {interval}, got {x!r}")
    v = float(x)
    inside = 0.0 < v < 1.0 if open_ else 0.0 <= v <= 1.0  # also rejects NaN
    if not inside:
        raise ValueError(f"{name} must be a probability in {interval}, got {x!r}")
    return v


def _check_pair(name: str, x: object, *, open_: bool = False) -> tuple[float, float]:
    if isinstance(x, str | bytes) or not isinstance(x, Sequence | np.ndarray) or len(x) != 2:
        raise ValueError(f"{name} must be a pair (value for A=0, value for A=1), got {x!r}")
    return (_check_prob(f"{name}[0]", x[0], open_=open_),
            _check_prob(f"{name}[1]", x[1], open_=open_))  # fmt: skip


def _check_int(name: str, x: object, lo: int, hi: int | None = None) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {x!r}")
    if x < lo or (hi is not None and x > hi):
        where = f">= {lo}" if hi is None else f"in {{{lo}, .., {hi}}}"
        raise ValueError(f"{name} must be an integer {where}, got {x!r}")
    return int(x)


def _categorical(codes: np.ndarray, domain: Sequence[Hashable]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(domain))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


# ------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class RegistrySim:
    """The registry model (module docstring) with its parameters; samples and exact truths.

    ``p_group`` = P(A=1) in (0, 1); ``prevalence`` = (P(D=1 | A=0), P(D=1 | A=1)), each in
    (0, 1); ``p_access`` = (P(R=1 | A=0), P(R=1 | A=1)); ``underdiagnosis`` = probability that
    a true case of ``group`` (0 or 1) is not recorded; ``access_effect`` = probability that a
    true case with poor access (R=0) is not recorded (combined by noisy-OR);
    ``false_positive`` = P(Y=1 | D=0) in [0, 1/2); ``signal`` >= 0 scales the separation of
    the numeric features; ``group_shift`` and ``site_shift`` shift their means; ``n_sites``
    >= 1 sites, drawn uniformly unless ``site`` fixes one.
    """

    p_group: float = 0.5
    prevalence: tuple[float, float] = (0.2, 0.2)
    p_access: tuple[float, float] = (0.8, 0.6)
    underdiagnosis: float = 0.3
    group: int = 1
    access_effect: float = 0.2
    false_positive: float = 0.0
    signal: float = 1.5
    group_shift: float = 0.5
    site_shift: float = 0.5
    n_sites: int = 1
    site: int | None = None

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        put("p_group", _check_prob("p_group", self.p_group, open_=True))
        put("prevalence", _check_pair("prevalence", self.prevalence, open_=True))
        put("p_access", _check_pair("p_access", self.p_access))
        put("underdiagnosis", _check_prob("underdiagnosis", self.underdiagnosis))
        if isinstance(self.group, bool) or self.group not in _BINARY:
            raise ValueError(f"group (the under-diagnosed group) must be 0 or 1, got "
                             f"{self.group!r}")  # fmt: skip
        put("group", int(self.group))
        put("access_effect", _check_prob("access_effect", self.access_effect))
        f = _check_prob("false_positive", self.false_positive)
        if f >= 0.5:
            raise ValueError(f"false_positive must be below 1/2 (a record that is positive for "
                             f"most healthy patients is no diagnosis), got {f!r}")  # fmt: skip
        put("false_positive", f)
        signal = _check_number("signal", self.signal)
        if signal < 0:
            raise ValueError(f"signal must be a finite number >= 0, got {self.signal!r}")
        put("signal", signal)
        put("group_shift", _check_number("group_shift", self.group_shift))
        put("site_shift", _check_number("site_shift", self.site_shift))
        put("n_sites", _check_int("n_sites", self.n_sites, 1))
        if self.site is not None:
            put("site", _check_int("site", self.site, 0, self.n_sites - 1))

    # ------------------------------------------------------------------ fixed geometry

    @cached_property
    def weights(self) -> np.ndarray:
        """w = signal Sigma^-1 delta, the coefficients of X in the posterior log-odds."""
        return np.linalg.solve(np.asarray(COVARIANCE), self.signal * np.asarray(DELTA))

    @cached_property
    def separation(self) -> float:
        """Delta = sqrt(w' Sigma w) = signal sqrt(delta' Sigma^-1 delta) (Mahalanobis)."""
        return float(math.sqrt(self.weights @ np.asarray(COVARIANCE) @ self.weights))

    @property
    def site_probabilities(self) -> np.ndarray:
        """P(S = s), s = 0, .., n_sites - 1."""
        if self.site is not None:
            return np.eye(self.n_sites)[self.site]
        return np.full(self.n_sites, 1.0 / self.n_sites)

    def _mean(self, d: np.ndarray, a: np.ndarray, s: np.ndarray) -> np.ndarray:
        """E[X | D, A, S] per row, shape (n, 3)."""
        return (self.signal * d[:, None] * np.asarray(DELTA)
                + self.group_shift * a[:, None] * np.asarray(GROUP_DIRECTION)
                + self.site_shift * s[:, None] * np.asarray(SITE_DIRECTION))  # fmt: skip

    def miss_probability(self, a: np.ndarray | int, r: np.ndarray | int) -> np.ndarray:
        """u(a, r) = 1 - (1 - underdiagnosis 1[a = group]) (1 - access_effect 1[r = 0]):
        the probability that a true case is recorded negative (noisy-OR of the two causes)."""
        a, r = np.asarray(a), np.asarray(r)
        keep_group = 1.0 - self.underdiagnosis * (a == self.group)
        keep_access = 1.0 - self.access_effect * (r == 0)
        return 1.0 - keep_group * keep_access

    # ------------------------------------------------------------------ sampling

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        """``n`` i.i.d. rows: A, S, R, C (Categoricals over {0, 1}, {0, .., n_sites - 1},
        {0, 1}, {0, 1, 2}), X1, X2, X3 (float) and Y, Y_clean (Categoricals over {0, 1}).
        Streams ``make_rng(seed, "synthetic", "registry_sim", variable)`` (module docstring)."""
        n = _check_n(n)

        def stream(*var: str) -> np.random.Generator:
            return make_rng(seed, "synthetic", _NAME, *var)

        a = (stream("A").random(n) < self.p_group).astype(np.int8)
        if self.site is None:
            u_s = stream("S").random(n)
            s = np.minimum((u_s * self.n_sites).astype(np.int64), self.n_sites - 1)
        else:
            s = np.full(n, self.site, dtype=np.int64)
        r = (stream("R").random(n) < np.asarray(self.p_access)[a]).astype(np.int8)
        d = (stream("D").random(n) < np.asarray(self.prevalence)[a]).astype(np.int8)
        cdf_c = np.cumsum(np.asarray(C_GIVEN_D), axis=1)  # (2, 3)
        c = (stream("C").random(n)[:, None] >= cdf_c[d, :-1]).sum(axis=1).astype(np.int8)
        z = np.column_stack([stream("X", j).standard_normal(n) for j in NUMERIC])
        x = self._mean(d, a, s) + z @ np.linalg.cholesky(np.asarray(COVARIANCE)).T
        missed = stream("record").random(n) < self.miss_probability(a, r)
        false_pos = stream("false_positive").random(n) < self.false_positive
        y = np.where(d == 1, ~missed, false_pos).astype(np.int8)
        out: dict[str, Any] = {
            "A": _categorical(a, _BINARY),
            "S": _categorical(s, range(self.n_sites)),
            "R": _categorical(r, _BINARY),
            "C": _categorical(c, C_DOMAIN),
        }
        for j, name in enumerate(NUMERIC):
            out[name] = x[:, j]
        out[TARGET] = _categorical(y, _BINARY)
        out[CLEAN] = _categorical(d, _BINARY)
        return pd.DataFrame(out)

    # ------------------------------------------------------------------ exact, per row

    def _column(self, df: pd.DataFrame, name: str, domain: Sequence[int]) -> np.ndarray:
        if name not in df.columns:
            raise ValueError(f"column {name!r} is missing; columns: {list(df.columns)}")
        try:
            v = df[name].to_numpy(dtype=np.int64)
        except (TypeError, ValueError):
            raise ValueError(f"column {name!r} must hold integers in {list(domain)}") from None
        if v.size and (v.min() < min(domain) or v.max() > max(domain)):
            raise ValueError(f"column {name!r} has values outside {list(domain)}")
        return v

    def log_odds(self, df: pd.DataFrame) -> np.ndarray:
        """logit P(D=1 | X, A, S, R, C) per row of ``df`` (columns A, S, C, X1..X3; R is
        not needed): logit prevalence[a] + llr[c] + w'(x - group_shift a g - site_shift s v
        - signal delta / 2), with llr[c] = log(C_GIVEN_D[1][c] / C_GIVEN_D[0][c])."""
        a = self._column(df, "A", _BINARY)
        s = self._column(df, "S", range(self.n_sites))
        c = self._column(df, "C", C_DOMAIN)
        missing = [name for name in NUMERIC if name not in df.columns]
        if missing:
            raise ValueError(f"columns {missing} are missing; columns: {list(df.columns)}")
        x = df[list(NUMERIC)].to_numpy(dtype=float)
        centred = x - self._mean(np.full(len(a), 0.5), a, s)
        llr = np.log(np.asarray(C_GIVEN_D[1]) / np.asarray(C_GIVEN_D[0]))
        return _logit(np.asarray(self.prevalence))[a] + llr[c] + centred @ self.weights

    def p_condition(self, df: pd.DataFrame) -> np.ndarray:
        """P(D=1 | X, A, S, R, C) per row (the sigmoid of :meth:`log_odds`)."""
        from scipy.special import expit

        return np.asarray(expit(self.log_odds(df)))

    def p_recorded(self, df: pd.DataFrame) -> np.ndarray:
        """P(Y=1 | X, A, S, R, C) = f + (1 - u(a, r) - f) P(D=1 | ...), f = false_positive."""
        u = self.miss_probability(self._column(df, "A", _BINARY), self._column(df, "R", _BINARY))
        f = self.false_positive
        return f + (1.0 - u - f) * self.p_condition(df)

    def _recorded_threshold(self, a: np.ndarray, r: np.ndarray) -> np.ndarray:
        """The log-odds threshold tau(a, r) = logit t(a, r) of the recorded Bayes classifier:
        f + (1 - u - f) p > 1/2 iff p > t = (1/2 - f) / (1 - u - f); +inf if that never holds
        (1 - u - f <= 0 or t >= 1: since f < 1/2 the record is then never likely positive)."""
        f = self.false_positive
        slope = np.asarray(1.0 - self.miss_probability(a, r) - f, dtype=float)
        t = np.full(slope.shape, np.inf)
        t[slope > 0] = (0.5 - f) / slope[slope > 0]
        tau = np.full(slope.shape, np.inf)
        tau[t < 1.0] = _logit(t[t < 1.0])
        return tau

    def bayes_clean(self, df: pd.DataFrame) -> np.ndarray:
        """The Bayes classifier of the true condition: 1[P(D=1 | x, a, s, c) > 1/2] (int8)."""
        return (self.log_odds(df) > 0).astype(np.int8)

    def bayes_recorded(self, df: pd.DataFrame) -> np.ndarray:
        """The Bayes classifier of the record: 1[P(Y=1 | x, a, s, r, c) > 1/2] (int8), i.e.
        the clean posterior above t(a, r) (:meth:`_recorded_threshold`)."""
        a, r = self._column(df, "A", _BINARY), self._column(df, "R", _BINARY)
        return (self.log_odds(df) > self._recorded_threshold(a, r)).astype(np.int8)

    # ------------------------------------------------------------------ exact, per group

    def prevalence_by_group(self) -> np.ndarray:
        """pi_a = P(D=1 | A=a), a = 0, 1."""
        return np.asarray(self.prevalence, dtype=float)

    def recording_probability(self) -> np.ndarray:
        """rho_a = P(Y=1 | D=1, A=a) = sum_r P(R=r | A=a) (1 - u(a, r)), a = 0, 1."""
        a = np.array([[0, 0], [1, 1]])
        r = np.array([[0, 1], [0, 1]])
        p_r = np.where(r == 1, np.asarray(self.p_access)[a], 1.0 - np.asarray(self.p_access)[a])
        return (p_r * (1.0 - self.miss_probability(a, r))).sum(axis=1)

    def groups(self) -> pd.DataFrame:
        """Exact per-group truths, index A = 0, 1: ``p_group`` P(A=a), ``prevalence`` pi_a,
        ``access`` P(R=1 | a), ``recording`` rho_a, ``recorded_prevalence`` P(Y=1 | a) =
        pi_a rho_a + f (1 - pi_a), ``recorded_fnr`` P(Y=0 | D=1, a) = 1 - rho_a (the
        under-diagnosis rate of Seyyed-Kalantari et al.) and ``recorded_fpr`` P(Y=1 | D=0, a)
        = f."""
        pi, rho, f = self.prevalence_by_group(), self.recording_probability(), self.false_positive
        return pd.DataFrame(
            {
                "p_group": [1.0 - self.p_group, self.p_group],
                "prevalence": pi,
                "access": np.asarray(self.p_access, dtype=float),
                "recording": rho,
                "recorded_prevalence": pi * rho + f * (1.0 - pi),
                "recorded_fnr": 1.0 - rho,
                "recorded_fpr": np.full(2, f),
            },
            index=pd.Index(list(_BINARY), name="A"),
        )

    def bayes_rates(self, label: str = "clean") -> pd.DataFrame:
        """Exact per-group rates, against the TRUE condition, of the Bayes classifier of the
        ``label`` (``"clean"``: D, ``"recorded"``: Y). Index A = 0, 1; columns ``prevalence``,
        ``positive_rate``, ``tpr``, ``fnr``, ``fpr``, ``accuracy``.

        The classifier predicts 1 iff the log-odds L exceeds tau(a, r) (0 for the clean label,
        :meth:`_recorded_threshold` for the record), and L | D=d, A=a, C=c ~ N(m, Delta^2)
        with m = logit pi_a + llr[c] + (d - 1/2) Delta^2, so P(h=1 | d, a, r, c) =
        Phi((m - tau(a, r)) / Delta) and TPR_a = sum_{r, c} P(r | a) P(c | D=1)
        Phi((m - tau) / Delta) (Delta = 0: the step 1[m > tau]); likewise FPR_a with d = 0;
        accuracy_a = pi_a TPR_a + (1 - pi_a) (1 - FPR_a).
        """
        from scipy.special import ndtr

        if label not in ("clean", "recorded"):
            raise ValueError(f"label must be 'clean' or 'recorded', got {label!r}")
        # axes: a (2), r (2), c (3), d (2)
        a, r, c, d = np.meshgrid(_BINARY, _BINARY, C_DOMAIN, _BINARY, indexing="ij")
        tau = np.zeros(a.shape) if label == "clean" else self._recorded_threshold(a, r)
        llr = np.log(np.asarray(C_GIVEN_D[1]) / np.asarray(C_GIVEN_D[0]))
        delta = self.separation
        m = _logit(self.prevalence_by_group())[a] + llr[c] + (d - 0.5) * delta**2
        if delta > 0:
            p_pos = ndtr((m - tau) / delta)  # tau = +inf: Phi(-inf) = 0
        else:
            p_pos = (m > tau).astype(float)
        access = np.asarray(self.p_access)[a]
        weight = np.where(r == 1, access, 1.0 - access) * np.asarray(C_GIVEN_D)[d, c]
        rate = (weight * p_pos).sum(axis=(1, 2))  # (a, d): P(h=1 | D=d, A=a)
        pi = self.prevalence_by_group()
        tpr, fpr = rate[:, 1], rate[:, 0]
        return pd.DataFrame(
            {
                "prevalence": pi,
                "positive_rate": pi * tpr + (1.0 - pi) * fpr,
                "tpr": tpr,
                "fnr": 1.0 - tpr,
                "fpr": fpr,
                "accuracy": pi * tpr + (1.0 - pi) * (1.0 - fpr),
            },
            index=pd.Index(list(_BINARY), name="A"),
        )

    def bayes_accuracy(self, label: str = "clean") -> float:
        """Exact accuracy against the true condition of the Bayes classifier of ``label``:
        sum_a P(A=a) accuracy_a (:meth:`bayes_rates`)."""
        acc = self.bayes_rates(label)["accuracy"].to_numpy()
        return float((1.0 - self.p_group) * acc[0] + self.p_group * acc[1])

    def joint(self) -> pd.DataFrame:
        """Exact joint of the discrete variables, tidy (A, S, R, C, D, Y, p):
        P(a) P(s) P(r | a) P(d | a) P(c | d) P(y | d, a, r), with P(Y=1 | D=1, a, r) =
        1 - u(a, r) and P(Y=1 | D=0) = f; cells of probability 0 included."""
        a, s, r, c, d, y = (v.ravel() for v in np.meshgrid(
            _BINARY, range(self.n_sites), _BINARY, C_DOMAIN, _BINARY, _BINARY, indexing="ij"))
        p_a = np.where(a == 1, self.p_group, 1.0 - self.p_group)
        access = np.asarray(self.p_access)[a]
        prev = np.asarray(self.prevalence)[a]
        p_y1 = np.where(d == 1, 1.0 - self.miss_probability(a, r), self.false_positive)
        p = (p_a * self.site_probabilities[s] * np.where(r == 1, access, 1.0 - access)
             * np.where(d == 1, prev, 1.0 - prev) * np.asarray(C_GIVEN_D)[d, c]
             * np.where(y == 1, p_y1, 1.0 - p_y1))  # fmt: skip
        return pd.DataFrame({"A": a, "S": s, "R": r, "C": c, "D": d, "Y": y, "p": p})


_PARAMS = tuple(f.name for f in fields(RegistrySim))


def registry_sim(n: int, seed: int, **params: Any) -> pd.DataFrame:
    """``n`` rows of the registry model with parameters ``params`` (those of
    :class:`RegistrySim`; unknown names are errors): :meth:`RegistrySim.sample`."""
    unknown = sorted(set(params) - set(_PARAMS))
    if unknown:
        raise ValueError(f"unknown registry_sim parameter(s) {unknown}; known: {list(_PARAMS)}")
    return RegistrySim(**params).sample(n, seed)


# ------------------------------------------------------- registry entry (config-selectable)


def _registry_generator(n: int = 20_000, seed: int = 0, **params: Any) -> pd.DataFrame:
    """The registered table: :func:`registry_sim` with the site domain {0, .., MAX_SITES - 1},
    the record ``Y`` and the true condition ``Y_clean`` as int8."""
    n_sites = params.get("n_sites", 1)
    if not isinstance(n_sites, bool) and isinstance(n_sites, int) and n_sites > MAX_SITES:
        raise ValueError(f"n_sites must be at most {MAX_SITES} for the registered dataset "
                         f"{_NAME} (its site domain is declared), got {n_sites!r}")  # fmt: skip
    out = registry_sim(n, seed, **params)
    out["S"] = pd.Categorical(out["S"].to_numpy(np.int64), categories=list(range(MAX_SITES)))
    for col in (TARGET, CLEAN):
        out[col] = out[col].to_numpy(np.int8)
    return out


def _register() -> None:
    from fairldp.datasets.registry import Attribute, DatasetSpec, register

    register(
        DatasetSpec(
            name=_NAME,
            title="Diagnostic registry with group and access-to-care under-diagnosis",
            raw_files=(),
            licence="generated (no licence needed)",
            citation="fairldp (this package): fairldp.datasets.diagnosis.registry_sim; label "
            "bias after Blum & Stangl (FORC 2020), Seyyed-Kalantari et al. (Nature Medicine "
            "2021), Obermeyer et al. (Science 2019).",
            parser=lambda files, spec: pd.DataFrame(),
            target=TARGET,
            positive_label="1",
            protected="A",
            sensitive=(Attribute("A", _BINARY),),
            categorical=(
                Attribute("S", tuple(range(MAX_SITES))),
                Attribute("R", _BINARY),
                Attribute("C", C_DOMAIN),
            ),
            numeric=NUMERIC,
            preprocessing=__doc__ or "",
            generator=_registry_generator,
            reference=0,
        )
    )


_register()
