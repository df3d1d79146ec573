# The fair-learning study (config key 'fair'): one sensitive attribute privatized with the whole
# budget and decoded to Z (train and test rows); fair methods trained on Z only; fairness
# audited on the true attribute and on Z. Seeds and methods loop inside one job per cell.


rule perturb_attribute:
    input:
        train=train_split,
        test=f"{R}/splits/{{dataset}}/test.parquet",
    output:
        f"{R}/fair/perturbed/{CELL}.parquet",
    params:
        code=CODE,
        epsilon=epsilon_of,
        seeds=lambda wildcards: seeds(),
        attribute=lambda wildcards: fair_settings()["attribute"],
    log:
        f"{R}/logs/perturb_attribute/{CELL}.log",
    benchmark:
        f"{R}/benchmarks/perturb_attribute/{CELL}.tsv"
    conda:
        ENV
    script:
        "../scripts/perturb_attribute.py"


rule train_fair:
    input:
        f"{R}/fair/perturbed/{CELL}.parquet",
    output:
        f"{R}/fair/predictions/{CELL}.parquet",
    params:
        code=CODE,
        methods=lambda wildcards: fair_settings()["methods"],
        model=lambda wildcards: fair_settings()["model"],
        params=lambda wildcards: fair_settings()["params"],
    log:
        f"{R}/logs/train_fair/{CELL}.log",
    benchmark:
        f"{R}/benchmarks/train_fair/{CELL}.tsv"
    conda:
        ENV
    script:
        "../scripts/train_fair.py"


rule evaluate_fair:
    input:
        predictions=lambda wildcards: fair_paths("fair/predictions"),
        tests=lambda wildcards: expand(
            f"{R}/splits/{{dataset}}/test.parquet", dataset=fair_settings()["datasets"]
        ),
    output:
        f"{R}/fair/metrics.parquet",
    params:
        code=CODE,
        study=lambda wildcards: config["study"],
    log:
        f"{R}/logs/evaluate_fair.log",
    benchmark:
        f"{R}/benchmarks/evaluate_fair.tsv"
    conda:
        ENV
    script:
        "../scripts/evaluate_fair.py"


rule figures_fair:
    input:
        f"{R}/fair/metrics.parquet",
    output:
        png=report(
            f"{R}/figures/{{dataset}}/fair_methods.png",
            caption="../report/fair_methods.rst",
            category="Fair learning from privatized attributes",
            labels={"dataset": "{dataset}", "figure": "fair methods"},
        ),
        pdf=f"{R}/figures/{{dataset}}/fair_methods.pdf",
    params:
        code=CODE,
    log:
        f"{R}/logs/figures_fair/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/figures_fair/{{dataset}}.tsv"
    conda:
        ENV
    script:
        "../scripts/figures_fair.py"
