# Stage 3: representation fitted on the privatized training rows, applied to train and test.


rule represent:
    input:
        perturbed=f"{R}/perturbed/{CELL}.parquet",
        test=f"{R}/splits/{{dataset}}/test.parquet",
    output:
        f"{R}/represented/{CELL}.parquet",
    params:
        code=CODE,
        method="identity",
    log:
        f"{R}/logs/represent/{CELL}.log",
    benchmark:
        f"{R}/benchmarks/represent/{CELL}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
        cpus_per_task=1,
    group:
        "cell"
    conda:
        ENV
    script:
        "../scripts/represent.py"
