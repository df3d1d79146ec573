"""The registry simulator samples the distribution it declares, and its truths are exact.

Statistical tolerances (as in tests/test_synthetic.py): a probability p estimated from m draws
has standard error SE = sqrt(p (1 - p) / m), and single estimates are checked within Z = 4 SE
(two-sided false-alarm rate 6e-5 per check); the discrete joint is checked with a chi-square
goodness-of-fit test at alpha = 1e-3. Calibration uses the exact conditional variance: given
the features, the labels are independent Bernoulli(p_i), so in a bin sum(D_i - p_i) has
standard deviation sqrt(sum p_i (1 - p_i)). Seeds are fixed, so the outcomes are
deterministic; the tolerances say the checks would pass for almost every seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairldp.datasets.diagnosis import (
    CLEAN,
    COVARIANCE,
    DELTA,
    GROUP_DIRECTION,
    MAX_SITES,
    NUMERIC,
    SITE_DIRECTION,
    TARGET,
    RegistrySim,
    registry_sim,
)

N = 200_000
ALPHA = 1e-3
Z = 4.0
#: a model with both bias mechanisms, several sites and false-positive records
PARAMS = {"p_group": 0.4, "prevalence": (0.15, 0.25), "p_access": (0.85, 0.55),
          "underdiagnosis": 0.35, "group": 1, "access_effect": 0.25, "false_positive": 0.03,
          "signal": 1.5, "group_shift": 0.7, "site_shift": 0.6, "n_sites": 3}  # fmt: skip


@pytest.fixture(scope="module")
def model() -> RegistrySim:
    return RegistrySim(**PARAMS)


@pytest.fixture(scope="module")
def sample(model: RegistrySim) -> pd.DataFrame:
    return model.sample(N, 11)


def ints(col: pd.Series) -> np.ndarray:
    return col.to_numpy(dtype=np.int64)


def assert_within_se(k: float, m: int, p: float, z: float = Z) -> None:
    se = np.sqrt(p * (1 - p) / m)
    assert abs(k / m - p) <= z * se, (k / m, p, se)


# ------------------------------------------------------------------- the sample and its law


def test_columns_and_domains(sample: pd.DataFrame) -> None:
    assert list(sample.columns) == ["A", "S", "R", "C", *NUMERIC, TARGET, CLEAN]
    assert CLEAN == TARGET + "_clean"  # the label-bias convention of fairldp.labelbias
    domains = {"A": [0, 1], "S": [0, 1, 2], "R": [0, 1], "C": [0, 1, 2], TARGET: [0, 1],
               CLEAN: [0, 1]}  # fmt: skip
    for col, domain in domains.items():
        assert isinstance(sample[col].dtype, pd.CategoricalDtype)
        assert list(sample[col].cat.categories) == domain
    assert all(sample[c].dtype == np.float64 for c in NUMERIC)


def test_discrete_joint_fits_the_exact_table(model: RegistrySim, sample: pd.DataFrame) -> None:
    table = model.joint()
    assert np.isclose(table["p"].sum(), 1.0, atol=1e-12) and len(table) == 2 * 3 * 2 * 3 * 4
    observed = pd.DataFrame({v: ints(sample[c]) for v, c in
                             zip("ASRCDY", ["A", "S", "R", "C", CLEAN, TARGET], strict=True)})
    counts = observed.groupby(list("ASRCDY")).size()
    counts = counts.reindex(pd.MultiIndex.from_frame(table[list("ASRCDY")]), fill_value=0)
    counts, p = counts.to_numpy(), table["p"].to_numpy()
    assert counts[p == 0].sum() == 0 and (p == 0).sum() == 3 * 3  # D=1, Y=0 at a=0, r=1 (u = 0)
    res = stats.chisquare(counts[p > 0], N * p[p > 0])
    assert res.pvalue > ALPHA


def test_per_group_prevalence_recording_and_fnr(model: RegistrySim, sample: pd.DataFrame) -> None:
    truth = model.groups()
    a, d, y = ints(sample["A"]), ints(sample[CLEAN]), ints(sample[TARGET])
    for g in (0, 1):
        in_g = a == g
        m = int(in_g.sum())
        assert_within_se(m, N, truth.loc[g, "p_group"])
        assert_within_se(d[in_g].sum(), m, truth.loc[g, "prevalence"])
        assert_within_se(y[in_g].sum(), m, truth.loc[g, "recorded_prevalence"])
        pos = in_g & (d == 1)
        assert_within_se(y[pos].sum(), int(pos.sum()), truth.loc[g, "recording"])
        assert_within_se((1 - y[pos]).sum(), int(pos.sum()), truth.loc[g, "recorded_fnr"])
        neg = in_g & (d == 0)
        assert_within_se(y[neg].sum(), int(neg.sum()), truth.loc[g, "recorded_fpr"])
    # by hand: rho_a = sum_r P(r | a) (1 - u(a, r)), u = 1 - (1 - 0.35 [a=1]) (1 - 0.25 [r=0])
    rho0 = 0.85 + 0.15 * 0.75
    rho1 = 0.65 * (0.55 + 0.45 * 0.75)
    assert np.allclose(truth["recording"], [rho0, rho1], atol=1e-15)
    assert np.allclose(truth["recorded_prevalence"], [0.15 * rho0 + 0.03 * 0.85,
                                                      0.25 * rho1 + 0.03 * 0.75])  # fmt: skip


def test_features_given_condition_group_and_site(model: RegistrySim, sample: pd.DataFrame) -> None:
    """E[X | D, A, S] = signal D delta + group_shift A g + site_shift S v; each coordinate's
    mean over m rows has SE sqrt(Sigma_jj / m) = 1 / sqrt(m). 36 checks at 4 SE: family-wise
    false-alarm rate < 3e-3."""
    x = sample[list(NUMERIC)].to_numpy()
    keys = np.column_stack([ints(sample[c]) for c in (CLEAN, "A", "S")])
    for d in (0, 1):
        for a in (0, 1):
            for s in range(3):
                rows = (keys == (d, a, s)).all(axis=1)
                mean = (1.5 * d * np.asarray(DELTA) + 0.7 * a * np.asarray(GROUP_DIRECTION)
                        + 0.6 * s * np.asarray(SITE_DIRECTION))  # fmt: skip
                se = np.sqrt(np.diag(COVARIANCE) / rows.sum())
                assert (np.abs(x[rows].mean(axis=0) - mean) <= Z * se).all(), (d, a, s)
    # the within-cell covariance is the declared one (sampling error of a correlation of ~N
    # pairs is below 1 / sqrt(N) ~ 0.0022; 0.01 is > 4 SE)
    centred = x - model._mean(keys[:, 0], keys[:, 1], keys[:, 2])
    assert np.allclose(np.cov(centred.T), COVARIANCE, atol=0.01)


@pytest.mark.parametrize("label", ["clean", "recorded"])
def test_posteriors_are_calibrated(model: RegistrySim, sample: pd.DataFrame, label: str) -> None:
    """P(D=1 | x, a, s, c) and P(Y=1 | x, a, s, r, c) against the labels, in deciles of the
    posterior: |sum(label - p)| <= 4 sqrt(sum p (1 - p)) in each (10 checks: < 1e-3)."""
    p = model.p_condition(sample) if label == "clean" else model.p_recorded(sample)
    y = ints(sample[CLEAN if label == "clean" else TARGET])
    edges = np.quantile(p, np.linspace(0, 1, 11))
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, 9)
    for b in range(10):
        rows = bins == b
        sd = np.sqrt((p[rows] * (1 - p[rows])).sum())
        assert abs((y[rows] - p[rows]).sum()) <= Z * sd, (b, (y[rows] - p[rows]).sum(), sd)


def test_posterior_is_the_closed_form(model: RegistrySim, sample: pd.DataFrame) -> None:
    """The log-odds equals Bayes' rule computed from the densities (scipy) on a few rows."""
    rows = sample.iloc[:50]
    a, s, c = ints(rows["A"]), ints(rows["S"]), ints(rows["C"])
    x = rows[list(NUMERIC)].to_numpy()
    joint = {}
    for d in (0, 1):
        mean = model._mean(np.full(len(rows), d), a, s)
        dens = np.array([stats.multivariate_normal(mean[i], COVARIANCE).pdf(x[i])
                         for i in range(len(rows))])  # fmt: skip
        prev = np.asarray(model.prevalence)[a]
        joint[d] = (prev if d else 1 - prev) * np.asarray([(0.6, 0.3, 0.1), (0.3, 0.4, 0.3)][d])[
            c] * dens
    assert np.allclose(model.p_condition(rows), joint[1] / (joint[0] + joint[1]), atol=1e-12)


# ----------------------------------------------------------------------- Bayes classifiers


@pytest.mark.parametrize("label", ["clean", "recorded"])
def test_exact_bayes_rates_match_the_sample(
    model: RegistrySim, sample: pd.DataFrame, label: str
) -> None:
    h = model.bayes_clean(sample) if label == "clean" else model.bayes_recorded(sample)
    rates = model.bayes_rates(label)
    a, d = ints(sample["A"]), ints(sample[CLEAN])
    for g in (0, 1):
        pos, neg = (a == g) & (d == 1), (a == g) & (d == 0)
        assert_within_se(h[pos].sum(), int(pos.sum()), rates.loc[g, "tpr"])
        assert_within_se(h[neg].sum(), int(neg.sum()), rates.loc[g, "fpr"])
        assert_within_se((h == d)[a == g].sum(), int((a == g).sum()), rates.loc[g, "accuracy"])


def test_recorded_bayes_is_the_thresholded_recorded_posterior(
    model: RegistrySim, sample: pd.DataFrame
) -> None:
    p_rec = model.p_recorded(sample)
    sure = np.abs(p_rec - 0.5) > 1e-12  # rounding can only matter at the boundary
    assert (model.bayes_recorded(sample)[sure] == (p_rec[sure] > 0.5)).all()
    assert (model.bayes_clean(sample) == (model.p_condition(sample) > 0.5)).all()


def test_clean_bayes_beats_recorded_bayes_on_clean_accuracy(
    model: RegistrySim, sample: pd.DataFrame
) -> None:
    exact_gap = model.bayes_accuracy("clean") - model.bayes_accuracy("recorded")
    assert exact_gap > 0.005
    d = ints(sample[CLEAN])
    diff = ((model.bayes_clean(sample) == d).astype(float)
            - (model.bayes_recorded(sample) == d).astype(float))  # fmt: skip
    se = diff.std(ddof=1) / np.sqrt(N)  # paired difference of the two classifiers' hits
    assert abs(diff.mean() - exact_gap) <= Z * se
    assert diff.mean() > Z * se
    # the loss is concentrated in the under-diagnosed group
    clean, rec = model.bayes_rates("clean"), model.bayes_rates("recorded")
    assert rec.loc[1, "fnr"] - clean.loc[1, "fnr"] > rec.loc[0, "fnr"] - clean.loc[0, "fnr"]


def test_exact_truths_in_special_cases() -> None:
    unbiased = RegistrySim(underdiagnosis=0.0, access_effect=0.0, false_positive=0.0)
    pd.testing.assert_frame_equal(unbiased.bayes_rates("recorded"), unbiased.bayes_rates("clean"))
    assert (unbiased.groups()["recorded_fnr"] == 0).all()
    # equal prevalences and a shared covariance: the clean Bayes classifier has equal FNR
    clean = RegistrySim(prevalence=(0.3, 0.3)).bayes_rates("clean")
    assert clean.loc[0, "fnr"] == pytest.approx(clean.loc[1, "fnr"], abs=1e-15)
    # every case of the group missed: its record is never positive, nor its Bayes classifier
    never = RegistrySim(underdiagnosis=1.0, access_effect=0.0, group=0)
    assert never.groups().loc[0, "recording"] == 0.0
    assert never.bayes_rates("recorded").loc[0, "positive_rate"] == 0.0
    # no signal: the Bayes classifiers are the cell-wise majority of the prior (a step)
    flat = RegistrySim(signal=0.0, prevalence=(0.45, 0.45))
    assert flat.separation == 0.0
    assert set(flat.bayes_rates("clean")["tpr"].round(12)) <= {0.0, 0.3, 0.7, 1.0}
    # the defaults: rho_0 = 0.8 + 0.2 * 0.8, rho_1 = 0.7 * (0.6 + 0.4 * 0.8)
    assert np.allclose(RegistrySim().groups()["recorded_fnr"], [0.04, 0.356], atol=1e-15)


def test_model_trained_on_records_underdiagnoses_the_group() -> None:
    """Logistic regression fit on the records (equal true prevalences): its FNR against the
    true condition is higher in the under-diagnosed group, beyond 4 SE of the difference of
    two binomial proportions; fit on the clean labels it is not (within 4 SE of 0)."""
    from sklearn.linear_model import LogisticRegression

    model = RegistrySim(prevalence=(0.2, 0.2), underdiagnosis=0.4, access_effect=0.2)
    df = model.sample(120_000, 3)
    x = pd.get_dummies(df[["A", "S", "R", "C"]], dtype=float).join(df[list(NUMERIC)])
    train, test = slice(0, 60_000), slice(60_000, None)
    d, a = ints(df[CLEAN])[test], ints(df["A"])[test]
    fnr = {}
    for label in (TARGET, CLEAN):
        fit = LogisticRegression(max_iter=2000).fit(x.iloc[train], ints(df[label])[train])
        h = fit.predict(x.iloc[test])
        fnr[label] = [((h == 0) & (d == 1) & (a == g)).sum() / ((d == 1) & (a == g)).sum()
                      for g in (0, 1)]  # fmt: skip
    m = [int(((d == 1) & (a == g)).sum()) for g in (0, 1)]
    se = np.sqrt(sum(f * (1 - f) / k for f, k in zip(fnr[TARGET], m, strict=True)))
    assert fnr[TARGET][1] - fnr[TARGET][0] > Z * se
    exact = model.bayes_rates("recorded")["fnr"]
    assert exact[1] - exact[0] > 0.2  # what the records teach, at the Bayes optimum
    se_clean = np.sqrt(sum(f * (1 - f) / k for f, k in zip(fnr[CLEAN], m, strict=True)))
    assert abs(fnr[CLEAN][1] - fnr[CLEAN][0]) <= Z * se_clean


# ------------------------------------------------------------------- randomness conventions


@pytest.mark.parametrize("params", [{}, PARAMS, {"n_sites": 4, "site": 2}])
def test_a_sample_is_the_prefix_of_a_larger_one(params: dict) -> None:
    small, large = registry_sim(1_000, 7, **params), registry_sim(5_000, 7, **params)
    pd.testing.assert_frame_equal(small, large.iloc[:1_000])
    assert not registry_sim(1_000, 8, **params)[NUMERIC[0]].equals(small[NUMERIC[0]])


def test_zero_rates_record_the_truth() -> None:
    df = registry_sim(50_000, 2, underdiagnosis=0.0, access_effect=0.0, false_positive=0.0)
    assert (ints(df[TARGET]) == ints(df[CLEAN])).all()
    # with only the access effect, only true cases with poor access are missed
    df = registry_sim(50_000, 2, underdiagnosis=0.0, access_effect=0.5)
    missed = (ints(df[CLEAN]) == 1) & (ints(df[TARGET]) == 0)
    assert missed.any() and (ints(df["R"])[missed] == 0).all()


@pytest.mark.parametrize("rate", ["underdiagnosis", "access_effect"])
def test_coupled_sweep_changes_only_the_record_monotonically(rate: str) -> None:
    grid = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
    frames = [registry_sim(20_000, 5, **{**PARAMS, rate: v}) for v in grid]
    base = frames[0].drop(columns=[TARGET])
    previous = np.zeros(20_000, dtype=bool)
    for df in frames:
        pd.testing.assert_frame_equal(df.drop(columns=[TARGET]), base)
        d, y = ints(df[CLEAN]), ints(df[TARGET])
        missed = (d == 1) & (y == 0)
        assert (missed >= previous).all()  # the under-diagnosed rows only grow
        assert (y[d == 0] == ints(frames[0][TARGET])[d == 0]).all()  # false positives fixed
        previous = missed
    sizes = [int(((ints(f[CLEAN]) == 1) & (ints(f[TARGET]) == 0)).sum()) for f in frames]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    # at rate 1 every eligible true case is missed
    d, y = ints(frames[-1][CLEAN]), ints(frames[-1][TARGET])
    eligible = ints(frames[-1]["A"]) == 1 if rate == "underdiagnosis" else (
        ints(frames[-1]["R"]) == 0)  # fmt: skip
    assert (y[eligible & (d == 1)] == 0).all()


def test_false_positive_sweep_is_coupled_too() -> None:
    low = registry_sim(20_000, 4, false_positive=0.02)
    high = registry_sim(20_000, 4, false_positive=0.2)
    neg = ints(low[CLEAN]) == 0
    assert (ints(high[TARGET])[neg] >= ints(low[TARGET])[neg]).all()
    assert (ints(high[TARGET])[~neg] == ints(low[TARGET])[~neg]).all()


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1}, "n must be a non-negative integer"),
        ({"n": 2.5}, "n must be a non-negative integer"),
        ({"p_group": 0.0}, r"p_group must be a probability in the open interval \(0, 1\)"),
        ({"p_group": float("nan")}, "p_group must be a probability"),
        ({"prevalence": (0.2,)}, "prevalence must be a pair"),
        ({"prevalence": "ab"}, "prevalence must be a pair"),
        ({"prevalence": (0.2, 1.0)}, r"prevalence\[1\] must be a probability in the open"),
        ({"p_access": (0.5, 1.5)}, r"p_access\[1\] must be a probability in \[0, 1\]"),
        ({"underdiagnosis": 1.2}, r"underdiagnosis must be a probability in \[0, 1\]"),
        ({"underdiagnosis": True}, "underdiagnosis must be a probability"),
        ({"access_effect": -0.1}, "access_effect must be a probability"),
        ({"group": 2}, "group .* must be 0 or 1"),
        ({"false_positive": 0.5}, "false_positive must be below 1/2"),
        ({"signal": -1.0}, "signal must be a finite number >= 0"),
        ({"signal": float("inf")}, "signal must be a finite number"),
        ({"group_shift": "big"}, "group_shift must be a finite number"),
        ({"n_sites": 0}, "n_sites must be an integer >= 1"),
        ({"n_sites": 2.0}, "n_sites must be an integer"),
        ({"n_sites": 3, "site": 3}, r"site must be an integer in \{0, .., 2\}"),
        ({"colour": 1}, r"unknown registry_sim parameter\(s\) \['colour'\]"),
    ],
)
def test_input_errors(kwargs: dict, message: str) -> None:
    n = kwargs.pop("n", 10)
    with pytest.raises(ValueError, match=message):
        registry_sim(n, 0, **kwargs)


def test_exact_functions_check_their_inputs(model: RegistrySim, sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="label must be 'clean' or 'recorded'"):
        model.bayes_rates("biased")
    with pytest.raises(ValueError, match="column 'C' is missing"):
        model.p_condition(sample.drop(columns=["C"]))
    with pytest.raises(ValueError, match=r"column 'S' has values outside \[0, 1, 2\]"):
        model.p_condition(sample.assign(S=5))


# --------------------------------------------------- the registered dataset and its labels


def test_registered_dataset_draws_the_prepared_format(tmp_path) -> None:
    from fairldp.datasets import get_dataset, prepare

    spec = get_dataset("registry_sim")
    assert spec.target == TARGET and spec.protected == "A" and spec.generator is not None
    assert spec.feature_names == ["S", "R", "C", *NUMERIC]
    assert spec.attribute("S").domain == tuple(range(MAX_SITES))
    params = {"n": 2_000, "seed": 3, "prevalence": [0.1, 0.3], "p_access": [0.9, 0.5],
              "underdiagnosis": 0.4, "n_sites": 3, "site": 1}  # as a study file gives them
    drawn = spec.generator(**params)
    assert drawn[TARGET].dtype == np.int8 and drawn[CLEAN].dtype == np.int8
    assert list(drawn["S"].cat.categories) == list(range(MAX_SITES))
    assert (ints(drawn["S"]) == 1).all()
    assert (drawn[TARGET] <= drawn[CLEAN]).all()  # no false positives by default
    table = prepare(spec, tmp_path, params=params)
    assert len(table) == 2_000 and table[TARGET].dtype == np.int8
    with pytest.raises(ValueError, match=f"n_sites must be at most {MAX_SITES}"):
        spec.generator(n=10, n_sites=MAX_SITES + 1)


def test_clean_column_flows_as_in_a_label_biased_table() -> None:
    """The learner sees the record (public rows drop the clean label), and a further label
    bias keeps the true condition in Y_clean (fairldp.labelbias keeps an existing clean
    column)."""
    from fairldp.datasets import get_dataset
    from fairldp.labelbias import underdiagnosis
    from fairldp.privacy import public_rows

    spec = get_dataset("registry_sim")
    df = spec.generator(n=4_000, seed=1)
    rows = df.assign(part=np.where(np.arange(4_000) < 3_000, "train", "test"), seed=0,
                     row_id=np.arange(4_000, dtype=np.int32))  # fmt: skip
    public = public_rows(rows, spec, [0])
    assert CLEAN not in public.columns and "A" not in public.columns
    assert (public["y"].to_numpy() == rows[TARGET].to_numpy()).all()
    more = underdiagnosis(df, TARGET, "A", 1, 0.5, seed=0).frame
    assert (more[CLEAN] == df[CLEAN]).all() and (more[TARGET] <= df[TARGET]).all()


def test_prepared_table_keeps_the_true_condition_and_evaluation_reads_it(tmp_path) -> None:
    from fairldp.datasets import get_dataset, prepare
    from fairldp.io import write_parquet
    from fairldp.stages.evaluate import _truth

    table = prepare(get_dataset("registry_sim"), tmp_path, params={"n": 500, "seed": 0})
    assert CLEAN in table.columns and (table[CLEAN] >= table[TARGET]).all()
    assert (table[CLEAN] != table[TARGET]).any()  # under-diagnosed rows exist
    split = table.assign(part="test", seed=0)
    write_parquet(split, tmp_path / "split.parquet", meta={"dataset": "registry_sim"})
    truth = _truth(str(tmp_path / "split.parquet"), "registry_sim", "A")
    assert (truth["y"].to_numpy() == table[CLEAN].to_numpy()).all()  # scored on the truth
