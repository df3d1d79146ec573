"""Fair learning from a locally privatized sensitive attribute.

- :mod:`fairldp.fair.noise`: the channel ``A -> Z`` of an LDP protocol (:func:`decode`,
  exact :func:`transition_matrix`, :class:`NoiseModel` with :meth:`NoiseModel.recover`);
- :mod:`fairldp.fair.methods`: fair classifiers trained on the decoded attribute ``Z`` only
  (:data:`METHODS`, :func:`make_method`; imported on demand, it loads scikit-learn).
"""

from fairldp.fair.noise import (
    MAX_CONDITION,
    TIE_BREAKS,
    NoiseModel,
    NoiseModelError,
    decode,
    transition_matrix,
)

__all__ = [
    "MAX_CONDITION",
    "TIE_BREAKS",
    "NoiseModel",
    "NoiseModelError",
    "decode",
    "transition_matrix",
]
