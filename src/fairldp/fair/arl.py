"""Adversarially Reweighted Learning: a fair method that uses no sensitive attribute.

Lahoti, Beutel, Chen, Lee, Prost, Thain, Wang & Chi, "Fairness without demographics through
adversarially reweighted learning", NeurIPS 2020. A learner ``h_theta`` and an adversary
``f_phi`` play the minimax game (Rawlsian max-min fairness over the groups an adversary can
identify from the features and the label)::

    min_theta max_phi  L(theta, phi) = (1/n) sum_i lambda_phi(x_i, y_i) l(h_theta(x_i), y_i)
    lambda_phi(x_i, y_i) = 1 + n f_phi(x_i, y_i) / sum_j f_phi(x_j, y_j),
    f_phi(x, y) = sigmoid(a^T x + b y + c)

with ``l`` the cross-entropy and the sums over a mini-batch of ``n`` rows: the adversary is a
linear model of ``(x, y)`` (the paper's choice: groups must be computationally identifiable);
the weights have mean 2 and are at least 1, so no row is ever ignored. The game is solved by
alternating Adam steps: one step of the learner on the current weights, then one ascent step
of the adversary on the learner's new losses. The group passed as ``sensitive_features`` is
accepted (for the chain's calling convention) and never read: the learn stage passes zeros
(``uses_groups=False`` in :data:`fairldp.fair.METHODS`).

PyTorch is the optional extra ``dpsgd``; it is imported when a model is fitted, never by
prediction (the fitted weights are NumPy arrays). Determinism: one CPU thread while fitting, and
the initialization and the mini-batch order from a ``torch.Generator`` seeded by
``random_state``: the same data and seed give the same model.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["ARL", "import_torch"]


def import_torch() -> Any:
    """``torch``, or an :class:`ImportError` naming the extra that installs it."""
    try:
        import torch
    except ImportError as err:  # pragma: no cover - the extra is installed in the test env
        raise ImportError(
            "this method trains with PyTorch, which is not installed: "
            "pip install 'fairldp[dpsgd]' (the extra 'dpsgd'; CPU wheels suffice)"
        ) from err
    return torch


def torch_seed(random_state: int | None) -> int:
    """A seed for ``torch.Generator`` (``None``: fresh OS entropy, not reproducible)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint32)[0])
    from fairldp.rng import derive_int_seed

    return derive_int_seed(int(random_state), "torch")


def init_mlp(torch: Any, sizes: Sequence[int], gen: Any) -> list[Any]:
    """Parameters ``[W_1, b_1, W_2, b_2, ...]`` (float64, requiring gradients) of an MLP with
    layer sizes ``sizes``, drawn ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's default
    bound for ``nn.Linear``) from the generator ``gen``."""
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = 1.0 / np.sqrt(fan_in)
        for shape in ((fan_in, fan_out), (fan_out,)):
            p = torch.empty(shape, dtype=torch.float64).uniform_(-bound, bound, generator=gen)
            params.append(p.requires_grad_(True))
    return params


def mlp_forward(lib: Any, params: Sequence[Any], x: Any) -> Any:
    """``x W_1 + b_1 -> ReLU -> ... -> x W_L + b_L`` for torch tensors or NumPy arrays."""
    for i in range(0, len(params), 2):
        x = x @ params[i] + params[i + 1]
        if i + 2 < len(params):
            x = np.maximum(x, 0.0) if lib is np else lib.relu(x)
    return x


def _hidden_sizes(hidden: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(hidden, int | np.integer):
        sizes: tuple[int, ...] = (int(hidden),)
    else:
        sizes = tuple(int(h) for h in hidden)
    if sizes == (0,):
        return ()
    if any(h < 1 for h in sizes):
        raise ValueError(f"hidden must be 0 (linear) or positive layer sizes, got {hidden!r}")
    return sizes


class ARL(ClassifierMixin, BaseEstimator):
    """Adversarially Reweighted Learning (Lahoti et al., NeurIPS 2020); binary labels.

    Parameters
    ----------
    noise_model : ignored
        Accepted for the registry's constructor ``cls(noise_model, base_model, random_state)``.
    base_model : str
        ``"logistic_regression"`` (the chain's default model): the learner is trained here by
        gradient, a logistic regression (``hidden=0``) or an MLP (``hidden > 0``).
    random_state : int or None
        Seed of the initialization and of the mini-batch order.
    hidden : int or sequence of int
        Hidden layer sizes of the learner (ReLU); 0 is logistic regression (the paper's
        learner is an MLP of 64 and 32 units: ``hidden=[64, 32]``).
    epochs, batch_size : int
        Passes over the training rows and rows per step (``None``: full batch); the weights
        ``lambda`` are normalized within each batch.
    pretrain_epochs : int
        Epochs of plain (unweighted) learner training before the game starts (the paper's
        pre-training steps).
    learning_rate, adversary_learning_rate : float
        Adam step sizes of the learner and the adversary.

    Attributes
    ----------
    classes_, n_features_in_ : the labels and the number of features.
    mean_, scale_ : the standardization of the features (training mean and sd).
    coefs_ : list of arrays ``[W_1, b_1, ...]`` of the learner.
    adversary_coef_ : ``[W, b]`` of the adversary on ``(standardized x, y)``.
    n_steps_ : learner steps taken.
    """

    __metadata_request__fit: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__predict: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__predict_proba: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    def __init__(
        self,
        noise_model: Any = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        hidden: int | Sequence[int] = 0,
        epochs: int = 30,
        batch_size: int | None = 256,
        pretrain_epochs: int = 1,
        learning_rate: float = 0.01,
        adversary_learning_rate: float = 0.01,
    ) -> None:
        self.noise_model = noise_model
        self.base_model = base_model
        self.random_state = random_state
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.pretrain_epochs = pretrain_epochs
        self.learning_rate = learning_rate
        self.adversary_learning_rate = adversary_learning_rate

    def _check_params(self) -> tuple[int, ...]:
        if self.base_model not in (None, "logistic_regression"):
            raise ValueError(
                "ARL trains its own learner by gradient: base_model must be "
                f"'logistic_regression' (an MLP with hidden=[...]), got {self.base_model!r}"
            )
        for name in ("epochs", "pretrain_epochs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
        bs = self.batch_size
        if bs is not None and (isinstance(bs, bool) or not isinstance(bs, int | np.integer)
                               or bs < 1):  # fmt: skip
            raise ValueError(f"batch_size must be None or an integer >= 1, got {bs!r}")
        for name in ("learning_rate", "adversary_learning_rate"):
            v = getattr(self, name)
            if not (isinstance(v, int | float | np.number) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        return _hidden_sizes(self.hidden)

    def fit(
        self, X: ArrayLike, y: ArrayLike, *, sensitive_features: ArrayLike | None = None
    ) -> ARL:
        """Fit on features ``X`` and binary labels ``y``; ``sensitive_features`` is ignored."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size != 2:
            raise ValueError(
                "Only binary classification is supported by ARL: y must hold exactly 2 classes, "
                f"found {classes.size} class{'' if classes.size == 1 else 'es'}"
            )
        hidden = self._check_params()
        self.classes_ = classes
        self.mean_ = X.mean(axis=0)
        sd = X.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        torch = import_torch()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._fit(torch, (X - self.mean_) / self.scale_,
                      (y == classes[1]).astype(np.float64), hidden)  # fmt: skip
        finally:
            torch.set_num_threads(threads)
        return self

    def _fit(self, torch: Any, xs: NDArray[np.float64], y: NDArray[np.float64],
             hidden: tuple[int, ...]) -> None:  # fmt: skip
        n, d = xs.shape
        gen = torch.Generator().manual_seed(torch_seed(self.random_state))
        learner = init_mlp(torch, (d, *hidden, 1), gen)
        adversary = init_mlp(torch, (d + 1, 1), gen)
        opt_l = torch.optim.Adam(learner, lr=float(self.learning_rate))
        opt_a = torch.optim.Adam(adversary, lr=float(self.adversary_learning_rate))
        xt, yt = torch.from_numpy(xs), torch.from_numpy(y)
        xy = torch.cat([xt, yt[:, None]], dim=1)  # the adversary's input (x, y)
        bce = torch.nn.functional.binary_cross_entropy_with_logits

        def losses(rows: Any) -> Any:
            return bce(mlp_forward(torch, learner, xt[rows])[:, 0], yt[rows], reduction="none")

        def weights(rows: Any) -> Any:  # lambda = 1 + n f / sum f over the batch
            f = torch.sigmoid(mlp_forward(torch, adversary, xy[rows])[:, 0])
            return 1.0 + f.shape[0] * f / f.sum()

        bs = n if self.batch_size is None else min(int(self.batch_size), n)
        steps = 0
        for epoch in range(int(self.pretrain_epochs) + int(self.epochs)):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, bs):
                rows = order[start:start + bs]
                game = epoch >= int(self.pretrain_epochs)
                lam = weights(rows).detach() if game else 1.0
                opt_l.zero_grad()
                (lam * losses(rows)).mean().backward()
                opt_l.step()
                steps += 1
                if game:  # ascent step of the adversary on the learner's new losses
                    with torch.no_grad():
                        loss = losses(rows)
                    opt_a.zero_grad()
                    (-(weights(rows) * loss).mean()).backward()
                    opt_a.step()
        self.coefs_ = [p.detach().numpy().copy() for p in learner]
        self.adversary_coef_ = [p.detach().numpy().copy() for p in adversary]
        self.n_steps_ = steps

    def _standardized(self, X: ArrayLike) -> NDArray[np.float64]:
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return (X - self.mean_) / self.scale_

    def decision_function(
        self, X: ArrayLike, *, sensitive_features: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """The learner's logit of ``classes_[1]``."""
        xs = self._standardized(X)  # checks that the model is fitted
        return mlp_forward(np, self.coefs_, xs)[:, 0]

    def predict_proba(
        self, X: ArrayLike, *, sensitive_features: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """``[P(classes_[0]), P(classes_[1])]`` per row (``sensitive_features`` ignored)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike, *, sensitive_features: ArrayLike | None = None) -> NDArray[Any]:
        """``classes_[1]`` where ``P(classes_[1]) >= 1/2`` (``sensitive_features`` ignored)."""
        hit = self.decision_function(X) >= 0.0  # checks that the model is fitted
        return self.classes_[hit.astype(np.int64)]

    def example_weights(self, X: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """The adversary's weights ``lambda(x_i, y_i)`` of the rows ``(X, y)``, normalized over
        them as one batch (which rows the game upweights)."""
        xs = self._standardized(X)
        yy = (np.asarray(y) == self.classes_[1]).astype(np.float64)
        logit = mlp_forward(np, self.adversary_coef_, np.column_stack([xs, yy]))[:, 0]
        f = 1.0 / (1.0 + np.exp(-logit))
        return 1.0 + f.size * f / f.sum()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = False
        return tags
