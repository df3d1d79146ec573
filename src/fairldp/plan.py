"""The jobs of a study: every artifact of the chain, keyed only by the choices it depends on.

    prepare -> split -> [label bias] -> privatize -> represent -> learn -> evaluate -> collect
                                                                       \\-> leakage -/   -> figures

Artifacts (under the study's ``results`` folder, :data:`PATHS`) and what each depends on:

- split ``splits/{dataset}/{block}``: the dataset, the block's seeds, ``test_size``;
- label bias ``biased/{dataset}/{block}``: + ``label_bias`` (a sweep of its rate runs this
  stage and every later one once per rate, ``{dataset}`` being the key ``{dataset}@{rate}``);
- public rows ``public/{dataset}/{block}``: the rows a privatizer releases, without their
  sensitive attributes (joined to every release drawn from them);
- privatize ``privatized/{dataset}/{privatizer}/eps{eps}/{block}``: + the privatizer, epsilon,
  the group attribute;
- represent ``represented/{dataset}/{privatizer}/eps{eps}/{representation}/{block}`` (fitted
  representations only): + the representation;
- learn ``predictions/{...}/{representation}/{learner}/{block}``: + the learner;
- leakage ``audits/leakage/{dataset}/{privatizer}/eps{eps}/{block}``: the cell's
  representations;
- evaluate ``evaluated/{dataset}/{learner}/{block}``: the learner's predictions, the audits;
- collect ``metrics.parquet``: everything; figures ``figures/{figure}/{file}.{png,pdf}``: the
  metrics and the figure's spec.

Seeds are processed in *blocks* of fixed ranges ``[0, b)``, ``[b, 2b)``, ... (``b`` =
``seed_block``): adding seeds in a new range runs only that block's jobs. A representation's
artifacts are named by its parameters as they run on the cell (:func:`artifact_key`:
``{kind}-{digest}``; without privatization every group estimate is the true group), so the
variants that coincide on a cell share their artifacts, and renaming a variant reruns nothing;
the metrics table lists each variant under its own name. Stateless representations
(``identity``) have no represented artifact: learn and leakage apply them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fairldp.config import NON_PRIVATE, Run, Study, format_epsilon, parse_epsilon

__all__ = ["PATHS", "Cell", "Plan", "artifact_key", "block_name", "block_seeds", "file_key"]

#: artifact paths, relative to the study's results folder
PATHS = {
    "split": "splits/{dataset}/{block}.parquet",
    "biased": "biased/{dataset}/{block}.parquet",
    "public": "public/{dataset}/{block}.parquet",
    "privatized": "privatized/{dataset}/{privatizer}/eps{eps}/{block}.parquet",
    "represented": "represented/{dataset}/{privatizer}/eps{eps}/{representation}/{block}.parquet",
    "predictions": (
        "predictions/{dataset}/{privatizer}/eps{eps}/{representation}/{learner}/{block}.parquet"
    ),
    "leakage": "audits/leakage/{dataset}/{privatizer}/eps{eps}/{block}.parquet",
    "membership": (
        "audits/membership/{dataset}/{privatizer}/eps{eps}/{representation}/{learner}/"
        "{block}.parquet"
    ),
    "evaluated": "evaluated/{dataset}/{learner}/{block}.parquet",
    "metrics": "metrics.parquet",
    "figure": "figures/{figure}/{file}.{ext}",
}


#: audits with a stage of their own (not prediction audits of the evaluate stage)
OWN_STAGE_AUDITS = ("leakage", "leakage_strong", "membership", "membership_shadow")
#: the audits of the leakage stage (one stage per cell runs the attackers any run asks for)
LEAKAGE_AUDITS = ("leakage", "leakage_strong")
#: the audits of the membership stage (one stage per model runs the attacks any run asks for)
MEMBERSHIP_AUDITS = ("membership", "membership_shadow")


def block_name(seed: int, size: int) -> str:
    """The block of ``seed``: ``seeds{lo}-{hi}`` with ``lo = size * (seed // size)``."""
    lo = size * (int(seed) // size)
    return f"seeds{lo}-{lo + size - 1}"


def block_seeds(seeds: Iterable[int], size: int) -> dict[str, tuple[int, ...]]:
    """The seeds of each block, blocks in order."""
    out: dict[str, list[int]] = defaultdict(list)
    for s in sorted(set(int(s) for s in seeds)):
        out[block_name(s, size)].append(s)
    return {b: tuple(v) for b, v in sorted(out.items(), key=lambda kv: kv[1][0])}


@dataclass(frozen=True)
class Cell:
    """One (dataset, privatizer, epsilon) cell; ``eps`` is the canonical text."""

    dataset: str
    privatizer: str
    eps: str

    @property
    def epsilon(self) -> float:
        return parse_epsilon(self.eps)

    def keys(self) -> dict[str, str]:
        return {"dataset": self.dataset, "privatizer": self.privatizer, "eps": self.eps}


def artifact_key(rep: Any) -> str:
    """The artifact name of a (resolved) representation: its kind and a digest of its
    parameters, e.g. ``quantile-1f0c3a9e``."""
    text = json.dumps({"kind": rep.kind, **rep.params()}, sort_keys=True, default=str)
    return f"{rep.kind}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


class Plan:
    """Every job of a study and its parameters (built once per DAG build)."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.size = study.seed_block
        # (cell, variant) -> seeds, (cell, variant, learner) -> seeds, per run membership
        self._variant_seeds: dict[tuple[Cell, str], set[int]] = defaultdict(set)
        self._learner_seeds: dict[tuple[Cell, str, str], set[int]] = defaultdict(set)
        self._leakage: dict[tuple[Cell, str], set[int]] = defaultdict(set)
        self._leak_audits: dict[tuple[Cell, str], set[str]] = defaultdict(set)
        self._membership: dict[tuple[Cell, str, str], set[int]] = defaultdict(set)
        self._attacks: dict[tuple[Cell, str, str], set[str]] = defaultdict(set)
        self._audits: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._artifacts: dict[tuple[Cell, str], Any] = {}  # (cell, artifact) -> representation
        for run in study.runs:
            for cell in self.run_cells(run):
                for v in run.representations:
                    self._artifacts[cell, self.artifact(cell, v)] = self.resolved(cell, v)
                    self._variant_seeds[cell, v] |= set(run.seeds)
                    leaks = set(run.audits) & set(LEAKAGE_AUDITS)
                    if leaks:
                        self._leakage[cell, v] |= set(run.seeds)
                        self._leak_audits[cell, self.artifact(cell, v)] |= leaks
                    for n in run.learners:
                        self._learner_seeds[cell, v, n] |= set(run.seeds)
                        attacks = set(run.audits) & set(MEMBERSHIP_AUDITS)
                        if attacks:
                            self._membership[cell, v, n] |= set(run.seeds)
                            self._attacks[cell, self.artifact(cell, v), n] |= attacks
                        self._audits[cell.dataset, n] |= {a for a in run.audits if a not in
                                                          OWN_STAGE_AUDITS}  # fmt: skip

    # ----- cells and artifacts --------------------------------------------------------------

    def run_cells(self, run: Run) -> list[Cell]:
        cells = []
        for key in (k for ds in run.datasets for k in self.study.dataset_keys(ds)):
            for p in run.privatizers:
                private = self.study.privatizer(p).private
                epsilons = [format_epsilon(e) for e in run.epsilons] if private else ["inf"]
                cells += [Cell(key, p, e) for e in epsilons]
        return cells

    def resolved(self, cell: Cell, variant: str) -> Any:
        """The representation of ``variant`` as it runs on ``cell``."""
        private = self.study.privatizer(cell.privatizer).private
        return self.study.representations[variant].representation.resolve(private)

    def artifact(self, cell: Cell, variant: str) -> str:
        """The artifact name of ``variant`` on ``cell`` (shared by coinciding variants)."""
        return artifact_key(self.resolved(cell, variant))

    def representation(self, cell: Cell, artifact: str) -> Any:
        """The representation of an artifact of ``cell``."""
        try:
            return self._artifacts[cell, artifact]
        except KeyError:
            raise KeyError(f"no representation of the study has the artifact {artifact!r} on "
                           f"{cell}") from None

    def cells(self) -> list[Cell]:
        return list(dict.fromkeys(c for c, _ in self._variant_seeds))

    # ----- jobs: key -> seeds -------------------------------------------------------------

    def _blocks(self, seeds: Iterable[int]) -> dict[str, tuple[int, ...]]:
        return block_seeds(seeds, self.size)

    def splits(self) -> dict[tuple[str, str], tuple[int, ...]]:
        """(dataset, block) -> seeds (the registered dataset: every label-bias level of a sweep
        biases the same split)."""
        from fairldp.datasets import base_name

        per: dict[str, set[int]] = defaultdict(set)
        for (cell, _), seeds in self._variant_seeds.items():
            per[base_name(cell.dataset)] |= seeds
        return {(ds, b): s for ds, seeds in per.items() for b, s in self._blocks(seeds).items()}

    def bias_rates(self) -> dict[str, float]:
        """Dataset key -> its label-bias rate, for the metrics table (empty without label
        bias: the column is then NaN)."""
        if self.study.label_bias is None:
            return {}
        return {c.dataset: self.study.bias_rate(c.dataset) for c in self.cells()}

    def privatize(self) -> dict[tuple[Cell, str], tuple[int, ...]]:
        """(cell, block) -> seeds."""
        per: dict[Cell, set[int]] = defaultdict(set)
        for (cell, _), seeds in self._variant_seeds.items():
            per[cell] |= seeds
        return {(c, b): s for c, seeds in per.items() for b, s in self._blocks(seeds).items()}

    def represent(self) -> dict[tuple[Cell, str, str], tuple[int, ...]]:
        """(cell, artifact, block) -> seeds, fitted representations only."""
        per: dict[tuple[Cell, str], set[int]] = defaultdict(set)
        for (cell, v), seeds in self._variant_seeds.items():
            if not self.resolved(cell, v).stateless:
                per[cell, self.artifact(cell, v)] |= seeds
        return {(c, a, b): s for (c, a), seeds in per.items()
                for b, s in self._blocks(seeds).items()}  # fmt: skip

    def learn(self) -> dict[tuple[Cell, str, str, str], tuple[int, ...]]:
        """(cell, artifact, learner, block) -> seeds."""
        per: dict[tuple[Cell, str, str], set[int]] = defaultdict(set)
        for (cell, v, n), seeds in self._learner_seeds.items():
            per[cell, self.artifact(cell, v), n] |= seeds
        return {(c, a, n, b): s for (c, a, n), seeds in per.items()
                for b, s in self._blocks(seeds).items()}  # fmt: skip

    def leakage(self) -> dict[tuple[Cell, str], dict[str, tuple[int, ...]]]:
        """(cell, block) -> {artifact: seeds} of the representations audited for leakage."""
        per: dict[tuple[Cell, str], set[int]] = defaultdict(set)
        for (cell, v), seeds in self._leakage.items():
            per[cell, self.artifact(cell, v)] |= seeds
        out: dict[tuple[Cell, str], dict[str, tuple[int, ...]]] = defaultdict(dict)
        for (cell, a), seeds in per.items():
            for b, s in self._blocks(seeds).items():
                out[cell, b][a] = s
        return dict(out)

    def leakage_audits(self, cell: Cell, artifact: str) -> list[str]:
        """The leakage audits (:data:`LEAKAGE_AUDITS`) any run asks of ``artifact`` of
        ``cell``, in that order: a parameter of the cell's leakage stage."""
        asked = self._leak_audits.get((cell, artifact), set())
        return [a for a in LEAKAGE_AUDITS if a in asked]

    def membership(self) -> dict[tuple[Cell, str, str, str], tuple[int, ...]]:
        """(cell, artifact, learner, block) -> seeds of the models audited for membership."""
        per: dict[tuple[Cell, str, str], set[int]] = defaultdict(set)
        for (cell, v, n), seeds in self._membership.items():
            per[cell, self.artifact(cell, v), n] |= seeds
        return {(c, a, n, b): s for (c, a, n), seeds in per.items()
                for b, s in self._blocks(seeds).items()}  # fmt: skip

    def membership_audits(self, cell: Cell, artifact: str, learner: str) -> list[str]:
        """The membership audits (:data:`MEMBERSHIP_AUDITS`) any run asks of ``learner`` on
        ``artifact`` of ``cell``, in that order: the parameter of its membership stage."""
        asked = self._attacks.get((cell, artifact, learner), set())
        return [a for a in MEMBERSHIP_AUDITS if a in asked]

    def evaluate(self) -> dict[tuple[str, str, str], list[tuple[Cell, str]]]:
        """(dataset, learner, block) -> the (cell, artifact) predictions it evaluates."""
        out: dict[tuple[str, str, str], list[tuple[Cell, str]]] = defaultdict(list)
        for c, a, n, b in self.learn():
            out[c.dataset, n, b].append((c, a))
        return dict(out)

    def audits(self, dataset: str, learner: str) -> list[str]:
        """The prediction audits any run asks of ``learner`` on ``dataset``."""
        order = list(self.study.audits) + sorted(self._audits[dataset, learner])
        return [a for a in dict.fromkeys(order) if a in self._audits[dataset, learner]]

    def aliases(self) -> list[dict[str, Any]]:
        """For each (cell, variant) of the study: the artifact it reads (collect stage)."""
        rows = []
        for (cell, v), _ in self._variant_seeds.items():
            rep = self.resolved(cell, v)
            rows.append({**cell.keys(), "representation": v, "artifact": self.artifact(cell, v),
                         "kind": rep.kind})  # fmt: skip
        return rows

    # ----- parameters of the jobs ----------------------------------------------------------

    def privatizer_params(self, dataset: str, privatizer: str) -> dict[str, Any]:
        from fairldp.datasets import get_dataset

        priv = self.study.privatizer(privatizer)
        spec = get_dataset(dataset)
        group = self.study.group(dataset)
        out = {
            "protocol": priv.protocol,
            "budget_splits": list(priv.budget_splits),
            "attributes": priv.attribute_names(spec.sensitive_names, group),
            "test": priv.test,
            "group": group,
        }
        clear = priv.clear_names(spec.sensitive_names, group)
        out = {**out, "clear": clear} if clear else out  # the keys of earlier studies stay
        if priv.record:
            out["record"] = {
                "features": priv.feature_names(spec.feature_names),
                "label": priv.label != "public",
                "categorical": priv.categorical,
                "numeric": priv.numeric,
                "bounds": {f: list(b) for f, b in priv.bounds if f in spec.numeric},
                "weights": dict(priv.weights),
                "sampled": priv.sampled,
                "encoding": priv.encoding,
            }
        return out

    def budget_ledgers(self) -> dict[str, list[dict[str, Any]]]:
        """Per dataset, what every whole-record privatizer of the study spends on each column
        at each epsilon and budget split, as its release's ledger will say: rows with
        ``privatizer``, ``budget_split``, ``epsilon``, ``column``, ``kind`` (sensitive,
        categorical, numeric, label), ``mechanism`` (``adp`` resolved), ``column_epsilon``
        and ``sampled`` (columns a user reports, of ``columns``)."""
        from fairldp.datasets import get_dataset
        from fairldp.ldp import get_protocol
        from fairldp.ldp.record import record_budgets
        from fairldp.privacy import record_columns

        out: dict[str, list[dict[str, Any]]] = {}
        for run in self.study.runs:
            for ds in run.datasets:
                spec = get_dataset(ds)
                rows = out.setdefault(ds, [])
                seen = {(r["privatizer"], r["budget_split"], r["epsilon"]) for r in rows}
                for name in run.privatizers:
                    priv = self.study.privatizer(name)
                    if not priv.record:
                        continue
                    attrs = priv.attribute_names(spec.sensitive_names, self.study.group(ds))
                    cols = record_columns(spec, priv.protocol, attrs,
                                          priv.feature_names(spec.feature_names),
                                          priv.label != "public",
                                          categorical=priv.categorical, numeric=priv.numeric,
                                          weights=dict(priv.weights))  # fmt: skip
                    for split in priv.budget_splits:
                        for eps in run.epsilons:
                            if (name, split, eps) in seen or math.isinf(eps):
                                continue
                            budgets, m = record_budgets(cols, eps, split, priv.sampled)
                            for c, e in zip(cols, budgets, strict=True):
                                if c.kind == "numeric":
                                    mech = c.mechanism
                                elif c.kind == "label":
                                    mech = "label_rr"
                                else:
                                    p = get_protocol(c.mechanism, e, c.k)
                                    mech = getattr(p, "inner", p).name
                                kind = ("sensitive" if c.name in attrs else c.kind)
                                rows.append({"privatizer": name, "budget_split": split,
                                             "epsilon": float(eps), "column": c.name,
                                             "kind": kind, "mechanism": mech,
                                             "column_epsilon": float(e), "sampled": m,
                                             "columns": len(cols)})  # fmt: skip
        return {d: r for d, r in out.items() if r}

    def representation_params(self, cell: Cell, artifact: str) -> dict[str, Any]:
        rep = self.representation(cell, artifact)
        return {"kind": rep.kind, **rep.params()}

    def learner_params(self, learner: str) -> dict[str, Any]:
        return self.study.learners[learner].params_dict()

    def run_axes(self, names: Iterable[str] = ()) -> list[dict[str, list[Any]]]:
        """Axis -> values of the named runs (all if none), for the figures' row selection."""
        wanted = set(names)
        out = []
        for run in self.study.runs:
            if wanted and run.name not in wanted:
                continue
            out.append({
                "dataset": list(run.datasets),
                "privatizer": list(run.privatizers),
                "epsilon": [*run.epsilons, float("inf")],
                "representation": list(run.representations),
                "learner": list(run.learners),
                "seed": list(run.seeds),
            })  # fmt: skip
        return out

    def orders(self) -> dict[str, list[Any]]:
        """The study's order of the values of each axis (for figures and tables)."""
        from fairldp.ldp import PROTOCOLS
        from fairldp.ldp.budget import BUDGET_SPLITS
        from fairldp.ldp.record import RECORD_SPLITS

        s = self.study
        return {
            "dataset": list(s.datasets),
            "privatizer": [NON_PRIVATE, *s.privatizers],
            "protocol": [NON_PRIVATE, *PROTOCOLS],
            "budget_split": [NON_PRIVATE, *dict.fromkeys([*BUDGET_SPLITS, *RECORD_SPLITS])],
            "representation": list(s.representations),
            "learner": list(s.learners),
            "audit": ["utility", "fairness_true", "fairness_privatized", "leakage",
                      "membership"],
        }

    def figure_files(self, figure: str) -> list[dict[str, str]]:
        """One mapping axis -> value per file of a figure, from the combinations its runs make."""
        fig = self.study.figures[figure].figure
        combos: dict[tuple[str, ...], dict[str, str]] = {}
        for run in self.study.runs:
            if fig.runs and run.name not in fig.runs:
                continue
            for ds in run.datasets:
                for p in run.privatizers:
                    for r in run.representations:
                        for n in run.learners:
                            values = {"dataset": ds, "privatizer": p, "representation": r,
                                      "learner": n}  # fmt: skip
                            sel = {a: values[a] for a in fig.files}
                            combos.setdefault(tuple(sel.values()), sel)
        return list(combos.values())


def file_key(values: dict[str, str]) -> str:
    """The file name of one figure file: its axis values joined by '-' ('all' if none)."""
    return "-".join(values.values()) or "all"
