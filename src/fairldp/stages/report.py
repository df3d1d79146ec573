"""Report stages: the figures of a study (from its figure specs) and its provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fairldp.io import read_parquet
from fairldp.runlog import log, timed

__all__ = ["figures", "provenance"]


def figures(
    metrics: str,
    figure: str,
    spec: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Sequence[Any]]],
    context: Mapping[str, Any],
    caption: str = "",
) -> None:
    """Draw every file of figure ``figure`` (``spec``: its kind and parameters); each item of
    ``files`` holds the file's axis ``values`` (e.g. ``{"dataset": "adult"}``) and its
    ``paths``. ``runs``: the axes of the runs it draws; ``context``: study-wide facts for
    titles (``study``) and ``orders`` (axis -> values in the study's order); ``caption``: the
    report's caption, also written into the files' metadata."""
    from fairldp.figures import FIGURE_KINDS

    with timed("figures"):
        params = dict(spec)
        cls = FIGURE_KINDS.get(params.pop("kind"))
        kind = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
        df = read_parquet(metrics)
        for f in files:
            values = dict(f["values"])
            data = kind.select(df, values, runs)
            attributes = sorted(data["attribute"].dropna().unique())
            ctx = {**context, **values, "figure": figure, "attribute": ", ".join(attributes),
                   "caption": caption}  # fmt: skip
            kind.draw(data, f["paths"], ctx)
            log.info("figure %s %s: %d rows", figure, values, len(data))


def provenance(record: Mapping[str, Any], json: str, html: str) -> None:
    """Write the provenance record (versions, commit, platform, study) as JSON and HTML."""
    from fairldp.provenance import write_provenance

    with timed("provenance"):
        write_provenance(dict(record), json, html)
