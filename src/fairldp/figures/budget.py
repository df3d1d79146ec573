"""The budget ledger of whole-record privatizers: how each spends the total epsilon on a record.

One horizontal bar per (privatizer, budget split) at the total budget ``epsilon``: the
per-column budgets of a record, stacked, coloured by the column's kind (sensitive attribute,
categorical feature, numeric feature, label) and named by column and mechanism where they are
wide enough. Under ``sampling`` the bar is the ``m`` columns a user reports (``eps / m``
each, any ``m`` of the ``d``). The numbers are those the releases' ledgers record
(:meth:`fairldp.plan.Plan.budget_ledgers`, :func:`fairldp.privacy.release_record`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from fairldp.figures import FIGURE_KINDS, FigureKind, label, save

__all__ = ["Budget"]

KIND_COLOURS = {"sensitive": "tab:red", "categorical": "tab:blue", "numeric": "tab:cyan",
                "label": "tab:green"}  # fmt: skip
KIND_NAMES = {"sensitive": "sensitive attribute", "categorical": "categorical feature",
              "numeric": "numeric feature", "label": "label"}  # fmt: skip
#: a segment is named when it is at least this share of the bar
NAMED_SHARE = 0.07


@FIGURE_KINDS.register("budget")
@dataclass(frozen=True)
class Budget(FigureKind):
    """The per-column budgets of every whole-record privatizer at total budget ``epsilon``."""

    kind: ClassVar[str] = "budget"
    epsilon: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not float(self.epsilon) > 0:
            raise ValueError(f"epsilon must be positive, got {self.epsilon!r}")

    def describe(self) -> str:
        return (f"The budget ledger at total ε = {float(self.epsilon):g}: each bar is one "
                "user's record, its segments the budget each released column gets (colour: "
                "the column's kind; text: the column and its mechanism); under sampling, the "
                "columns one user reports.")  # fmt: skip

    def ledger(self, context: Mapping[str, Any]) -> pd.DataFrame:
        rows = pd.DataFrame(context.get("ledgers", {}).get(context.get("dataset", ""), []))
        if rows.empty:
            return rows
        return rows[rows["epsilon"] == float(self.epsilon)].reset_index(drop=True)

    def draw(self, data: pd.DataFrame, paths: Sequence[str | Path],
             context: Mapping[str, Any]) -> None:  # fmt: skip
        """The ledger comes from ``context["ledgers"]`` (the study's plan), not from metrics."""
        import matplotlib.pyplot as plt

        from fairldp.io import atomic_write_bytes

        table = self.ledger(context)
        images = [p for p in paths if not str(p).endswith(".csv")]
        if images:
            fig = self.figure(table, context)
            save(fig, images, context.get("caption", ""))
            plt.close(fig)
        text = table.to_csv(index=False, float_format="%.6g").encode()
        for p in (p for p in paths if str(p).endswith(".csv")):
            atomic_write_bytes(text, p)

    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        bars = list(dict.fromkeys(zip(data.get("privatizer", []), data.get("budget_split", []),
                                      strict=True)))  # fmt: skip
        fig, ax = plt.subplots(figsize=(11, 1.0 + 0.62 * max(len(bars), 1)))
        eps = float(self.epsilon)
        for i, (priv, split) in enumerate(bars):
            rows = data[(data["privatizer"] == priv) & (data["budget_split"] == split)]
            m, d = int(rows["sampled"].iloc[0]), int(rows["columns"].iloc[0])
            left = 0.0
            if split == "sampling":  # m reported columns, any of the d
                w = float(rows["column_epsilon"].iloc[0])
                for _ in range(m):
                    ax.barh(i, w, left=left, color="0.6", edgecolor="white")
                    left += w
                ax.text(eps / 2, i, f"any {m} of the {d} columns, ε/{m} each", ha="center",
                        va="center", fontsize=8, color="white")  # fmt: skip
                continue
            for _, r in rows.iterrows():
                w = float(r["column_epsilon"])
                ax.barh(i, w, left=left, color=KIND_COLOURS[r["kind"]], edgecolor="white",
                        lw=0.6)  # fmt: skip
                if w >= NAMED_SHARE * eps:
                    name = str(r["column"]).replace("_", "\n")
                    ax.text(left + w / 2, i, f"{name}\n{r['mechanism']}", ha="center",
                            va="center", fontsize=6, color="white")  # fmt: skip
                left += w
        ax.set_yticks(range(len(bars)),
                      [f"{label('privatizer', p)} · "
                       + ("sampling" if s == "sampling" else label("budget_split", s))
                       for p, s in bars])  # fmt: skip
        ax.invert_yaxis()
        ax.set_xlim(0, eps)
        ax.set_xlabel(f"budget of one record (total ε = {eps:g})")
        kinds = [k for k in KIND_COLOURS if k in set(data.get("kind", []))]
        handles = [Patch(color=KIND_COLOURS[k], label=KIND_NAMES[k]) for k in kinds]
        if any(s == "sampling" for _, s in bars):
            handles.append(Patch(color="0.6", label="a sampled column"))
        ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))  # fmt: skip
        title = self.title.format(**context) if self.title else label(
            "dataset", context.get("dataset", ""))  # fmt: skip
        ax.set_title(title if bars else f"{title}: no whole-record privatizer")
        fig.tight_layout()
        return fig
