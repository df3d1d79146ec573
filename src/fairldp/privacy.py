"""The privacy boundary: what users release, and the check that training code sees nothing else.

:func:`release` is the one place where raw sensitive values of the rows a study privatizes are
read. For every released sensitive attribute it draws the user's LDP report
(:func:`fairldp.ldp.privatize`, the total budget spent as the budget split says) and keeps only
its encoding as model features ``attribute=value`` (Arcolezi et al., DBSec 2023: GRR the
one-hot of the report, UE the noisy bits, LH the values whose hash matches, SS the subset, THE
the thresholded bits, SHE the noisy real vector); sensitive attributes it does not release are
dropped. The study's group attribute is also *decoded* to one group code per user, ``z``
(posterior mode of the report, ties broken at random: :func:`fairldp.fair.noise.decode`), and
the exact channel ``T[a, z] = P(z | a)`` of that decoding is recorded, so that fair methods and
repairs can correct for the noise. The release carries a *ledger* (protocol, total and
per-attribute epsilons, budget split, report columns, group channel) in its metadata.

Which stage reads which true values (the whole boundary):

- ``privatize`` reads the true sensitive attributes of the training rows and, for a privatizer
  with ``test: privatized``, of the test rows, and releases them as above. With
  ``test: clean`` the test rows carry their TRUE values in the same columns (one-hot, and
  ``z`` = the true group): a deployed model sees a person's own data;
- ``publish`` writes what is public about the rows, once per split block
  (:func:`public_rows`): their keys, the label the learner sees and the non-sensitive
  features, never a sensitive column. A release stores only its reports (and ``z``), row for
  row in the order of its public rows (checked by :func:`row_digest`);
- ``represent`` and ``learn`` read only released tables, joined to their public rows
  (:func:`require_released` refuses a table with a raw sensitive column or without a
  ledger). They fit on training rows only;
- ``evaluate`` and the ``leakage`` audit read the true group attribute of the test rows and
  the clean labels (the leakage attacker is cross-fitted on the test rows): they measure,
  they do not train models that are deployed.

The non-private baseline (protocol ``none``) releases the raw values one-hot, in the same
columns, and says so in its ledger.

Whole-record releases (:func:`release_record`: a privatizer with ``features`` or ``label``)
privatize non-sensitive features and the label too, under the same total budget and one
ledger per record. The boundary then extends to them: the release holds the reports of the
privatized features (categorical ones as ``feature=value`` encodings, numeric ones under their
own name) and the released label ``y``; its ledger lists the privatized ``features``, the
features the study declares ``public`` and the public columns the release ``replaces``.
``represent`` and ``learn`` read the release joined to its public rows with every replaced
column dropped from the public side first (:func:`fairldp.stages.represent.load_release`),
after :func:`require_declared` checked that every feature is privatized or declared public.
With ``test: clean`` the test rows carry the true feature values and the label the learner
would see, in the same columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fairldp.datasets.registry import DatasetSpec
from fairldp.rng import make_rng

if TYPE_CHECKING:
    from fairldp.fair.noise import NoiseModel

__all__ = [
    "NON_PRIVATE",
    "TIE_BREAK",
    "PrivacyBoundaryError",
    "group_noise_model",
    "one_hot",
    "public_rows",
    "record_columns",
    "release",
    "release_record",
    "require_declared",
    "require_no_raw_sensitive",
    "require_released",
    "row_digest",
]

NON_PRIVATE = "none"
#: ties between equally likely groups are broken uniformly at random: with the deterministic
#: smallest-index rule, subset selection cannot decode to some groups (T singular), and UE/LH
#: get a worse-conditioned T
TIE_BREAK = "random"
#: epsilon of the GRR channel that stands for "no noise" when a corrected method runs without
#: privatization: T = I to machine precision (the off-diagonal e^-700 underflows)
NO_NOISE_EPSILON = 700.0


class PrivacyBoundaryError(RuntimeError):
    """Training code was handed raw sensitive attributes."""


def one_hot(df: pd.DataFrame, spec: DatasetSpec, attributes: Sequence[str]) -> pd.DataFrame:
    """Indicator columns ``attribute=value`` over each attribute's declared domain (uint8)."""
    blocks = {}
    for name in attributes:
        attr = spec.attribute(name)
        codes = _codes(df, name)
        for j, v in enumerate(attr.domain):
            blocks[f"{name}={v}"] = (codes == j).astype(np.uint8)
    return pd.DataFrame(blocks, index=df.index)


#: the leading columns of public rows: the row keys and the label the learner sees
PUBLIC_KEYS = ("part", "seed", "row_id", "y")


def public_rows(rows: pd.DataFrame, spec: DatasetSpec, seeds: Sequence[int]) -> pd.DataFrame:
    """What is public about ``rows`` (a split block) for ``seeds``: ``part``, ``seed`` (int32),
    ``row_id`` (int32), ``y`` (int8, the label the learner sees) and the non-sensitive
    features, per seed in the order of ``seeds``, training rows then test rows, each in the
    order of ``rows``: the order in which the privatize stage releases them. No sensitive
    column, no clean label of a label-biased table."""
    from fairldp.labelbias import CLEAN_SUFFIX

    seeds = [int(s) for s in seeds]
    seed = rows["seed"].to_numpy()
    part = rows["part"].to_numpy()
    order = [np.flatnonzero((seed == s) & (part == p)) for s in seeds for p in ("train", "test")]
    picked = rows.iloc[np.concatenate(order) if order else []].reset_index(drop=True)
    lead = pd.DataFrame({
        "part": picked["part"].to_numpy(),
        "seed": picked["seed"].to_numpy(np.int32),
        "row_id": picked["row_id"].to_numpy(np.int32),
        "y": picked[spec.target].to_numpy(np.int8),
    })  # fmt: skip
    drop = {*PUBLIC_KEYS, *spec.sensitive_names, spec.target, spec.target + CLEAN_SUFFIX}
    return pd.concat([lead, picked[[c for c in picked.columns if c not in drop]]], axis=1)


def row_digest(public: pd.DataFrame) -> str:
    """SHA-256 of the row keys (``seed``, ``part``, ``row_id``, in order) of public rows: a
    release records the digest of the rows it was drawn for, and is joined only to them."""
    import hashlib

    h = hashlib.sha256()
    h.update(public["seed"].to_numpy(np.int32).tobytes())
    h.update((public["part"].to_numpy() == "test").astype(np.uint8).tobytes())
    h.update(public["row_id"].to_numpy(np.int32).tobytes())
    return h.hexdigest()


def _codes(df: pd.DataFrame, name: str) -> np.ndarray:
    col = df[name]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        raise ValueError(f"column {name!r} must be categorical over its declared domain")
    codes = col.cat.codes.to_numpy()
    if (codes < 0).any():
        raise ValueError(f"column {name!r} has missing values; LDP needs a value per user")
    return codes.astype(np.int64)


def release(
    rows: pd.DataFrame,
    spec: DatasetSpec,
    protocol: str,
    epsilon: float,
    budget_split: str,
    seed: int,
    attributes: Sequence[str],
    group: str | None = None,
    part: str | None = None,
    clear: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """What the users of ``rows`` release, and its ledger.

    ``attributes`` (sensitive attributes of ``spec``) are perturbed with ``protocol`` and the
    total budget ``epsilon`` spent as ``budget_split`` says, attribute ``a`` with the stream
    ``make_rng(seed, "perturb", dataset, protocol, epsilon, a[, part])``; ``group`` (one of
    ``attributes``) is decoded to ``z`` with the stream ``make_rng(seed, "decode", dataset,
    protocol, epsilon, group[, part])``. ``part`` names another set of rows of the same users
    (``"test"``), whose noise is then independent. ``protocol="none"``: the raw values, one-hot.
    ``clear``: other sensitive attributes released as they are (one-hot, epsilon ``inf`` in the
    ledger: no protection), as the single-attribute setting of Makhlouf et al. (DMKD 2024) keeps
    the attributes it does not privatize. Returns the rows without any raw sensitive column,
    with the report encodings (and ``z``) appended, and the ledger (JSON-serialisable).
    """
    from fairldp.ldp import privatize

    names = list(attributes)
    clear = list(clear)
    unknown = [a for a in names + clear if a not in spec.sensitive_names]
    if unknown:
        raise ValueError(f"{unknown} are not sensitive attributes of {spec.name}")
    both = sorted(set(names) & set(clear))
    if both:
        raise ValueError(f"{both} cannot be both privatized and released in the clear")
    if group is not None and group not in names:
        raise ValueError(f"the group attribute {group!r} is not among the released {names}")
    codes = {a: _codes(rows, a) for a in names}
    ks = {a: spec.attribute(a).k for a in names}
    z = None
    channel: dict[str, Any] | None = None
    if protocol == NON_PRIVATE:
        features = one_hot(rows, spec, names)
        epsilons = dict.fromkeys(names, math.inf)
        epsilon, budget_split = math.inf, NON_PRIVATE
        if group is not None:
            z = codes[group]
    else:
        priv = privatize(codes, ks, protocol, epsilon, budget_split, seed=int(seed),
                         dataset=spec.name, part=part)  # fmt: skip
        x, cols = priv.features({a: list(spec.attribute(a).domain) for a in names},
                                missing=0.0, dtype=np.float32)  # fmt: skip
        dtype = np.float32 if protocol == "she" else np.uint8  # indicator encodings are 0/1
        features = pd.DataFrame(x.astype(dtype), columns=cols, index=rows.index)
        epsilons = priv.epsilons
        if group is not None:
            z, channel = _decode(priv, group, ks[group], seed, spec.name, protocol, epsilon, part)
    if clear:
        features = pd.concat([features, one_hot(rows, spec, clear)], axis=1)
        epsilons = {**epsilons, **dict.fromkeys(clear, math.inf)}
    released = pd.concat([rows.drop(columns=spec.sensitive_names), features], axis=1)
    if z is not None:
        released["z"] = z.astype(np.int16)
    ledger = {
        "protocol": protocol,
        "epsilon": float(epsilon),
        "budget_split": budget_split,
        "attributes": names,
        "epsilons": {a: float(e) for a, e in epsilons.items()},
        "reports": {a: [c for c in features.columns if c.split("=", 1)[0] == a]
                    for a in names + clear},
        "clear": clear,
        "group": None if group is None else {
            "attribute": group,
            "domain": [str(v) for v in spec.attribute(group).domain],
            "decoded": z is not None,
            "channel": channel,
        },
    }  # fmt: skip
    return released, ledger


def _decode(
    priv: Any, group: str, k: int, seed: int, dataset: str, protocol: str, epsilon: float,
    part: str | None,
) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """The decoded group of every user and the channel's description (None if the release
    cannot be decoded per attribute: ``combined`` over several attributes)."""
    if priv.budget_split == "combined" and len(priv.attributes) > 1:
        return None, None
    column = next(p for p in priv.parts if p.attribute in (group, "+".join(priv.attributes)))
    return _decode_column(column, priv.n, 1.0 / len(priv.attributes), group, k, seed, dataset,
                          protocol, epsilon, part)  # fmt: skip


def _decode_column(
    column: Any, n: int, sampled_probability: float, group: str, k: int, seed: int,
    dataset: str, protocol: str, epsilon: float, part: str | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode one privatized column (:class:`~fairldp.ldp.PrivatizedColumn`) of ``n`` users;
    a column reported by some users only (sampling, each with ``sampled_probability``) gives
    the others a uniform draw."""
    from fairldp.fair.noise import decode

    keys = (group,) if part is None else (group, part)
    rng = make_rng(seed, "decode", dataset, protocol, epsilon, *keys)
    decoded = decode(column.protocol, column.reports, tie_break=TIE_BREAK, rng=rng)
    report_probability = 1.0
    if column.users is None:
        z = decoded
    else:  # sampling: users who did not report the attribute get a uniform draw
        z = rng.integers(0, k, size=n)
        z[column.users] = decoded
        report_probability = sampled_probability
    channel = {"protocol": column.protocol.name, "epsilon": float(column.protocol.epsilon),
               "k": k, "tie_break": TIE_BREAK, "report_probability": report_probability}
    return z, channel


#: the record privatizer's defaults: the oracle of categorical features (GRR or OUE by
#: variance, :class:`fairldp.ldp.ADP`), the numeric mechanism and the feature encoding
RECORD_DEFAULTS = {"categorical": "adp", "numeric": "hybrid", "encoding": "reports",
                   "sampled": "auto"}  # fmt: skip
LABEL_COLUMN = "y"


def numeric_bounds(rows: pd.DataFrame, spec: DatasetSpec,
                   declared: Mapping[str, Sequence[float]] | None = None,
                   ) -> dict[str, tuple[float, float]]:  # fmt: skip
    """The clipping range of every numeric feature: as ``declared``, else the smallest and
    largest value of ``rows`` (the whole benchmark file: its published domain, public by
    assumption; declare a range to clip tighter, e.g. Adult's capital gain)."""
    declared = dict(declared or {})
    unknown = sorted(set(declared) - set(spec.numeric))
    if unknown:
        raise ValueError(f"bounds for {unknown}, which are not numeric features of {spec.name} "
                         f"({list(spec.numeric)})")  # fmt: skip
    out = {}
    for c in spec.numeric:
        if c in declared:
            low, high = (float(v) for v in declared[c])
        else:
            x = rows[c].to_numpy(np.float64)
            low, high = float(np.nanmin(x)), float(np.nanmax(x))
            if low == high:
                high = low + 1.0
        out[c] = (low, high)
    return out


def record_columns(
    spec: DatasetSpec,
    protocol: str,
    attributes: Sequence[str],
    features: Sequence[str],
    label: bool,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    *,
    categorical: str = "adp",
    numeric: str = "hybrid",
    weights: Mapping[str, float] | None = None,
) -> list[Any]:
    """The columns of a whole record (:class:`fairldp.ldp.record.ColumnSpec`), in release
    order: the sensitive ``attributes``, the ``features``, the label. Without ``bounds`` the
    numeric ranges are placeholders ``[0, 1]`` (for budgets only: they do not depend on it)."""
    from fairldp.ldp.record import ColumnSpec, with_weights

    cat_names = {a.name for a in spec.categorical}
    columns = [ColumnSpec(a, "categorical", protocol, k=spec.attribute(a).k) for a in attributes]
    for f in features:
        if f in cat_names:
            columns.append(ColumnSpec(f, "categorical", categorical, k=spec.attribute(f).k))
        else:
            low, high = (0.0, 1.0) if bounds is None else bounds[f]
            columns.append(ColumnSpec(f, "numeric", numeric, low=low, high=high))
    if label:
        columns.append(ColumnSpec(LABEL_COLUMN, "label", "rr", k=2))
    return with_weights(columns, weights) if weights else columns


def release_record(
    rows: pd.DataFrame,
    spec: DatasetSpec,
    protocol: str,
    epsilon: float,
    budget_split: str,
    seed: int,
    attributes: Sequence[str],
    features: Sequence[str],
    label: bool,
    bounds: Mapping[str, tuple[float, float]],
    group: str | None = None,
    part: str | None = None,
    clear: Sequence[str] = (),
    *,
    categorical: str = "adp",
    numeric: str = "hybrid",
    weights: Mapping[str, float] | None = None,
    sampled: int | str = "auto",
    encoding: str = "reports",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """What the users of ``rows`` release when they privatize a whole record, and its ledger.

    The sensitive ``attributes`` (with ``protocol``), the non-sensitive ``features``
    (categorical ones with ``categorical``, numeric ones with ``numeric`` over ``bounds``) and,
    if ``label``, the label (randomized response) are privatized together by
    :func:`fairldp.ldp.record.privatize_record`, the total ``epsilon`` spent as
    ``budget_split`` says (uniform, k_based, weighted with ``weights``, or sampling
    ``sampled`` columns per user). Returns the released columns only: the report encodings
    ``column=value`` of categorical columns, the numeric reports (float32, original units,
    under the feature's name), ``y`` (int8, the released label) and ``z`` (the decoded group);
    and the ledger: :func:`release`'s keys plus ``features`` (privatized), ``public`` (the
    features released in the clear, as the study declares), ``replaces`` (the public columns
    the release stands in for), ``label``, ``encoding`` and ``record`` (per column its
    mechanism, budget and domain; :meth:`fairldp.ldp.record.PrivatizedRecord.ledger`).
    """
    from fairldp.ldp.record import privatize_record

    names, features, clear = list(attributes), list(features), list(clear)
    unknown = [a for a in names + clear if a not in spec.sensitive_names]
    if unknown:
        raise ValueError(f"{unknown} are not sensitive attributes of {spec.name}")
    not_features = [f for f in features if f not in spec.feature_names]
    if not_features:
        raise ValueError(f"{not_features} are not non-sensitive features of {spec.name} "
                         f"({spec.feature_names})")  # fmt: skip
    if group is not None and group not in names:
        raise ValueError(f"the group attribute {group!r} is not among the released {names}")
    cat_names = {a.name for a in spec.categorical}
    columns = record_columns(spec, protocol, names, features, label, bounds,
                             categorical=categorical, numeric=numeric, weights=weights)
    values: dict[str, np.ndarray] = {}
    for c in columns:
        if c.kind == "label":
            values[c.name] = rows[spec.target].to_numpy(np.int64)
        elif c.name in cat_names or c.name in spec.sensitive_names:
            values[c.name] = _codes(rows, c.name)
        else:
            values[c.name] = rows[c.name].to_numpy(np.float64)
    rec = privatize_record(values, columns, epsilon, budget_split, seed=int(seed),
                           dataset=spec.name, sampled=sampled, part=part)  # fmt: skip
    blocks: dict[str, np.ndarray] = {}
    reports: dict[str, list[str]] = {}
    for c in columns:
        if c.kind == "categorical":
            domain = list(spec.attribute(c.name).domain)
            enc = rec.features(c.name, encoding)
            cols = [f"{c.name}={v}" for v in domain]
            dtype = np.uint8 if encoding == "reports" else np.float32
            for j, col in enumerate(cols):
                blocks[col] = enc[:, j].astype(dtype)
            reports[c.name] = cols
        elif c.kind == "numeric":
            blocks[c.name] = rec.features(c.name, encoding)
    if label:
        blocks[LABEL_COLUMN] = rec.label().astype(np.int8)
    released = pd.DataFrame(blocks, index=rows.index)
    if clear:
        released = pd.concat([released, one_hot(rows, spec, clear)], axis=1)
        reports.update({a: [f"{a}={v}" for v in spec.attribute(a).domain] for a in clear})
    channel = None
    if group is not None:
        z, channel = _decode_column(rec.parts[group], rec.n, rec.report_probability, group,
                                    spec.attribute(group).k, int(seed), spec.name, protocol,
                                    epsilon, part)  # fmt: skip
        released["z"] = z.astype(np.int16)
    record = rec.ledger()
    public = [f for f in spec.feature_names if f not in features]
    ledger = {
        "protocol": protocol,
        "epsilon": float(epsilon),
        "budget_split": budget_split,
        "attributes": names,
        "features": features,
        "public": public,
        "replaces": [*features, *([LABEL_COLUMN] if label else [])],
        "label": "rr" if label else "public",
        "encoding": encoding,
        "epsilons": {**{c: e["epsilon"] for c, e in record["columns"].items()},
                     **dict.fromkeys(clear, math.inf)},
        "reports": reports,
        "clear": clear,
        "record": record,
        "group": None if group is None else {
            "attribute": group,
            "domain": [str(v) for v in spec.attribute(group).domain],
            "decoded": True,
            "channel": channel,
        },
    }  # fmt: skip
    return released, ledger


def require_declared(ledger: Mapping[str, Any], spec: DatasetSpec, source: str) -> None:
    """Raise :class:`PrivacyBoundaryError` unless every non-sensitive feature of a whole-record
    release is either privatized (``features``) or declared public (``public``): no column
    leaves the privatizer in the clear unless the study says so."""
    if "public" not in ledger:  # a release of sensitive attributes only
        return
    covered = set(ledger["features"]) | set(ledger["public"])
    missing = [f for f in spec.feature_names if f not in covered]
    both = sorted(set(ledger["features"]) & set(ledger["public"]))
    if missing or both:
        raise PrivacyBoundaryError(
            f"{source}: features {missing or both} are "
            f"{'neither privatized nor declared public' if missing else 'privatized and public'}"
        )


def group_noise_model(ledger: dict[str, Any]) -> NoiseModel | None:
    """The exact :class:`~fairldp.fair.noise.NoiseModel` of the decoded group of a release
    (None without privatization: ``z`` is then the true group)."""
    from fairldp.fair.noise import NoiseModel
    from fairldp.ldp import get_protocol

    group = ledger.get("group")
    if group is None or not group["decoded"]:
        raise ValueError("the release has no decoded group attribute")
    channel = group["channel"]
    if channel is None:
        return None
    proto = get_protocol(channel["protocol"], channel["epsilon"], channel["k"])
    return NoiseModel(proto, tie_break=channel["tie_break"],
                      report_probability=channel["report_probability"])  # fmt: skip


def identity_noise_model(k: int) -> NoiseModel:
    """A channel with ``T = I`` (GRR at epsilon 700), for corrected methods run on true groups."""
    from fairldp.fair.noise import NoiseModel
    from fairldp.ldp import get_protocol

    return NoiseModel(get_protocol("grr", NO_NOISE_EPSILON, k))


def require_no_raw_sensitive(
    df: pd.DataFrame, sensitive: Sequence[str], source: str = "training data"
) -> None:
    """Raise :class:`PrivacyBoundaryError` if ``df`` holds a raw sensitive column."""
    raw = [c for c in sensitive if c in df.columns]
    if raw:
        raise PrivacyBoundaryError(
            f"{source} holds raw sensitive columns {raw} that were not privatized; pass the "
            "output of the privatize stage"
        )


def require_released(
    df: pd.DataFrame, sensitive: Sequence[str], source: str = "training data"
) -> dict[str, Any]:
    """Raise :class:`PrivacyBoundaryError` unless ``df`` is a release: no raw sensitive column
    and a ledger (``df.attrs["fairldp"]["ledger"]``). Returns the ledger (per budget split)."""
    require_no_raw_sensitive(df, sensitive, source)
    ledger = df.attrs.get("fairldp", {}).get("ledger")
    if not ledger:
        raise PrivacyBoundaryError(
            f"{source} carries no release ledger; pass the output of the privatize stage "
            "(fairldp.privacy.release)"
        )
    return ledger


def proxy_report(
    df: pd.DataFrame,
    spec: DatasetSpec,
    threshold: float = 0.1,
    purity: float = 0.99,
    min_mi: float = 0.1,
) -> list[dict[str, Any]]:
    """The categorical features that (nearly) determine a sensitive attribute, unperturbed by
    any LDP protocol: for each (feature, sensitive attribute) the share of rows whose feature
    value ``x`` has ``max_a P(A = a | X = x) >= purity`` and the normalized mutual information
    ``I(X; A) / H(A)``; the pairs whose share is at least ``threshold`` and whose normalized
    mutual information is at least ``min_mi`` (a value that only confirms a 96% majority is no
    proxy), largest share first. Adult's ``relationship`` gives ``sex`` in 46% of rows
    (husband, wife; normalized MI 0.43)."""
    out = []
    for attr in spec.sensitive_names:
        if attr not in df.columns:
            continue
        for feat in (a.name for a in spec.categorical):
            if feat not in df.columns or feat == attr:
                continue
            joint = pd.crosstab(df[feat], df[attr]).to_numpy(np.float64)
            n = joint.sum()
            if n == 0:
                continue
            rows = joint.sum(axis=1)
            pure = joint.max(axis=1) >= purity * rows
            share = float(rows[pure].sum() / n)
            p = joint / n
            px, pa = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                mi = float(np.nansum(np.where(p > 0, p * np.log(p / (px * pa)), 0.0)))
                h = float(-np.nansum(np.where(pa > 0, pa * np.log(pa), 0.0)))
            nmi = mi / h if h > 0 else 0.0
            if share >= threshold and nmi >= min_mi:
                out.append({"feature": feat, "attribute": attr, "determined_share": share,
                            "normalized_mi": nmi})  # fmt: skip
    return sorted(out, key=lambda r: -r["determined_share"])

