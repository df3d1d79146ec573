# The repair study (config key 'repair'): optimal-transport repair of the numeric features with
# groups estimated from the privatized attribute of the fair study (fair/perturbed), a model on
# each repaired representation, and an audit of fairness, utility and attribute leakage on the
# TRUE attribute. Seeds and repair amounts loop inside one job per (cell, method, groups).

REPAIRED = f"{CELL}/{{method}}-{{groups}}"


rule repair_features:
    input:
        f"{R}/fair/perturbed/{CELL}.parquet",
    output:
        f"{R}/repair/represented/{REPAIRED}.parquet",
    params:
        code=CODE,
        amounts=lambda wildcards: repair_settings()["amounts"],
        seeds=lambda wildcards: repair_settings()["seeds"],
    log:
        f"{R}/logs/repair_features/{REPAIRED}.log",
    benchmark:
        f"{R}/benchmarks/repair_features/{REPAIRED}.tsv"
    conda:
        ENV
    script:
        "../scripts/repair_features.py"


rule train_repair:
    input:
        f"{R}/repair/represented/{REPAIRED}.parquet",
    output:
        f"{R}/repair/predictions/{REPAIRED}.parquet",
    params:
        code=CODE,
        model=lambda wildcards: repair_settings()["model"],
    log:
        f"{R}/logs/train_repair/{REPAIRED}.log",
    benchmark:
        f"{R}/benchmarks/train_repair/{REPAIRED}.tsv"
    conda:
        ENV
    script:
        "../scripts/train_repair.py"


rule evaluate_repair:
    input:
        represented=f"{R}/repair/represented/{REPAIRED}.parquet",
        predictions=f"{R}/repair/predictions/{REPAIRED}.parquet",
        train=f"{R}/splits/{{dataset}}/train.parquet",
        test=f"{R}/splits/{{dataset}}/test.parquet",
    output:
        f"{R}/repair/metrics/{REPAIRED}.parquet",
    params:
        code=CODE,
        study=lambda wildcards: config["study"],
    log:
        f"{R}/logs/evaluate_repair/{REPAIRED}.log",
    benchmark:
        f"{R}/benchmarks/evaluate_repair/{REPAIRED}.tsv"
    conda:
        ENV
    script:
        "../scripts/evaluate_repair.py"


rule collect_repair:
    input:
        lambda wildcards: repair_paths("repair/metrics"),
    output:
        f"{R}/repair/metrics.parquet",
    params:
        code=CODE,
    log:
        f"{R}/logs/collect_repair.log",
    benchmark:
        f"{R}/benchmarks/collect_repair.tsv"
    conda:
        ENV
    script:
        "../scripts/collect_repair.py"


rule figures_repair:
    input:
        f"{R}/repair/metrics.parquet",
    output:
        png=report(
            f"{R}/figures/{{dataset}}/repair.png",
            caption="../report/repair.rst",
            category="Optimal-transport repair",
            labels={"dataset": "{dataset}", "figure": "repair"},
        ),
        pdf=f"{R}/figures/{{dataset}}/repair.pdf",
    params:
        code=CODE,
        epsilon=lambda wildcards: repair_settings()["epsilon"],
    log:
        f"{R}/logs/figures_repair/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/figures_repair/{{dataset}}.tsv"
    conda:
        ENV
    script:
        "../scripts/figures_repair.py"
