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
    conda:
        ENV
    script:
        "../scripts/represent.py"
