"""The chain on German credit: represent, learn, evaluate, leakage and collect, by hand."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairldp.io import read_parquet, write_parquet
from fairldp.metrics import fairness_metrics, group_table, utility_metrics
from fairldp.privacy import PrivacyBoundaryError
from fairldp.stages import data
from fairldp.stages.evaluate import METRICS_COLUMNS, collect, evaluate, leakage
from fairldp.stages.learn import fit_predict, learn
from fairldp.stages.privatize import privatize, publish
from fairldp.stages.represent import iter_features, represent

SEEDS = [0, 1]
IDENTITY = {"kind": "identity", "drop_group": False}
NAIVE = {"kind": "quantile", "groups": "naive", "amounts": [0.0, 1.0], "n_quantiles": None}
DECONV = {**NAIVE, "groups": "deconvolution"}
LR = {"model": "logistic_regression", "method": "none", "params": {}}
TWO_STEP = {"model": "logistic_regression", "method": "corrected_postproc_eo", "params": {}}


def pub(chain: dict[str, Path]) -> str:
    return str(chain["public"])


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("chain")
    out = {"split": d / "split.parquet"}
    data.prepare("german", str(d / "german.parquet"), raw_dir=str(raw_dir))
    data.split("german", str(d / "german.parquet"), str(out["split"]), SEEDS, 0.3)
    settings = {"protocol": "grr", "budget_splits": ["uniform", "k_based"],
                "attributes": ["sex", "age_group"], "test": "privatized", "group": "sex"}
    out["release"], out["public"] = d / "release.parquet", d / "public.parquet"
    publish("german", str(out["split"]), str(out["public"]), SEEDS)
    privatize("german", str(out["split"]), str(out["release"]), "g", "1", settings, SEEDS)
    for name, rep in (("naive", NAIVE), ("deconv", DECONV)):
        out[name] = d / f"{name}.parquet"
        represent("german", str(out["release"]), str(out[name]), rep, SEEDS, public=str(out["public"]))
    jobs = [("identity", out["release"], IDENTITY, "lr", LR),
            ("identity", out["release"], IDENTITY, "two_step", TWO_STEP),
            ("naive", out["naive"], NAIVE, "lr", LR)]  # fmt: skip
    for rep_name, path, rep, learner_name, learner in jobs:
        p = d / f"pred_{rep_name}_{learner_name}.parquet"
        learn("german", str(path), str(p), "g", "1", rep_name, rep, learner_name, learner, SEEDS,
              release=str(out["release"]), public=str(out["public"]))  # fmt: skip
        out[f"pred_{rep_name}_{learner_name}"] = p
    out["eval_lr"] = d / "eval_lr.parquet"
    evaluate("german", [str(out["pred_identity_lr"]), str(out["pred_naive_lr"])],
             str(out["split"]), str(out["eval_lr"]), "lr", "sex",
             ["utility", "fairness_true", "fairness_privatized"])  # fmt: skip
    out["leak"] = d / "leak.parquet"
    arts = [{"name": "naive", "representation": NAIVE, "seeds": SEEDS},
            {"name": "deconv", "representation": DECONV, "seeds": SEEDS}]
    leakage("german", [str(out["naive"]), str(out["deconv"])], str(out["split"]),
            str(out["leak"]), "g", "1", "sex", arts, release=str(out["release"]),
            public=str(out["public"]))  # fmt: skip
    return out


def test_represented_table(chain: dict[str, Path]) -> None:
    rep = read_parquet(chain["naive"])
    meta = rep.attrs["fairldp"]
    assert list(rep.columns[:3]) == ["budget_split", "seed", "amount"]
    from fairldp.datasets import get_dataset

    assert meta["representation"] == NAIVE
    assert meta["numeric"] == list(get_dataset("german").numeric)
    # the group's report block is no feature of a repair; the other released attribute's is
    assert "sex=female" not in meta["features"] and "age_group=over_25" in meta["features"]
    # a repair is stored once, in full (amount 1); the reader interpolates the amounts
    assert set(rep["amount"]) == {1.0} and set(rep["budget_split"]) == {"uniform", "k_based"}
    assert meta["interpolated"] == [0.0, 1.0]
    # only the features the repair changed are stored; the others are read from the release
    assert set(meta["features"]) - set(meta["from_release"]) == set(meta["numeric"])
    assert set(rep.columns) - {"budget_split", "seed", "amount"} == set(meta["numeric"])
    with pytest.raises(ValueError, match="pass release="):
        next(iter_features(str(chain["naive"]), "german", NAIVE, [0], public=pub(chain)))
    block = next(iter_features(str(chain["naive"]), "german", NAIVE, [0],
                               release=str(chain["release"]), public=pub(chain)))  # fmt: skip
    plain = next(iter_features(str(chain["release"]), "german", IDENTITY, [0], public=pub(chain)))
    assert list(block.train.columns) == meta["features"]
    kept = meta["from_release"]
    assert block.train[kept].equals(plain.train[kept]) and block.test[kept].equals(plain.test[kept])
    # amount 0 leaves the numeric features as released; the rows are the release's, in order
    blocks = list(iter_features(str(chain["naive"]), "german", NAIVE, SEEDS,
                                release=str(chain["release"]), public=pub(chain)))  # fmt: skip
    plains = {(b.budget_split, b.seed): b for b in
              iter_features(str(chain["release"]), "german", IDENTITY, SEEDS,
                            public=pub(chain))}  # fmt: skip
    assert len(blocks) == 2 * len(SEEDS) * 2  # budget splits x seeds x amounts
    for b in blocks:
        p = plains[(b.budget_split, b.seed)]
        assert np.array_equal(b.train_ids, p.train_ids) and np.array_equal(b.y_train, p.y_train)
        if b.amount == 0.0:
            assert np.allclose(b.train["duration"], p.train["duration"])
    # a represented artifact of other rows (here: one seed's rows dropped) is refused
    short = rep.drop(rep.index[rep["seed"] == SEEDS[0]][:5])
    write_parquet(short, chain["naive"].parent / "short.parquet", meta=meta)
    with pytest.raises(ValueError, match="not made from this release"):
        list(iter_features(str(chain["naive"].parent / "short.parquet"), "german", NAIVE,
                           SEEDS, release=str(chain["release"]), public=pub(chain)))  # fmt: skip


def test_represent_refuses_raw_rows(chain: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(PrivacyBoundaryError, match="raw sensitive columns"):
        represent("german", str(chain["split"]), str(tmp_path / "r.parquet"), NAIVE, SEEDS,
                  public=pub(chain))  # fmt: skip
    assert not (tmp_path / "r.parquet").exists()


def test_learn_refuses_a_tampered_representation(chain: dict[str, Path], tmp_path: Path) -> None:
    rep = read_parquet(chain["naive"])
    leaked = rep.assign(sex="female")  # a raw sensitive column in a representation
    write_parquet(leaked, tmp_path / "leaked.parquet", meta=rep.attrs["fairldp"])
    with pytest.raises(PrivacyBoundaryError, match="sex"):
        learn("german", str(tmp_path / "leaked.parquet"), str(tmp_path / "p.parquet"), "g", "1",
              "naive", NAIVE, "lr", LR, SEEDS, public=pub(chain))  # fmt: skip
    with pytest.raises(ValueError, match="holds representation"):
        learn("german", str(chain["naive"]), str(tmp_path / "p.parquet"), "g", "1", "deconv",
              DECONV, "lr", LR, SEEDS, public=pub(chain))  # fmt: skip
    assert not (tmp_path / "p.parquet").exists()


def test_predictions_are_deterministic(chain: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "p.parquet"
    learn("german", str(chain["release"]), str(again), "g", "1", "identity", IDENTITY,
          "two_step", TWO_STEP, SEEDS, public=pub(chain))  # fmt: skip
    assert read_parquet(again).equals(read_parquet(chain["pred_identity_two_step"]))


def test_fair_methods_get_the_group_apart_from_the_features(
    chain: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fairldp.fair.methods as methods

    seen = {}
    real = methods.make_method

    def spy(name, noise, model, random_state, **params):
        est = real(name, noise, model, random_state, **params)
        fit = est.fit

        def fit_spy(X, y, *, sensitive_features):
            seen.update(shape=np.shape(X), z=np.unique(sensitive_features), T=noise.T)
            return fit(X, y, sensitive_features=sensitive_features)

        est.fit = fit_spy
        return est

    monkeypatch.setattr(methods, "make_method", spy)
    block = next(iter_features(str(chain["release"]), "german", IDENTITY, [0], public=pub(chain)))
    assert block.group_reports == ["sex=female", "sex=male"]
    score, pred = fit_predict(block, "german", TWO_STEP)
    assert score.shape == pred.shape == (len(block.test),) and set(np.unique(pred)) <= {0, 1}
    assert seen["shape"][1] == block.train.shape[1] - 2  # the group's reports are no feature
    assert set(seen["z"]) == {0, 1}
    p = math.exp(0.5) / (1 + math.exp(0.5))  # GRR on sex at its half of eps=1 (uniform)
    assert np.allclose(seen["T"], [[p, 1 - p], [1 - p, p]])


def test_predictions_are_the_learners_own(chain: dict[str, Path]) -> None:
    """A post-processing method randomizes between thresholds: its prediction is its own
    ``predict``, not the thresholded score (which would undo the fairness constraint)."""
    from fairldp.fair.methods import make_method
    from fairldp.rng import derive_int_seed

    pred = read_parquet(chain["pred_identity_two_step"])
    block = next(iter_features(str(chain["release"]), "german", IDENTITY, [1], public=pub(chain)))
    keep = [c for c in block.train.columns if c not in block.group_reports]
    est = make_method("corrected_postproc_eo", block.noise_model(), "logistic_regression",
                      derive_int_seed(1, "model", "german", "logistic_regression",
                                      "corrected_postproc_eo"))  # fmt: skip
    est.fit(block.train[keep].to_numpy(float), block.y_train.astype(np.int64),
            sensitive_features=block.groups.train)  # fmt: skip
    expected = est.predict(block.test[keep].to_numpy(float), sensitive_features=block.groups.test)
    got = pred[(pred["seed"] == 1) & (pred["budget_split"] == block.budget_split)]
    assert (got["y_pred"].to_numpy() == expected).all()
    # rows whose prediction is randomized exist (their P(Yhat = 1) is strictly inside (0, 1))
    assert ((got["y_score"] > 0) & (got["y_score"] < 1)).any()


def test_evaluate_matches_metrics_computed_by_hand(chain: dict[str, Path], tmp_path: Path) -> None:
    m = read_parquet(chain["eval_lr"])
    assert list(m.columns) == ["privatizer", "epsilon", "artifact", "budget_split", "seed",
                               "amount", "audit", "group", "metric", "value"]
    truth = read_parquet(chain["split"])
    truth = truth[truth["part"] == "test"]
    pred = read_parquet(chain["pred_identity_lr"])
    for seed in SEEDS:
        p = pred[(pred["seed"] == seed) & (pred["budget_split"] == "uniform")]
        # one prediction per test row of the seed, in the split's order (no row ids stored)
        t = pd.concat([truth[truth["seed"] == seed].reset_index(drop=True),
                       p.drop(columns="seed").reset_index(drop=True)], axis=1)  # fmt: skip
        assert len(t) == len(p) == (truth["seed"] == seed).sum()
        y, yhat = t["credit"].to_numpy(), t["y_pred"].to_numpy()
        expected = {
            "utility": utility_metrics(y, yhat, t["y_score"].to_numpy()),
            "fairness_true": fairness_metrics(y, yhat, t["sex"].astype(str).to_numpy(),
                                              reference="male"),  # german's privileged group
            "fairness_privatized": fairness_metrics(y, yhat, t["z"].to_numpy()),
        }
        sel = m[(m["seed"] == seed) & (m["artifact"] == "identity")
                & (m["budget_split"] == "uniform")]  # fmt: skip
        for audit, values in expected.items():
            got = sel[sel["audit"] == audit].set_index("metric")["value"].to_dict()
            assert got == pytest.approx(values), audit
        assert (sel["group"] == "").all()
    # per-group rates: one row per (prediction set, true group, metric)
    evaluate("german", [str(chain["pred_identity_lr"])], str(chain["split"]),
             str(tmp_path / "g.parquet"), "lr", "sex", ["group_rates"])  # fmt: skip
    g = read_parquet(tmp_path / "g.parquet")
    assert set(g["group"]) == {"female", "male"} and set(g["audit"]) == {"group_rates"}
    p = pred[(pred["seed"] == SEEDS[0]) & (pred["budget_split"] == "uniform")]
    t = pd.concat([truth[truth["seed"] == SEEDS[0]].reset_index(drop=True),
                   p.drop(columns="seed").reset_index(drop=True)], axis=1)  # fmt: skip
    want = group_table(t["credit"], t["y_pred"], t["y_score"], t["sex"].astype(str))
    got = g[(g["seed"] == SEEDS[0]) & (g["artifact"] == "identity")
            & (g["budget_split"] == "uniform")]  # fmt: skip
    got = got.set_index(["group", "metric"])["value"].unstack("metric")
    pd.testing.assert_frame_equal(got[want.columns], want, check_names=False)
    # intersectional rates: the same table on the TRUE sex x age group x foreign worker cells
    evaluate("german", [str(chain["pred_identity_lr"])], str(chain["split"]),
             str(tmp_path / "i.parquet"), "lr", "sex", ["intersectional_rates"])  # fmt: skip
    i = read_parquet(tmp_path / "i.parquet")
    cells = (("sex=" + t["sex"].astype(str)) + ", age_group=" + t["age_group"].astype(str)
             + ", foreign_worker=" + t["foreign_worker"].astype(str))  # fmt: skip
    want = group_table(t["credit"], t["y_pred"], t["y_score"], cells)
    got = i[(i["seed"] == SEEDS[0]) & (i["artifact"] == "identity")
            & (i["budget_split"] == "uniform")]  # fmt: skip
    got = got.set_index(["group", "metric"])["value"].unstack("metric")
    assert len(want) > 2 and set(got.index) == set(want.index)
    pd.testing.assert_frame_equal(got.loc[want.index, want.columns], want, check_names=False)
    partial = pred.iloc[10:]  # some test rows have no prediction
    write_parquet(partial, tmp_path / "partial.parquet", meta=pred.attrs["fairldp"])
    with pytest.raises(ValueError, match="do not cover all test rows"):
        evaluate("german", [str(tmp_path / "partial.parquet")], str(chain["split"]),
                 str(tmp_path / "m.parquet"), "lr", "sex", ["utility"])  # fmt: skip
    other = {**pred.attrs["fairldp"], "test_rows": "0" * 64}  # made for other test rows
    write_parquet(pred, tmp_path / "other.parquet", meta=other)
    with pytest.raises(ValueError, match="other test rows than those of the split"):
        evaluate("german", [str(tmp_path / "other.parquet")], str(chain["split"]),
                 str(tmp_path / "m.parquet"), "lr", "sex", ["utility"])  # fmt: skip
    with pytest.raises(ValueError, match="not 'two_step' on 'german'"):
        evaluate("german", [str(chain["pred_identity_lr"])], str(chain["split"]),
                 str(tmp_path / "m.parquet"), "two_step", "sex", ["utility"])  # fmt: skip
    assert not (tmp_path / "m.parquet").exists()


def test_leakage_audits_equal_representations_once(chain: dict[str, Path]) -> None:
    leak = read_parquet(chain["leak"])
    wide = leak.pivot_table(index=["artifact", "budget_split", "seed", "amount"],
                            columns="metric", values="value")  # fmt: skip
    assert wide.notna().all().all() and ((wide >= 0) & (wide <= 1)).all().all()
    # amount 0 is the unrepaired release for both group estimates: one audit, equal values
    zero = wide.xs(0.0, level="amount")
    assert zero.loc["naive"].equals(zero.loc["deconv"])
    assert not wide.xs(1.0, level="amount").loc["naive"].equals(
        wide.xs(1.0, level="amount").loc["deconv"])


def test_collect_lists_every_variant_under_its_name(chain: dict[str, Path], tmp_path: Path) -> None:
    aliases = [{"dataset": "german", "privatizer": "g", "eps": "1", "representation": r,
                "artifact": a, "kind": k} for r, a, k in (
        ("identity", "identity", "identity"), ("quantile_naive", "naive", "quantile"),
        ("quantile_deconvolution", "deconv", "quantile"), ("also_naive", "naive", "quantile"))]
    out = tmp_path / "metrics.parquet"
    collect([str(chain["eval_lr"])], [str(chain["leak"])], str(out), "t", {"german": "sex"},
            aliases, {"lr": LR}, {"g": "grr"})  # fmt: skip
    m = read_parquet(out)
    assert list(m.columns) == METRICS_COLUMNS
    assert set(m["representation"]) == {"identity", "quantile_naive", "quantile_deconvolution",
                                        "also_naive"}
    a = m[m["representation"] == "also_naive"].drop(columns="representation")
    b = m[m["representation"] == "quantile_naive"].drop(columns="representation")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert m.loc[m["audit"] == "leakage", "learner"].isna().all()
    assert (m["epsilon"] == 1.0).all() and set(m["protocol"]) == {"grr"}
    assert m["amount"].isna().sum() == (m["representation"] == "identity").sum()
    assert m["bias_rate"].isna().all()  # no label bias


def test_collect_lists_a_label_bias_level_under_its_dataset_and_rate(
    chain: dict[str, Path], tmp_path: Path
) -> None:
    evaluated = read_parquet(chain["eval_lr"])
    level = tmp_path / "eval.parquet"  # the evaluated file of the level german@0.3
    write_parquet(evaluated, level, meta={**evaluated.attrs["fairldp"], "dataset": "german@0.3"})
    aliases = [{"dataset": "german@0.3", "privatizer": "g", "eps": "1",
                "representation": "identity", "artifact": "identity", "kind": "identity"}]
    out = tmp_path / "metrics.parquet"
    collect([str(level)], [], str(out), "t", {"german": "sex"}, aliases, {"lr": LR},
            {"g": "grr"}, bias_rates={"german@0.3": 0.3})  # fmt: skip
    m = read_parquet(out)
    assert len(m) and set(m["dataset"]) == {"german"} and set(m["attribute"]) == {"sex"}
    assert (m["bias_rate"] == 0.3).all()


@pytest.mark.parametrize("representation", [
    {"kind": "quantile", "groups": "posterior", "amounts": [1.0], "n_quantiles": None},
    {"kind": "ot", "groups": "deconvolution", "amounts": [0.5], "max_samples": 200,
     "n_neighbors": 5},
    {"kind": "correlation_remover", "groups": "deconvolution", "alpha": 1.0},
    {"kind": "lfr", "groups": "deconvolution", "n_prototypes": 4, "reconstruct_weight": 0.01,
     "target_weight": 1.0, "fairness_weight": 50.0, "max_iter": 30, "max_samples": 300},
], ids=lambda r: f"{r['kind']}-{r['groups']}")  # fmt: skip
def test_every_representation_kind_runs_in_the_chain(
    chain: dict[str, Path], tmp_path: Path, representation: dict
) -> None:
    out, pred = tmp_path / "rep.parquet", tmp_path / "pred.parquet"
    represent("german", str(chain["release"]), str(out), representation, [0], public=pub(chain))
    rep = read_parquet(out)
    features = rep.attrs["fairldp"]["features"]
    assert not {"sex=female", "sex=male"} & set(features)  # never the group's reports
    blocks = list(iter_features(str(out), "german", representation, [0],
                                release=str(chain["release"]), public=pub(chain)))  # fmt: skip
    x = np.vstack([np.vstack([b.train[features].to_numpy(float), b.test[features].to_numpy(float)])
                   for b in blocks])  # fmt: skip
    assert np.isfinite(x).all() and len(rep) == 2 * 1000  # two budget splits, all rows
    assert len(x) == len(rep)
    learn("german", str(out), str(pred), "g", "1", "r", representation, "lr", LR, [0],
          release=str(chain["release"]), public=pub(chain))  # fmt: skip
    assert read_parquet(pred)["y_pred"].isin([0, 1]).all()


@pytest.mark.parametrize(
    ("key", "value"),
    [("epsilon", "4"), ("privatizer", "other"), ("dataset", "adult"), ("seeds", [7, 8])],
)
def test_a_mislabelled_artifact_is_refused_naming_the_file(
    chain: dict[str, Path], tmp_path: Path, key: str, value: object
) -> None:
    """An artifact of another cell copied over this one's path (e.g. eps4 over eps1): every
    reader checks the keys it was made for against its own."""
    release = read_parquet(chain["release"])
    fake = tmp_path / "eps1" / "seeds0-19.parquet"
    write_parquet(release, fake, meta={**release.attrs["fairldp"], key: value})
    with pytest.raises(ValueError, match=rf"{re.escape(str(fake))} was made for {key}="):
        represent("german", str(fake), str(tmp_path / "r.parquet"), NAIVE, SEEDS, "g", "1",
                  public=pub(chain))  # fmt: skip
    with pytest.raises(ValueError, match=rf"{re.escape(str(fake))} was made for {key}="):
        learn("german", str(fake), str(tmp_path / "p.parquet"), "g", "1", "identity", IDENTITY,
              "lr", LR, SEEDS, public=pub(chain))  # fmt: skip
    represented = read_parquet(chain["naive"])
    fake_rep = tmp_path / "rep" / "seeds0-19.parquet"
    write_parquet(represented, fake_rep, meta={**represented.attrs["fairldp"], key: value})
    with pytest.raises(ValueError, match=rf"{re.escape(str(fake_rep))} was made for {key}="):
        learn("german", str(fake_rep), str(tmp_path / "p.parquet"), "g", "1", "naive", NAIVE,
              "lr", LR, SEEDS, public=pub(chain))  # fmt: skip


def test_membership_audits_the_model_the_learn_stage_fitted(
    chain: dict[str, Path], tmp_path: Path
) -> None:
    from fairldp.membership import membership_audit
    from fairldp.rng import derive_int_seed
    from fairldp.stages.evaluate import MEMBERSHIP_BOOT, _true_groups, _truth, membership

    out = tmp_path / "mem.parquet"
    args = ("german", str(chain["release"]), str(chain["pred_identity_lr"]), str(chain["split"]))
    kw = {"release": str(chain["release"]), "public": pub(chain)}
    membership(*args, str(out), "g", "1", "identity", IDENTITY, "lr", LR, "sex", SEEDS, **kw)
    t = read_parquet(out)
    assert set(t["audit"]) == {"membership"} and set(t["group"]) == {"", "female", "male"}
    stats = ["membership_advantage", "membership_auc"]
    assert set(t["metric"]) == {f"{m}{s}" for m in stats for s in ("", "_ci_low", "_ci_high")}
    assert len(t) == 2 * len(SEEDS) * 3 * 2 * 3  # splits x seeds x groups x metrics x (value, CI)
    # by hand for one block: the same refit, the same attack, the same bootstrap
    truth = _truth(str(chain["split"]), "german", "sex", part=None).set_index(
        ["part", "seed", "row_id"])  # fmt: skip
    block = next(iter_features(str(chain["release"]), "german", IDENTITY, SEEDS,
                               {"privatizer": "g", "epsilon": "1"}, str(chain["release"]),
                               public=pub(chain)))  # fmt: skip
    score, _, train_score = fit_predict(block, "german", LR, train_scores=True)
    ref = membership_audit(block.y_train, train_score, block.y_test, score,
                           _true_groups(truth, "train", block.seed, block.train_ids),
                           _true_groups(truth, "test", block.seed, block.test_ids),
                           seed=derive_int_seed(block.seed, "membership"),
                           n_boot=MEMBERSHIP_BOOT)  # fmt: skip
    got = t[(t["budget_split"] == block.budget_split) & (t["seed"] == block.seed)]
    for col, suffix in (("value", ""), ("ci_low", "_ci_low"), ("ci_high", "_ci_high")):
        mine = got.set_index(["group", "metric"])["value"]
        want = ref.assign(metric=ref["metric"] + suffix).set_index(["group", "metric"])[col]
        np.testing.assert_allclose(mine.loc[want.index].to_numpy(), want.to_numpy())
    assert (got.set_index(["group", "metric"])["value"].unstack().pipe(
        lambda w: (w["membership_auc_ci_low"] <= w["membership_auc"])
        & (w["membership_auc"] <= w["membership_auc_ci_high"]))).all()  # fmt: skip
    # a prediction file of another model is refused: the audited model must be the evaluated one
    preds = read_parquet(chain["pred_identity_lr"])
    meta = preds.attrs["fairldp"]
    preds["y_score"] = preds["y_score"] * np.float32(0.99)
    write_parquet(preds, tmp_path / "other.parquet", meta=meta)
    with pytest.raises(ValueError, match="test scores differ"):
        membership("german", str(chain["release"]), str(tmp_path / "other.parquet"),
                   str(chain["split"]), str(tmp_path / "x.parquet"), "g", "1", "identity",
                   IDENTITY, "lr", LR, "sex", SEEDS, **kw)  # fmt: skip
    with pytest.raises(ValueError, match="audits must be among"):
        membership(*args, str(tmp_path / "x.parquet"), "g", "1", "identity", IDENTITY, "lr", LR,
                   "sex", SEEDS, audits=["membership_shadows"], **kw)  # fmt: skip
    # collect lists the audit with the learner's rows
    metrics = tmp_path / "metrics.parquet"
    aliases = [{"dataset": "german", "privatizer": "g", "epsilon": "1", "artifact": "identity",
                "representation": "identity", "kind": "identity"}]  # fmt: skip
    collect([str(chain["eval_lr"])], [], str(metrics), "t", {"german": "sex"}, aliases,
            {"lr": LR}, {"g": "grr"}, membership=[str(out)])  # fmt: skip
    m = read_parquet(metrics)
    assert (m[m["audit"] == "membership"]["learner"] == "lr").all()
    assert m["metric"].str.startswith("membership_").sum() == len(t)


def test_shadow_attack_uses_half_the_held_out_rows_and_fits_shadows_like_the_target(
    chain: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shadow audit: its shadow models are fitted by the learn stage's own code
    (``fit_predict``) on quarters of the released held-out rows and scored on half of them
    (the shadow set); the other half are the non-members; the members are every training
    row."""
    import fairldp.stages.learn as learn_mod
    from fairldp.stages import evaluate
    from fairldp.stages.evaluate import _true_groups, _truth, membership

    calls = []
    fit = learn_mod.fit_predict

    def spy(block, dataset, learner, **kw):  # type: ignore[no-untyped-def]
        calls.append((len(block.train), len(block.test)))
        return fit(block, dataset, learner, **kw)

    monkeypatch.setattr(learn_mod, "fit_predict", spy)
    out = tmp_path / "shadow.parquet"
    membership("german", str(chain["release"]), str(chain["pred_identity_lr"]),
               str(chain["split"]), str(out), "g", "1", "identity", IDENTITY, "lr", LR,
               "sex", SEEDS[:1], release=str(chain["release"]), public=pub(chain),
               audits=["membership", "membership_shadow"])  # fmt: skip
    monkeypatch.undo()
    t = read_parquet(out)
    assert set(t["audit"]) == {"membership", "membership_shadow"}
    block = next(iter_features(str(chain["release"]), "german", IDENTITY, SEEDS[:1],
                               {"privatizer": "g", "epsilon": "1"}, str(chain["release"]),
                               public=pub(chain)))  # fmt: skip
    n_test = len(block.test)
    # per block: the target's refit, then MEMBERSHIP_SHADOWS shadows on a quarter of the test
    # rows each, scored on half of them
    shadows = [c for c in calls if c[1] != n_test]
    assert len(calls) == 2 * (1 + evaluate.MEMBERSHIP_SHADOWS)  # two budget splits
    assert len(shadows) == 2 * evaluate.MEMBERSHIP_SHADOWS
    assert all(abs(tr - n_test / 4) <= 2 and abs(te - n_test / 2) <= 1 for tr, te in shadows)
    truth = _truth(str(chain["split"]), "german", "sex", part=None).set_index(
        ["part", "seed", "row_id"])  # fmt: skip
    g0 = _true_groups(truth, "test", block.seed, block.test_ids)
    sh = t[(t["audit"] == "membership_shadow") & (t["budget_split"] == block.budget_split)
           & (t["metric"] == "membership_auc")]  # fmt: skip
    lt = t[(t["audit"] == "membership") & (t["budget_split"] == block.budget_split)
           & (t["metric"] == "membership_auc")]  # fmt: skip
    assert len(sh) == len(lt) == 3  # overall and each TRUE group
    assert sh["value"].between(0, 1).all() and set(np.unique(g0)) == {"female", "male"}
    # same seed, same numbers: the shadow set and the shadows derive from the seed alone
    again = tmp_path / "again.parquet"
    membership("german", str(chain["release"]), str(chain["pred_identity_lr"]),
               str(chain["split"]), str(again), "g", "1", "identity", IDENTITY, "lr", LR,
               "sex", SEEDS[:1], release=str(chain["release"]), public=pub(chain),
               audits=["membership_shadow"])  # fmt: skip
    a = read_parquet(again)
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True),
        t[t["audit"] == "membership_shadow"].reset_index(drop=True), check_like=True)


def test_attribute_recovery_is_grr_keep_probability(chain: dict[str, Path], tmp_path: Path) -> None:
    """The decoded group of a GRR report is the true group with probability e^0.5 / (e^0.5 + 1)
    = 0.622 per row (k = 2; eps = 1 split over sex and age_group, both k = 2, so 0.5 each in
    both splits): every (split, seed) of 300 test rows within 4 SE (0.11)."""
    out = tmp_path / "eval.parquet"
    evaluate("german", [str(chain["pred_identity_lr"])], str(chain["split"]), str(out), "lr",
             "sex", ["attribute_recovery"])  # fmt: skip
    t = read_parquet(out)
    p = math.exp(0.5) / (math.exp(0.5) + 1)
    overall = t[t["group"] == ""]
    assert len(overall) == 2 * len(SEEDS) and set(t["group"]) == {"", "female", "male"}
    assert (abs(overall["value"] - p) < 4 * math.sqrt(p * (1 - p) / 300)).all()


def test_strong_leakage_audit_runs_beside_the_logistic_one(
    chain: dict[str, Path], tmp_path: Path
) -> None:
    """An artifact asked for both attackers gets both metric families, the boosted-trees one
    equal to a by-hand cross-fitted attack; an unknown audit is refused before any work."""
    from fairldp.repair import cross_fitted_leakage
    from fairldp.rng import derive_int_seed

    out = tmp_path / "leak.parquet"
    arts = [{"name": "deconv", "representation": DECONV, "seeds": SEEDS,
             "audits": ["leakage", "leakage_strong"]}]  # fmt: skip
    leakage("german", [str(chain["deconv"])], str(chain["split"]), str(out), "g", "1", "sex",
            arts, release=str(chain["release"]), public=str(chain["public"]))  # fmt: skip
    leak = read_parquet(out)
    assert set(leak["audit"]) == {"leakage", "leakage_strong"}
    strong = leak[leak["audit"] == "leakage_strong"]
    assert set(strong["metric"]) == {"leakage_strong_auc", "leakage_strong_accuracy"}
    block = next(b for b in iter_features(str(chain["deconv"]), "german", DECONV, SEEDS,
                                          {"privatizer": "g", "epsilon": "1"},
                                          str(chain["release"]), public=pub(chain))
                 if b.amount == 1.0 and b.seed == 0 and b.budget_split == "uniform")  # fmt: skip
    split = read_parquet(chain["split"])
    truth = split[(split["seed"] == 0) & (split["part"] == "test")].set_index("row_id")["sex"]
    a = truth.loc[block.test_ids].astype(str).to_numpy()
    want = cross_fitted_leakage(block.test.to_numpy(float), a,
                                random_state=derive_int_seed(0, "leakage"), model="hgb")
    got = strong[(strong["seed"] == 0) & (strong["amount"] == 1.0)
                 & (strong["budget_split"] == "uniform")].set_index("metric")["value"]  # fmt: skip
    assert got["leakage_strong_auc"] == pytest.approx(want["auc"])
    with pytest.raises(ValueError, match="not leakage audits"):
        leakage("german", [str(chain["deconv"])], str(chain["split"]), str(tmp_path / "x"), "g",
                "1", "sex", [{**arts[0], "audits": ["leakag"]}], release=str(chain["release"]),
                public=str(chain["public"]))  # fmt: skip
