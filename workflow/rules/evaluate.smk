# Stage 5: utility and fairness on the TRUE protected attribute of the test rows, for every
# grid cell, in one job (one vectorized pass per dataset): the tidy metrics table.


rule evaluate:
    input:
        predictions=lambda wildcards: cell_paths("predictions"),
        tests=expand(f"{R}/splits/{{dataset}}/test.parquet", dataset=config["datasets"]),
    output:
        f"{R}/metrics.parquet",
    params:
        code=CODE,
        study=lambda wildcards: config["study"],
    log:
        f"{R}/logs/evaluate.log",
    benchmark:
        f"{R}/benchmarks/evaluate.tsv"
    resources:
        mem_mb=4000,
        runtime=30,
        cpus_per_task=1,
    group:
        "summary"
    conda:
        ENV
    script:
        "../scripts/evaluate.py"
