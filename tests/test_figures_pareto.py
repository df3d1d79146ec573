"""The Pareto figure kind and its front."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp.figures import FIGURE_KINDS
from fairldp.figures.pareto import pareto_front


def test_front_keeps_the_undominated_points() -> None:
    x = np.array([0.9, 0.8, 0.85, 0.7, 0.9])
    y = np.array([0.5, 0.9, 0.6, 0.95, 0.4])
    assert pareto_front(x, y).tolist() == [3, 1, 2, 0]  # (0.9, 0.4) is beaten by (0.9, 0.5)


def test_figure_and_table(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows = [{"dataset": "d", "learner": lr, "privatizer": "none", "epsilon": np.inf,
             "seed": s, "audit": a, "group": "", "metric": m, "value": v + rng.normal(0, .01)}
            for lr, acc, wgs in (("lr", 0.85, 0.6), ("floor", 0.83, 0.8), ("parity", 0.8, 0.7))
            for s in range(4)
            for a, m, v in (("utility", "accuracy", acc),
                            ("fairness_true", "worst_group_sensitivity", wgs))]  # fmt: skip
    df = pd.DataFrame(rows)
    kind = FIGURE_KINDS.get("pareto")()
    kind.draw(df, [tmp_path / "p.png", tmp_path / "p.csv"], {"dataset": "d"})
    assert (tmp_path / "p.png").stat().st_size > 10_000
    t = pd.read_csv(tmp_path / "p.csv")
    assert len(t) == 6 and set(t["metric"]) == {"accuracy", "worst_group_sensitivity"}
    with pytest.raises(ValueError, match="unknown metric"):
        FIGURE_KINDS.get("pareto")(y="worst_sensitivity")
