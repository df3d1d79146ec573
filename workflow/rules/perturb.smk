# Stage 2: the privacy boundary. Sensitive attributes of the TRAINING rows are replaced by LDP
# reports; the test split is never perturbed. Budget splits and seeds loop inside one job per
# (dataset, protocol, epsilon), so a job outweighs its start-up cost.


rule perturb:
    input:
        train=train_split,
    output:
        f"{R}/perturbed/{CELL}.parquet",
    params:
        code=CODE,
        epsilon=epsilon_of,
        budget_splits=lambda wildcards: list(config["budget_splits"]),
        seeds=lambda wildcards: seeds(),
    log:
        f"{R}/logs/perturb/{CELL}.log",
    benchmark:
        f"{R}/benchmarks/perturb/{CELL}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
        cpus_per_task=1,
    group:
        "cell"
    conda:
        ENV
    script:
        "../scripts/perturb.py"
