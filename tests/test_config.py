"""The typed study loader: defaults, sugar, and one sentence naming the key for every mistake."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from fairldp.config import (
    DEFAULTS,
    LEARNER_DEFAULTS,
    PRIVATIZER_DEFAULTS,
    ConfigError,
    Study,
    format_epsilon,
    load_schema,
    load_study,
    parse_epsilon,
)

MINIMAL: dict[str, Any] = {
    "study": "t",
    "results": "results/t",
    "datasets": ["german"],
    "seeds": [0, 1],
    "epsilons": [1, 4],
    "privatizers": {"grr": {}},
    "learners": {"logistic_regression": {}},
}


def study(**change: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(MINIMAL)
    for key, value in change.items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    return cfg


def test_shipped_studies_load(repo: Path) -> None:
    files = sorted((repo / "config" / "studies").glob("*.yaml"))
    assert {f.stem for f in files} >= {"default", "test", "paper", "cluster-test"}
    for f in files:
        assert isinstance(load_study(f), Study), f


def test_minimal_study_gets_every_default() -> None:
    s = load_study(study())
    assert s.seed_block == 20 and s.test_size == 0.2 and s.baseline
    assert s.audits == ("utility", "fairness_true") and s.attribute == {"german": "sex"}
    assert list(s.representations) == ["identity"]
    (run,) = s.runs
    assert run.name == "all" and run.privatizers == ("none", "grr")
    assert run.representations == ("identity",) and run.learners == ("logistic_regression",)
    assert run.epsilons == (1.0, 4.0) and run.seeds == (0, 1)
    grr = s.privatizers["grr"]
    assert (grr.protocol, grr.budget_splits, grr.attributes, grr.test) == (
        "grr", ("uniform",), "all", "clean")
    assert s.learners["logistic_regression"].params_dict() == {
        "model": "logistic_regression", "method": "none", "params": {}}
    assert set(s.figures) == {"all_lines"}


def test_names_stand_for_kinds() -> None:
    s = load_study(study(
        privatizers={"oue": {}, "sex_ss": {"protocol": "ss", "attributes": "sex"}},
        representations={"identity": {}, "quantile": {"amounts": [0, 1]}},
        learners={"lightgbm": {}, "corrected_postproc_eo": {}, "two": {"model": "lightgbm",
                  "method": "corrected_postproc_eo", "params": {"tolerance": 0.1}}},
    ))  # fmt: skip
    assert s.privatizers["oue"].protocol == "oue"
    assert s.privatizers["sex_ss"].attributes == ("sex",)
    assert s.privatizers["sex_ss"].others == "drop" and "others" not in s.privatizers[
        "sex_ss"].params()  # the default leaves the keys of earlier studies as they were
    assert s.representations["quantile"].representation.amounts == (0.0, 1.0)
    assert s.learners["lightgbm"].model == "lightgbm"
    assert s.learners["corrected_postproc_eo"].params_dict() == {
        "model": "logistic_regression", "method": "corrected_postproc_eo", "params": {}}
    assert s.learners["two"].params == {"tolerance": 0.1}


def test_runs_select_variants_and_the_baseline() -> None:
    s = load_study(study(
        privatizers={"grr": {}, "oue": {}, "clear": {"protocol": "none", "attributes": "group"}},
        learners={"lightgbm": {}, "logistic_regression": {}},
        runs=[{"name": "a", "privatizers": ["oue"], "learners": ["lightgbm"], "seeds": [1]},
              {"name": "b", "privatizers": ["clear", "grr"], "baseline": False}],
    ))  # fmt: skip
    a, b = s.runs
    assert a.privatizers == ("none", "oue") and a.learners == ("lightgbm",) and a.seeds == (1,)
    assert b.privatizers == ("clear", "grr") and b.learners == ("lightgbm",
                                                                "logistic_regression")
    assert not s.privatizers["clear"].private and s.privatizers["clear"].budget_splits == ("none",)


def test_schema_defaults_equal_the_loader_defaults() -> None:
    """The schema documents the defaults; the loader holds them. They must agree."""
    props = load_schema()["properties"]
    for key, value in DEFAULTS.items():
        if key in ("download", "acs"):
            for sub, v in value.items():
                assert props[key]["properties"][sub]["default"] == v, (key, sub)
        else:
            assert props[key]["default"] == value, key
    priv = props["privatizers"]["additionalProperties"]["properties"]
    for key, value in PRIVATIZER_DEFAULTS.items():
        assert priv[key]["default"] == value, key
    learner = props["learners"]["additionalProperties"]["properties"]
    for key, value in LEARNER_DEFAULTS.items():
        assert learner[key]["default"] == value, key
    fields = set(Study.__dataclass_fields__) - {"raw", "runs", "figures"}
    assert fields <= set(props) and set(props) - fields == {"runs", "figures"}


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("unknown key", {"epsilon": [1]}, "unknown config key 'epsilon' (did you mean 'epsilons'?)"),
    ("missing key", {"learners": None}, "config key 'learners' is missing"),
    ("misspelt beside missing", {"seeds": None, "sedes": [0]},
     "unknown config key 'sedes' (did you mean 'seeds'?)"),
    ("dataset", {"datasets": ["adullt"]},
     "'datasets[0]': unknown dataset 'adullt' (did you mean 'adult'?)"),
    ("epsilon zero", {"epsilons": [1, 0]}, "'epsilons[1]': 0 is not allowed"),
    ("epsilon text", {"epsilons": ["one"]}, "'epsilons[0]': 'one' is not allowed"),
    ("epsilon inf", {"epsilons": [math.inf]}, "'epsilons[0]': inf is not allowed"),
    ("epsilons empty", {"epsilons": []}, "'epsilons' is empty"),
    ("seed negative", {"seeds": [0, -1]}, "'seeds[1]': -1 is not allowed"),
    ("seed twice", {"seeds": [0, 0]}, "'seeds' lists a value twice"),
    ("seed block", {"seed_block": 0}, "'seed_block': 0 is not allowed"),
    ("test size", {"test_size": 1.5}, "'test_size': 1.5 is not allowed"),
    ("variant name", {"privatizers": {"grr-1": {}}},
     "'privatizers': 'grr-1' is not allowed; must be a name made of letters, digits and '_'"),
    ("protocol", {"privatizers": {"x": {"protocol": "grrr"}}},
     "'privatizers.x.protocol': unknown LDP protocol 'grrr' (did you mean 'grr'?)"),
    ("protocol missing", {"privatizers": {"mine": {}}},
     "'privatizers.mine': the protocol is missing"),
    ("budget split", {"privatizers": {"grr": {"budget_splits": ["k_base"]}}},
     "'privatizers.grr.budget_splits[0]': 'k_base' is not a budget split (did you mean "
     "'k_based'?)"),
    ("privatizer none", {"privatizers": {"none": {}}}, "'privatizers.none': 'none' is the built-in"),
    ("privatizer key", {"privatizers": {"grr": {"splits": ["uniform"]}}},
     "unknown config key 'splits' (did you mean 'budget_splits'?) under 'privatizers.grr'"),
    ("test rows", {"privatizers": {"grr": {"test": "noisy"}}},
     "'privatizers.grr.test': 'noisy' is not allowed"),
    ("representation kind", {"representations": {"q": {"kind": "quantil"}}},
     "'representations.q.kind': unknown representation kind 'quantil' (did you mean "
     "'quantile'?)"),
    ("representation kind missing", {"representations": {"mine": {}}},
     "'representations.mine': the kind is missing"),
    ("representation parameter", {"representations": {"quantile": {"group": "naive"}}},
     "'representations.quantile': unknown parameter 'group' (did you mean 'groups'?)"),
    ("representation value", {"representations": {"quantile": {"groups": "deconv"}}},
     "groups must be one of ['naive', 'deconvolution', 'posterior', 'true'], got 'deconv' "
     "(did you mean 'deconvolution'?)"),
    ("amounts", {"representations": {"quantile": {"amounts": [0, 2]}}},
     "'representations.quantile': amounts must lie in [0, 1], got [0.0, 2.0]"),
    ("model", {"learners": {"l": {"model": "lightgbn"}}},
     "'learners.l.model': unknown model 'lightgbn' (did you mean 'lightgbm'?)"),
    ("method", {"learners": {"l": {"method": "corected_postproc_eo"}}},
     "'learners.l.method': unknown fair method 'corected_postproc_eo' (did you mean "
     "'corrected_postproc_eo'?)"),
    ("learner key", {"learners": {"l": {"modle": "lightgbm"}}},
     "unknown config key 'modle' (did you mean 'model'?) under 'learners.l'"),
    ("run privatizer", {"runs": [{"privatizers": ["gr"]}]},
     "'runs[0].privatizers[0]': 'gr' is not one of the study's privatizers ['grr', 'none'] "
     "(did you mean 'grr'?)"),
    ("run dataset", {"runs": [{"datasets": ["adult"]}]},
     "'runs[0].datasets[0]': 'adult' is not one of the study's datasets ['german']"),
    ("run epsilon", {"runs": [{"epsilons": [2]}]},
     "'runs[0].epsilons[0]': 2 is not one of the study's epsilons [1.0, 4.0]"),
    ("run audit", {"runs": [{"audits": ["fairness"]}]},
     "'runs[0].audits[0]': unknown audit 'fairness'"),
    ("run names", {"runs": [{"name": "a"}, {"name": "a"}]},
     "'runs[1].name': run name 'a' is used twice"),
    ("run key", {"runs": [{"learner": ["x"]}]},
     "unknown config key 'learner' (did you mean 'learners'?) under 'runs[0]'"),
    ("group attribute", {"attribute": "race"},
     "'attribute': 'race' is not a sensitive attribute of german"),
    ("group attribute per dataset", {"attribute": {"adult": "sex"}},
     "'attribute.adult': 'adult' is not among the study's datasets ['german']"),
    ("released attributes", {"privatizers": {"grr": {"attributes": ["race"]}}},
     "'privatizers.grr.attributes': 'race' is not a sensitive attribute of german"),
    ("group not released", {"privatizers": {"grr": {"attributes": ["age_group"]}},
                            "learners": {"corrected_postproc_eo": {}}},
     "learner 'corrected_postproc_eo' needs the group attribute 'sex' of german, which "
     "privatizer 'grr' does not release"),
    ("group not decodable", {"privatizers": {"grr": {"budget_splits": ["combined"]}},
                             "learners": {"plain": {}}},
     "'privatizers.grr.budget_splits': learner 'plain' needs the group decoded from its own "
     "report, which the budget split 'combined' does not give"),
    ("privatized audit", {"privatizers": {"grr": {"attributes": ["age_group"]}},
                          "audits": ["utility", "fairness_privatized"]},
     "audit 'fairness_privatized' needs the group attribute 'sex'"),
    ("privatizer others", {"privatizers": {"grr": {"others": "keep"}}},
     "'privatizers.grr.others': 'keep' is not allowed; allowed values: ['drop', 'clear']"),
    ("one attribute, two splits", {"privatizers": {"grr": {"attributes": "group",
                                                           "budget_splits": ["uniform",
                                                                             "k_based"]}}},
     "'privatizers.grr.budget_splits': releases one attribute on german, so the budget splits"),
    ("repair without numeric", {"datasets": ["synthetic_joint"], "attribute": "protected",
                                "representations": {"quantile": {}}},
     "representation 'quantile' repairs numeric features, and synthetic_joint has none"),
    ("figure metric", {"figures": {"f": {"y": ["equalised_odds_difference"]}}},
     "'figures.f': y: unknown metric 'equalised_odds_difference' (did you mean "
     "'equalized_odds_difference'?)"),
    ("figure axis", {"figures": {"f": {"hue": "colour"}}},
     "'figures.f': hue: 'colour' is not an axis to facet or colour by"),
    ("figure x", {"figures": {"f": {"x": "seed"}}},
     "x must be one of ['epsilon', 'amount', 'bias_rate']"),
    ("label bias rates", {"label_bias": {"kind": "underdiagnosis", "rate": [0.1, 0.1000001],
                                         "group": "female"}},
     "'label_bias.rate': the rates ['0.1', '0.1'] repeat one"),
    ("figure run", {"figures": {"f": {"runs": ["main"]}}},
     "'figures.f': runs: 'main' is not a run of the study ['all']"),
    ("figure files", {"figures": {"f": {"files": ["model"]}}},
     "files: 'model' is not one of ['dataset', 'privatizer', 'representation', 'learner']"),
    ("figure kind", {"figures": {"f": {"kind": "bars"}}},
     "'figures.f.kind': unknown figure kind 'bars'"),
    ("figure parameter", {"figures": {"f": {"colour": "learner"}}},
     "'figures.f': unknown parameter 'colour'"),
    ("label bias group", {"label_bias": {"kind": "underdiagnosis", "rate": 0.3, "group": "F"}},
     "'label_bias.group': 'F' is not in the domain of german.sex: ['female', 'male']"),
    ("label bias group per dataset", {"label_bias": {"kind": "underdiagnosis", "rate": 0.3,
                                                     "group": {"adult": "Female"}}},
     "'label_bias.group.adult': 'adult' is not among the study's datasets ['german']"),
    ("label bias rate", {"label_bias": {"kind": "underdiagnosis", "group": "female"}},
     "config key 'rate' is missing under 'label_bias'"),
    ("label bias kind", {"label_bias": {"kind": "mislabel"}}, "'label_bias.kind': 'mislabel'"),
    ("plugin", {"plugins": ["fairldp_no_such_plugin"]},
     "'plugins[0]': cannot import 'fairldp_no_such_plugin'"),
    ("acs state", {"acs": {"states": ["California"]}}, "'acs.states[0]': 'California'"),
    ("acs year", {"acs": {"year": 2010}}, "'acs.year': 2010 is not allowed"),
    ("synthetic n", {"synthetic": {"synthetic_scenario": {"n": 5}}},
     "'synthetic.synthetic_scenario.n': 5"),
    ("synthetic key", {"synthetic": {"synthetic_joint": {"rows": []}}},
     "unknown config key 'rows' under 'synthetic.synthetic_joint'"),
    ("download", {"download": {"retries": 0}}, "'download.retries': 0 is not allowed"),
    # the output folder (relative to the working directory: the checkout when tests run)
    ("results root", {"results": "/"}, "'results': '/' is an absolute path"),
    ("results root allowed", {"results": "//", "absolute_results": True},
     "'results': '//' is the root of the file system"),
    ("results absolute", {"results": "/tmp/study"}, "'/tmp/study' is an absolute path"),
    ("results home", {"results": str(Path.home()), "absolute_results": True}, "is the home folder"),
    ("results dot", {"results": "."}, "'results': '.' is the working directory itself"),
    ("results dot slash", {"results": "./"}, "is the working directory itself"),
    ("results parent", {"results": ".."}, "'..' leaves the working directory"),
    ("results escape", {"results": "results/../../elsewhere"}, "leaves the working directory"),
    ("results src", {"results": "src/fairldp"}, "lies inside the project's src/"),
    ("results raw data", {"results": "data/raw"}, "lies inside the project's data/raw/"),
    ("results config", {"results": "config/out"}, "lies inside the project's config/"),
    ("results workflow", {"results": "workflow"}, "lies inside the project's workflow/"),
    ("results git", {"results": ".git/x"}, "lies inside the project's .git/"),
    ("results absolute flag type", {"absolute_results": "yes"}, "'absolute_results': 'yes'"),
    # values that used to pass the checks and fail in a job
    ("epsilon tiny", {"epsilons": [1e-300]}, "'epsilons[0]': 1e-300 is outside [1e-06, 1000]"),
    ("epsilon huge", {"epsilons": [1, 5000]}, "'epsilons[1]': 5000 is not allowed"),
    ("method param", {"learners": {"f": {"method": "corrected_postproc_eo",
                                         "params": {"tolrance": 0.1}}}},
     "unknown parameter 'tolrance' of method 'corrected_postproc_eo' (did you mean "
     "'tolerance'?)"),
    ("method param reserved", {"learners": {"f": {"method": "threshold_eo",
                                                  "params": {"random_state": 3}}}},
     "'random_state' is set by the chain"),
    ("method fixed param", {"learners": {"f": {"method": "expgrad_eo",
                                               "params": {"constraint": "demographic_parity"}}}},
     "'constraint' is set by the chain"),
    ("model param", {"learners": {"lr": {"model": "logistic_regression", "params": {"CC": 1}}}},
     "'learners.lr.params': not accepted by model 'logistic_regression'"),
    ("yte", {"__use_yte__": True}, "'__use_yte__': runs Python code from the study file"),
    ("test size tiny", {"test_size": 0.0001}, "'test_size': 0.0001 is not allowed"),
    ("acs unknown state", {"acs": {"states": ["XX"]}}, "config key 'acs': unknown state codes"),
    ("synthetic sum", {"synthetic": {"synthetic_joint": {"table": [[0, 0, 0, 0.25],
                                                                   [1, 1, 1, 0.25]]}}},
     "'synthetic.synthetic_joint.table': the probabilities p sum to 0.5, not 1"),
    ("synthetic cell", {"synthetic": {"synthetic_joint": {"table": [[0, 2, 0, 1.0]]}}},
     "'synthetic.synthetic_joint.table[0]': a and y must be 0 or 1 and x one of [0, 1], got "
     "[0, 2, 0]"),
    ("synthetic twice", {"synthetic": {"synthetic_joint": {"table": [[0, 0, 0, 0.5],
                                                                     [0, 0, 0, 0.5]]}}},
     "cell(s) (a, x, y) [(0, 0, 0)] are given twice"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_study_is_refused_with_one_sentence(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_study(study(**change))
    text = str(err.value)
    assert message in text, text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("study: t\nseeds: [0]\nseeds: [1]\n", ":3:1: config key 'seeds' is given twice (first "
         "at line 2)"),
        ("study: t\nprivatizers:\n  grr: {}\n  grr: {protocol: oue}\n",
         ":4:3: config key 'grr' is given twice"),
        ("study: t\nseeds: [0, 1\n", "not valid YAML"),
        ("study: t\n  bad indent: 1\n", ":2:13: not valid YAML"),
        ("", "the study file is empty"),
        ("- a\n- b\n", "a study file is a mapping of keys, got list"),
    ],
    ids=["duplicate top", "duplicate nested", "unclosed", "indent", "empty", "list"],
)
def test_study_file_errors_name_file_line_and_column(
    tmp_path: Path, text: str, message: str
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_study(f)
    assert str(err.value).startswith(str(f)) and message in str(err.value), str(err.value)


def test_results_outside_with_explicit_permission(tmp_path: Path) -> None:
    s = load_study(study(results=str(tmp_path / "out"), absolute_results=True))
    assert s.results == str(tmp_path / "out") and s.absolute_results
    assert load_study(study(results="results/x/")).results == "results/x"
    assert load_study(study(results="./results/x")).results == "results/x"


def test_a_proxy_equal_to_the_attribute_is_reported() -> None:
    with pytest.warns(UserWarning, match="equal to the protected attribute"):
        load_study(study(synthetic={"synthetic_scenario": {"proxy_strength": 1.0}}))


def test_results_symlinks_cannot_hide_a_protected_folder(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "results" / "deep").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "results" / "deep")
    with pytest.raises(ConfigError, match="lies inside the project's src/"):
        load_study(study(results="link/../src/evil"), workdir=tmp_path)
    with pytest.raises(ConfigError, match="working directory itself"):
        load_study(study(results=str(tmp_path), absolute_results=True), workdir=tmp_path)
    assert load_study(study(results="link/x"), workdir=tmp_path).results == "link/x"


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    f = tmp_path / "merge.yaml"
    f.write_text(
        "study: t\nresults: results/t\ndatasets: [german]\nseeds: [0]\nepsilons: [1]\n"
        "privatizers: {grr: {}}\n"
        "learners:\n  lgb: &d {model: lightgbm}\n  lgb2: {<<: *d, method: unaware}\n"
    )
    s = load_study(f)
    assert s.learners["lgb2"].model == "lightgbm" and s.learners["lgb2"].method == "unaware"


def test_yte_allowed_only_on_request() -> None:
    assert load_study(study(__use_yte__=True), allow_yte=True).study == "t"


def test_study_file_path_and_yaml(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(study()))
    assert load_study(f).study == "t"


def test_epsilon_text_round_trips() -> None:
    for eps in (0.25, 1.0, 8, 1e-3, 50.5, math.inf):
        assert parse_epsilon(format_epsilon(eps)) == float(eps)
    assert format_epsilon(1.0) == "1" and format_epsilon(0.25) == "0.25"
    assert format_epsilon(math.inf) == "inf"


def test_label_bias_group_per_dataset() -> None:
    s = load_study(study(label_bias={"kind": "underdiagnosis", "rate": 0.3,
                                     "group": {"german": "female"}}))  # fmt: skip
    assert s.label_bias.for_dataset("german") == {
        "kind": "underdiagnosis", "rate": 0.3, "group": "female", "attribute": None,
        "positives_only": True}


# ----- whole-record privatizers ------------------------------------------------------------


def test_record_privatizer_resolves_and_keeps_old_keys() -> None:
    s = load_study(study(privatizers={
        "grr": {},
        "rec": {"protocol": "grr", "features": ["duration", "job"], "label": "rr",
                "budget_splits": ["weighted", "sampling"], "weights": {"duration": 2},
                "bounds": {"duration": [4, 72]}, "sampled": 2, "encoding": "unbiased"},
    }))  # fmt: skip
    rec, grr = s.privatizer("rec"), s.privatizer("grr")
    assert rec.record and not grr.record
    assert rec.features == ("duration", "job") and rec.bounds == (("duration", (4.0, 72.0)),)
    assert rec.params()["weights"] == {"duration": 2.0} and rec.params()["sampled"] == 2
    assert "features" not in grr.params()  # the chain keys of earlier studies do not change


@pytest.mark.parametrize(("spec", "key", "words"), [
    ({"protocol": "grr", "features": ["duratoin"]}, "privatizers.rec.features",
     "did you mean 'duration'"),
    ({"protocol": "grr", "features": "all", "budget_splits": ["combined"]},
     "privatizers.rec.budget_splits[0]", "not a budget split of a whole record"),
    ({"protocol": "grr", "numeric": "duchi"}, "privatizers.rec.numeric",
     "whole-record privatizers only"),
    ({"protocol": "grr", "features": "all", "bounds": {"job": [0, 1]}},
     "privatizers.rec.bounds", "not a numeric feature"),
    ({"protocol": "grr", "features": "all", "bounds": {"duration": [5, 5]}},
     "privatizers.rec.bounds.duration", "low < high"),
    ({"protocol": "grr", "features": ["duration"], "weights": {"job": 2}},
     "privatizers.rec.weights", "not a column this privatizer releases"),
    ({"protocol": "grr", "label": "rr", "sampled": 9}, "privatizers.rec.sampled",
     "releases 4"),
    ({"protocol": "none", "label": "rr"}, "privatizers.rec", "leave features and label public"),
])  # fmt: skip
def test_record_privatizer_mistakes_name_their_key(spec: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_study(study(privatizers={"rec": spec}))
    assert key in str(err.value) and words in str(err.value)


def test_membership_audit_needs_test_rows_released_like_training_rows() -> None:
    ok = load_study(study(privatizers={"g": {"protocol": "grr", "test": "privatized"}},
                          audits=["utility", "membership"]))  # fmt: skip
    from fairldp.plan import Plan

    jobs = Plan(ok).membership()
    assert {c.privatizer for c, *_ in jobs} == {"g", "none"}  # the baseline is clean both ways
    assert "membership" not in Plan(ok).audits("german", "logistic_regression")
    for audit in ("membership", "membership_shadow"):
        with pytest.raises(ConfigError, match=f"audit '{audit}' .* releases the test rows clean"):
            load_study(study(audits=["utility", audit]))
    both = Plan(load_study(study(privatizers={"g": {"protocol": "grr", "test": "privatized"}},
                                 audits=["membership_shadow", "membership"])))  # fmt: skip
    (cell, art, learner, _), *_ = both.membership()
    assert both.membership_audits(cell, art, learner) == ["membership", "membership_shadow"]


def test_leakage_audits_are_planned_per_artifact() -> None:
    from fairldp.plan import Plan

    reps = {"identity": {}, "q": {"kind": "quantile", "groups": "naive"}}
    plan = Plan(load_study(study(representations=reps,
                                 audits=["utility", "leakage_strong", "leakage"])))  # fmt: skip
    jobs = plan.leakage()
    assert jobs
    for (cell, _), arts in jobs.items():
        for art in arts:
            assert plan.leakage_audits(cell, art) == ["leakage", "leakage_strong"]
    assert "leakage_strong" not in plan.audits("german", "logistic_regression")


def test_the_worked_examples_of_the_study_reference_load() -> None:
    """Each worked example of config/README.md replaces its keys in the reference's first
    example, and the result is a valid study."""
    import re

    import yaml

    text = (Path(__file__).resolve().parents[1] / "config" / "README.md").read_text()
    base, *examples = (yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S))
    assert len(examples) >= 5
    load_study(base)
    for example in examples:
        study = load_study({**base, **example})
        for axis in ("privatizers", "representations", "learners", "figures"):
            assert set(example.get(axis, {})) <= set(getattr(study, axis)), axis
