"""fairldp's locally private fair encoder: a learned representation made class-conditionally
invariant to a sensitive attribute that the server only sees through an LDP channel.

Setting. Each user releases her sensitive attribute ``A`` in ``{0, ..., k-1}`` through an
eps-LDP protocol with the known channel ``T[a, z] = P(Z = z | A = a)`` (any protocol of
:mod:`fairldp.ldp`, decoded as in :mod:`fairldp.fair.noise`); features ``x`` and label ``y``
reach the server as they are (or through their own LDP release, whole-record LDP). The
randomiser draws ``Z`` from ``A`` alone, so ``Z`` is independent of ``(X, Y)`` given ``A``.

Model. An encoder ``h = tanh(MLP(x))`` in ``[-1, 1]^m`` and a logistic head ``sigma(w^T h + b)``
are trained together by Adam on mini-batches to minimise

    ``L = BCE(y, head(h)) + lambda * sum_c sum_a (pi_{a|c}) ||mu_{a,c} - mu_c||^2``,

where ``mu_{a,c} = E[f(h) | A = a, Y = c]`` and ``mu_c = E[f(h) | Y = c]`` are mean embeddings of
the representation under ``f(h) = [h, sqrt(2/D) cos(Omega h + beta)]`` (``D`` random Fourier
features of the Gaussian kernel of bandwidth ``sigma``, Rahimi & Recht, NeurIPS 2007; fixed,
seeded). The penalty is a class-conditional maximum mean discrepancy (Gretton et al., JMLR
2012): zero iff, within each class, every group's representation has the same distribution
(up to the kernel approximation) -- the invariance behind equalized odds for every classifier
trained on ``h`` (Hardt et al., NeurIPS 2016), not the marginal invariance (demographic parity)
that forces the same positive rate on groups of different prevalence.

Debiasing the privatized group. With ``M = T^{-1}``, ``E[M[Z, a] | A] = 1[A = a]``, and since
``Z`` is independent of ``(X, Y)`` given ``A``, for any function ``g``
``E[M[Z, a] 1[Y = c] g(X)] = E[1[A = a, Y = c] g(X)]`` (Lamy et al., NeurIPS 2019; Mozannar
et al., ICML 2020). So with ``pi_{a,c} = P(A = a, Y = c)`` estimated once by
``mean_i M[z_i, a] 1[y_i = c]`` (projected onto the simplex within each class), each row gives

    ``v_i^{(a,c)} = 1[y_i = c] (M[z_i, a] / pi_{a,c} - 1 / pi_c) f(h_i)``,
    ``E[v_i] = mu_{a,c} - mu_c``.

The penalty term of a batch ``B`` is the U-statistic

    ``U_{a,c} = (||sum_i v_i||^2 - sum_i ||v_i||^2) / (|B| (|B| - 1))``,

unbiased for ``||mu_{a,c} - mu_c||^2`` (distinct rows are independent), so its gradient is an
unbiased estimate of the population penalty's gradient (``pi`` held fixed). The plug-in
``||mean_i v_i||^2`` (``penalty="plugin"``, kept for the ablation) is biased upward by
``tr Cov(v) / |B|``, a term that grows with ``||M||^2 / pi_{a,c}`` (for GRR with ``k = 2``,
``M``'s entries are ``e^eps / (e^eps - 1)`` and ``-1 / (e^eps - 1)``, about ``+-1 / eps`` at
small eps): its gradient shrinks the spread of ``f(h)`` over all rows, so with a large weight
the penalty falls by collapsing the representation for every group (levelling down) rather
than by aligning the groups. The U-statistic removes that bias exactly; its variance is of
order ``||M||^4 / (|B|^2 pi_{a,c}^2)``, zero-mean noise for the optimizer. See
docs/guide/encoder.md for the argument and its assumptions.

Without privatization (``transition=None``) ``M = I``: the same estimator on the true groups.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import check_sensitive_features
from fairldp.repair.groups import check_groups, check_transition, project_rows_simplex
from fairldp.rng import derive_int_seed, make_rng

__all__ = ["PENALTIES", "FairEncoder", "class_conditional_weights", "invariance_penalty"]

#: estimators of the invariance penalty of a mini-batch
PENALTIES = ("unbiased", "plugin")


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "FairEncoder needs PyTorch: pip install 'fairldp[dpsgd]' (a CPU wheel)"
        ) from e
    return torch


def class_conditional_weights(
    z: ArrayLike, y: ArrayLike, k: int, transition: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-row coefficients ``C[i, (a, c)] = 1[y_i = c] (M[z_i, a] / pi_{a,c} - 1 / pi_c)``
    (n, 2k; column ``c * k + a``) and the weights ``P(A = a | Y = c)`` (2, k) of the penalty.

    ``M = T^{-1}`` (identity without ``transition``: ``z`` is the true group);
    ``pi_{a,c} = P(A = a | Y = c) pi_c`` from the deconvolved frequencies
    ``mean_i M[z_i, a] 1[y_i = c]``, projected onto the simplex within each class.
    ``mean_i C[i, (a, c)] f_i`` is then an unbiased estimate of ``mu_{a,c} - mu_c`` for any
    ``f`` (given ``pi``). A cell whose estimated share ``P(A = a | Y = c)`` is below 2 standard
    errors of its estimate (``sd_i(M[z_i, a]) / sqrt(n_c)`` over the class's rows) cannot be
    told from an empty one: its ``1 / pi_{a,c}`` would dominate the penalty with noise, so its
    coefficients and weight are 0 (left out of the penalty, with a warning)."""
    yy = np.asarray(y)
    zz = check_groups(z, k, n=yy.size, name="z")
    n = zz.size
    m = np.eye(k) if transition is None else np.linalg.inv(check_transition(transition, k))
    w = m[zz]  # (n, k): E[w_i[a] | A_i] = 1[A_i = a]
    out = np.zeros((n, 2 * k))
    cond = np.zeros((2, k))
    dropped = []
    for c in (0, 1):
        in_c = yy == c
        pc = in_c.mean()
        if pc == 0:
            raise ValueError(f"y has no row of class {c}: the penalty is class-conditional")
        share = project_rows_simplex(w[in_c].mean(axis=0)[None, :])[0]  # P(A = a | Y = c)
        se = w[in_c].std(axis=0) / np.sqrt(in_c.sum())
        keep = share >= 2.0 * se
        dropped += [(a, c) for a in np.flatnonzero(~keep)]
        p_ac = np.where(keep, share, 1.0) * pc
        cond[c] = np.where(keep, share, 0.0)
        out[:, c * k:(c + 1) * k] = np.where(keep, in_c[:, None] * (w / p_ac - 1.0 / pc), 0.0)
    if dropped:
        import warnings

        warnings.warn(f"groups left out of the invariance penalty (their share within the class "
                      f"is below 2 SE of its estimate): (group, class) {dropped}", stacklevel=2)
    return out, cond


def invariance_penalty(
    coef: Any, features: Any, weight: Any, estimator: str = "unbiased"
) -> Any:
    """``sum_{a,c} weight[a,c] U_{a,c}`` of a batch (torch tensors): ``coef`` (B, 2k) from
    :func:`class_conditional_weights`, ``features`` (B, D) the embedding ``f(h)``, ``weight``
    (2k,) = ``P(A = a | Y = c)``. ``unbiased``: the U-statistic
    ``(||sum_i v_i||^2 - sum_i ||v_i||^2) / (B (B - 1))``; ``plugin``: ``||mean_i v_i||^2``."""
    b = features.shape[0]
    s = coef.T @ features  # (2k, D): sum_i v_i per (a, c)
    total = (s * s).sum(dim=1)
    if estimator == "plugin":
        return (weight * total).sum() / (b * b)
    diag = (coef * coef).T @ (features * features).sum(dim=1)  # sum_i ||v_i||^2 per (a, c)
    return (weight * (total - diag)).sum() / (b * (b - 1))


class FairEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Encoder ``x -> h`` in ``[-1, 1]^m``, trained with a logistic head and the debiased
    class-conditional invariance penalty of the module docstring.

    Parameters
    ----------
    n_components : int
        Dimension ``m`` of the representation.
    hidden : int
        Units of the encoder's hidden layer (ReLU); 0: ``h = tanh(W x + b)``.
    fairness_weight : float
        ``lambda`` (0: a plain supervised encoder).
    penalty : {"unbiased", "plugin"}
        The batch estimator of the penalty (see the module docstring).
    n_fourier : int
        Random Fourier features ``D`` of the kernel embedding (0: the linear part ``h`` only:
        class-conditional mean matching).
    bandwidth : float
        ``sigma`` of the Gaussian kernel on ``h``.
    epochs, batch_size, learning_rate, weight_decay : training (Adam).
    random_state : int or None
        Seed of the initialization, the Fourier features and the batch order (streams
        ``(seed, "fair_encoder", ...)``); same data and seed give the same encoder; None: a
        fresh seed.

    Attributes
    ----------
    encoder_, head_ : torch modules (CPU, float32).
    mean_, scale_ : the standardization of ``X``.
    group_given_class_ : (2, k) the estimated ``P(A = a | Y = c)``.
    history_ : list of (epoch, loss, penalty) means over batches.
    """

    def __init__(
        self,
        n_components: int = 8,
        hidden: int = 64,
        fairness_weight: float = 10.0,
        penalty: str = "unbiased",
        n_fourier: int = 32,
        bandwidth: float = 1.0,
        epochs: int = 20,
        batch_size: int = 512,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-5,
        random_state: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.hidden = hidden
        self.fairness_weight = fairness_weight
        self.penalty = penalty
        self.n_fourier = n_fourier
        self.bandwidth = bandwidth
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.random_state = random_state

    __metadata_request__fit: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    def _check_params(self) -> None:
        for p in ("n_components", "epochs", "batch_size"):
            if int(getattr(self, p)) < 1:
                raise ValueError(f"{p} must be a positive integer, got {getattr(self, p)!r}")
        if int(self.batch_size) < 2:
            raise ValueError(f"batch_size must be >= 2 (the U-statistic needs pairs), got "
                             f"{self.batch_size!r}")  # fmt: skip
        for p in ("hidden", "n_fourier"):
            if int(getattr(self, p)) < 0:
                raise ValueError(f"{p} must be >= 0, got {getattr(self, p)!r}")
        lam = float(self.fairness_weight)
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"fairness_weight must be finite and >= 0, got {lam!r}")
        if not (float(self.bandwidth) > 0 and float(self.learning_rate) > 0):
            raise ValueError("bandwidth and learning_rate must be positive")
        if self.penalty not in PENALTIES:
            from fairldp.registry import closest

            hint = closest(self.penalty, list(PENALTIES))
            raise ValueError(f"penalty must be one of {list(PENALTIES)}, got "
                             f"{self.penalty!r}{hint}")  # fmt: skip

    def _modules(self, d: int, seed: int) -> tuple[Any, Any, Any, Any]:
        torch = _torch()
        m, hid = int(self.n_components), int(self.hidden)
        with torch.random.fork_rng(devices=[]):  # the caller's global torch stream is untouched
            torch.manual_seed(derive_int_seed(seed, "fair_encoder", "init"))
            layers = ([torch.nn.Linear(d, hid), torch.nn.ReLU(), torch.nn.Linear(hid, m)]
                      if hid else [torch.nn.Linear(d, m)])  # fmt: skip
            encoder = torch.nn.Sequential(*layers, torch.nn.Tanh())
            head = torch.nn.Linear(m, 1)
        rff = make_rng(seed, "fair_encoder", "fourier")
        D = int(self.n_fourier)
        omega = torch.from_numpy((rff.standard_normal((m, D)) / self.bandwidth)
                                 .astype(np.float32))  # fmt: skip
        beta = torch.from_numpy(rff.uniform(0, 2 * np.pi, D).astype(np.float32))
        return encoder, head, omega, beta

    def _embed(self, h: Any, omega: Any, beta: Any) -> Any:
        torch = _torch()
        if omega.shape[1] == 0:
            return h
        return torch.cat([h, math.sqrt(2.0 / omega.shape[1]) * torch.cos(h @ omega + beta)], 1)

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        sensitive_features: ArrayLike | None = None,
        transition: ArrayLike | None = None,
    ) -> FairEncoder:
        """Fit on features ``X`` (n, d), binary labels ``y`` and the group codes
        ``sensitive_features`` in ``[0, k)``: the decoded privatized group with its channel
        ``transition`` (k, k), or the true group (``transition=None``)."""
        torch = _torch()
        self._check_params()
        Xa = validate_data(self, X, reset=True, dtype=np.float64, ensure_min_samples=2)
        n = Xa.shape[0]
        g = check_sensitive_features(sensitive_features, n, self, "fit")
        ya = np.asarray(y)
        if ya.shape != (n,) or not np.all((ya == 0) | (ya == 1)):
            raise ValueError(f"y must be binary in {{0, 1}} with {n} entries (rows of X)")
        if transition is None:
            labels, codes = np.unique(g, return_inverse=True)
            k = max(labels.size, 2)
        else:
            k = np.asarray(transition).shape[0]
            codes = check_groups(g, k, n=n, name="sensitive_features")
        coef, cond = class_conditional_weights(codes, ya, k, transition)
        self.group_given_class_ = cond
        self.mean_ = Xa.mean(axis=0)
        sd = Xa.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        seed = (int(np.random.SeedSequence().entropy % (1 << 31)) if self.random_state is None
                else int(self.random_state))  # fmt: skip
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # determinism whatever the core count, and no oversubscription
        try:
            self._train(((Xa - self.mean_) / self.scale_).astype(np.float32), ya, coef,
                        cond.ravel(), seed)  # fmt: skip
        finally:
            torch.set_num_threads(threads)
        self._n_features_out = int(self.n_components)
        return self

    def _train(self, xs: NDArray[np.float32], y: NDArray[Any], coef: NDArray[np.float64],
               weight: NDArray[np.float64], seed: int) -> None:  # fmt: skip
        torch = _torch()
        encoder, head, omega, beta = self._modules(xs.shape[1], seed)
        X = torch.from_numpy(xs)
        Y = torch.from_numpy(y.astype(np.float32))
        C = torch.from_numpy(coef.astype(np.float32))
        wt = torch.from_numpy(weight.astype(np.float32))
        opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()],
                               lr=float(self.learning_rate),
                               weight_decay=float(self.weight_decay))  # fmt: skip
        bce = torch.nn.BCEWithLogitsLoss()
        lam = float(self.fairness_weight)
        order = make_rng(seed, "fair_encoder", "batches")
        n, b = xs.shape[0], min(int(self.batch_size), xs.shape[0])
        self.history_ = []
        for epoch in range(int(self.epochs)):
            perm = torch.from_numpy(order.permutation(n))
            tot = pen = 0.0
            batches = 0
            for start in range(0, n - b + 1, b):  # full batches only: equal-sized U-statistics
                idx = perm[start:start + b]
                h = encoder(X[idx])
                loss = bce(head(h).squeeze(-1), Y[idx])
                p = invariance_penalty(C[idx], self._embed(h, omega, beta), wt, self.penalty)
                if lam > 0:
                    loss = loss + lam * p
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot, pen, batches = tot + float(loss.detach()), pen + float(p.detach()), batches + 1
            self.history_.append((epoch, tot / batches, pen / batches))
        self.encoder_, self.head_ = encoder.eval(), head.eval()
        self.omega_, self.beta_ = omega, beta

    def _encode(self, X: ArrayLike) -> Any:
        torch = _torch()
        check_is_fitted(self, "encoder_")
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        xs = torch.from_numpy(((Xa - self.mean_) / self.scale_).astype(np.float32))
        with torch.no_grad():
            return self.encoder_(xs)

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """The representation ``h`` (n, m) in ``[-1, 1]``."""
        return self._encode(X).numpy().astype(np.float64)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """``[1 - p, p]`` with the encoder's own head ``p = sigma(w^T h + b)``."""
        torch = _torch()
        with torch.no_grad():
            p = torch.sigmoid(self.head_(self._encode(X)).squeeze(-1)).numpy()
        p = p.astype(np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """``1[p >= 1/2]`` of the encoder's head."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None, **fit_params: Any
                      ) -> NDArray[np.float64]:  # fmt: skip
        """``fit(X, y, **fit_params).transform(X)``."""
        return self.fit(X, y, **fit_params).transform(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
