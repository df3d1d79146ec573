# Stage 1: vendored raw files -> typed table; typed table -> train/test splits for every seed.


rule prepare_dataset:
    input:
        raw_files,
    output:
        "data/prepared/{dataset}.parquet",
    params:
        code=CODE,
        raw_dir=RAW_DIR,
    log:
        "logs/prepare_dataset/{dataset}.log",
    benchmark:
        "logs/prepare_dataset/{dataset}.benchmark.tsv"
    conda:
        ENV
    script:
        "../scripts/prepare_dataset.py"


rule split_dataset:
    input:
        "data/prepared/{dataset}.parquet",
    output:
        train=f"{R}/splits/{{dataset}}/train.parquet",
        test=f"{R}/splits/{{dataset}}/test.parquet",
    params:
        code=CODE,
        seeds=lambda wildcards: seeds(),
        test_size=lambda wildcards: config["test_size"],
    log:
        f"{R}/logs/split_dataset/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/split_dataset/{{dataset}}.tsv"
    conda:
        ENV
    script:
        "../scripts/split_dataset.py"
