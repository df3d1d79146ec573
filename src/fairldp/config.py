"""The study file, typed: every default and every check, before any job runs.

A study file (YAML) declares named *variants* on each axis of the chain and which
combinations run::

    study: default
    results: results
    datasets: [adult, german]
    seeds: [0, 1, 2]
    epsilons: [0.5, 1, 2, 4, 8]
    privatizers:                 # how users release their sensitive attributes
      grr: {protocol: grr, budget_splits: [uniform, k_based]}
      sex_grr: {protocol: grr, attributes: group, test: privatized}
    representations:             # how released rows become features
      identity: {}
      quantile_deconvolution: {kind: quantile, groups: deconvolution, amounts: [0, 0.5, 1]}
    learners:                    # a base model, optionally trained by a fair method
      lightgbm: {}
      two_step: {model: logistic_regression, method: corrected_postproc_eo}
    runs:                        # which combinations run (default: the full product)
      - {privatizers: [grr], representations: [identity], learners: [lightgbm]}
    audits: [utility, fairness_true]
    figures:
      fairness: {kind: lines, x: epsilon, y: [equalized_odds_difference], hue: learner}

:func:`load_study` turns such a mapping into a :class:`Study` (frozen dataclasses holding every
default) or raises :class:`ConfigError` with one sentence naming the key, e.g.::

    config key 'learners.two_step.method': unknown fair method 'corected_postproc_eo'
    (did you mean 'corrected_postproc_eo'?); registered: [...]

The structure (keys and types) is checked against the JSON schema
(``fairldp/schema/study.schema.yaml``, also used by Snakemake at DAG build); names against the
registries (datasets, protocols, models, fair methods, representation kinds, audits, metrics,
figure kinds, including those a study's ``plugins`` register); and every combination a run
makes against the datasets (attributes, domains, features). The non-private baseline is the
built-in privatizer ``none`` (epsilon ``inf``), added to every run unless ``baseline: false``.
A ``label_bias`` whose ``rate`` is a list is a sweep: every stage after the split runs once
per rate, keyed ``{dataset}@{rate}`` (:meth:`LabelBias.keys`).

A variant whose name is a registered kind may omit the kind: ``lightgbm: {}`` is the model
``lightgbm``, ``grr: {}`` the protocol ``grr``, ``identity: {}`` the representation ``identity``,
``corrected_postproc_eo: {}`` that fair method on logistic regression.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from fairldp.datasets.registry import VARIANT_SEP
from fairldp.registry import closest

__all__ = [
    "NON_PRIVATE",
    "SCHEMA_PATH",
    "ConfigError",
    "FigureSpec",
    "LabelBias",
    "Learner",
    "Privatizer",
    "Run",
    "Study",
    "Variant",
    "format_epsilon",
    "load_schema",
    "load_study",
    "parse_epsilon",
    "published_path",
    "validate_schema",
]

#: the JSON schema of study files (structure and types; names are checked by the loader)
SCHEMA_PATH = Path(__file__).parent / "schema" / "study.schema.yaml"
#: name of the built-in non-private privatizer (epsilon ``inf``)
NON_PRIVATE = "none"
#: how a privatizer treats the test rows
TEST_ROWS = ("clean", "privatized")
#: what a privatizer does with the sensitive attributes it does not privatize
OTHERS = ("drop", "clear")


class ConfigError(ValueError):
    """The study configuration is invalid (the message is one sentence naming the key)."""


# ----- epsilon text ----------------------------------------------------------------------------


def format_epsilon(eps: float) -> str:
    """Canonical text of an epsilon for file names: 1.0 -> '1', 0.25 -> '0.25', inf -> 'inf'."""
    eps = float(eps)
    if math.isinf(eps):
        return "inf"
    return np.format_float_positional(eps, trim="-")


def parse_epsilon(text: str) -> float:
    """Inverse of :func:`format_epsilon`."""
    return math.inf if text == "inf" else float(text)


# ----- the study file: YAML, trust, output folder ---------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last one
    silently)."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`, YAML's merge key
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise ConfigError(
                f"{mark.name}:{mark.line + 1}:{mark.column + 1}: config key {key!r} is given "
                f"twice (first at line {seen[key].line + 1}); YAML would silently keep the last"
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_study_file(path: str | Path) -> dict[str, Any]:
    """The mapping of a study file: a YAML error or a duplicated key raises
    :class:`ConfigError` with the file, line and column; an empty file is refused."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("<unicode string>", str(path))) from None
    if data is None:
        raise ConfigError(f"{path}: the study file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a study file is a mapping of keys, got {type(data).__name__}")
    return data


#: folders of the project (and of the working directory) that results may never go into
PROTECTED_FOLDERS = ("src", "config", "data/raw", "workflow", ".git")


def check_results(
    results: str,
    absolute: bool = False,
    workdir: str | Path | None = None,
    project: str | Path | None = None,
) -> str:
    """The output folder ``results`` (normalized), or :class:`ConfigError` if it is the file
    system root, the home folder, the working directory itself, escapes the working directory
    (``..``), is absolute without ``absolute_results: true``, or lies inside one of the
    :data:`PROTECTED_FOLDERS` of the project or of the working directory."""
    text = str(results).strip()
    raw = Path(os.path.normpath(text))  # lexical first: `link/..` must not hide a target
    work = Path(workdir or os.getcwd()).resolve()
    target = raw.resolve() if raw.is_absolute() else (work / raw).resolve()

    def fail(why: str) -> ConfigError:
        return _fail("results", f"{text!r} {why}")

    if raw.is_absolute() and not absolute:
        raise fail("is an absolute path; give a folder relative to the working directory, or "
                   "set absolute_results: true to allow it")  # fmt: skip
    if target == Path(target.anchor):
        raise fail("is the root of the file system; name a folder such as results/my_study")
    if target == Path.home().resolve():
        raise fail("is the home folder; name a folder such as results/my_study")
    if target == work:
        raise fail("is the working directory itself; name a subfolder such as results")
    if not raw.is_absolute():
        if work not in target.parents:
            raise fail(f"leaves the working directory {work}; name a folder inside it")
    bases = {work} | ({Path(project).resolve()} if project else set())
    for base in bases:
        if target == base and base != work:
            raise fail(f"is the project folder {base}; name a subfolder such as results")
        for folder in PROTECTED_FOLDERS:
            guarded = base / folder
            if target == guarded or guarded in target.parents:
                raise fail(f"lies inside the project's {folder}/ ({guarded}); results never go "
                           "there")  # fmt: skip
    return str(raw)


# ----- JSON schema: structure and types ----------------------------------------------------------


def load_schema(path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _key(path: Sequence[Any]) -> str:
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
        hints = [f"'{e}'{closest(e, allowed)}" for e in extra]
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
    if v == "propertyNames":
        return f"config key '{key}': name {err.instance!r} is not allowed; {_allowed(err.schema)}"
    return f"config key '{key}': {err.instance!r} is not allowed; {_allowed(err.schema)}"


def validate_schema(config: Mapping[str, Any], schema: dict[str, Any] | None = None) -> None:
    """Raise :class:`ConfigError` with one sentence for the first violation of the schema.
    Unknown keys are reported before missing ones (a misspelt key is the likely cause)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema or load_schema())
    errors = list(validator.iter_errors(dict(config)))
    if not errors:
        return
    order = {"additionalProperties": 0, "propertyNames": 1}
    errors.sort(key=lambda e: (order.get(e.validator, 2), list(e.absolute_path), e.validator))
    first = errors[0]
    if first.validator not in order:
        first = jsonschema.exceptions.best_match(errors)
    raise ConfigError(_message(first))


# ----- typed study ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Privatizer:
    """How users release their sensitive attributes (one variant of the ``privatizers`` axis).

    ``protocol``: an LDP protocol of :data:`fairldp.ldp.PROTOCOLS`, or ``none`` (the raw values:
    a non-private reference, run at epsilon ``inf`` only; the built-in privatizer ``none``
    releases every sensitive attribute so). ``budget_splits``: how the total epsilon is spent
    on several attributes (:data:`fairldp.ldp.budget.BUDGET_SPLITS`), swept inside one artifact.
    ``attributes``: ``all`` the dataset's sensitive attributes, ``group`` the study's group
    attribute only, or a list of names; sensitive attributes not listed are not released.
    ``test``: ``clean`` (the test rows carry their true values: a deployed model sees the
    person's own data; Arcolezi et al. 2023) or ``privatized`` (test rows released like the
    training rows; Mozannar et al. 2020). ``others``: what becomes of the sensitive attributes
    not in ``attributes``: ``drop`` (not released) or ``clear`` (released as they are, without
    protection: the single-attribute setting "sLDP" of Makhlouf et al., DMKD 2024).
    ``protocol_params`` (study key) are folded into ``protocol`` at load, e.g.
    ``fair_rr(prior=0.67,0.33)`` (:func:`fairldp.ldp.registry.split_protocol`), the name every
    stage then builds the protocol from.

    Whole-record LDP (:func:`fairldp.privacy.release_record`): ``features`` (``public``, ``all``
    or a list of non-sensitive features) are privatized with the sensitive attributes,
    categorical ones with the protocol ``categorical`` and numeric ones with the mechanism
    ``numeric`` over their ``bounds`` (pairs ``(feature, (low, high))``); ``label: rr``
    privatizes the label too. The budget splits are then those of
    :data:`fairldp.ldp.record.RECORD_SPLITS` (``weighted`` with ``weights``, pairs ``(column,
    weight)``; ``sampling`` with ``sampled`` columns per user) and ``encoding`` says how
    features reach models (``reports`` or ``unbiased``).
    """

    name: str
    protocol: str
    budget_splits: tuple[str, ...] = ("uniform",)
    attributes: str | tuple[str, ...] = "all"
    test: str = "clean"
    others: str = "drop"
    features: str | tuple[str, ...] = "public"
    label: str = "public"
    categorical: str = "adp"
    numeric: str = "hybrid"
    bounds: tuple[tuple[str, tuple[float, float]], ...] = ()
    weights: tuple[tuple[str, float], ...] = ()
    sampled: int | str = "auto"
    encoding: str = "reports"

    @property
    def private(self) -> bool:
        return self.protocol != NON_PRIVATE

    @property
    def record(self) -> bool:
        """Whether features or the label are privatized too (whole-record LDP)."""
        return self.features != "public" or self.label != "public"

    def feature_names(self, features: Sequence[str]) -> list[str]:
        """The non-sensitive features this privatizer privatizes, of a dataset's ``features``."""
        if self.features == "public":
            return []
        if self.features == "all":
            return list(features)
        return [f for f in features if f in self.features]

    def attribute_names(self, sensitive: Sequence[str], group: str) -> list[str]:
        """The sensitive attributes this privatizer releases for a dataset."""
        if self.attributes == "all":
            return list(sensitive)
        if self.attributes == "group":
            return [group]
        return list(self.attributes)

    def clear_names(self, sensitive: Sequence[str], group: str) -> list[str]:
        """The sensitive attributes released as they are (``others: clear``), else none."""
        if self.others != "clear" or not self.private:
            return []
        released = set(self.attribute_names(sensitive, group))
        return [a for a in sensitive if a not in released]

    def params(self) -> dict[str, Any]:
        out = {"protocol": self.protocol, "budget_splits": list(self.budget_splits),
               "attributes": self.attributes if isinstance(self.attributes, str)
               else list(self.attributes), "test": self.test}  # fmt: skip
        out = {**out, "others": self.others} if self.others != "drop" else out
        if not self.record:  # the keys of earlier studies stay
            return out
        return {**out, "features": self.features if isinstance(self.features, str)
                else list(self.features), "label": self.label,
                "categorical": self.categorical, "numeric": self.numeric,
                "bounds": {k: list(v) for k, v in self.bounds},
                "weights": dict(self.weights), "sampled": self.sampled,
                "encoding": self.encoding}  # fmt: skip


#: the non-private baseline
NONE_PRIVATIZER = Privatizer(NON_PRIVATE, NON_PRIVATE, ("none",), "all", "clean")


@dataclass(frozen=True)
class Variant:
    """A named representation: its kind's instance (parameters resolved with defaults)."""

    name: str
    representation: Any  # fairldp.representations.Representation

    @property
    def kind(self) -> str:
        return self.representation.kind


@dataclass(frozen=True)
class Learner:
    """A base ``model`` of :data:`fairldp.models.MODELS`, trained by the fair ``method`` of
    :data:`fairldp.fair.METHODS` (``none``: the model on every feature of the representation).
    ``params``: constructor arguments of the method (or of the model when ``method: none``)."""

    name: str
    model: str = "logistic_regression"
    method: str = "none"
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def uses_groups(self) -> bool:
        """Whether the learner needs the decoded group ``z`` (a fair method other than
        ``unaware``)."""
        if self.method == "none":
            return False
        from fairldp.fair import METHODS

        return bool(METHODS.meta(self.method).get("uses_groups", True))

    def params_dict(self) -> dict[str, Any]:
        return {"model": self.model, "method": self.method, "params": dict(self.params)}


@dataclass(frozen=True)
class Run:
    """One combination of variants that runs: the product of its axes."""

    name: str
    datasets: tuple[str, ...]
    privatizers: tuple[str, ...]
    epsilons: tuple[float, ...]
    representations: tuple[str, ...]
    learners: tuple[str, ...]
    seeds: tuple[int, ...]
    audits: tuple[str, ...]


@dataclass(frozen=True)
class FigureSpec:
    """A named figure: its kind (:data:`fairldp.figures.FIGURE_KINDS`) with its parameters."""

    name: str
    figure: Any  # fairldp.figures.FigureKind

    @property
    def kind(self) -> str:
        return self.figure.kind


@dataclass(frozen=True)
class LabelBias:
    """Label bias of the training rows (Blum & Stangl, FORC 2020); test rows stay clean."""

    kind: str
    rate: float | tuple[float, ...]
    group: str | int | Mapping[str, str | int]
    attribute: str | Mapping[str, str] | None = None
    positives_only: bool = True

    @property
    def sweep(self) -> bool:
        """Whether ``rate`` is a list: the chain then runs once per rate."""
        return isinstance(self.rate, tuple)

    @property
    def rates(self) -> tuple[float, ...]:
        return self.rate if isinstance(self.rate, tuple) else (self.rate,)

    def keys(self, dataset: str) -> dict[str, float]:
        """The chain's key of ``dataset`` at each rate: the dataset's name, or for a sweep
        ``{dataset}@{rate}`` (e.g. ``support2@0.3``; :func:`fairldp.datasets.base_name`)."""
        if not self.sweep:
            return {dataset: self.rates[0]}
        return {f"{dataset}{VARIANT_SEP}{format_rate(r)}": r for r in self.rates}

    def rate_of(self, key: str) -> float:
        """The rate of a chain key (:meth:`keys`)."""
        _, sep, text = key.partition(VARIANT_SEP)
        if not sep:
            return self.rates[0]
        for rate in self.rates:  # by the key's text: a rate with more digits than it shows
            if format_rate(rate) == text:
                return rate
        raise KeyError(f"{key!r}: rate {text} is not among the study's {list(self.rates)}")

    def params(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["rate"] = list(self.rate) if self.sweep else self.rate
        return out

    def for_dataset(self, dataset: str) -> dict[str, Any]:
        """The parameters of the label-bias stage on ``dataset`` (a chain key: one rate of a
        sweep; ``group`` and ``attribute`` may be given per dataset, since datasets have
        different groups)."""
        out = self.params()
        base = dataset.partition(VARIANT_SEP)[0]
        out["rate"] = self.rate_of(dataset)
        for key in ("group", "attribute"):
            if isinstance(out[key], Mapping):
                out[key] = out[key].get(base)
        return out


def format_rate(rate: float) -> str:
    """The canonical text of a label-bias rate in the chain's keys: ``0.3``, ``0``, ``0.05``."""
    return f"{float(rate):g}"


@dataclass(frozen=True)
class Study:
    """A validated study file (see the module docstring); built by :func:`load_study`."""

    study: str
    results: str
    datasets: tuple[str, ...]
    seeds: tuple[int, ...]
    epsilons: tuple[float, ...]
    privatizers: dict[str, Privatizer]
    representations: dict[str, Variant]
    learners: dict[str, Learner]
    runs: tuple[Run, ...]
    figures: dict[str, FigureSpec]
    audits: tuple[str, ...] = ("utility", "fairness_true")
    attribute: dict[str, str] = field(default_factory=dict)
    seed_block: int = 20
    test_size: float = 0.2
    baseline: bool = True
    label_bias: LabelBias | None = None
    reproduction: dict[str, Any] | None = None
    synthetic: dict[str, dict[str, Any]] = field(default_factory=dict)
    acs: dict[str, Any] = field(default_factory=dict)
    download: dict[str, Any] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    absolute_results: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def privatizer(self, name: str) -> Privatizer:
        return NONE_PRIVATIZER if name == NON_PRIVATE else self.privatizers[name]

    def group(self, dataset: str) -> str:
        """The group attribute of ``dataset``: what fair methods, group-aware representations and
        fairness audits use (``dataset`` may be a chain key of a label-bias sweep)."""
        return self.attribute[dataset.partition(VARIANT_SEP)[0]]

    def dataset_keys(self, dataset: str) -> tuple[str, ...]:
        """The chain's keys of ``dataset``: its name, or one per rate of a label-bias sweep
        (:meth:`LabelBias.keys`)."""
        return tuple(self.label_bias.keys(dataset)) if self.label_bias else (dataset,)

    def bias_rate(self, key: str) -> float:
        """The label-bias rate of a chain key (NaN without label bias)."""
        return self.label_bias.rate_of(key) if self.label_bias else float("nan")


#: defaults of the optional top-level keys (the schema's ``default`` entries equal these)
DEFAULTS: dict[str, Any] = {
    "absolute_results": False,
    "seed_block": 20,
    "test_size": 0.2,
    "baseline": True,
    "attribute": "protected",
    "audits": ["utility", "fairness_true"],
    "representations": {"identity": {}},
    "plugins": [],
    "download": {"timeout": 60.0, "retries": 3, "mirror": None},
    "acs": {"year": 2018, "horizon": "1-Year", "states": ["CA"]},
}
#: defaults of the keys of a privatizer, learner and run
PRIVATIZER_DEFAULTS = {"budget_splits": ["uniform"], "attributes": "all", "test": "clean",
                       "others": "drop", "features": "public", "label": "public",
                       "categorical": "adp", "numeric": "hybrid", "bounds": {}, "weights": {},
                       "sampled": "auto", "encoding": "reports", "protocol_params": {}}
LEARNER_DEFAULTS = {"model": "logistic_regression", "method": "none", "params": {}}


def _fail(key: str, message: str) -> ConfigError:
    return ConfigError(f"config key '{key}': {message}")


def _known(key: str, name: str, registry: Any) -> None:
    """Raise a config error naming ``key`` unless ``name`` is registered."""
    if name not in registry:
        names = list(registry)
        raise _fail(key, f"unknown {registry.kind} {name!r}{closest(name, names)}; "
                    f"registered: {names}")  # fmt: skip


def _import_plugins(plugins: Sequence[str]) -> None:
    for i, module in enumerate(plugins):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise _fail(f"plugins[{i}]", f"cannot import {module!r}: {exc}") from None


def _build(cls: type, key: str, params: Mapping[str, Any]) -> Any:
    """``cls(**params)`` with unknown parameters and invalid values reported as config errors."""
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [p for p in params if p not in names]
    if unknown:
        hints = ", ".join(f"{p!r}{closest(p, names)}" for p in unknown)
        raise _fail(key, f"unknown parameter {hints} of {cls.kind!r}; parameters: {names}")
    try:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
    except (TypeError, ValueError) as exc:
        raise _fail(key, str(exc)) from None


def _privatizers(raw: Mapping[str, Any]) -> dict[str, Privatizer]:
    from fairldp.ldp import PROTOCOLS
    from fairldp.ldp.budget import BUDGET_SPLITS
    from fairldp.ldp.record import RECORD_SPLITS

    out = {}
    for name, spec in raw.items():
        key = f"privatizers.{name}"
        if name == NON_PRIVATE:
            raise _fail(key, "'none' is the built-in non-private baseline (every sensitive "
                        "attribute, no noise); choose another name, e.g. with protocol: none")
        spec = {**PRIVATIZER_DEFAULTS, **(spec or {})}
        protocol = spec.get("protocol", name if name in PROTOCOLS else None)
        if protocol is None:
            raise _fail(key, f"the protocol is missing (one of {list(PROTOCOLS)})")
        features = spec["features"]
        features = features if isinstance(features, str) and features in ("public", "all") \
            else tuple([features] if isinstance(features, str) else features)
        record = features != "public" or spec["label"] != "public"
        if protocol == NON_PRIVATE:  # no budget to split
            splits: tuple[str, ...] = (NON_PRIVATE,)
            if record:
                raise _fail(key, "protocol 'none' releases no feature or label privatized; "
                            "leave features and label public")  # fmt: skip
        else:
            _known(f"{key}.protocol", protocol, PROTOCOLS)
            splits = tuple(spec["budget_splits"])
            allowed = RECORD_SPLITS if record else BUDGET_SPLITS
            for i, s in enumerate(splits):
                if s not in allowed:
                    why = " of a whole record" if record else ""
                    raise _fail(f"{key}.budget_splits[{i}]", f"{s!r} is not a budget split"
                                f"{why}{closest(s, list(allowed))}; allowed: "
                                f"{list(allowed)}")  # fmt: skip
        protocol = _with_params(key, protocol, dict(spec["protocol_params"] or {}))
        if record:
            _known(f"{key}.categorical", spec["categorical"], PROTOCOLS)
            if spec["encoding"] == "unbiased" and spec["categorical"] in ("she",):
                raise _fail(f"{key}.encoding", "the unbiased encoding needs a pure protocol "
                            "for categorical features, not she")  # fmt: skip
        else:
            for k in ("categorical", "numeric", "bounds", "weights", "sampled", "encoding"):
                if k in (raw[name] or {}):
                    raise _fail(f"{key}.{k}", "applies to whole-record privatizers only (set "
                                "features or label)")  # fmt: skip
        bounds = tuple((str(f), (float(lo), float(hi)))
                       for f, (lo, hi) in (spec.get("bounds") or {}).items())  # fmt: skip
        for f, (lo, hi) in bounds:
            if not lo < hi:
                raise _fail(f"{key}.bounds.{f}", f"needs low < high, got [{lo}, {hi}]")
        weights = tuple((str(c), float(w)) for c, w in (spec.get("weights") or {}).items())
        attributes = spec["attributes"]
        if not isinstance(attributes, str):
            attributes = tuple(attributes)
        elif attributes not in ("all", "group"):
            attributes = (attributes,)
        if spec["test"] not in TEST_ROWS:
            raise _fail(f"{key}.test", f"{spec['test']!r} is not allowed; allowed: {TEST_ROWS}")
        if spec["others"] not in OTHERS:
            raise _fail(f"{key}.others", f"{spec['others']!r} is not allowed; allowed: {OTHERS}")
        out[name] = Privatizer(name, protocol, splits, attributes, spec["test"], spec["others"],
                               features, spec["label"], spec["categorical"], spec["numeric"],
                               bounds, weights, spec["sampled"], spec["encoding"])  # fmt: skip
    return out


def _with_params(key: str, protocol: str, params: dict[str, Any]) -> str:
    """The protocol's full registry name with its ``protocol_params`` (e.g.
    ``fair_rr(prior=0.67,0.33)``, :func:`fairldp.ldp.registry.split_protocol`), validated."""
    from fairldp.ldp.registry import PROTOCOLS, protocol_params

    if not params:
        return protocol
    key = f"{key}.protocol_params"
    allowed = [] if protocol == NON_PRIVATE else list(protocol_params(protocol))
    unknown = [p for p in params if p not in allowed]
    if unknown:
        raise _fail(key, f"{unknown[0]!r} is not a parameter of protocol {protocol!r}"
                    f"{closest(unknown[0], allowed)}; its parameters: {allowed}")
    try:
        return PROTOCOLS.get(protocol).full_name(**params)  # type: ignore[attr-defined]
    except ValueError as exc:
        raise _fail(key, str(exc)) from None


def _representations(raw: Mapping[str, Any]) -> dict[str, Variant]:
    from fairldp.representations import REPRESENTATIONS

    out = {}
    for name, spec in raw.items():
        key = f"representations.{name}"
        params = dict(spec or {})
        kind = params.pop("kind", name if name in REPRESENTATIONS else None)
        if kind is None:
            raise _fail(key, f"the kind is missing (one of {list(REPRESENTATIONS)})")
        _known(f"{key}.kind", kind, REPRESENTATIONS)
        out[name] = Variant(name, _build(REPRESENTATIONS.get(kind), key, params))
    return out


def _learners(raw: Mapping[str, Any]) -> dict[str, Learner]:
    from fairldp.fair import METHODS
    from fairldp.models import MODELS

    out = {}
    for name, spec in raw.items():
        key = f"learners.{name}"
        spec = dict(spec or {})
        model = spec.get("model", name if name in MODELS else LEARNER_DEFAULTS["model"])
        method = spec.get("method", name if name in METHODS else LEARNER_DEFAULTS["method"])
        _known(f"{key}.model", model, MODELS)
        if method != "none":
            _known(f"{key}.method", method, METHODS)
        params = dict(spec.get("params") or {})
        if params:  # checked now, not when a job builds the estimator (imports scikit-learn)
            _check_learner_params(f"{key}.params", model, method, params)
        out[name] = Learner(name, model, method, params)
    return out


def _check_synthetic(key: str, params: Mapping[str, Any]) -> None:
    """The parameters of a synthetic table that the schema cannot check: a joint table of
    distinct cells of the dataset's domains (binary A and Y; X in {0, 1}, or {0, 1, 2} for
    ``synthetic_joint3``) whose probabilities sum to 1; a warning for a proxy equal to A."""
    if "table" in params:
        from fairldp.datasets import get_dataset

        spec = get_dataset(key.split(".", 1)[1])
        x_domain = tuple(spec.attribute("X").domain)
        rows = [list(r) for r in params["table"]]
        for i, r in enumerate(rows):
            if r[0] not in (0, 1) or r[2] not in (0, 1) or r[1] not in x_domain:
                raise _fail(f"{key}.table[{i}]", f"a and y must be 0 or 1 and x one of "
                            f"{list(x_domain)}, got {r[:3]}")  # fmt: skip
        cells = [tuple(r[:3]) for r in rows]
        if len(set(cells)) != len(cells):
            twice = sorted({c for c in cells if cells.count(c) > 1})
            raise _fail(f"{key}.table", f"cell(s) (a, x, y) {twice} are given twice")
        total = math.fsum(r[3] for r in rows)
        if abs(total - 1.0) > 1e-9:
            raise _fail(f"{key}.table", f"the probabilities p sum to {total:g}, not 1")
    if "site" in params and int(params["site"]) >= int(params.get("n_sites", 1)):
        raise _fail(f"{key}.site", f"site {params['site']} is not one of the "
                    f"{params.get('n_sites', 1)} sites (n_sites)")  # fmt: skip
    if float(params.get("proxy_strength", 0.0)) >= 1.0:
        import warnings

        warnings.warn(
            f"config key '{key}.proxy_strength': 1 makes a feature equal to the protected "
            "attribute, unperturbed by any LDP protocol",
            stacklevel=2,
        )


def _check_learner_params(key: str, model: str, method: str, params: dict[str, Any]) -> None:
    """The constructor arguments of a learner: a fair method's keyword parameters other than
    those the chain sets (noise model, base model, seed, the method's fixed ones), or what the
    base model's factory accepts."""
    import inspect

    from fairldp.fair import METHODS
    from fairldp.models import make_model

    if method == "none":
        try:
            make_model(model, 0, **params)
        except TypeError as exc:
            raise _fail(key, f"not accepted by model {model!r}: {exc}") from None
        return
    cls = METHODS.get(method)
    sig = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in sig.values()):
        return  # a method taking **kwargs: its own check, when a job builds it
    accepted = [n for n, p in sig.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "self"]  # fmt: skip
    reserved = {"noise_model", "base_model", "random_state", *METHODS.meta(method).get("fixed", {})}
    free = [n for n in accepted if n not in reserved]
    for name in params:
        if name in reserved:
            raise _fail(key, f"{name!r} is set by the chain for method {method!r} (the model, "
                        f"the seed, the noise model, the method's own); settable: {free}")
        if name not in accepted:
            raise _fail(key, f"unknown parameter {name!r} of method {method!r}"
                        f"{closest(name, free)}; settable: {free}")


def _subset(key: str, values: Sequence[Any], allowed: Sequence[Any], what: str) -> tuple:
    for i, v in enumerate(values):
        if v not in allowed:
            raise _fail(f"{key}[{i}]", f"{v!r} is not one of the study's {what} "
                        f"{list(allowed)}{closest(v, [str(a) for a in allowed])}")  # fmt: skip
    return tuple(values)


def _runs(raw: Mapping[str, Any], study: dict[str, Any]) -> tuple[Run, ...]:
    from fairldp.audits import AUDITS

    specs = raw.get("runs") or [{}]
    runs, names = [], set()
    for i, spec in enumerate(specs):
        key = f"runs[{i}]"
        name = spec.get("name", f"run{i + 1}" if len(specs) > 1 else "all")
        if name in names:
            raise _fail(f"{key}.name", f"run name {name!r} is used twice")
        names.add(name)

        def axis(k: str, allowed: Sequence[Any], what: str, spec: Mapping = spec,
                 key: str = key) -> tuple:  # fmt: skip
            return _subset(f"{key}.{k}", spec[k], allowed, what) if k in spec else tuple(allowed)

        declared = list(study["privatizers"])
        privatizers = list(
            _subset(f"{key}.privatizers", spec["privatizers"], [*declared, NON_PRIVATE],
                    "privatizers") if "privatizers" in spec else declared
        )  # fmt: skip
        if spec.get("baseline", study["baseline"]) and NON_PRIVATE not in privatizers:
            privatizers.insert(0, NON_PRIVATE)
        epsilons = tuple(float(e) for e in axis("epsilons", study["epsilons"], "epsilons"))
        audits = tuple(spec.get("audits", study["audits"]))
        for j, a in enumerate(audits):
            _known(f"{key}.audits[{j}]", a, AUDITS)
        runs.append(Run(
            name=name,
            datasets=axis("datasets", study["datasets"], "datasets"),
            privatizers=tuple(privatizers),
            epsilons=epsilons,
            representations=axis("representations", list(study["representations"]),
                                 "representations"),
            learners=axis("learners", list(study["learners"]), "learners"),
            seeds=tuple(int(s) for s in axis("seeds", study["seeds"], "seeds")),
            audits=audits,
        ))  # fmt: skip
        for k in ("privatizers", "representations", "learners"):
            if not getattr(runs[-1], k):
                raise _fail(f"{key}.{k}", "is empty")
    return tuple(runs)


def _group_attributes(value: Any, datasets: Sequence[str]) -> dict[str, str]:
    from fairldp.datasets import get_dataset

    out = {}
    for ds in datasets:
        spec = get_dataset(ds)
        name = value.get(ds, "protected") if isinstance(value, Mapping) else value
        key = f"attribute.{ds}" if isinstance(value, Mapping) else "attribute"
        name = spec.protected if name == "protected" else name
        if name not in spec.sensitive_names:
            raise _fail(key, f"{name!r} is not a sensitive attribute of {ds}"
                        f"{closest(name, spec.sensitive_names)}; its sensitive attributes: "
                        f"{spec.sensitive_names}")  # fmt: skip
        out[ds] = name
    if isinstance(value, Mapping):
        extra = sorted(set(value) - set(datasets))
        if extra:
            raise _fail(f"attribute.{extra[0]}", f"{extra[0]!r} is not among the study's "
                        f"datasets {list(datasets)}")  # fmt: skip
    return out


def _check_combinations(study: Study) -> None:
    """Every (run, dataset, privatizer, representation, learner) the runs make can run."""
    from fairldp.datasets import get_dataset

    for i, run in enumerate(study.runs):
        key = f"runs[{i}]"
        for ds in run.datasets:
            spec = get_dataset(ds)
            group = study.group(ds)
            for p in run.privatizers:
                priv = study.privatizer(p)
                if not priv.private:
                    continue
                names = priv.attribute_names(spec.sensitive_names, group)
                for a in names:
                    if a not in spec.sensitive_names:
                        raise _fail(f"privatizers.{p}.attributes", f"{a!r} is not a sensitive "
                                    f"attribute of {ds} (run {run.name!r}); its sensitive "
                                    f"attributes: {spec.sensitive_names}")  # fmt: skip
                _check_protocol_domain(p, priv, spec, names)
                if priv.record:
                    _check_record(p, priv, spec, names)
                member = [a for a in run.audits if a.startswith("membership")]
                if member and priv.test != "privatized":
                    raise _fail(f"{key}.audits", f"the audit {member[0]!r} tells training rows "
                                f"from held-out rows released the same way; privatizer {p!r} "
                                "releases the test rows clean (set test: privatized)")
                if len(names) == 1 and len(priv.budget_splits) > 1 and not priv.record:
                    raise _fail(f"privatizers.{p}.budget_splits", f"releases one attribute on "
                                f"{ds}, so the budget splits {list(priv.budget_splits)} would "
                                "give the same release; give one")  # fmt: skip
                needs = [f"representation {r!r}" for r in run.representations
                         if study.representations[r].representation.uses_groups]
                needs += [f"learner {n!r}" for n in run.learners
                          if study.learners[n].uses_groups]
                needs += [f"audit {a!r}" for a in run.audits if a == "fairness_privatized"]
                if needs and group not in names:
                    raise _fail(f"{key}.privatizers", f"{needs[0]} needs the group attribute "
                                f"{group!r} of {ds}, which privatizer {p!r} does not release "
                                "(add it to its attributes, e.g. attributes: group)")
                if needs and "combined" in priv.budget_splits and len(names) > 1:
                    raise _fail(f"privatizers.{p}.budget_splits", f"{needs[0]} needs the "
                                "group decoded from its own report, which the budget split "
                                "'combined' does not give; use uniform, k_based or sampling")
            for r in run.representations:
                rep = study.representations[r].representation
                if rep.needs_numeric and not spec.numeric:
                    raise _fail(f"{key}.representations", f"representation {r!r} repairs "
                                f"numeric features, and {ds} has none")  # fmt: skip
            for n in run.learners:
                if study.learners[n].method != "none" and not spec.feature_names:
                    raise _fail(f"{key}.learners", f"learner {n!r} learns from the non-"
                                f"sensitive features, and {ds} has none")  # fmt: skip


def _check_protocol_domain(name: str, priv: Privatizer, spec: Any,
                           attributes: Sequence[str]) -> None:  # fmt: skip
    """A protocol prior (``protocol_params.prior``) has one entry per value of every domain the
    protocol runs on: each released attribute's, or their product's under ``combined``."""
    from fairldp.ldp.registry import split_protocol

    prior = split_protocol(priv.protocol)[1].get("prior")
    if prior is None:
        return
    ks = {a: spec.attribute(a).k for a in attributes}
    if "combined" in priv.budget_splits and len(attributes) > 1:
        ks = {"+".join(attributes): math.prod(ks.values())}
    for a, k in ks.items():
        if k != len(prior):
            raise _fail(f"privatizers.{name}.protocol_params.prior", f"has {len(prior)} "
                        f"entries, but the protocol runs on {a!r} of {spec.name}, which has "
                        f"k = {k} values; give one entry per value")


def _check_record(name: str, priv: Privatizer, spec: Any, attributes: Sequence[str]) -> None:
    """The features, bounds and weights of a whole-record privatizer exist on ``spec``."""
    key = f"privatizers.{name}"
    if isinstance(priv.features, tuple):
        for f in priv.features:
            if f not in spec.feature_names:
                raise _fail(f"{key}.features", f"{f!r} is not a non-sensitive feature of "
                            f"{spec.name}{closest(f, spec.feature_names)}; its features: "
                            f"{spec.feature_names}")  # fmt: skip
    for f, _ in priv.bounds:
        if f not in spec.numeric:
            raise _fail(f"{key}.bounds", f"{f!r} is not a numeric feature of {spec.name}"
                        f"{closest(f, list(spec.numeric))}; its numeric features: "
                        f"{list(spec.numeric)}")  # fmt: skip
    released = [*attributes, *priv.feature_names(spec.feature_names),
                *(["y"] if priv.label != "public" else [])]
    for c, _ in priv.weights:
        if c not in released:
            raise _fail(f"{key}.weights", f"{c!r} is not a column this privatizer releases "
                        f"on {spec.name}{closest(c, released)}; it releases {released}")
    if isinstance(priv.sampled, int) and priv.sampled > len(released):
        raise _fail(f"{key}.sampled", f"{priv.sampled} columns per user, but {spec.name} "
                    f"releases {len(released)}")  # fmt: skip


def _label_bias(raw: Mapping[str, Any] | None, datasets: Sequence[str]) -> LabelBias | None:
    from fairldp.datasets import get_dataset

    if not raw or raw.get("kind", "none") == "none":
        return None
    rate = raw["rate"]
    if isinstance(rate, list | tuple):
        rate = tuple(float(r) for r in rate)
        texts = [format_rate(r) for r in rate]
        if len(set(texts)) < len(texts):
            raise _fail("label_bias.rate", f"the rates {texts} repeat one")
    else:
        rate = float(rate)
    lb = LabelBias(raw["kind"], rate, raw["group"], raw.get("attribute"),
                   bool(raw.get("positives_only", True)))  # fmt: skip
    for key in ("group", "attribute"):
        given = raw.get(key)
        if isinstance(given, Mapping):
            for ds in given:
                if ds not in datasets:
                    raise _fail(f"label_bias.{key}.{ds}", f"{ds!r} is not among the study's "
                                f"datasets {list(datasets)}")  # fmt: skip
            missing = [ds for ds in datasets if ds not in given and key == "group"]
            if missing:
                raise _fail("label_bias.group", f"no group given for {missing[0]!r}")
    for ds in datasets:
        spec = get_dataset(ds)
        own = lb.for_dataset(ds)
        attribute = own["attribute"] or spec.protected
        if attribute not in spec.sensitive_names:
            raise _fail("label_bias.attribute", f"{attribute!r} is not a sensitive attribute "
                        f"of {ds} ({spec.sensitive_names})")  # fmt: skip
        domain = spec.attribute(attribute).domain
        if own["group"] not in domain:
            raise _fail("label_bias.group", f"{own['group']!r} is not in the domain of "
                        f"{ds}.{attribute}: {list(domain)}")  # fmt: skip
    return lb


def _reproduction(raw: Mapping[str, Any] | None, axes: Mapping[str, Any],
                  workdir: str | Path | None,
                  project: str | Path | None) -> dict[str, Any] | None:  # fmt: skip
    """The ``reproduction`` key with its defaults; its datasets must be the study's, and the
    published table (in the working directory, else in the project) must hold its paper."""
    if not raw:
        return None
    out = {"published": "docs/reproductions/published.csv", "doc": None, "where": {},
           "values": {}, "baseline": None, "datasets": {}, "notes": {}, **raw}  # fmt: skip
    for ds in out["datasets"]:
        if ds not in axes["datasets"]:
            raise _fail(f"reproduction.datasets.{ds}", f"{ds!r} is not a dataset of the study"
                        f"{closest(ds, list(axes['datasets']))}")  # fmt: skip
    path = published_path(out["published"], workdir, project)
    if path.exists():
        import csv

        with path.open(newline="") as f:
            papers = sorted({row["paper"] for row in csv.DictReader(f)})
        if out["paper"] not in papers:
            raise _fail("reproduction.paper", f"{out['paper']!r} is not a paper of "
                        f"{out['published']}{closest(out['paper'], papers)}; it has {papers}")
    return out


def published_path(path: str, workdir: str | Path | None = None,
                   project: str | Path | None = None) -> Path:  # fmt: skip
    """A ``reproduction.published`` table: as given if absolute or present in the working
    directory, else in the project (the checkout of the workflow)."""
    given = Path(workdir or ".") / path
    if given.exists() or project is None:
        return given
    return Path(project) / path


def _figures(raw: Mapping[str, Any] | None, runs: Sequence[Run]) -> dict[str, FigureSpec]:
    from fairldp.figures import FIGURE_KINDS, default_figures

    if raw is None:
        raw = default_figures([r.name for r in runs])
    out = {}
    for name, spec in raw.items():
        key = f"figures.{name}"
        params = dict(spec or {})
        kind = params.pop("kind", name if name in FIGURE_KINDS else "lines")
        _known(f"{key}.kind", kind, FIGURE_KINDS)
        figure = _build(FIGURE_KINDS.get(kind), key, params)
        try:
            figure.check([r.name for r in runs])
        except ValueError as exc:
            raise _fail(key, str(exc)) from None
        out[name] = FigureSpec(name, figure)
    return out


def load_study(
    config: Mapping[str, Any] | str | Path,
    workdir: str | Path | None = None,
    project: str | Path | None = None,
    allow_yte: bool | None = None,
) -> Study:
    """The :class:`Study` of a study file (path) or of its parsed mapping; raises
    :class:`ConfigError` with one sentence for the first problem found. ``workdir`` (default:
    the current folder) and ``project`` (the checkout) bound where ``results`` may go (see
    :func:`check_results`). A study file is trusted like code: Snakemake evaluates YTE
    templates (``__use_yte__: true``) as Python when it loads the file, so they are refused
    unless ``allow_yte`` (default: the environment variable ``FAIRLDP_ALLOW_YTE=1``)."""
    if isinstance(config, str | Path):
        config = read_study_file(config)
    if allow_yte is None:
        allow_yte = os.environ.get("FAIRLDP_ALLOW_YTE") == "1"
    if "__use_yte__" in config and not allow_yte:
        raise _fail("__use_yte__", "runs Python code from the study file (YTE templates); set "
                    "FAIRLDP_ALLOW_YTE=1 to allow it, a study file then being trusted like code")
    config = {k: v for k, v in config.items() if k != "__use_yte__"}
    validate_schema(config)
    raw = {**DEFAULTS, **config}
    raw["download"] = {**DEFAULTS["download"], **(config.get("download") or {})}
    raw["acs"] = {**DEFAULTS["acs"], **(config.get("acs") or {})}
    _import_plugins(raw["plugins"])

    from fairldp.datasets import REGISTRY, acs

    try:
        acs.configure(**raw["acs"])
    except ValueError as exc:
        raise _fail("acs", str(exc)) from None
    for i, ds in enumerate(raw["datasets"]):
        _known(f"datasets[{i}]", ds, REGISTRY)
    from fairldp.ldp.validation import EPSILON_MAX, EPSILON_MIN

    for i, eps in enumerate(raw["epsilons"]):
        if not math.isfinite(float(eps)):
            raise _fail(f"epsilons[{i}]", f"{eps!r} is not allowed; must be a finite number > 0 "
                        "(the non-private baseline is the privatizer 'none', on by default)")
        if not EPSILON_MIN <= float(eps) <= EPSILON_MAX:
            raise _fail(f"epsilons[{i}]", f"{eps!r} is outside [{EPSILON_MIN:g}, "
                        f"{EPSILON_MAX:g}], the range the LDP protocols are defined on")
    results = check_results(raw["results"], bool(raw["absolute_results"]), workdir, project)
    synthetic = dict(raw.get("synthetic") or {})
    for ds, params in synthetic.items():
        _known(f"synthetic.{ds}", ds, REGISTRY)
        _check_synthetic(f"synthetic.{ds}", dict(params or {}))
    study_axes = {
        "datasets": list(raw["datasets"]),
        "epsilons": [float(e) for e in raw["epsilons"]],
        "seeds": [int(s) for s in raw["seeds"]],
        "privatizers": _privatizers(raw["privatizers"]),
        "representations": _representations(raw["representations"]),
        "learners": _learners(raw["learners"]),
        "audits": list(raw["audits"]),
        "baseline": bool(raw["baseline"]),
    }
    runs = _runs(raw, study_axes)
    study = Study(
        study=raw["study"],
        results=results,
        datasets=tuple(study_axes["datasets"]),
        seeds=tuple(study_axes["seeds"]),
        epsilons=tuple(study_axes["epsilons"]),
        privatizers=study_axes["privatizers"],
        representations=study_axes["representations"],
        learners=study_axes["learners"],
        runs=runs,
        figures=_figures(config.get("figures"), runs),
        audits=tuple(study_axes["audits"]),
        attribute=_group_attributes(raw["attribute"], study_axes["datasets"]),
        seed_block=int(raw["seed_block"]),
        test_size=float(raw["test_size"]),
        baseline=bool(raw["baseline"]),
        label_bias=_label_bias(raw.get("label_bias"), study_axes["datasets"]),
        reproduction=_reproduction(config.get("reproduction"), study_axes, workdir,
                                   project),
        synthetic=synthetic,
        acs=dict(raw["acs"]),
        download=dict(raw["download"]),
        plugins=tuple(raw["plugins"]),
        absolute_results=bool(raw["absolute_results"]),
        raw=dict(config),
    )
    _check_combinations(study)
    return study

