# Raw files (vendored, else downloaded and verified, or derived from a verified upstream file)
# -> typed table -> train/test splits per seed block -> optionally label-biased training rows.


rule download:
    output:
        out=f"{DOWNLOADS}/{{raw}}",
    log:
        "logs/download/{raw}.log",
    benchmark:
        "logs/download/{raw}.benchmark.tsv"
    group:
        "data"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 500 * attempt,
        runtime=30,
        cpus_per_task=1,
    params:
        file=lambda w: w.raw,
        lock=LOCK,
        acs=lambda w: acs_settings(w.raw),
        timeout=STUDY.download["timeout"],
        retries=STUDY.download["retries"],
        mirror=STUDY.download["mirror"],
    script:
        "../scripts/stage.py"


rule derive:
    input:
        source=derivation_source,
    output:
        out=f"{DOWNLOADS}/{{derived}}",
    log:
        "logs/derive/{derived}.log",
    benchmark:
        "logs/derive/{derived}.benchmark.tsv"
    group:
        "data"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 500 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        file=lambda w: w.derived,
    script:
        "../scripts/stage.py"


rule prepare:
    input:
        raw=raw_files,
    output:
        out="data/prepared/{dataset}.parquet",
    log:
        "logs/prepare/{dataset}.log",
    benchmark:
        "logs/prepare/{dataset}.benchmark.tsv"
    wildcard_constraints:
        dataset="|".join(SHARED_PREPARED),
    group:
        "data"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 500 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        code=CODE["prepare"],
        dataset=lambda w: w.dataset,
        raw_dir=RAW_DIR,
        download_dir=DOWNLOADS,
        lock=LOCK,
        generator=generator_params,
        acs=lambda w: acs_settings(w.dataset),
    script:
        "../scripts/stage.py"


# synthetic and ACS tables depend on study settings: prepared per study
use rule prepare as prepare_study with:
    output:
        out=f"{R}/prepared/{{dataset}}.parquet",
    log:
        f"{R}/logs/prepare/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/prepare/{{dataset}}.tsv"
    wildcard_constraints:
        dataset="|".join(STUDY_PREPARED) or "(?!)",


rule split:
    input:
        prepared=prepared,
    output:
        out=path("split"),
    log:
        f"{R}/logs/split/{{dataset}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/split/{{dataset}}/{{block}}.tsv"
    wildcard_constraints:
        dataset=BASE_DATASET,
    group:
        "data"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 500 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        code=CODE["split"],
        dataset=lambda w: w.dataset,
        seeds=lambda w: seeds_of(SPLITS, w.dataset, w.block),
        test_size=STUDY.test_size,
        attribute=lambda w: STUDY.group(w.dataset),
    script:
        "../scripts/stage.py"


rule label_bias:
    input:
        split=split_of,
    output:
        out=path("biased"),
    log:
        f"{R}/logs/label_bias/{{dataset}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/label_bias/{{dataset}}/{{block}}.tsv"
    group:
        "data"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 500 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        **(
            {
                k: (lambda w, k=k: STUDY.label_bias.for_dataset(w.dataset)[k])
                for k in STUDY.label_bias.params()
            }
            if STUDY.label_bias
            else {}
        ),
        code=CODE["label_bias"],
        # the registered dataset: every rate of a sweep draws the same uniforms (coupled)
        dataset=lambda w: base_name(w.dataset),
    script:
        "../scripts/stage.py"
