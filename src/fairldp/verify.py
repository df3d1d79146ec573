"""Check every artifact of a study: readable, made for the keys of its path, nothing left over.

``python -m fairldp.verify STUDY.yaml [--workdir DIR]`` (``make verify``) reads the footer and
the fairldp metadata of every artifact the study's plan names (splits, public rows, releases,
representations, predictions, leakage audits, evaluations, the metrics table) and reports,
naming each file:

- ``unreadable``: not a Parquet file (truncated, overwritten, ...): its footer cannot be read;
- ``mislabelled``: made for other keys than its path says (an artifact of another cell copied
  over it): :func:`fairldp.io.check_made_for`;
- ``leftover``: temporary files of killed writes (``.<name>.<random>.tmp``);
- ``missing``: not built yet (not a problem: the next run builds it).

It exits with 1 if anything is unreadable, mislabelled or left over. What Snakemake would rerun
(and why) is its dry run, which ``make verify`` prints next.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairldp.config import Study, load_study
from fairldp.datasets import base_name
from fairldp.io import check_made_for, read_metadata
from fairldp.plan import PATHS, Plan

__all__ = ["Report", "expected_artifacts", "main", "verify"]


@dataclass
class Report:
    """Files by status (paths relative to the working directory), with the reason of each
    problem."""

    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    mislabelled: dict[str, str] = field(default_factory=dict)
    leftover: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.unreadable) + len(self.mislabelled) + len(self.leftover)

    def summary(self) -> str:
        return (f"{len(self.ok)} artifacts ok, {len(self.missing)} not built yet, "
                f"{len(self.unreadable)} unreadable, {len(self.mislabelled)} mislabelled, "
                f"{len(self.leftover)} temporary files left over")  # fmt: skip


def expected_artifacts(study: Study) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path relative to the results folder, the keys it must have been made for) of every
    artifact of the study's plan."""
    plan = Plan(study)
    for (ds, b), seeds in plan.splits().items():
        yield PATHS["split"].format(dataset=ds, block=b), {"dataset": ds, "seeds": list(seeds)}
    # a label-bias level (support2@0.3) biases, then releases, its dataset's whole split
    splits = plan.splits()
    keys = dict.fromkeys((cell.dataset, b) for cell, b in plan.privatize())
    for ds, b in keys:
        seeds = list(splits[base_name(ds), b])
        if plan.study.label_bias is not None:
            yield PATHS["biased"].format(dataset=ds, block=b), {"dataset": base_name(ds),
                                                                "seeds": seeds}  # fmt: skip
        yield PATHS["public"].format(dataset=ds, block=b), {"dataset": ds, "seeds": seeds}
    for (cell, b), seeds in plan.privatize().items():
        keys = {"dataset": cell.dataset, "privatizer": cell.privatizer, "epsilon": cell.eps}
        yield PATHS["privatized"].format(**cell.keys(), block=b), {**keys, "seeds": list(seeds)}
    for (cell, art, b), seeds in plan.represent().items():
        keys = {"dataset": cell.dataset, "privatizer": cell.privatizer, "epsilon": cell.eps}
        path = PATHS["represented"].format(**cell.keys(), representation=art, block=b)
        yield path, {**keys, "seeds": list(seeds)}
    for (cell, art, learner, b), seeds in plan.learn().items():
        keys = {"dataset": cell.dataset, "privatizer": cell.privatizer, "epsilon": cell.eps,
                "learner": learner, "seeds": list(seeds)}  # fmt: skip
        yield PATHS["predictions"].format(**cell.keys(), representation=art, learner=learner,
                                          block=b), keys  # fmt: skip
    for cell, b in plan.leakage():
        keys = {"dataset": cell.dataset, "privatizer": cell.privatizer, "epsilon": cell.eps}
        yield PATHS["leakage"].format(**cell.keys(), block=b), keys
    for (cell, art, learner, b), _ in plan.membership().items():
        keys = {"dataset": cell.dataset, "privatizer": cell.privatizer, "epsilon": cell.eps,
                "learner": learner}  # fmt: skip
        yield PATHS["membership"].format(**cell.keys(), representation=art, learner=learner,
                                         block=b), keys  # fmt: skip
    for ds, learner, b in plan.evaluate():
        yield PATHS["evaluated"].format(dataset=ds, learner=learner, block=b), {
            "dataset": ds, "learner": learner}  # fmt: skip
    yield PATHS["metrics"], {"study": study.study}


def verify(study: Study, workdir: str | Path = ".") -> Report:
    """The :class:`Report` of the artifacts of ``study`` under ``workdir``."""
    report = Report()
    root = Path(workdir) / study.results
    for rel, keys in expected_artifacts(study):
        path = root / rel
        name = str(Path(study.results) / rel)
        if not path.exists():
            report.missing.append(name)
            continue
        try:
            meta = read_metadata(path)
        except Exception as exc:  # pyarrow raises several kinds on a damaged footer
            report.unreadable[name] = f"{type(exc).__name__}: {exc}"
            continue
        try:
            check_made_for(name, meta, **keys)
        except ValueError as exc:
            report.mislabelled[name] = str(exc)
            continue
        report.ok.append(name)
    if root.exists():
        report.leftover = sorted(os.path.relpath(p, workdir) for p in root.rglob(".*.tmp"))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fairldp.verify", description=__doc__)
    parser.add_argument("study", help="the study file")
    parser.add_argument("--workdir", default=".", help="the working directory of the runs")
    args = parser.parse_args(argv)
    report = verify(load_study(args.study, workdir=args.workdir), args.workdir)
    for kind in ("unreadable", "mislabelled"):
        for name, why in getattr(report, kind).items():
            print(f"{kind}: {name}: {why}")
    for name in report.leftover:
        print(f"leftover: {name} (a killed write; the next write of that file removes it)")
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
