# Stage 1: raw files (vendored, else downloaded and verified, or derived from a verified
# upstream file) -> typed table; typed table -> train/test splits for every seed; optionally
# label bias on the training rows.


rule download:
    output:
        f"{DOWNLOADS}/{{file}}",
    params:
        out_dir=lambda wildcards, output: os.path.dirname(output[0]),
        settings=lambda wildcards: download_settings(),
        lock=LOCK,
        acs=lambda wildcards: acs_settings() if wildcards.file.startswith("acs_") else {},
    log:
        "logs/download/{file}.log",
    benchmark:
        "logs/download/{file}.benchmark.tsv"
    conda:
        ENV
    script:
        "../scripts/download.py"


rule derive_raw_file:
    input:
        derivation_source,
    output:
        f"{DOWNLOADS}/{{derived}}",
    log:
        "logs/derive_raw_file/{derived}.log",
    benchmark:
        "logs/derive_raw_file/{derived}.benchmark.tsv"
    conda:
        ENV
    script:
        "../scripts/derive_raw_file.py"


rule prepare_dataset:
    input:
        raw_files,
    output:
        "data/prepared/{dataset}.parquet",
    wildcard_constraints:
        dataset="|".join(SHARED_PREPARED),
    params:
        code=CODE,
        raw_dir=RAW_DIR,
        download_dir=DOWNLOADS,
        lock=LOCK,
        generator=generator_params,
        acs=lambda wildcards: acs_settings() if wildcards.dataset in acs.TASKS else {},
    log:
        "logs/prepare_dataset/{dataset}.log",
    benchmark:
        "logs/prepare_dataset/{dataset}.benchmark.tsv"
    conda:
        ENV
    script:
        "../scripts/prepare_dataset.py"


# Synthetic and ACS tables depend on study settings: prepared per study.
use rule prepare_dataset as prepare_study_dataset with:
    output:
        f"{R}/prepared/{{dataset}}.parquet",
    wildcard_constraints:
        dataset="|".join(STUDY_PREPARED) or "(?!)",
    log:
        f"{R}/logs/prepare_dataset/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/prepare_dataset/{{dataset}}.tsv"


rule split_dataset:
    input:
        prepared,
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


rule label_bias:
    input:
        f"{R}/splits/{{dataset}}/train.parquet",
    output:
        f"{R}/splits/{{dataset}}/train_biased.parquet",
    params:
        code=CODE,
        settings=lambda wildcards: label_bias_settings(),
    log:
        f"{R}/logs/label_bias/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/label_bias/{{dataset}}.tsv"
    conda:
        ENV
    script:
        "../scripts/label_bias.py"
