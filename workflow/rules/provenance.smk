# Provenance: package versions, git commit and the resolved config of the run that produced the
# results. Its params change whenever any of them does, which reruns this rule (and only it).
from fairldp.provenance import provenance as _provenance


rule provenance:
    output:
        json=f"{R}/provenance.json",
        html=report(
            f"{R}/provenance.html",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    params:
        record={**_provenance(dict(config), workflow.basedir), "package_hash": CODE},
    log:
        f"{R}/logs/provenance.log",
    benchmark:
        f"{R}/benchmarks/provenance.tsv"
    conda:
        ENV
    script:
        "../scripts/provenance.py"
