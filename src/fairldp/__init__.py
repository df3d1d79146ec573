"""fairldp: machine learning that is both locally differentially private and fair.

The package is usable without the pipeline. Its building blocks live in one module per
concept:

- :mod:`fairldp.ldp` -- local differential privacy protocols and budget splits;
- :mod:`fairldp.datasets` -- dataset registry, parsers and deterministic splits;
- :mod:`fairldp.privacy` -- the boundary between privatized and raw sensitive attributes;
- :mod:`fairldp.represent` -- representations of (privatized) tables as model features;
- :mod:`fairldp.models` -- the classifiers trained by studies;
- :mod:`fairldp.metrics` -- utility and group-fairness metrics on the true attribute;
- :mod:`fairldp.plotting` -- study figures;
- :mod:`fairldp.rng` -- reproducible random streams from :class:`numpy.random.SeedSequence`.
"""

__version__ = "0.1.0"
