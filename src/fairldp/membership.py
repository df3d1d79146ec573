"""Per-group membership-inference audits of a trained binary classifier.

An attacker who sees a model's predicted probability ``p`` of class 1 for a labelled example
``(x, y)`` guesses whether the example was in the training set (a *member*). Success is
measured overall and per group, since fairness constraints can make the training data of a
(small, unprivileged) group leak more (Chang & Shokri, "On the privacy risks of algorithmic
fairness", EuroS&P 2021), by

- the **membership advantage** ``Adv = TPR - FPR`` of the attack "member iff score >= t"
  (Yeom et al., "Privacy risk in machine learning: analyzing the connection to overfitting",
  CSF 2018, Def. 4), and
- the **AUC** of the attack score, ``P(s_member > s_nonmember) + P(tie) / 2`` (rank formula).

Attacks (one score per example, higher = more likely a member):

- ``loss_threshold`` (Yeom et al. 2018): ``s = -loss = y log p + (1 - y) log(1 - p)``.
- ``shadow`` (Shokri et al., "Membership inference attacks against machine learning models",
  S&P 2017): shadow models of the target's kind are trained on random halves of a shadow set
  (the other half: known non-members); an attack classifier per true label learns
  ``P(member | c, log c, log(1 - c))`` from the shadow models' confidence ``c`` in the true
  label; its probability is the score on the target's outputs.

Advantage reported by default (``advantage="held_out"``): the threshold is never chosen on the
examples it is scored on. For threshold attacks the members and the non-members of every group
are split at random into two halves, the best threshold of one half (middle of its optimal
interval) is scored on the other, and the two scores are averaged (cross-fitting): unbiased
(mean 0) without leakage, slightly conservative otherwise. For the shadow attack it is the
attack's own decision ``P(member) >= 1/2``, learnt on the shadow data. ``advantage="best"``
is ``max_t (TPR - FPR)`` on the audited examples: an optimistic upper bound (without leakage it
is the one-sided Kolmogorov-Smirnov statistic, about ``0.63 / sqrt(n1 n0 / (n1 + n0))`` on
average). Per group, each attack is scored on the group's examples alone (thresholds chosen
within the group: the strongest attacker of that group).

Own implementation, not the Adversarial Robustness Toolbox: the threshold attack is a few lines
of NumPy, ART's membership attacks (``MembershipInferenceBlackBoxRuleBased``,
``LabelOnly...``, ``MembershipInferenceBlackBox``) report neither per-group advantage nor
confidence intervals, and ART would be a heavy dependency for this (it is not installed).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from fairldp.rng import derive_int_seed, make_rng

__all__ = [
    "ATTACKS",
    "COLUMNS",
    "ShadowAttack",
    "ShadowSpec",
    "advantage_at",
    "best_threshold",
    "bootstrap_ci",
    "fit_shadow_attack",
    "fit_shadow_attack_with",
    "membership_advantage",
    "membership_auc",
    "membership_audit",
    "membership_scores",
    "random_halves",
    "shadow_attack",
    "threshold_attack",
]

EPS = 1e-12
ATTACKS = ("loss_threshold", "shadow")
COLUMNS = ["attack", "group", "metric", "value", "ci_low", "ci_high", "n_members", "n_nonmembers"]
_CHUNK = 16  # bootstrap replicates evaluated per block (fixed, so results never depend on it)

Advantage = Literal["held_out", "best"]


# --------------------------------------------------------------------------- input checks


def _check_outputs(
    y: ArrayLike, proba: ArrayLike, who: str
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Labels (0/1) and predicted probabilities of class 1 of ``who`` as 1-D arrays."""
    y_arr, p = np.asarray(y), np.asarray(proba)
    if y_arr.ndim != 1 or p.ndim != 1:
        raise ValueError(
            f"{who}: y and proba must be 1-D (proba = probability of class 1), "
            f"got shapes {y_arr.shape} and {p.shape}."
        )
    if y_arr.size != p.size:
        raise ValueError(f"{who}: y and proba have different lengths ({y_arr.size} and {p.size}).")
    if y_arr.size == 0:
        raise ValueError(f"{who} are empty: an audit needs at least one example of each.")
    if y_arr.dtype.kind not in "biuf" or not np.isin(y_arr, (0, 1)).all():
        raise ValueError(f"{who}: labels must be 0 or 1, got {np.unique(y_arr)[:5].tolist()}.")
    if p.dtype.kind not in "biuf" or not (
        np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    ):
        raise ValueError(f"{who}: probabilities must be finite numbers in [0, 1].")
    return y_arr.astype(np.int64), p.astype(np.float64)


def _check_scores(s: ArrayLike, who: str) -> NDArray[np.float64]:
    a = np.asarray(s)
    if a.ndim != 1:
        raise ValueError(f"scores of {who} must be 1-D, got shape {a.shape}.")
    if a.size == 0:
        raise ValueError(f"scores of {who} are empty: an audit needs at least one example of each.")
    if a.dtype.kind not in "biuf" or not np.isfinite(a).all():
        raise ValueError(f"scores of {who} must be finite numbers.")
    return a.astype(np.float64)


def _check_groups(
    gm: ArrayLike | None, g0: ArrayLike | None, n_m: int, n_0: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], list[str]]:
    """Integer group codes of members and non-members and the group names (sorted text)."""
    if (gm is None) != (g0 is None):
        raise ValueError("pass groups for both members and non-members, or for neither.")
    if gm is None or g0 is None:
        return np.zeros(n_m, np.intp), np.zeros(n_0, np.intp), []
    parts = []
    for g, n, who in ((gm, n_m, "members"), (g0, n_0, "non-members")):
        a = np.asarray(g, dtype=object)
        if a.ndim != 1 or a.size != n:
            raise ValueError(
                f"groups of {who} must be 1-D with one value per example ({n}), "
                f"got shape {a.shape}."
            )
        if pd.isna(a).any():
            raise ValueError(f"groups of {who} have missing values.")
        parts.append(pd.Series(a, dtype=object).astype(str).to_numpy(dtype=object))
    codes, levels = pd.factorize(np.concatenate(parts), sort=True)
    names = [str(v) for v in levels]
    if "" in names:
        raise ValueError("a group is named '' (empty text), which names the overall rows.")
    return codes[:n_m].astype(np.intp), codes[n_m:].astype(np.intp), names


def _check_options(advantage: str, n_boot: int, level: float) -> None:
    if advantage not in ("held_out", "best"):
        raise ValueError(f"advantage must be 'held_out' or 'best', got {advantage!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}.")


# --------------------------------------------------------------------------- scores


def membership_scores(
    y: ArrayLike, proba: ArrayLike, kind: Literal["loss", "confidence"] = "loss"
) -> NDArray[np.float64]:
    """Per-example attack score (higher = more likely a member) from labels ``y`` (0/1) and the
    predicted probability ``proba`` of class 1, clipped to ``[1e-12, 1 - 1e-12]``.

    ``loss``: ``y log p + (1 - y) log(1 - p)``, minus the cross-entropy (Yeom et al. 2018);
    ``confidence``: ``c = y p + (1 - y)(1 - p)``, the probability of the true label. For a
    binary model ``loss = log(confidence)``, so both give the same threshold-attack metrics.
    """
    y_arr, p = _check_outputs(y, proba, "scores")
    c = np.clip(np.where(y_arr == 1, p, 1.0 - p), EPS, 1.0 - EPS)
    if kind == "loss":
        return np.log(c)
    if kind == "confidence":
        return c
    raise ValueError(f"kind must be 'loss' or 'confidence', got {kind!r}.")


# --------------------------------------------------------------------------- curve algebra
# Counts ``c[..., k]`` of the scores equal to ``u[k]`` (the sorted distinct pooled scores);
# threshold index ``k`` in 0..K means "member iff score >= u[k]" (k = K: nobody).


def _tails(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of the counted scores ``>= u[k]`` for ``k = 0..K`` along the last axis."""
    n = c.sum(axis=-1, keepdims=True)
    tail = np.cumsum(c[..., ::-1], axis=-1)[..., ::-1]
    tail = np.concatenate([tail, np.zeros_like(n)], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tail / n


def _auc(c1: NDArray[np.float64], c0: NDArray[np.float64]) -> NDArray[np.float64]:
    """``sum_k c1[k] (#{s0 < u[k]} + c0[k] / 2) / (n1 n0)`` (Mann-Whitney)."""
    below = np.cumsum(c0, axis=-1) - c0
    num = (c1 * (below + 0.5 * c0)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / (c1.sum(axis=-1) * c0.sum(axis=-1))


def _plateau_threshold(
    d: NDArray[np.float64], present: NDArray[np.bool_], u: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Threshold in the middle of the first interval where ``d = TPR - FPR`` is maximal.

    ``present[..., k]``: a score of the fitting half equals ``u[k]``; ``d`` only changes at
    those, so the optimum holds for ``t`` in ``(u[first - 1], u[top]]``. Returns the midpoint,
    ``-inf`` if the interval is unbounded below and ``+inf`` above (both: ``d = 0``).
    """
    k = u.size
    first = np.argmax(d >= d.max(axis=-1, keepdims=True), axis=-1)
    has = np.concatenate([present, np.ones((*present.shape[:-1], 1), bool)], axis=-1)
    top = np.argmax(has & (np.arange(k + 1) >= first[..., None]), axis=-1)
    mid = 0.5 * (u[np.maximum(first - 1, 0)] + u[np.minimum(top, k - 1)])
    return np.where(first == 0, -np.inf, np.where(top == k, np.inf, mid))


def _stats(
    c1: NDArray[np.float64],
    c0: NDArray[np.float64],
    u: NDArray[np.float64],
    advantage: str,
    threshold: float | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Advantage and AUC of replicates from counts ``(replicates, half, K)``."""
    t1, t0 = c1.sum(axis=1), c0.sum(axis=1)
    auc = _auc(t1, t0)
    if threshold is not None:
        d = _tails(t1) - _tails(t0)
        return d[:, int(np.searchsorted(u, threshold, side="left"))], auc
    if advantage == "best":
        return (_tails(t1) - _tails(t0)).max(axis=-1), auc
    d = _tails(c1) - _tails(c0)  # (R, 2, K + 1)
    with np.errstate(invalid="ignore"):
        t = _plateau_threshold(d, (c1 + c0) > 0, u)  # (R, 2): threshold fitted on each half
    k = np.searchsorted(u, t, side="left")
    adv = np.take_along_axis(d[:, ::-1], k[..., None], axis=-1)[..., 0].mean(axis=-1)
    ok = (c1.sum(axis=-1) > 0).all(axis=-1) & (c0.sum(axis=-1) > 0).all(axis=-1)
    return np.where(ok, adv, np.nan), auc


# --------------------------------------------------------------------------- evaluation


def _halves(cells: NDArray[np.intp], rng: np.random.Generator) -> NDArray[np.intp]:
    """A random half (0/1) per example, balanced within each cell (sizes differ by <= 1)."""
    perm = rng.permutation(cells.size)
    order = perm[np.argsort(cells[perm], kind="stable")]
    sc = cells[order]
    half = np.empty(cells.size, np.intp)
    half[order] = (np.arange(cells.size) - np.searchsorted(sc, sc, side="left")) % 2
    return half


def random_halves(labels: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
    """A random half (0 or 1) per example, balanced within each label (sizes differ by at most
    1): e.g. a shadow set and the audited non-members from the held-out rows."""
    return _halves(np.unique(np.asarray(labels), return_inverse=True)[1].ravel(), rng)


@dataclass(frozen=True)
class _Side:
    """Members (or non-members) sorted by (group, half) cell, for stratified resampling."""

    half: NDArray[np.intp]
    order: NDArray[np.intp]  # examples sorted by cell
    start: NDArray[np.intp]  # per sorted slot: first slot of its cell
    size: NDArray[np.intp]  # per sorted slot: size of its cell

    @classmethod
    def build(cls, group: NDArray[np.intp], half: NDArray[np.intp]) -> _Side:
        cell = 2 * group + half
        order = np.argsort(cell, kind="stable")
        sc = cell[order]
        start = np.searchsorted(sc, sc, side="left")
        return cls(half, order, start, np.searchsorted(sc, sc, side="right") - start)

    def draw(self, rng: np.random.Generator, r: int) -> NDArray[np.intp]:
        """``(r, n)`` resampled indices: slot ``j`` draws with replacement from its cell."""
        return self.order[self.start + rng.integers(self.size, size=(r, self.order.size))]


def _counts(
    idx: NDArray[np.intp], code: NDArray[np.intp], half: NDArray[np.intp], k: int
) -> NDArray[np.float64]:
    """Counts ``(replicates, half, K)`` of the resampled examples ``idx`` per distinct score."""
    r = idx.shape[0]
    flat = (np.arange(r)[:, None] * 2 + half[idx]) * k + code[idx]
    return np.bincount(flat.ravel(), minlength=r * 2 * k).reshape(r, 2, k).astype(np.float64)


def _evaluate(
    scores_members: ArrayLike,
    scores_nonmembers: ArrayLike,
    groups_members: ArrayLike | None,
    groups_nonmembers: ArrayLike | None,
    *,
    advantage: str,
    threshold: float | None,
    n_boot: int,
    level: float,
    seed: int,
) -> pd.DataFrame:
    _check_options(advantage, n_boot, level)
    sm = _check_scores(scores_members, "members")
    s0 = _check_scores(scores_nonmembers, "non-members")
    gm, g0, names = _check_groups(groups_members, groups_nonmembers, sm.size, s0.size)
    rng = make_rng(seed, "membership", "halves")
    side_m, side_0 = _Side.build(gm, _halves(gm, rng)), _Side.build(g0, _halves(g0, rng))

    rows = []  # (name, u, codes of members, of non-members, their sorted slots)
    for j, name in [(None, ""), *enumerate(names)]:
        sel_m = np.ones(sm.size, bool) if j is None else gm == j
        sel_0 = np.ones(s0.size, bool) if j is None else g0 == j
        u, inv = np.unique(np.concatenate([sm[sel_m], s0[sel_0]]), return_inverse=True)
        code_m, code_0 = np.zeros(sm.size, np.intp), np.zeros(s0.size, np.intp)
        code_m[sel_m], code_0[sel_0] = inv[: sel_m.sum()], inv[sel_m.sum() :]
        slots = np.flatnonzero(sel_m[side_m.order]), np.flatnonzero(sel_0[side_0.order])
        rows.append((name, u, code_m, code_0, *slots))
    adv = np.full((len(rows), 1 + n_boot), np.nan)
    auc = np.full((len(rows), 1 + n_boot), np.nan)

    def run(idx_m: NDArray[np.intp], idx_0: NDArray[np.intp], cols: slice) -> None:
        for r, (_, u, code_m, code_0, slots_m, slots_0) in enumerate(rows):
            if slots_m.size and slots_0.size:
                c1 = _counts(idx_m[:, slots_m], code_m, side_m.half, u.size)
                c0 = _counts(idx_0[:, slots_0], code_0, side_0.half, u.size)
                adv[r, cols], auc[r, cols] = _stats(c1, c0, u, advantage, threshold)

    run(side_m.order[None], side_0.order[None], slice(0, 1))  # the data
    boot = make_rng(seed, "membership", "bootstrap")
    for b in range(0, n_boot, _CHUNK):
        r = min(_CHUNK, n_boot - b)
        run(side_m.draw(boot, r), side_0.draw(boot, r), slice(1 + b, 1 + b + r))

    with warnings.catch_warnings():  # all-NaN replicates (a group without non-members)
        warnings.simplefilter("ignore", RuntimeWarning)
        q = [(1 - level) / 2, (1 + level) / 2]
        ci = {
            m: np.nanquantile(v[:, 1:], q, axis=1) if n_boot else np.full((2, len(rows)), np.nan)
            for m, v in (("membership_advantage", adv), ("membership_auc", auc))
        }
    out = []
    for r, (name, *_rest, slots_m, slots_0) in enumerate(rows):
        for m, v in (("membership_advantage", adv), ("membership_auc", auc)):
            out.append(
                {
                    "group": name,
                    "metric": m,
                    "value": v[r, 0],
                    "ci_low": ci[m][0, r],
                    "ci_high": ci[m][1, r],
                    "n_members": slots_m.size,
                    "n_nonmembers": slots_0.size,
                }
            )
    return pd.DataFrame(out, columns=COLUMNS[1:])


def threshold_attack(
    scores_members: ArrayLike,
    scores_nonmembers: ArrayLike,
    groups_members: ArrayLike | None = None,
    groups_nonmembers: ArrayLike | None = None,
    *,
    advantage: Advantage = "held_out",
    threshold: float | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Advantage and AUC of the attack "member iff score >= t", overall and per group.

    ``advantage``: ``held_out`` (default; ``t`` cross-fitted on random halves, see the module
    docstring) or ``best`` (``max_t TPR - FPR``, optimistic); a given ``threshold`` (chosen
    elsewhere, e.g. on shadow data) overrides both. Rows: ``group`` ('' = overall),
    ``metric`` (``membership_advantage``, ``membership_auc``), ``value``, ``n_members``,
    ``n_nonmembers``; NaN where a group lacks members or non-members (or, held out, a half).
    """
    out = _evaluate(
        scores_members,
        scores_nonmembers,
        groups_members,
        groups_nonmembers,
        advantage=advantage,
        threshold=threshold,
        n_boot=0,
        level=0.95,
        seed=seed,
    )
    return out.drop(columns=["ci_low", "ci_high"])


def bootstrap_ci(
    scores_members: ArrayLike,
    scores_nonmembers: ArrayLike,
    groups_members: ArrayLike | None = None,
    groups_nonmembers: ArrayLike | None = None,
    *,
    advantage: Advantage = "held_out",
    threshold: float | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`threshold_attack` with percentile bootstrap intervals ``ci_low``, ``ci_high``
    (the ``(1 -/+ level) / 2`` quantiles of ``n_boot`` replicates; Efron & Tibshirani 1993).

    Members and non-members are resampled separately, with replacement, within each group (and
    each cross-fitting half, which stays fixed), so every replicate keeps the sizes of each
    group; all replicates at once through index matrices, from stream
    ``make_rng(seed, "membership", "bootstrap")``.
    """
    return _evaluate(
        scores_members,
        scores_nonmembers,
        groups_members,
        groups_nonmembers,
        advantage=advantage,
        threshold=threshold,
        n_boot=n_boot,
        level=level,
        seed=seed,
    )


def _pair_counts(sm: ArrayLike, s0: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    a, b = _check_scores(sm, "members"), _check_scores(s0, "non-members")
    u, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    c1 = np.bincount(inv[: a.size], minlength=u.size).astype(np.float64)
    return c1, np.bincount(inv[a.size :], minlength=u.size).astype(np.float64), u


def membership_advantage(scores_members: ArrayLike, scores_nonmembers: ArrayLike) -> float:
    """``max_t TPR(t) - FPR(t)`` of "member iff score >= t" (in [0, 1]; Yeom et al. 2018)."""
    c1, c0, _ = _pair_counts(scores_members, scores_nonmembers)
    return float((_tails(c1) - _tails(c0)).max())


def membership_auc(scores_members: ArrayLike, scores_nonmembers: ArrayLike) -> float:
    """ROC AUC of the score, ``P(s_member > s_nonmember) + P(tie) / 2``."""
    c1, c0, _ = _pair_counts(scores_members, scores_nonmembers)
    return float(_auc(c1, c0))


def best_threshold(scores_members: ArrayLike, scores_nonmembers: ArrayLike) -> float:
    """Fit: the threshold maximising ``TPR - FPR``, midway between the two scores around it
    (``-inf`` when no threshold beats 0, i.e. flagging everyone). Evaluate with
    :func:`advantage_at` on other examples."""
    c1, c0, u = _pair_counts(scores_members, scores_nonmembers)
    return float(_plateau_threshold(_tails(c1) - _tails(c0), (c1 + c0) > 0, u))


def advantage_at(
    scores_members: ArrayLike, scores_nonmembers: ArrayLike, threshold: float
) -> float:
    """Evaluate: ``TPR - FPR`` of "member iff score >= threshold"."""
    a, b = _check_scores(scores_members, "members"), _check_scores(scores_nonmembers, "non-members")
    return float(np.mean(a >= threshold) - np.mean(b >= threshold))


# --------------------------------------------------------------------------- shadow models


def _attack_features(y: NDArray[np.int64], p: NDArray[np.float64]) -> NDArray[np.float64]:
    """``[c, log c, log(1 - c)]`` with ``c`` the clipped probability of the true label."""
    c = np.clip(np.where(y == 1, p, 1.0 - p), EPS, 1.0 - EPS)
    return np.column_stack([c, np.log(c), np.log1p(-c)])


def _seeded(est: Any, seed: int) -> Any:
    """A clone of ``est``, its ``random_state`` set to ``seed`` if it has one left at None."""
    est = clone(est)
    if est.get_params(deep=False).get("random_state", 0) is None:
        est.set_params(random_state=seed)
    return est


def _one_thread() -> Any:
    """Attack models see 3 features: OpenMP threads only add start-up cost and oversubscribe
    a loaded machine (HistGradientBoosting on 1000 rows: 0.08 s on one thread, 11 s on two
    busy cores), so they are fitted and applied on one."""
    return threadpool_limits(limits=1, user_api="openmp")


def _rows(X: Any, idx: NDArray[np.intp]) -> Any:
    return (
        X.iloc[idx]
        if hasattr(X, "iloc")
        else (X[idx] if hasattr(X, "shape") else np.asarray(X)[idx])
    )


@dataclass(frozen=True)
class ShadowAttack:
    """A fitted shadow-model attack: ``models[c]`` scores examples of true label ``c``
    (``per_class``, Shokri et al.) or ``models[0]`` scores all, with the label as a feature."""

    models: tuple[Any, ...]
    per_class: bool

    def score(self, y: ArrayLike, proba: ArrayLike) -> NDArray[np.float64]:
        """``P(member)`` of each example from the target model's ``proba`` of class 1."""
        y_arr, p = _check_outputs(y, proba, "target outputs")
        f = _attack_features(y_arr, p)
        with _one_thread():
            if not self.per_class:
                return self.models[0].predict_proba(np.column_stack([f, y_arr]))[:, 1]
            out = np.empty(y_arr.size)
            for c in (0, 1):
                m = y_arr == c
                if m.any():
                    out[m] = self.models[c].predict_proba(f[m])[:, 1]
        return out

    def audit(
        self,
        y_members: ArrayLike,
        proba_members: ArrayLike,
        y_nonmembers: ArrayLike,
        proba_nonmembers: ArrayLike,
        groups_members: ArrayLike | None = None,
        groups_nonmembers: ArrayLike | None = None,
        *,
        advantage: Advantage = "held_out",
        n_boot: int = 0,
        level: float = 0.95,
        seed: int = 0,
    ) -> pd.DataFrame:
        """This attack on a target's outputs: advantage and AUC overall and per group (the
        :func:`bootstrap_ci` frame). ``held_out`` advantage: the attack's own decision
        ``P(member) >= 1/2`` (learnt on the shadow data); ``best``: ``max_t``."""
        return bootstrap_ci(
            self.score(y_members, proba_members),
            self.score(y_nonmembers, proba_nonmembers),
            groups_members,
            groups_nonmembers,
            advantage=advantage,
            threshold=0.5 if advantage == "held_out" else None,
            n_boot=n_boot,
            level=level,
            seed=seed,
        )


def fit_shadow_attack(
    estimator: Any,
    X_shadow: Any,
    y_shadow: ArrayLike,
    *,
    n_shadow: int = 1,
    attack_model: str | Any = "logistic",
    per_class: bool = True,
    seed: int = 0,
) -> ShadowAttack:
    """Shokri et al. (2017): ``n_shadow`` clones of ``estimator`` (configured like the target),
    each fitted on a random label-stratified half of the shadow set ("in") and applied to all
    of it; an attack classifier learns in vs out from ``[c, log c, log(1 - c)]``
    (``c``: probability of the true label), one per label if ``per_class``.

    ``attack_model``: ``logistic`` (standardised logistic regression), ``boosting``
    (``HistGradientBoostingClassifier``) or an sklearn classifier (cloned). Seeded from
    ``make_rng(seed, "membership", "shadow", i)``; estimators with ``random_state=None`` get a
    derived seed. The shadow set should be disjoint from the target's training data.
    """
    n_x = X_shadow.shape[0] if hasattr(X_shadow, "shape") else len(X_shadow)
    if not hasattr(estimator, "predict_proba"):
        raise ValueError("estimator must have predict_proba (the attack reads probabilities).")

    def fit_scores(inside: NDArray[np.intp], i: int) -> NDArray[np.float64]:
        model = _seeded(estimator, derive_int_seed(seed, "membership", "shadow_model", i))
        model.fit(_rows(X_shadow, inside), np.asarray(y_shadow)[inside])
        return model.predict_proba(X_shadow)[:, list(model.classes_).index(1)]

    return fit_shadow_attack_with(
        fit_scores, y_shadow, n_rows=n_x, n_shadow=n_shadow, attack_model=attack_model,
        per_class=per_class, seed=seed,
    )  # fmt: skip


def fit_shadow_attack_with(
    fit_scores: Callable[[NDArray[np.intp], int], ArrayLike],
    y_shadow: ArrayLike,
    *,
    n_rows: int | None = None,
    n_shadow: int = 1,
    attack_model: str | Any = "logistic",
    per_class: bool = True,
    seed: int = 0,
) -> ShadowAttack:
    """:func:`fit_shadow_attack` for a target that is not one sklearn estimator (a fair learner
    with its groups, a learner of the chain): ``fit_scores(inside, i)`` fits shadow model ``i``
    on the shadow rows ``inside`` (indices) exactly as the target was fitted and returns its
    probability of class 1 on every shadow row, in order. The halves are drawn as in
    :func:`fit_shadow_attack`, from ``make_rng(seed, "membership", "shadow", i)``."""
    y = np.asarray(y_shadow)
    y, _ = _check_outputs(y, np.zeros(y.shape), "shadow set")
    if n_rows is not None and n_rows != y.size:
        raise ValueError(f"shadow set: X and y have different lengths ({n_rows} and {y.size}).")
    if min(np.sum(y == 0), np.sum(y == 1)) < 2:
        raise ValueError("shadow set: needs at least two examples of each label.")
    if isinstance(n_shadow, bool) or not isinstance(n_shadow, int | np.integer) or n_shadow < 1:
        raise ValueError(f"n_shadow must be a positive integer, got {n_shadow!r}.")
    if isinstance(attack_model, str) and attack_model not in ("logistic", "boosting"):
        raise ValueError(
            "attack_model must be 'logistic', 'boosting' or an sklearn classifier, "
            f"got {attack_model!r}."
        )
    feats, member = [], []
    for i in range(int(n_shadow)):
        inside = _halves(y.astype(np.intp), make_rng(seed, "membership", "shadow", i)) == 0
        p = np.asarray(fit_scores(np.flatnonzero(inside), i), dtype=np.float64)
        if p.shape != y.shape:
            raise ValueError(f"fit_scores returned {p.shape[0] if p.ndim else 0} scores for "
                             f"{y.size} shadow rows.")  # fmt: skip
        feats.append(_attack_features(y, p))
        member.append(inside.astype(np.int64))
    f, m, ys = np.vstack(feats), np.concatenate(member), np.tile(y, int(n_shadow))

    def attacker() -> Any:
        s = derive_int_seed(seed, "membership", "attack_model")
        if attack_model == "logistic":
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        if attack_model == "boosting":
            return HistGradientBoostingClassifier(random_state=s)
        return _seeded(attack_model, s)

    with _one_thread():
        if per_class:
            models = tuple(attacker().fit(f[ys == c], m[ys == c]) for c in (0, 1))
        else:
            models = (attacker().fit(np.column_stack([f, ys]), m),)
    return ShadowAttack(models, per_class)


@dataclass(frozen=True)
class ShadowSpec:
    """What the shadow attack needs: an unfitted ``estimator`` like the target's, a shadow set
    ``(X, y)`` from the target's distribution, and :func:`fit_shadow_attack`'s options."""

    estimator: Any
    X: Any
    y: ArrayLike
    n_shadow: int = 1
    attack_model: str | Any = "logistic"
    per_class: bool = True


def shadow_attack(
    shadow: ShadowSpec,
    y_members: ArrayLike,
    proba_members: ArrayLike,
    y_nonmembers: ArrayLike,
    proba_nonmembers: ArrayLike,
    groups_members: ArrayLike | None = None,
    groups_nonmembers: ArrayLike | None = None,
    *,
    advantage: Advantage = "held_out",
    n_boot: int = 0,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Shadow attack on the target's outputs: advantage and AUC overall and per group
    (the :func:`bootstrap_ci` frame). ``held_out`` advantage: the attack's own decision
    ``P(member) >= 1/2`` (threshold learnt on the shadow data); ``best``: ``max_t``."""
    attack = fit_shadow_attack(
        shadow.estimator,
        shadow.X,
        shadow.y,
        n_shadow=shadow.n_shadow,
        attack_model=shadow.attack_model,
        per_class=shadow.per_class,
        seed=seed,
    )
    return attack.audit(
        y_members,
        proba_members,
        y_nonmembers,
        proba_nonmembers,
        groups_members,
        groups_nonmembers,
        advantage=advantage,
        n_boot=n_boot,
        level=level,
        seed=seed,
    )


# --------------------------------------------------------------------------- the audit


def membership_audit(
    y_members: ArrayLike,
    proba_members: ArrayLike,
    y_nonmembers: ArrayLike,
    proba_nonmembers: ArrayLike,
    groups_members: ArrayLike | None = None,
    groups_nonmembers: ArrayLike | None = None,
    *,
    attacks: tuple[str, ...] = ("loss_threshold",),
    shadow: ShadowSpec | None = None,
    advantage: Advantage = "held_out",
    seed: int = 0,
    n_boot: int = 200,
    level: float = 0.95,
) -> pd.DataFrame:
    """Membership-inference audit of a model from its probability of class 1 on its training
    examples (members) and on held-out examples (non-members), with their labels and groups.

    One tidy frame, columns :data:`COLUMNS`: ``attack`` (``loss_threshold``, ``shadow``),
    ``group`` ('' = overall), ``metric`` (``membership_advantage``, ``membership_auc``),
    ``value``, ``ci_low``, ``ci_high`` (percentile bootstrap, NaN if ``n_boot=0``),
    ``n_members``, ``n_nonmembers``. Every attack uses the same bootstrap resamples (paired).
    """
    unknown = [a for a in attacks if a not in ATTACKS]
    if unknown or not attacks:
        raise ValueError(
            f"attacks must be a non-empty subset of {ATTACKS}, got {tuple(attacks)!r}."
        )
    if "shadow" in attacks and shadow is None:
        raise ValueError("the shadow attack needs shadow=ShadowSpec(estimator, X, y).")
    ym, pm = _check_outputs(y_members, proba_members, "members")
    y0, p0 = _check_outputs(y_nonmembers, proba_nonmembers, "non-members")
    frames = []
    for name in attacks:
        if name == "loss_threshold":
            t = bootstrap_ci(
                membership_scores(ym, pm),
                membership_scores(y0, p0),
                groups_members,
                groups_nonmembers,
                advantage=advantage,
                n_boot=n_boot,
                level=level,
                seed=seed,
            )
        else:
            assert shadow is not None
            t = shadow_attack(
                shadow,
                ym,
                pm,
                y0,
                p0,
                groups_members,
                groups_nonmembers,
                advantage=advantage,
                n_boot=n_boot,
                level=level,
                seed=seed,
            )
        frames.append(t.assign(attack=name))
    return pd.concat(frames, ignore_index=True)[COLUMNS]
