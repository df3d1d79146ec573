"""Central differential privacy for the model: DP-SGD training with Opacus, as a learner.

:class:`DPSGDClassifier` trains a logistic regression (``hidden=0``) or a one-hidden-layer MLP
with DP-SGD (Abadi et al., CCS 2016): each step draws a Poisson sample of the training rows
(rate ``batch_size / n``), clips each example's gradient to L2 norm ``max_grad_norm`` and adds
Gaussian noise of standard deviation ``noise_multiplier * max_grad_norm`` to their sum. The
noise multiplier is the smallest that the accountant (Opacus' PRV accountant, Gopi et al.,
NeurIPS 2021) certifies for ``(epsilon, delta)``-DP after ``epochs`` epochs; the fitted
``epsilon_`` is what the accountant reports for the steps taken. ``epsilon=inf`` trains the same
network with the same sampling and no clipping or noise: the non-private reference.

The guarantee covers the model's parameters given the standardization of the features (their
mean and standard deviation on the training rows are treated as public metadata, as for the
clipping ranges of numeric LDP) and is at the level of one training row. Local privacy on an
attribute and central DP on the model are different guarantees: a study sets them side by
side at the same epsilon (Bagdasaryan et al., NeurIPS 2019, for who pays for DP-SGD's noise).

Determinism: one CPU thread and every random draw (initialization, sampling, noise) from
``torch`` generators seeded by ``random_state``; the same data and seed give the same model.
PyTorch and Opacus are the optional extra ``dpsgd``.

References: M. Abadi et al., "Deep learning with differential privacy", CCS 2016. A. Yousefpour
et al., "Opacus: user-friendly differential privacy library in PyTorch", arXiv:2109.12298.
S. Gopi, Y. T. Lee, L. Wutschitz, "Numerical composition of differential privacy", NeurIPS 2021.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["ACCOUNTANT", "DPSGDClassifier", "noise_multiplier"]

#: the privacy accountant (Opacus' PRV accountant: numerical composition, Gopi et al. 2021)
ACCOUNTANT = "prv"


@functools.lru_cache(maxsize=64)
def noise_multiplier(epsilon: float, delta: float, sample_rate: float, epochs: int) -> float:
    """The smallest noise multiplier the accountant certifies for ``(epsilon, delta)`` after
    ``epochs`` epochs at Poisson rate ``sample_rate`` (Opacus' ``get_noise_multiplier``);
    cached, as every seed of a job with the same number of rows asks the same question."""
    from opacus.accountants.utils import get_noise_multiplier

    return float(get_noise_multiplier(target_epsilon=epsilon, target_delta=delta,
                                      sample_rate=sample_rate, epochs=epochs,
                                      accountant=ACCOUNTANT))  # fmt: skip


class DPSGDClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier trained with DP-SGD (Opacus).

    Parameters
    ----------
    epsilon : float
        Target epsilon of the whole training (``inf``: no noise, no clipping).
    delta : float or None
        Target delta; ``None`` is ``1 / (10 n)`` (below ``1 / n``, as DP needs).
    hidden : int
        Units of the hidden layer (ReLU); 0 is logistic regression.
    epochs, batch_size, learning_rate, max_grad_norm : training (expected batch size of the
        Poisson sampling; SGD with momentum 0.9; per-example clipping norm).
    random_state : int
        Seed of every random draw.
    """

    def __init__(
        self,
        epsilon: float = 1.0,
        delta: float | None = None,
        hidden: int = 0,
        epochs: int = 5,
        batch_size: int = 256,
        learning_rate: float = 0.1,
        max_grad_norm: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.epsilon = epsilon
        self.delta = delta
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_grad_norm = max_grad_norm
        self.random_state = random_state

    def _check_params(self, n: int) -> float:
        if not (self.epsilon > 0):
            raise ValueError(f"epsilon must be positive (or inf), got {self.epsilon!r}")
        delta = 1.0 / (10 * n) if self.delta is None else float(self.delta)
        if not 0 < delta < 1:
            raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if int(self.hidden) < 0:
            raise ValueError(f"hidden must be >= 0, got {self.hidden!r}")
        if not (self.max_grad_norm > 0 and self.learning_rate > 0):
            raise ValueError("max_grad_norm and learning_rate must be positive")
        return delta

    def _network(self, d: int) -> Any:
        import torch

        if int(self.hidden) == 0:
            return torch.nn.Linear(d, 1)
        return torch.nn.Sequential(torch.nn.Linear(d, int(self.hidden)), torch.nn.ReLU(),
                                   torch.nn.Linear(int(self.hidden), 1))  # fmt: skip

    def fit(self, X: ArrayLike, y: ArrayLike) -> DPSGDClassifier:
        import torch

        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError("Only binary classification is supported by DPSGDClassifier; y has "
                             f"{self.classes_.size} classes")
        n = X.shape[0]
        delta = self._check_params(n)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        with warnings.catch_warnings():
            # Opacus' notes: secure RNG off (deterministic experiments), full backward hooks
            warnings.filterwarnings("ignore", message="Secure RNG turned off")
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            # the RDP bound inside the calibration; the PRV accountant gives epsilon_
            warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
            try:
                self._fit(X, codes, n, delta)
            finally:
                torch.set_num_threads(threads)
        return self

    def _fit(self, X: NDArray[np.float64], codes: NDArray[Any], n: int, delta: float) -> None:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        torch.manual_seed(int(self.random_state))
        net = self._network(X.shape[1]).double()
        data = TensorDataset(torch.from_numpy((X - self.mean_) / self.scale_),
                             torch.from_numpy(codes.astype(np.float64)))  # fmt: skip
        gen = torch.Generator().manual_seed(int(self.random_state) + 1)
        loader = DataLoader(data, batch_size=min(int(self.batch_size), n), shuffle=True,
                            generator=gen)  # fmt: skip
        opt = torch.optim.SGD(net.parameters(), lr=self.learning_rate, momentum=0.9)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        private = math.isfinite(self.epsilon)
        if private:
            from opacus import PrivacyEngine

            engine = PrivacyEngine(accountant=ACCOUNTANT, secure_mode=False)
            sigma = noise_multiplier(float(self.epsilon), delta, 1 / len(loader),
                                     int(self.epochs))  # fmt: skip
            net, opt, loader = engine.make_private(
                module=net, optimizer=opt, data_loader=loader, noise_multiplier=sigma,
                max_grad_norm=float(self.max_grad_norm), criterion=loss_fn,
                noise_generator=torch.Generator().manual_seed(int(self.random_state) + 2),
            )  # fmt: skip
        steps = 0
        for _ in range(int(self.epochs)):
            for xb, yb in loader:
                if len(xb) == 0:  # an empty Poisson sample: a step of noise only
                    continue
                opt.zero_grad()
                loss_fn(net(xb).squeeze(-1), yb).backward()
                opt.step()
                steps += 1
        self.n_steps_ = steps
        self.delta_ = delta if private else 0.0
        if private:
            self.noise_multiplier_ = float(opt.noise_multiplier)
            self.epsilon_ = float(engine.get_epsilon(delta))
            net = net._module  # the plain network, without Opacus' hooks
        else:
            self.noise_multiplier_, self.epsilon_ = 0.0, math.inf
        self.network_ = net.eval()

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        import torch

        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with torch.no_grad():
            out = self.network_(torch.from_numpy((X - self.mean_) / self.scale_))
        return out.squeeze(-1).numpy().astype(np.float64)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p >= 0.5).astype(int)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = False
        return tags
