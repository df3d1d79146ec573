"""The figure kind ``theory`` (closed form of the Bayes classifier under randomized response
over simulated metrics), its closed forms against :mod:`fairldp.metrics`, the model
``cell_bayes``, and theory against simulation through the project's learners.

Statistical tolerances as in ``tests/test_theory.py`` (seeds are fixed; the tolerances say
the checks would pass for almost every seed): a proportion ``r`` estimated from ``n`` test rows
has SE ``sqrt(r (1 - r) / n)``; single rates are checked within 4 SE, a difference of two
independent proportions within ``4 sqrt(SE_1^2 + SE_0^2)`` (two-sided false-alarm rate 6e-5 per
check); learnt classifiers are compared with the population one only at budgets where every
test-relevant cell has ``|P(Y=1 | x, z) - 1/2| >= 5 SE`` of its training estimate (checked).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.container import ErrorbarContainer

from fairldp.datasets.synthetic import discrete_joint
from fairldp.figures import FIGURE_KINDS
from fairldp.figures.theory import THEORY_METRICS, Theory, closed_form, joint_table, thresholds
from fairldp.ldp.grr import GRR
from fairldp.metrics import fairness_table, utility_table
from fairldp.models import MODELS, make_model
from fairldp.rng import derive_int_seed, make_rng
from fairldp.stages.evaluate import METRICS_COLUMNS
from fairldp.theory import bayes_under_rr, rr_thresholds

SEED = 20240517
Z = 4.0  # SE multiple of every statistical check
MARGIN = 5.0  # SE multiple by which training posteriors must clear 1/2

#: S1 of the authors' code (Y = A or X, P(A=1) = 0.7, X uniform): eps* = ln(7/3)
S1 = [[0, 0, 0, 0.15], [0, 1, 1, 0.15], [1, 0, 1, 0.35], [1, 1, 1, 0.35]]
EPS_S1 = math.log(7 / 3)

#: a scenario of our own, not the paper's: binary A, X in {0, 1, 2}, counts out of 94. Its
#: thresholds: cell (x=0, z=0) ln(12/8) = 0.405, (x=2, z=0) ln(15/6) = 0.916 (both predict 1
#: below), (x=1, z=0) ln(15/2) = 2.015 (predicts 1 above); the other cells never change.
OWN_COUNTS = {
    (0, 0, 1): 2, (0, 0, 0): 10, (1, 0, 1): 16, (1, 0, 0): 4,
    (0, 1, 1): 6, (0, 1, 0): 4, (1, 1, 1): 5, (1, 1, 0): 20,
    (0, 2, 1): 3, (0, 2, 0): 9, (1, 2, 1): 15, (1, 2, 0): 0,
}  # fmt: skip
OWN_THRESHOLDS = (math.log(1.5), math.log(2.5), math.log(7.5))
#: AND variant (the package's makhlouf_2024_example) as counts out of 20: EOD undefined
AND_COUNTS = {(0, 0, 0): 3, (0, 1, 0): 3, (1, 0, 0): 7, (1, 1, 1): 7}


def counts_table(counts: dict[tuple[int, int, int], int]) -> pd.DataFrame:
    total = sum(counts.values())
    rows = [(a, x, y, c / total) for (a, x, y), c in counts.items()]
    return pd.DataFrame(rows, columns=["A", "X", "Y", "p"])


@pytest.fixture(autouse=True)
def _close() -> object:
    yield
    plt.close("all")


# ----- closed forms against fairldp.metrics -------------------------------------------------


@pytest.mark.parametrize("counts", [OWN_COUNTS, AND_COUNTS], ids=["own", "and"])
def test_closed_form_is_fairldp_metrics_on_the_population(counts: dict) -> None:
    """On a population whose rows are the table's cells in exact proportion, the metrics of
    :mod:`fairldp.metrics` of the closed-form predictions are the closed forms (NaN alike)."""
    table = counts_table(counts)
    eps = [0.0, 0.2, 0.65, 1.4, 4.0, math.inf]
    r = bayes_under_rr(table, eps)
    cells = r.cells["X"].tolist()
    keys = np.array([k for k, c in counts.items() for _ in range(c)])
    a, x, y = keys[:, 0], keys[:, 1], keys[:, 2]
    xi = np.array([cells.index(v) for v in x])
    theory = closed_form(table, THEORY_METRICS, eps, reference=1)
    for i in range(len(eps)):
        pred = r.predictions[i][xi, a]
        fair = fairness_table(y, pred, a, reference=1).iloc[0]
        util = utility_table(y, pred, pred.astype(float)).iloc[0]
        for m in THEORY_METRICS:
            got = util[m] if m in util.index else fair[m]
            np.testing.assert_allclose(theory[m][i], got, rtol=0, atol=1e-12,
                                       err_msg=f"{m} at eps={eps[i]}")  # fmt: skip


def test_closed_form_signs_and_s1_levels() -> None:
    t = joint_table(S1)
    out = closed_form(t, ["demographic_parity_difference", "demographic_parity_difference_signed",
                          "equal_opportunity_difference", "accuracy"], [0.5, 1.0],
                      reference=1)  # fmt: skip
    np.testing.assert_allclose(out["demographic_parity_difference"], [0.0, 0.5], atol=1e-12)
    # reference group 1: r_0 - r_1 = 0.5 - 1 (the theory module's SPD is r_1 - r_0 = +0.5)
    np.testing.assert_allclose(out["demographic_parity_difference_signed"], [0.0, -0.5],
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(bayes_under_rr(t, [1.0]).spd, [0.5], atol=1e-12)
    np.testing.assert_allclose(out["equal_opportunity_difference"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out["accuracy"], [0.85, 1.0], atol=1e-12)
    np.testing.assert_allclose(thresholds(t)["epsilon"], [EPS_S1], rtol=1e-12)
    with pytest.raises(ValueError, match="reference group"):
        closed_form(t, ["demographic_parity_difference_signed"], [1.0])
    with pytest.raises(ValueError, match="no closed form"):
        closed_form(t, ["roc_auc"], [1.0])


def test_thresholds_are_those_that_move_a_test_prediction() -> None:
    t = counts_table(OWN_COUNTS)
    np.testing.assert_allclose(thresholds(t)["epsilon"], OWN_THRESHOLDS, rtol=1e-12)
    assert len(rr_thresholds(t)) == len(thresholds(t))


def test_joint_table_default_and_validation() -> None:
    from fairldp.datasets.synthetic import makhlouf_2024_example

    pd.testing.assert_frame_equal(joint_table(None), makhlouf_2024_example())
    with pytest.raises(ValueError, match="a and y must be 0 or 1"):
        joint_table([[2, 0, 0, 1.0]])
    with pytest.raises(ValueError, match="sum"):
        joint_table([[0, 0, 0, 0.5]])
    with pytest.raises(ValueError, match=r"\[a, x, y, p\]"):
        joint_table([[0, 0, 1.0]])


# ----- the figure kind ----------------------------------------------------------------------

LEARNERS = ("cell_bayes", "lightgbm")
EPSILONS = (0.2, 0.5, 0.8, 0.9, 1.0, 2.0, 5.0)


def metrics_table(seeds: int = 3, learners: tuple[str, ...] = LEARNERS,
                  protocol: str = "grr", dataset: str = "synthetic_joint") -> pd.DataFrame:  # fmt: skip
    """A tidy metrics table like a study on S1 writes: the closed form plus seed noise, GRR at
    a few budgets and the non-private baseline."""
    t = joint_table(S1)
    metrics = ("demographic_parity_difference", "equal_opportunity_difference", "accuracy")
    rows = []
    cells = [("none", "none", "none", math.inf)] + [("grr_a", protocol, "uniform", e)
                                                     for e in EPSILONS]  # fmt: skip
    for (priv, proto, split, eps), learner, seed in itertools.product(
            cells, learners, range(seeds)):  # fmt: skip
        values = closed_form(t, metrics, [eps])
        for m in metrics:
            rows.append({
                "study": "t", "dataset": dataset, "attribute": "A", "privatizer": priv,
                "protocol": proto, "budget_split": split, "epsilon": eps,
                "representation": "identity", "kind": "identity", "amount": np.nan,
                "learner": learner, "model": learner, "method": "none", "seed": seed,
                "audit": "utility" if m == "accuracy" else "fairness_true", "metric": m,
                "value": abs(float(values[m][0]) + 0.004 * (seed - 1)
                             + 0.001 * learners.index(learner)),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=METRICS_COLUMNS)


CONTEXT = {"study": "t", "dataset": "synthetic_joint", "figure": "theory", "attribute": "A",
           "orders": {"learner": list(LEARNERS)}}  # fmt: skip


def theory_figure(**kw: object) -> Theory:
    return FIGURE_KINDS.get("theory")(**{"table": tuple(map(tuple, S1)), **kw})


def test_theory_is_a_registered_kind() -> None:
    assert FIGURE_KINDS.get("theory") is Theory
    assert "lines" in FIGURE_KINDS.names()


def test_figure_draws_simulation_curves_thresholds_and_legend() -> None:
    fig = theory_figure().figure(metrics_table(), CONTEXT)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 3  # one panel per metric
    for ax in axes:
        gids = [ln.get_gid() for ln in ax.lines]
        assert gids.count("theory") == 1 and "theory_inf" in gids
        thr = [ln for ln in ax.lines if ln.get_gid() == "threshold"]
        assert len(thr) == 1
        assert thr[0].get_xdata()[0] == pytest.approx(EPS_S1, rel=1e-12)
        assert "fair_value" in gids or ax.get_ylabel() == "Accuracy"
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        sims = {c.get_label() for c in bars}
        assert len(bars) == 2 * len(LEARNERS)  # simulation and non-private, per learner
        assert sims  # labelled containers (matplotlib gives a default)
        # the closed-form curve jumps at eps*: 0 just below, the level above
        curve = next(ln for ln in ax.lines if ln.get_gid() == "theory")
        xd, yd = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
        star = thr[0].get_xdata()[0]
        below, above = yd[xd < star][-1], yd[xd > star][0]  # at eps*: predicts 0 (tie)
        if ax.get_ylabel() == "Accuracy":
            assert (below, above) == pytest.approx((0.85, 1.0))
        elif "parity" in ax.get_ylabel().lower():
            assert (below, above) == pytest.approx((0.0, 0.5))
    bar_gids = {c[0].get_gid() if c[0] is not None else None
                for ax in axes for c in ax.containers}  # fmt: skip
    assert {f"simulation:{h}" for h in LEARNERS} <= bar_gids
    texts = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert any(t.startswith("cell Bayes classifier") for t in texts)
    assert any(t.startswith("LightGBM") for t in texts)
    assert any("closed form" in t for t in texts)
    assert any(t.startswith("ε* = 0.8473") for t in texts)
    assert any("non-private" in t for t in texts) and "fair value" in texts
    assert "simulation vs closed form" in fig._suptitle.get_text()
    assert [t.get_text() for t in axes[0].texts if t.get_gid() == "threshold_label"] == [
        "ε* = 0.847"
    ]


def test_simulation_markers_sit_at_the_means() -> None:
    df = metrics_table()
    fig = theory_figure(y=("accuracy",)).figure(df, CONTEXT)
    ax = fig.axes[0]
    bar = next(c for c in ax.containers if c[0].get_gid() == "simulation:cell_bayes")
    y = np.asarray(bar[0].get_ydata(), dtype=float)
    sel = df[(df["metric"] == "accuracy") & (df["learner"] == "cell_bayes")
             & np.isfinite(df["epsilon"])]  # fmt: skip
    np.testing.assert_allclose(y, sel.groupby("epsilon")["value"].mean().to_numpy())


def test_y_ranges_stay_within_what_the_metric_can_take() -> None:
    df = metrics_table(seeds=2)
    df.loc[(df["epsilon"] == 0.9) & (df["seed"] == 0), "value"] = 0.0  # a wide 2-seed interval
    fig = theory_figure().figure(df, CONTEXT)
    spd, _, acc = fig.axes[:3]
    assert spd.get_ylim()[0] >= -0.1 and acc.get_ylim()[1] <= 1.1


def test_identical_learners_are_drawn_once() -> None:
    df = metrics_table()
    same = df[df["learner"] == "cell_bayes"].assign(learner="logistic_regression")
    fig = theory_figure().figure(pd.concat([df, same]), CONTEXT)
    texts = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert "cell Bayes classifier = logistic regression (simulation, identical)" in texts
    assert "LightGBM (simulation)" in texts
    gids = {c[0].get_gid() for c in fig.axes[0].containers}
    assert "simulation:logistic_regression" not in gids


def test_table_comes_from_the_spec_the_study_or_the_default() -> None:
    s1 = joint_table(S1)
    default = joint_table(None)
    kind = FIGURE_KINDS.get("theory")
    assert kind().joint(CONTEXT).equals(default)
    with_study = {**CONTEXT, "synthetic": {"synthetic_joint": {"n": 10, "table": S1}}}
    assert kind().joint(with_study).equals(s1)
    assert theory_figure().joint(with_study).equals(s1)
    other = {
        **CONTEXT,
        "synthetic": {"synthetic_joint": {"table": [[0, 0, 0, 0.5], [1, 1, 1, 0.5]]}},
    }
    with pytest.raises(ValueError, match="differs from the study"):
        theory_figure().joint(other)
    with pytest.raises(ValueError, match="joint table of 'adult'"):
        kind().joint({**CONTEXT, "dataset": "adult"})


def test_parameters_are_checked() -> None:
    kind = FIGURE_KINDS.get("theory")
    with pytest.raises(ValueError, match="no closed form"):
        kind(y=("roc_auc",))
    with pytest.raises(ValueError, match="unknown metric"):
        kind(y=("acuracy",))
    with pytest.raises(ValueError, match="sum"):
        kind(table=((0, 0, 0, 0.4),))
    with pytest.raises(ValueError, match="points"):
        kind(points=3)
    assert kind(y=("predictive_equality_difference",)).y == ("false_positive_rate_difference",)
    assert theory_figure().params()["table"] == [[float(v) for v in r] for r in S1]


def test_rows_of_another_protocol_or_several_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="describes GRR"):
        theory_figure().figure(metrics_table(protocol="oue"), CONTEXT)
    df = metrics_table()
    two = pd.concat([df, df[np.isfinite(df["epsilon"])].assign(privatizer="grr_b")])
    with pytest.raises(ValueError, match="privatizer takes several values"):
        theory_figure().figure(two, CONTEXT)


def test_undefined_metric_is_noted() -> None:
    """The AND example: A = 0 has no positives, so EOD is NaN in theory and simulation."""
    df = metrics_table()
    df.loc[df["metric"] == "equal_opportunity_difference", "value"] = np.nan
    fig = FIGURE_KINDS.get("theory")().figure(df, CONTEXT)  # default table: the AND example
    eod = fig.axes[1]
    assert [t.get_text() for t in eod.texts if t.get_gid() == "undefined"] == [
        "undefined: a group has no positive labels"
    ]


def test_draw_writes_png_and_pdf(tmp_path: Path) -> None:
    paths = [tmp_path / "f" / "synthetic_joint.png", tmp_path / "f" / "synthetic_joint.pdf"]
    theory_figure().draw(metrics_table(), paths, {**CONTEXT, "caption": "c"})
    assert all(p.stat().st_size > 1000 for p in paths)


def test_study_file_gives_the_figure_its_own_table(repo: Path) -> None:
    from fairldp.config import load_study

    study = load_study(repo / "config/studies/makhlouf2024_systematic.yaml", workdir=repo)
    fig = study.figures["theory"].figure
    assert isinstance(fig, Theory)
    rows = study.synthetic["synthetic_joint"]["table"]
    assert fig.joint({"dataset": "synthetic_joint",
                      "synthetic": study.synthetic}).equals(joint_table(rows))  # fmt: skip
    assert len(study.seeds) == 20
    eps = sorted(study.epsilons)
    assert eps[0] <= 0.1 and eps[-1] >= 5
    assert any(e < EPS_S1 < f and f / e < 1.05 for e, f in itertools.pairwise(eps))


# ----- the model cell_bayes -----------------------------------------------------------------


def test_cell_bayes_is_the_majority_label_of_each_cell() -> None:
    assert "cell_bayes" in MODELS
    x = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [1, 1]], dtype=float)
    y = np.array([1, 1, 0, 0, 1, 0])
    m = make_model("cell_bayes", 0).fit(x, y)
    proba = m.predict_proba(np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float))
    np.testing.assert_allclose(proba[:, 1], [2 / 3, 0.5, 0.0, 3 / 6])  # unseen: the prior
    # a tie (0.5) predicts 0, the tie rule of fairldp.theory
    np.testing.assert_array_equal(m.predict(np.array([[1, 0], [0, 1]], dtype=float)), [1, 0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_cell_bayes_passes_scikit_learn_checks() -> None:
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(make_model("cell_bayes", 0), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == []


def test_cell_bayes_pickles_and_is_built_lazily() -> None:
    import pickle
    import subprocess
    import sys

    m = make_model("cell_bayes", 3).fit(np.eye(2), [0, 1])
    back = pickle.loads(pickle.dumps(m))
    assert type(back).__qualname__ == "CellBayes"
    np.testing.assert_array_equal(back.predict(np.eye(2)), [0, 1])
    code = ("import sys; from fairldp.models import MODELS; assert 'cell_bayes' in MODELS; "
            "print('sklearn' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----- theory against simulation through the project's learners ------------------------------


def one_hot(z: np.ndarray, x: np.ndarray, k: int, m: int) -> np.ndarray:
    """The identity representation's features: one-hot report of A, one-hot X."""
    return np.hstack([np.eye(k)[z], np.eye(m)[x]])


def training_margin(table: pd.DataFrame, eps: float, n: int) -> float:
    """min over test-relevant cells of |P(Y=1 | x, z) - 1/2| / SE of its training estimate."""
    r = bayes_under_rr(table, [eps])
    k, m = len(r.groups), len(r.cells)
    p = np.zeros((k, m, 2))
    for row in table.itertuples(index=False):
        p[row.A, row.X, row.Y] += row.p
    p_xz = np.einsum("amy,az->mz", p, GRR(eps, k).transition_matrix)
    post = r.posterior[0]
    se = np.sqrt(post * (1 - post) / (n * p_xz))
    relevant = p.sum(axis=2).T > 0
    return float(np.min((np.abs(post - 0.5) / se)[relevant]))


@pytest.mark.parametrize("model", ["cell_bayes", "lightgbm"])
def test_learners_match_the_closed_form_on_a_scenario_of_our_own(model: str) -> None:
    """GRR on A of the training rows, clean test rows, the model on one-hot (z, x): its
    predictions per cell equal the closed form's, and the test metrics lie within the standard
    errors, at one budget in each of the four regimes of the scenario."""
    table = counts_table(OWN_COUNTS)
    budgets = (0.2, 0.65, 1.4, 4.0)
    n_train, n_test = 60_000, 100_000  # training margins >= 6.4 SE (checked below)
    theory = bayes_under_rr(table, list(budgets))
    assert len({p.tobytes() for p in theory.predictions}) == len(budgets)  # distinct regimes
    metrics = ("demographic_parity_difference_signed", "equal_opportunity_difference_signed",
               "accuracy")  # fmt: skip
    closed = closed_form(table, metrics, budgets, reference=0)

    def draw(part: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        df = discrete_joint(table, n, derive_int_seed(SEED, "theory_figure", part))
        return (np.asarray(df["A"]).astype(np.int64), np.asarray(df["X"]).astype(np.int64),
                np.asarray(df["Y"]).astype(np.int64))  # fmt: skip

    a_tr, x_tr, y_tr = draw("train", n_train)
    a_te, x_te, y_te = draw("test", n_test)
    for i, eps in enumerate(budgets):
        assert training_margin(table, eps, n_train) >= MARGIN, eps
        z = np.asarray(GRR(eps, 2).perturb(a_tr, make_rng(SEED, "theory_figure", "grr", eps)))
        est = make_model(model, derive_int_seed(SEED, "model", model)).fit(
            one_hot(z, x_tr, 2, 3), y_tr)  # fmt: skip
        cells = one_hot(np.repeat([0, 1], 3), np.tile([0, 1, 2], 2), 2, 3)
        h = (est.predict_proba(cells)[:, 1] >= 0.5).astype(np.int8).reshape(2, 3).T  # (x, z)
        np.testing.assert_array_equal(h, theory.predictions[i], err_msg=f"eps={eps}")

        pred = (est.predict_proba(one_hot(a_te, x_te, 2, 3))[:, 1] >= 0.5).astype(np.int64)
        sel = [pred[a_te == g].mean() for g in (0, 1)]
        n_g = [int((a_te == g).sum()) for g in (0, 1)]
        rate = theory.selection_rate[i]
        se = [math.sqrt(rate[g] * (1 - rate[g]) / n_g[g]) for g in (0, 1)]
        spd = sel[1] - sel[0]  # reference 0: r_1 - r_0
        assert abs(spd - closed[metrics[0]][i]) <= Z * math.hypot(*se) + 1e-12, (eps, spd)
        pos = [(a_te == g) & (y_te == 1) for g in (0, 1)]
        tpr = [pred[p].mean() for p in pos]
        t = theory.tpr[i]
        se_t = [math.sqrt(t[g] * (1 - t[g]) / pos[g].sum()) for g in (0, 1)]
        eod = tpr[1] - tpr[0]
        assert abs(eod - closed[metrics[1]][i]) <= Z * math.hypot(*se_t) + 1e-12, (eps, eod)
        acc, acc_t = (pred == y_te).mean(), closed["accuracy"][i]
        assert abs(acc - acc_t) <= Z * math.sqrt(acc_t * (1 - acc_t) / n_test) + 1e-12


def test_theory_figure_writes_its_numbers(tmp_path) -> None:
    # the kind's own parameter `table` (a joint table) must not hide the numbers of the CSV
    from fairldp.figures import FIGURE_KINDS

    kind = FIGURE_KINDS.get("theory")(y=("accuracy",))
    rows = pd.DataFrame({"dataset": "synthetic_joint", "privatizer": "grr", "protocol": "grr",
                         "epsilon": 1.0, "learner": "cell_bayes", "seed": [0, 1],
                         "audit": "utility", "metric": "accuracy", "value": [0.8, 0.9]})  # fmt: skip
    kind.draw(rows, [tmp_path / "t.csv"], {})
    out = pd.read_csv(tmp_path / "t.csv")
    assert out["mean"].tolist() == [pytest.approx(0.85)] and out["n"].tolist() == [2]


def test_ternary_feature_table_scenario_s3() -> None:
    """S3 of Makhlouf et al. 2024 (X in {0, 1, 2}, in 30ths): one threshold, eps* = ln 4, where
    the cell X = 1 switches from predicting 1 to predicting the report, and the SPD of the true
    groups moves from 7/15 - 12/15 to 7/15 - 1/15 (its absolute value from 1/3 to 0.4)."""
    from fairldp.figures.theory import joint_table
    from fairldp.theory import bayes_under_rr

    rows = [[0, 0, 0, 3], [0, 1, 0, 6], [0, 1, 1, 5], [0, 2, 1, 1], [1, 0, 0, 7], [1, 0, 1, 1],
            [1, 1, 0, 1], [1, 1, 1, 5], [1, 2, 1, 1]]  # fmt: skip
    table = joint_table([[a, x, y, c / 30] for a, x, y, c in rows])
    r = bayes_under_rr(table, [1.0, 2.0])
    assert r.thresholds == pytest.approx([math.log(4)])
    assert np.abs(r.spd) == pytest.approx([1 / 3, 0.4])
    with pytest.raises(ValueError, match="x a whole number >= 0"):
        joint_table([[0, 1.5, 0, 1.0]])
