# Stage 1: raw files (vendored, else downloaded and verified) -> typed table; typed table ->
# train/test splits for every seed.


rule download:
    output:
        f"{DOWNLOADS}/{{file}}",
    params:
        code=CODE,
        out_dir=lambda wildcards, output: os.path.dirname(output[0]),
        settings=lambda wildcards: download_settings(),
    log:
        "logs/download/{file}.log",
    benchmark:
        "logs/download/{file}.benchmark.tsv"
    conda:
        ENV
    script:
        "../scripts/download.py"


rule prepare_dataset:
    input:
        raw_files,
    output:
        "data/prepared/{dataset}.parquet",
    params:
        code=CODE,
        raw_dir=RAW_DIR,
        download_dir=DOWNLOADS,
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
