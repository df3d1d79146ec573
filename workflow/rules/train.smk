# Stage 4: models fitted on the represented (privatized) training rows; test rows scored.
# Reads only the representation: no raw sensitive attribute of a training row reaches here.


rule train:
    input:
        f"{R}/represented/{CELL}.parquet",
    output:
        f"{R}/predictions/{CELL}.parquet",
    params:
        code=CODE,
        models=lambda wildcards: list(config["models"]),
        seeds=lambda wildcards: seeds(),
    log:
        f"{R}/logs/train/{CELL}.log",
    benchmark:
        f"{R}/benchmarks/train/{CELL}.tsv"
    resources:
        mem_mb=2000,
        runtime=15,
        cpus_per_task=1,
    group:
        "cell"
    conda:
        ENV
    script:
        "../scripts/train.py"
