"""A fair representation released under local differential privacy, after Xie et al. (2024).

S. Xie, Y. Wu, J. Li, M. Ding, K. B. Letaief, "Privacy for fairness: information obfuscation
for fair representation learning with local differential privacy", arXiv:2402.10473.

The user's device maps its features ``x`` to a bounded code and releases it through an
``epsilon``-LDP randomizer::

    e = f(x) = tanh(MLP(x)) in [-1, 1]^m,     z = e + Lap(b)^m,   b = 2 m / epsilon

(the L1 sensitivity of ``[-1, 1]^m`` is ``2 m``, so ``z`` is an ``epsilon``-LDP release of
``x`` given the encoder). Since ``I(X; Z) <= epsilon`` for any encoder, and for a sensitive
attribute ``S`` (with ``S - X - Z``) ``I(S; Z) = I(X; Z) - I(X; Z | S) <= epsilon -
I(X; Z | S)``, the paper's information-bottleneck view is to keep ``I(Y; Z)`` high and push
``I(X; Z | S)`` up (the budget is then spent on what ``S`` does not explain), non-adversarially
and without a variational prior (the randomizer bounds ``I(X; Z)`` in place of the prior's KL).
The server trains ``f`` together with a classifier head ``q(y | z)`` and a decoder ``g(z, s)``
on randomized codes (fresh Laplace noise at each step, reparameterized) by minimizing::

    L = CE(y, q(z))                              -> -I(Y; Z)      (variational bound)
      + beta  * ||x - g(z, s)||^2 / d            -> -I(X; Z | S)  (Gaussian decoder, up to H)
      + gamma * sum_g |qbar_g - qbar|            fairness regularizer (statistical parity)

where ``s`` is the group as the server sees it and ``qbar_g`` the (weighted) mean score of
group ``g``. With a privatized group the decoder is conditioned on, and the group means are
weighted by, group weights ``W`` (n, k): the one-hot decoded group (naive), or weights through
the channel ``T`` (deconvolution ``T^-T e_z``: ``E[W | A] = e_A``; or EM posteriors), as for
:class:`~fairldp.repair.LearnedFairRepresentation` (whose ``C`` matrix gives the group
deviations; mini-batch estimates use the full-data group masses).

What follows the paper: a bounded encoder output privatized by the Laplace mechanism on the
device, the IB objective with the ``I(Y; Z)`` and ``I(X; Z | S)`` terms by non-adversarial
variational bounds, no variational prior. What is ours (the paper's method section and code
were not available to us; see the module of the representation kind,
:mod:`fairldp.representations.xie`): tanh as the bound, the networks (one hidden ReLU layer,
linear head), the Gaussian decoder, the explicit parity regularizer ``gamma`` and the use of a
privatized group (weights through ``T``), the optimizer and all defaults.

Release noise. :meth:`XieEncoder.transform` adds one independent Laplace draw per row and
coordinate, from the stream ``(random_state, "xie", "release", digest of X)``: every user of a
release gets her own noise (two users with the same features get independent draws), and
transforming the same rows again gives the same release (the codes of a release are drawn
once, as each device draws its own report once).
:meth:`XieEncoder.encode` is the noiseless code ``f(x)`` (the device side before the
randomizer). PyTorch (extra ``dpsgd``) is needed to fit only.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import check_sensitive_features
from fairldp.fair.arl import import_torch, init_mlp, mlp_forward, torch_seed
from fairldp.repair.lfr import LearnedFairRepresentation, _group_matrix

__all__ = ["XieEncoder", "laplace_scale"]


def laplace_scale(epsilon: float, n_components: int) -> float:
    """Scale ``b = 2 m / epsilon`` of the Laplace noise that makes a code in ``[-1, 1]^m``
    ``epsilon``-LDP (0 for ``epsilon = inf``: no noise)."""
    return 0.0 if math.isinf(epsilon) else 2.0 * n_components / float(epsilon)


def _release_uniforms(X: NDArray[np.float64], m: int, seed: int) -> NDArray[np.float64]:
    """``(n, m)`` independent uniforms in ``(0, 1)``, one per row and coordinate, from the
    stream ``(seed, "xie", "release", sha256 of X)``."""
    import hashlib

    from fairldp.rng import make_rng

    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes()).hexdigest()
    u = make_rng(int(seed), "xie", "release", digest[:16]).random((X.shape[0], m))
    return np.clip(u, 2.0**-54, 1.0 - 2.0**-54)


class XieEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Encoder whose bounded code is released with the Laplace mechanism (Xie et al. 2024).

    Parameters
    ----------
    epsilon : float
        LDP budget of the released code (``inf``: no noise, the non-private reference).
    n_components : int
        Size ``m`` of the code.
    hidden : int
        Hidden ReLU units of the encoder and of the decoder (0: linear maps).
    reconstruct_weight : float
        ``beta``, weight of the conditional reconstruction (the ``I(X; Z | S)`` term).
    fairness_weight : float
        ``gamma``, weight of the statistical-parity regularizer of the head's score.
    epochs, batch_size, learning_rate : training (Adam; ``batch_size=None``: full batch).
    random_state : int or None
        Seed of the initialization, the training noise, the batches and the release noise.

    Attributes
    ----------
    scale_noise_ : float
        The Laplace scale ``b``.
    release_seed_ : int
        Seed of the release noise (``random_state``, or fresh entropy when it is None).
    encoder_, head_, decoder_ : lists of arrays ``[W_1, b_1, ...]``.
    mean_, scale_ : the standardization of the features.
    loss_ : dict of the final training losses (``total``, ``ce``, ``reconstruct``, ``parity``)
        on one noisy pass over the training rows.
    """

    __metadata_request__fit: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    def __init__(
        self,
        epsilon: float = 4.0,
        n_components: int = 4,
        hidden: int = 32,
        reconstruct_weight: float = 0.1,
        fairness_weight: float = 1.0,
        epochs: int = 20,
        batch_size: int | None = 256,
        learning_rate: float = 0.005,
        random_state: int | None = None,
    ) -> None:
        self.epsilon = epsilon
        self.n_components = n_components
        self.hidden = hidden
        self.reconstruct_weight = reconstruct_weight
        self.fairness_weight = fairness_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _check_params(self) -> None:
        eps = self.epsilon
        if isinstance(eps, bool) or not isinstance(eps, int | float | np.number) or not eps > 0:
            raise ValueError(f"epsilon must be a positive number (or inf), got {eps!r}")
        for name, low in (("n_components", 1), ("hidden", 0), ("epochs", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
        bs = self.batch_size
        if bs is not None and (isinstance(bs, bool) or not isinstance(bs, int | np.integer)
                               or bs < 2):  # fmt: skip
            raise ValueError(f"batch_size must be None or an integer >= 2, got {bs!r}")
        for name in ("reconstruct_weight", "fairness_weight"):
            v = getattr(self, name)
            if not (isinstance(v, int | float | np.number) and np.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        lr = self.learning_rate
        if not (isinstance(lr, int | float | np.number) and lr > 0):
            raise ValueError(f"learning_rate must be a positive number, got {lr!r}")

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        sensitive_features: ArrayLike | None = None,
        group_weights: ArrayLike | None = None,
    ) -> XieEncoder:
        """Fit on features ``X``, binary labels ``y`` in {0, 1} and either hard (decoded)
        groups ``sensitive_features`` or group weights ``group_weights`` (n, k)."""
        Xa = validate_data(self, X, reset=True, dtype=np.float64, ensure_min_samples=2)
        n = Xa.shape[0]
        if group_weights is None:
            sensitive_features = check_sensitive_features(sensitive_features, n, self, "fit")
        self._check_params()
        ya = np.asarray(y, dtype=np.float64) if y is not None else None
        if ya is None or ya.ndim != 1 or ya.shape[0] != n:
            raise ValueError(f"y must be 1-D with {n} entries (rows of X)")
        if not np.all((ya == 0) | (ya == 1)):
            raise ValueError("y must be binary with values in {0, 1}")
        W, _ = _group_matrix(n, sensitive_features, group_weights)
        self.mean_ = Xa.mean(axis=0)
        sd = Xa.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        self.scale_noise_ = laplace_scale(float(self.epsilon), int(self.n_components))
        self.release_seed_ = (int(self.random_state) if self.random_state is not None
                              else int(np.random.SeedSequence().generate_state(1)[0]))  # fmt: skip
        torch = import_torch()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._fit(torch, (Xa - self.mean_) / self.scale_, ya, W)
        finally:
            torch.set_num_threads(threads)
        self._n_features_out = int(self.n_components)
        return self

    def _fit(self, torch: Any, xs: NDArray[np.float64], y: NDArray[np.float64],
             W: NDArray[np.float64]) -> None:  # fmt: skip
        n, d = xs.shape
        m, h, k = int(self.n_components), int(self.hidden), W.shape[1]
        gen = torch.Generator().manual_seed(torch_seed(self.random_state))
        enc = init_mlp(torch, (d, h, m) if h else (d, m), gen)
        head = init_mlp(torch, (m, 1), gen)
        dec = init_mlp(torch, (m + k, h, d) if h else (m + k, d), gen)
        opt = torch.optim.Adam([*enc, *head, *dec], lr=float(self.learning_rate))
        xt, yt, wt = torch.from_numpy(xs), torch.from_numpy(y), torch.from_numpy(W)
        ct = torch.from_numpy(LearnedFairRepresentation._fairness_matrix(W))
        b = self.scale_noise_
        beta, gamma = float(self.reconstruct_weight), float(self.fairness_weight)

        def laplace(shape: tuple[int, int]) -> Any:  # inverse CDF of U(-1/2, 1/2)
            u = torch.rand(shape, generator=gen, dtype=torch.float64) - 0.5
            return -b * torch.sign(u) * torch.log1p(-2.0 * u.abs().clamp(max=0.5 - 2.0**-54))

        def losses(rows: Any) -> tuple[Any, Any, Any]:
            e = torch.tanh(mlp_forward(torch, enc, xt[rows]))
            z = e + laplace(tuple(e.shape)) if b > 0 else e
            logit = mlp_forward(torch, head, z)[:, 0]
            ce = torch.nn.functional.binary_cross_entropy_with_logits(logit, yt[rows])
            rec = ((xt[rows] - mlp_forward(torch, dec, torch.cat([z, wt[rows]], 1))) ** 2).mean()
            # group deviations of the mean score, unbiased from the batch: (n / |B|) C_B^T q_B
            dev = (n / rows.shape[0]) * (ct[rows].T @ torch.sigmoid(logit))
            return ce, rec, dev.abs().sum()

        bs = n if self.batch_size is None else min(int(self.batch_size), n)
        for _ in range(int(self.epochs)):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, bs):
                ce, rec, par = losses(order[start:start + bs])
                opt.zero_grad()
                (ce + beta * rec + gamma * par).backward()
                opt.step()
        with torch.no_grad():
            ce, rec, par = losses(torch.arange(n))
        self.loss_ = {"total": float(ce + beta * rec + gamma * par), "ce": float(ce),
                      "reconstruct": float(rec), "parity": float(par)}  # fmt: skip
        self.encoder_ = [p.detach().numpy().copy() for p in enc]
        self.head_ = [p.detach().numpy().copy() for p in head]
        self.decoder_ = [p.detach().numpy().copy() for p in dec]

    def fit_transform(
        self,
        X: ArrayLike,
        y: ArrayLike | None = None,
        *,
        sensitive_features: ArrayLike | None = None,
        group_weights: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """``fit(...).transform(X)`` (the transform needs no group)."""
        return self.fit(X, y, sensitive_features=sensitive_features,
                        group_weights=group_weights).transform(X)  # fmt: skip

    def encode(self, X: ArrayLike) -> NDArray[np.float64]:
        """The noiseless code ``f(x)`` in ``[-1, 1]^m`` (what the device randomizes)."""
        check_is_fitted(self, "encoder_")
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        return np.tanh(mlp_forward(np, self.encoder_, (Xa - self.mean_) / self.scale_))

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """The released codes ``f(x) + Lap(b)^m``, one independent draw per row and coordinate
        (see the module docstring)."""
        e = self.encode(X)
        if self.scale_noise_ == 0.0:
            return e
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        u = _release_uniforms(Xa, e.shape[1], self.release_seed_) - 0.5
        return e - self.scale_noise_ * np.sign(u) * np.log1p(-2.0 * np.abs(u))

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """``[1 - q, q]``: the server's head ``q(y | z)`` on the released codes."""
        p = 1.0 / (1.0 + np.exp(-mlp_forward(np, self.head_, self.transform(X))[:, 0]))
        return np.column_stack([1.0 - p, p])
