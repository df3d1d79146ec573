# Stage 6: figures per dataset and model (PNG for the report, PDF for papers).


rule figures:
    input:
        f"{R}/metrics.parquet",
    output:
        **figure_outputs("png"),
        **figure_outputs("pdf"),
    params:
        code=CODE,
        models=lambda wildcards: list(config["models"]),
        fairness=list(FAIRNESS_METRICS),
        utility=list(UTILITY_METRICS),
    log:
        f"{R}/logs/figures/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/figures/{{dataset}}.tsv"
    resources:
        mem_mb=2000,
        runtime=15,
        cpus_per_task=1,
    group:
        "summary"
    conda:
        ENV
    script:
        "../scripts/figures.py"
