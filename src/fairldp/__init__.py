"""fairldp: machine learning that is both locally differentially private and fair.

The package is usable without the pipeline. Its building blocks live in one module per
concept:

- :mod:`fairldp.ldp` -- local differential privacy protocols and budget splits;
- :mod:`fairldp.fair` -- the exact noise model of a protocol; fair methods trained on the
  privatized attribute, naive and noise-corrected;
- :mod:`fairldp.repair` -- optimal-transport repair and fair representations from true or
  privatized groups, attribute leakage;
- :mod:`fairldp.datasets` -- dataset registry, parsers and deterministic splits;
- :mod:`fairldp.privacy` -- the release of privatized attributes, and the boundary check;
- :mod:`fairldp.representations` -- representation kinds of study files;
- :mod:`fairldp.models` -- the base classifiers;
- :mod:`fairldp.metrics`, :mod:`fairldp.audits` -- utility and group-fairness metrics, on the
  true attribute;
- :mod:`fairldp.figures` -- figure kinds of study files;
- :mod:`fairldp.rng` -- reproducible random streams from :class:`numpy.random.SeedSequence`;
- :mod:`fairldp.registry` -- the registries every name of a study file is checked against.

The pipeline: :mod:`fairldp.config` (the typed study file), :mod:`fairldp.plan` (its jobs and
artifacts) and :mod:`fairldp.stages` (the only code that reads and writes artifacts).
"""

__version__ = "0.1.0"
