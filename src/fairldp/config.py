"""Study configuration: validation against the JSON schema with one clear message, and the grid.

The schema (``config/schema/config.schema.yaml``) is the single source of truth for the keys
and their allowed values. :func:`validate_config` reports the first problem as one sentence
naming the key and what is allowed, e.g.::

    config key 'epsilons[2]': -1 is not allowed; must be a number > 0
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

__all__ = [
    "ConfigError",
    "GridPoint",
    "format_epsilon",
    "load_schema",
    "study_grid",
    "validate_config",
]


class ConfigError(ValueError):
    """The study configuration is invalid."""


def load_schema(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _key(path: Any) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _allowed(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return f"allowed values: {schema['enum']}"
    if "description" in schema:
        return f"must be {schema['description']}"
    return f"must match {schema}"


def _message(err: Any) -> str:
    key = _key(err.absolute_path)
    v = err.validator
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        hints = []
        for e in extra:
            close = difflib.get_close_matches(e, allowed, n=1)
            hints.append(f"'{e}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        where = "" if key == "<top level>" else f" under '{key}'"
        plural = "s" if len(extra) > 1 else ""
        return f"unknown config key{plural} {', '.join(hints)}{where}; allowed keys: {allowed}"
    if v == "required":
        where = "" if key == "<top level>" else f" under '{key}'"
        return f"config key {err.message.split()[0]} is missing{where}"
    if v == "minItems":
        return f"config key '{key}' is empty; give at least {err.validator_value} value(s)"
    if v == "uniqueItems":
        return f"config key '{key}' lists a value twice: {err.instance}"
    return f"config key '{key}': {err.instance!r} is not allowed; {_allowed(err.schema)}"


def validate_config(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` with one sentence for the first violation of ``schema``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(config), key=lambda e: (list(e.absolute_path), e.validator)
    )
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise ConfigError(_message(best))
    for i, eps in enumerate(config.get("epsilons", [])):
        if not math.isfinite(float(eps)):
            raise ConfigError(
                f"config key 'epsilons[{i}]': {eps!r} is not allowed; must be a finite number > 0 "
                "(the non-private baseline is the protocol 'none', enabled by 'baseline: true')"
            )


def format_epsilon(eps: float) -> str:
    """Canonical text of an epsilon for file names: 1.0 -> '1', 0.25 -> '0.25', inf -> 'inf'."""
    eps = float(eps)
    if math.isinf(eps):
        return "inf"
    return np.format_float_positional(eps, trim="-")


@dataclass(frozen=True)
class GridPoint:
    """One (dataset, protocol, epsilon) cell of a study: one job per stage.

    Budget splits and seeds loop inside the job, so that a job does enough work to outweigh
    the cost of starting it, while adding an epsilon (or a protocol) adds only its own jobs.
    """

    dataset: str
    protocol: str
    epsilon: str  # canonical text, see format_epsilon

    @property
    def path(self) -> str:
        return f"{self.dataset}/{self.protocol}/eps{self.epsilon}"


def study_grid(config: dict[str, Any]) -> list[GridPoint]:
    """All grid cells of a validated config, the non-private baseline included if enabled."""
    cells = []
    for ds in config["datasets"]:
        if config.get("baseline", True):
            cells.append(GridPoint(ds, "none", "inf"))
        for proto in config["protocols"]:
            for eps in config["epsilons"]:
                cells.append(GridPoint(ds, proto, format_epsilon(eps)))
    return cells
