# The chain of one (dataset, privatizer, epsilon) cell and seed block: publish (the public rows
# of a split block, shared by every release drawn from it), privatize (the privacy boundary),
# represent (fitted representations only; stateless ones are applied where they are read),
# learn (one job per representation and learner), the leakage audit of the cell's
# representations and the membership audit of its models. Budget splits, the block's seeds and
# repair amounts loop inside a job.


rule publish:
    input:
        rows=released_rows,
    output:
        out=path("public"),
    log:
        f"{R}/logs/publish/{{dataset}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/publish/{{dataset}}/{{block}}.tsv"
    group:
        "data"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 1000 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        code=CODE["publish"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        seeds=lambda w: seeds_of(SPLITS, base_name(w.dataset), w.block),
    script:
        "../scripts/stage.py"


rule privatize:
    input:
        rows=released_rows,
    output:
        out=path("privatized"),
    log:
        f"{R}/logs/privatize/{{dataset}}/{{privatizer}}/eps{{eps}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/privatize/{{dataset}}/{{privatizer}}/eps{{eps}}/{{block}}.tsv"
    group:
        "cell"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 1500 * attempt,
        runtime=5,
        cpus_per_task=1,
    params:
        code=CODE["privatize"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        privatizer=lambda w: w.privatizer,
        eps=lambda w: w.eps,
        settings=lambda w: PLAN.privatizer_params(w.dataset, w.privatizer),
        seeds=lambda w: seeds_of(PRIVATIZE, w.dataset, w.privatizer, w.eps, w.block),
    script:
        "../scripts/stage.py"


rule represent:
    input:
        release=path("privatized"),
        public=path("public"),
    output:
        out=path("represented"),
    log:
        f"{R}/logs/represent/{{dataset}}/{{privatizer}}/eps{{eps}}/{{representation}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/represent/{{dataset}}/{{privatizer}}/eps{{eps}}/{{representation}}/{{block}}.tsv"
    group:
        "cell"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 1200 * attempt,
        runtime=10,
        cpus_per_task=1,
    params:
        code=CODE["represent"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        representation=lambda w: PLAN.representation_params(cell(w), w.representation),
        seeds=lambda w: seeds_of(
            REPRESENT, w.dataset, w.privatizer, w.eps, w.representation, w.block
        ),
        privatizer=lambda w: w.privatizer,
        eps=lambda w: w.eps,
    script:
        "../scripts/stage.py"


rule learn:
    input:
        features=learn_input,
        release=path("privatized"),
        public=path("public"),
    output:
        out=path("predictions"),
    log:
        f"{R}/logs/learn/{{dataset}}/{{privatizer}}/eps{{eps}}/{{representation}}/{{learner}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/learn/{{dataset}}/{{privatizer}}/eps{{eps}}/{{representation}}/{{learner}}/{{block}}.tsv"
    group:
        "cell"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 2500 * attempt,
        runtime=30,
        cpus_per_task=1,
    params:
        code=CODE["learn"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        privatizer=lambda w: w.privatizer,
        eps=lambda w: w.eps,
        representation_name=lambda w: w.representation,
        representation=lambda w: PLAN.representation_params(cell(w), w.representation),
        learner_name=lambda w: w.learner,
        learner=lambda w: PLAN.learner_params(w.learner),
        seeds=lambda w: seeds_of(
            LEARN, w.dataset, w.privatizer, w.eps, w.representation, w.learner, w.block
        ),
    script:
        "../scripts/stage.py"


rule leakage:
    input:
        features=leakage_inputs,
        release=path("privatized"),
        public=path("public"),
        split=split_of,
    output:
        out=path("leakage"),
    log:
        f"{R}/logs/leakage/{{dataset}}/{{privatizer}}/eps{{eps}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/leakage/{{dataset}}/{{privatizer}}/eps{{eps}}/{{block}}.tsv"
    group:
        "cell"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 1800 * attempt,
        runtime=10,
        cpus_per_task=1,
    params:
        code=CODE["leakage"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        privatizer=lambda w: w.privatizer,
        eps=lambda w: w.eps,
        attribute=lambda w: STUDY.group(w.dataset),
        artifacts=leakage_artifacts,
    script:
        "../scripts/stage.py"


rule membership:
    input:
        features=learn_input,
        predictions=path("predictions"),
        release=path("privatized"),
        public=path("public"),
        split=split_of,
    output:
        out=path("membership"),
    log:
        f"{R}/logs/membership/{{dataset}}/{{privatizer}}/eps{{eps}}/{{representation}}/{{learner}}/{{block}}.log",
    benchmark:
        f"{R}/benchmarks/membership/{{dataset}}/{{privatizer}}/eps{{eps}}/{{representation}}/{{learner}}/{{block}}.tsv"
    group:
        "cell"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 2500 * attempt,
        runtime=30,
        cpus_per_task=1,
    params:
        code=CODE["membership"],
        plugins=PLUGINS,
        dataset=lambda w: w.dataset,
        privatizer=lambda w: w.privatizer,
        eps=lambda w: w.eps,
        representation_name=lambda w: w.representation,
        representation=lambda w: PLAN.representation_params(cell(w), w.representation),
        learner_name=lambda w: w.learner,
        learner=lambda w: PLAN.learner_params(w.learner),
        audits=lambda w: PLAN.membership_audits(cell(w), w.representation, w.learner),
        attribute=lambda w: STUDY.group(w.dataset),
        seeds=lambda w: seeds_of(
            MEMBERSHIP,
            w.dataset,
            w.privatizer,
            w.eps,
            w.representation,
            w.learner,
            w.block,
        ),
    script:
        "../scripts/stage.py"
