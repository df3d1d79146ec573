"""Study figures, drawn from the tidy metrics table by specs of the study file.

A figure kind is a frozen dataclass registered in :data:`FIGURE_KINDS`; its fields are the
parameters of a figure spec (``figures: {name: {kind: lines, x: epsilon, y: [...], ...}}``).
The figures stage draws one file per combination of the spec's ``files`` axes
(``figures/{name}/{dataset}.png``, ...), from the rows of ``metrics.parquet`` the spec selects.

The axes of the metrics table are :data:`AXES`; :func:`label` (:func:`fairldp.labels.label`,
re-exported) gives the human label of an axis value; :func:`study_caption` the report's
caption of a figure of a study (what it shows, the study's fixed choices, the attribute).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.labels import label
from fairldp.registry import Registry

__all__ = [
    "AXES",
    "FIGURE_KINDS",
    "FILE_AXES",
    "FigureKind",
    "default_figures",
    "label",
    "save",
    "study_caption",
    "summarize",
]


def _load_builtin() -> None:
    from fairldp.figures import budget, frontier, levelling, lines, pareto, theory  # noqa: F401


#: figure kind name -> class (a frozen dataclass; its fields are the parameters)
FIGURE_KINDS: Registry[type[FigureKind]] = Registry("figure kind", _load_builtin)

#: the columns of the metrics table that identify a row (all but ``value``)
AXES = ("study", "dataset", "attribute", "bias_rate", "privatizer", "protocol", "budget_split",
        "epsilon", "representation", "kind", "amount", "learner", "model", "method", "seed",
        "audit", "group", "metric")  # fmt: skip
#: axes whose values are known from the study file: one figure file per combination
FILE_AXES = ("dataset", "privatizer", "representation", "learner")

def summarize(df: pd.DataFrame, by: Sequence[str], value: str = "value") -> pd.DataFrame:
    """Mean over seeds and the 95% Student-t interval ``mean ± t_{0.975, n-1} s / sqrt(n)``.

    NaN values (a metric undefined for some seed) are left out of the mean and of ``n``. With
    one seed the interval has zero width.
    """
    from scipy.special import stdtrit  # Student-t quantile; scipy.stats costs 0.5 s to import

    g = df.groupby(list(by), observed=True, sort=True, dropna=False)[value]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    t = stdtrit(np.maximum(out["n"] - 1, 1), 0.975)
    half = np.where(out["n"] > 1, t * out["sd"] / np.sqrt(out["n"].clip(lower=1)), 0.0)
    out["lo"] = out["mean"] - half
    out["hi"] = out["mean"] + half
    return out


def save(fig: Any, paths: Sequence[str | Path], description: str = "") -> None:
    """Write a matplotlib figure to every path (format from the suffix), with ``description``
    (the caption) in its metadata; PDFs without a creation date, so that the same metrics give
    the same bytes."""
    for path in paths:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if str(path).endswith(".pdf"):
            meta: dict[str, Any] = {"CreationDate": None, "Subject": description}
        else:
            meta = {"Description": description}
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata=meta)


def _match(column: pd.Series, values: Sequence[Any], missing: bool = False) -> np.ndarray:
    """Rows whose value is among ``values`` (``missing``: NA rows match too)."""
    hit = column.isin(list(values)).to_numpy(dtype=bool, na_value=False)
    return hit | column.isna().to_numpy() if missing else hit


@dataclass(frozen=True)
class FigureKind(ABC):
    """Base class of figure kinds. Common parameters:

    ``files``: axes of :data:`FILE_AXES` with one figure file per combination of their values;
    ``runs``: draw only the rows of these runs (default: every run); ``where``: axis ->
    allowed values, to select rows (e.g. ``{epsilon: [1]}``); ``title``, ``caption``: text
    (``{dataset}`` etc. are replaced by the file's values).
    """

    kind: ClassVar[str]
    files: tuple[str, ...] = ("dataset",)
    runs: tuple[str, ...] = ()
    where: Mapping[str, Any] = None  # type: ignore[assignment]
    title: str | None = None
    caption: str | None = None

    def __post_init__(self) -> None:
        if self.where is None:
            object.__setattr__(self, "where", {})
        for a in self.files:
            if a not in FILE_AXES:
                raise ValueError(f"files: {a!r} is not one of {list(FILE_AXES)}")
        for a in self.where:
            if a not in AXES:
                raise ValueError(f"where: {a!r} is not an axis of the metrics table {list(AXES)}")
        if "metric" in self.where:  # a former metric name (alias) selects the metric's rows
            from fairldp.metrics import METRICS

            chosen = self.where["metric"]
            many = isinstance(chosen, list | tuple)
            resolved = [METRICS.resolve(m) if m in METRICS else m
                        for m in (chosen if many else [chosen])]  # fmt: skip
            where = {**self.where, "metric": resolved if many else resolved[0]}
            object.__setattr__(self, "where", where)

    @classmethod
    def parameters(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def params(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else (dict(v) if isinstance(v, Mapping)
                                                                  else v)  # fmt: skip
        return out

    def check(self, runs: Sequence[str]) -> None:
        """Raise ValueError for a run name that the study does not have."""
        for r in self.runs:
            if r not in runs:
                raise ValueError(f"runs: {r!r} is not a run of the study {list(runs)}")

    def select(
        self,
        metrics: pd.DataFrame,
        file_values: Mapping[str, str],
        runs: Sequence[Mapping[str, Sequence[Any]]] = (),
    ) -> pd.DataFrame:
        """The rows this figure draws in the file of ``file_values``; ``runs``: the axes of the
        runs it draws (axis -> values), a row is kept if it belongs to one of them."""
        keep = np.ones(len(metrics), dtype=bool)
        if runs:
            in_run = np.zeros(len(metrics), dtype=bool)
            for run in runs:
                member = np.ones(len(metrics), dtype=bool)
                for axis, values in run.items():  # an axis that does not apply (NA) matches
                    member &= _match(metrics[axis], values, missing=True)
                in_run |= member
            keep &= in_run
        for axis, value in file_values.items():
            keep &= _match(metrics[axis], [value])
        for axis, allowed in self.where.items():
            values = allowed if isinstance(allowed, list | tuple) else [allowed]
            if axis in ("epsilon", "amount", "bias_rate"):
                values = [float(v) for v in values]
            keep &= _match(metrics[axis], values)
        return metrics[keep]

    def describe(self) -> str:
        """A caption for the report when the spec gives none."""
        return f"Figure of kind {self.kind}."

    def numbers(self, data: pd.DataFrame) -> pd.DataFrame:
        """The numbers behind the figure (written beside it as CSV): by default the mean over
        seeds and its 95% interval of every combination of the axes of the selected rows
        (:func:`summarize`)."""
        by = [a for a in AXES if a in data.columns and a not in ("study", "seed")]
        return summarize(data, by)

    @abstractmethod
    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        """The matplotlib figure of the selected rows; ``context``: the file's values and the
        study name, for titles."""

    def draw(self, data: pd.DataFrame, paths: Sequence[str | Path], context: Mapping[str, Any]
             ) -> None:  # fmt: skip
        """Draw the selected rows to every image path of ``paths`` (:meth:`figure`, the caption
        of ``context`` in the files' metadata) and write :meth:`numbers` to every ``.csv`` one."""
        import matplotlib.pyplot as plt

        from fairldp.io import atomic_write_bytes

        images = [p for p in paths if not str(p).endswith(".csv")]
        if images:
            fig = self.figure(data, context)
            save(fig, images, context.get("caption", ""))
            plt.close(fig)
        tables = [p for p in paths if str(p).endswith(".csv")]
        if tables:
            text = self.numbers(data).to_csv(index=False, float_format="%.6g").encode()
            for p in tables:
                atomic_write_bytes(text, p)


def default_figures(runs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The figures of a study file without a ``figures`` key: per run, fairness on the true
    attribute and accuracy versus epsilon, one line per learner, a panel per privatizer."""
    return {
        f"{run}_lines": {
            "kind": "lines",
            "runs": [run],
            "y": ["accuracy", "demographic_parity_difference", "equalized_odds_difference"],
            "col": "privatizer",
            "hue": "learner",
        }
        for run in runs
    }


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _privatizer_text(study: Any, name: str) -> str:
    """One privatizer of a study in words: protocol, released attributes, splits, test rows."""
    p = study.privatizer(name)
    if name == "none":
        return "the non-private baseline (every sensitive attribute in the clear, ε = ∞)"
    what = {"all": "every sensitive attribute", "group": "the group attribute"}.get(
        p.attributes if isinstance(p.attributes, str) else "", None
    ) or _join(list(p.attributes))
    if not p.private:
        return f"{label('privatizer', name)} ({what} in the clear, ε = ∞)"
    parts = [f"{label('protocol', p.protocol)} on {what} of the training rows"]
    if (p.attributes != "group" or p.record) and len(p.budget_splits) > 1:
        parts.append("budget split " + " or ".join(label("budget_split", b)
                                                    for b in p.budget_splits))  # fmt: skip
    if p.record:
        feats = {"all": "every feature"}.get(p.features if isinstance(p.features, str) else "",
                                             None) or _join(list(p.features))  # fmt: skip
        parts.append(f"with {feats} ({label('protocol', p.categorical)} if categorical, "
                     f"{p.numeric} if numeric)"
                     + (" and the label (randomized response)" if p.label != "public" else "")
                     + f" in one record, encoded as {p.encoding}")  # fmt: skip
    parts.append("test rows released too" if p.test == "privatized" else "test rows clean")
    return f"{label('privatizer', name)} ({'; '.join(parts)})"


def _learner_text(study: Any, name: str) -> str:
    lr = study.learners[name]
    if lr.method == "none":
        return label("model", lr.model)
    return f"{label('method', lr.method)} on {label('model', lr.model)}"


def study_caption(study: Any, name: str) -> str:
    """The report's caption of figure ``name`` of ``study`` (a :class:`fairldp.config.Study`):
    the spec's caption (or its kind's description), the attribute fairness is measured on,
    and the fixed choices of the runs it draws (datasets, privatizers, representations,
    learners, budgets, seeds)."""
    fig = study.figures[name].figure
    runs = [r for r in study.runs if not fig.runs or r.name in fig.runs]
    datasets = list(dict.fromkeys(d for r in runs for d in r.datasets))
    groups = {d: study.group(d) for d in datasets}
    if len(set(groups.values())) == 1:
        on = next(iter(groups.values()), "")
    else:
        on = _join([f"{a} ({label('dataset', d)})" for d, a in groups.items()])
    text = [fig.caption or fig.describe(),
            f"Fairness is measured on the true attribute {on} of the test rows, utility on "
            "the clean test labels."]  # fmt: skip
    for r in runs:
        eps = _join([f"{e:g}" for e in r.epsilons])
        facts = [
            "dataset" + ("s " if len(r.datasets) > 1 else " ")
            + _join([label("dataset", d) for d in r.datasets]),
            "privatizer" + ("s " if len(r.privatizers) > 1 else " ")
            + _join([_privatizer_text(study, p) for p in r.privatizers]),
            "representation" + ("s " if len(r.representations) > 1 else " ")
            + _join([label("representation", v) for v in r.representations]),
            "learner" + ("s " if len(r.learners) > 1 else " ")
            + _join([_learner_text(study, n) for n in r.learners]),
            f"ε = {eps}",
            f"{len(r.seeds)} seed" + ("s" if len(r.seeds) > 1 else ""),
        ]
        text.append(f"Run {r.name}: " + "; ".join(facts) + ".")
    if fig.files:
        text.append(f"One file per {_join([label(a) for a in fig.files])}.")
    return " ".join(text)
