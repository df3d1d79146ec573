# Evaluation side (reads the TRUE group attribute and the clean labels): the prediction audits of
# each learner per dataset and seed block, the tidy metrics table, the figures of the study's
# figure specs and the provenance of the run.


rule evaluate:
    input:
        predictions=evaluated_predictions,
        split=split_of,
    output:
        out=path("evaluated"),
    log:
        f"{R}/logs/evaluate/{{dataset}}/{{learner}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/evaluate/{{dataset}}/{{learner}}/{{block}}.tsv"
    group:
        "summary"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=10,
        cpus_per_task=1,
    params:
        code=CODE["evaluate"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        learner=lambda w: w.learner,
        attribute=lambda w: STUDY.group(w.dataset),
        audits=lambda w: PLAN.audits(w.dataset, w.learner),
    script:
        "../scripts/stage.py"


rule collect:
    input:
        evaluated=evaluated_files(),
        leakage=leakage_files(),
        membership=membership_files(),
    output:
        out=f"{R}/metrics.parquet",
    log:
        f"{R}/logs/collect.log",
    benchmark:
        f"{R}/benchmarks/collect.tsv"
    group:
        "summary"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 1000 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        code=CODE["collect"],
        study=STUDY.study,
        attributes=dict(STUDY.attribute),
        aliases=PLAN.aliases(),
        bias_rates=PLAN.bias_rates(),
        learners={n: l.params_dict() for n, l in STUDY.learners.items()},
        protocols={
            "none": "none",
            **{n: p.protocol for n, p in STUDY.privatizers.items()},
        },
    script:
        "../scripts/stage.py"


# one rule per figure of the study, drawing every file of it (figures/{figure}/{file}.png)
for _figure in STUDY.figures:

    rule:
        name:
            f"figure_{_figure}"
        input:
            metrics=f"{R}/metrics.parquet",
        output:
            **figure_outputs(_figure),
        log:
            f"{R}/logs/figures/{_figure}.log",
        benchmark:
            f"{R}/benchmarks/figures/{_figure}.tsv"
        group:
            "summary"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda w, attempt: 1000 * attempt,
            runtime=5,
            cpus_per_task=1,
        params:
            stage="figures",
            code=CODE["figures"],
            plugins=PLUGINS,
            figure=_figure,
            spec=figure_spec(_figure),
            caption=figure_caption(_figure),
            files=figure_files_of(_figure),
            runs=PLAN.run_axes(STUDY.figures[_figure].figure.runs),
            context={
                "study": STUDY.study,
                "orders": PLAN.orders(),
                "synthetic": STUDY.synthetic,
                **figure_ledgers(_figure),
            },
        script:
            "../scripts/stage.py"


from fairldp.stages.report import study_overview


# the study's summary for the report: what was run, the headline numbers (home page and the
# first category), the headline table and the whole metrics table to download
rule summary:
    input:
        metrics=f"{R}/metrics.parquet",
    output:
        html=report(
            f"{R}/summary/summary.html",
            caption="../report/summary.rst",
            category=CATEGORY["summary"],
            subcategory="Headline results",
            labels={"table": "what was run and the headline numbers"},
        ),
        home=f"{R}/summary/home.html",
        table=report(
            f"{R}/summary/headline.csv",
            caption="../report/headline.rst",
            category=CATEGORY["summary"],
            subcategory="Tables to download",
            labels={"table": "headline numbers (CSV)"},
        ),
        data=report(
            f"{R}/summary/metrics.csv.gz",
            caption="../report/metrics.rst",
            category=CATEGORY["summary"],
            subcategory="Tables to download",
            labels={"table": "tidy metrics table (gzipped CSV)"},
        ),
    log:
        f"{R}/logs/summary.log",
    benchmark:
        f"{R}/benchmarks/summary.tsv"
    group:
        "summary"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 1000 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        code=CODE["summary"],
        overview=study_overview(STUDY, CATEGORY),
        orders=PLAN.orders(),
    script:
        "../scripts/stage.py"


# the study's numbers beside a paper's published ones (the study's `reproduction` key)
if STUDY.reproduction:

    rule reproduction:
        input:
            metrics=f"{R}/metrics.parquet",
            published=published_table(),
        output:
            **({"doc": STUDY.reproduction["doc"]} if STUDY.reproduction["doc"] else {}),
            table=report(
                f"{R}/reproduction/{STUDY.reproduction['paper']}.csv",
                caption="../report/reproduction.rst",
                category=CATEGORY["summary"],
                subcategory="Tables to download",
                labels={"table": "published numbers beside ours (CSV)"},
            ),
            page=f"{R}/reproduction/{STUDY.reproduction['paper']}.md",
        log:
            f"{R}/logs/reproduction.log",
        benchmark:
            f"{R}/benchmarks/reproduction.tsv"
        group:
            "summary"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda w, attempt: 1000 * attempt,
            runtime=5,
            cpus_per_task=1,
        params:
            code=CODE["reproduction"],
            spec={
                k: v
                for k, v in STUDY.reproduction.items()
                if k not in ("published", "doc", "title")
            },
            title=STUDY.reproduction.get("title") or STUDY.reproduction["paper"],
        script:
            "../scripts/stage.py"


rule provenance:
    input:
        prepared=[prepared(SimpleNamespace(dataset=d)) for d in STUDY.datasets],
    output:
        json=f"{R}/provenance.json",
        html=report(
            f"{R}/provenance.html",
            caption="../report/provenance.rst",
            category=CATEGORY["provenance"],
        ),
    log:
        f"{R}/logs/provenance.log",
    benchmark:
        f"{R}/benchmarks/provenance.tsv"
    group:
        "summary"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
        cpus_per_task=1,
    params:
        record={**provenance_record(config, workflow.basedir), "code": CODE},
    script:
        "../scripts/stage.py"
