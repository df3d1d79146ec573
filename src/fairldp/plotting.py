"""Study figures: metric versus epsilon, with the mean and a 95% confidence band over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["METRIC_LABELS", "plot_metric_grid", "summarize"]

METRIC_LABELS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "demographic_parity_difference": "Statistical parity diff.",
    "demographic_parity_ratio": "Disparate impact ratio",
    "equal_opportunity_difference": "Equal opportunity diff.",
    "equalized_odds_difference": "Equalized odds diff.",
    "predictive_equality_difference": "Predictive equality diff.",
    "accuracy_difference": "Accuracy diff.",
}


def summarize(df: pd.DataFrame, by: Sequence[str], value: str = "value") -> pd.DataFrame:
    """Mean over seeds and the 95% Student-t interval ``mean ± t_{0.975, n-1} s / sqrt(n)``.

    NaN values (a metric undefined for some seed) are left out of the mean and of n. With one
    seed the interval has zero width.
    """
    g = df.groupby(list(by), observed=True, sort=True)[value]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    from scipy.special import stdtrit  # Student-t quantile; scipy.stats costs 0.5 s to import

    t = stdtrit(np.maximum(out["n"] - 1, 1), 0.975)
    half = np.where(out["n"] > 1, t * out["sd"] / np.sqrt(out["n"].clip(lower=1)), 0.0)
    out["lo"] = out["mean"] - half
    out["hi"] = out["mean"] + half
    return out


def plot_metric_grid(
    metrics: pd.DataFrame,
    dataset: str,
    model: str,
    metric_names: Sequence[str],
    outputs: Sequence[str | Path],
    title: str | None = None,
) -> None:
    """Rows: metrics; columns: budget splits; x: epsilon (log); one line per protocol.

    The non-private baseline (protocol ``none``) is a dashed black line with a grey band.
    Writes the figure to every path in ``outputs`` (format from the suffix: PNG, PDF, ...).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = metrics[(metrics["dataset"] == dataset) & (metrics["model"] == model)]
    df = df[df["metric"].isin(list(metric_names))]
    if df.empty:
        raise ValueError(f"no metrics for dataset {dataset!r} and model {model!r}")
    private = df[df["protocol"] != "none"]
    base = summarize(df[df["protocol"] == "none"], ["metric"])
    from fairldp.ldp.budget import BUDGET_SPLITS

    present = set(private["budget_split"].unique())
    splits = [b for b in BUDGET_SPLITS if b in present] + sorted(present - set(BUDGET_SPLITS))
    splits = splits or ["none"]
    protocols = sorted(private["protocol"].unique())
    # the colour-blind-safe palette of seaborn, as shipped in matplotlib's style library
    palette = plt.style.library["seaborn-v0_8-colorblind"]["axes.prop_cycle"].by_key()["color"]
    colors = {p: palette[i % len(palette)] for i, p in enumerate(protocols)}
    summ = summarize(private, ["metric", "budget_split", "protocol", "epsilon"])
    eps_all = np.sort(private["epsilon"].unique()) if not private.empty else np.array([1.0])

    nrow, ncol = len(metric_names), len(splits)
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(3.2 * ncol + 1.6, 2.0 * nrow + 1.0),
        sharex=True,
        sharey="row",
        squeeze=False,
        layout="constrained",
    )
    for i, metric in enumerate(metric_names):
        for j, split in enumerate(splits):
            ax = axes[i, j]
            for proto in protocols:
                s = summ[
                    (summ["metric"] == metric)
                    & (summ["budget_split"] == split)
                    & (summ["protocol"] == proto)
                ]
                if s.empty:
                    continue
                ax.plot(
                    s["epsilon"],
                    s["mean"],
                    marker="o",
                    ms=3,
                    color=colors[proto],
                    label=proto.upper(),
                )
                ax.fill_between(
                    s["epsilon"], s["lo"], s["hi"], color=colors[proto], alpha=0.2, lw=0
                )
            b = base[base["metric"] == metric]
            if not b.empty:
                ax.axhline(b["mean"].iloc[0], color="black", ls="--", lw=1, label="non-private")
                ax.axhspan(b["lo"].iloc[0], b["hi"].iloc[0], color="grey", alpha=0.15, lw=0)
            ax.set_xscale("log")
            ax.set_xticks(eps_all, [f"{e:g}" for e in eps_all])
            ax.minorticks_off()
            ax.grid(alpha=0.3)
            if i == 0:
                ax.set_title(f"budget split: {split}", fontsize=10)
            if j == 0:
                ax.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize=9)
            if i == nrow - 1:
                ax.set_xlabel("ε (total budget)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(title or f"{dataset}, {model}: mean and 95% CI over seeds", fontsize=11)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    for path in outputs:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # no creation date in PDFs: the same metrics give the same bytes
        meta = {"CreationDate": None} if str(path).endswith(".pdf") else None
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata=meta)
    plt.close(fig)
