# Two commands on a fresh machine with Python >= 3.11:
#   make reproduce   # the default study: results/metrics.parquet, figures, report
#   make test        # the test suite
# Both create the virtual environment .venv and install the package into it when needed.

PYTHON ?= python3
VENV   ?= .venv
CORES  ?= 2
CONFIG ?= config/studies/default.yaml
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.fairldp-installed
TEST_STAMP = $(VENV)/.fairldp-test-installed
DOCS_STAMP = $(VENV)/.fairldp-docs-installed
# test workers (pytest-xdist); the tests of the shared test-study run stay on one of them
TEST_WORKERS ?= 2

.PHONY: reproduce verify test docs cluster-test lint bench bench-ldp bench-repair bench-fair bench-oxonfair bench-numeric dry-run clean

# a study needs the package and Snakemake (extra "workflow"); the tests need the test extras
# and the clinical tables (extra "clinical": GPL-3.0 packages, read at run time, never vendored)
# and DP-SGD (extra "dpsgd": PyTorch, a CPU wheel, and Opacus)
$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fairldp needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[workflow]"
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test,clinical,dpsgd]"
	@touch $@

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[docs]"
	@touch $@

# fairldp.run: the study checked before Snakemake loads it (Snakemake runs YTE templates as it
# loads), a stale lock of a hard kill removed when no Snakemake works in this folder, interrupted
# outputs redone, one progress line per stage family (the full Snakemake log in
# results/logs/snakemake/), the report, and where everything is
reproduce: $(STAMP)
	@$(BIN)/python -m fairldp.run --configfile $(CONFIG) --cores $(CORES)

# every artifact of the study readable and made for its keys, no leftover; then what would rerun
verify: $(STAMP)
	$(BIN)/python -m fairldp.verify $(CONFIG)
	$(BIN)/snakemake --dry-run --quiet rules --cores 1 --configfile $(CONFIG)

test: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

# the documentation site in docs/_build/html, offline: API reference, user guide, pipeline,
# reproductions, and the example gallery executed; any warning fails the build
docs: $(DOCS_STAMP)
	rm -rf docs/_build docs/generated docs/auto_examples
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "documentation: docs/_build/html/index.html"

# the workflow on a one-node SLURM cluster on localhost (root on Debian; see docs/pipeline/cluster.md)
cluster-test: $(TEST_STAMP)
	FAIRLDP_REQUIRE_SLURM=1 bash tests/cluster/run_cluster_test.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

dry-run: $(STAMP)
	$(BIN)/snakemake -n --configfile $(CONFIG)

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_workflow.py

bench-ldp: $(TEST_STAMP)
	bash benchmarks/setup_peers.sh
	$(BIN)/python benchmarks/bench_ldp.py

bench-repair: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_repair.py

bench-fair: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_fair_private.py --out benchmarks/out/fair_private.csv

bench-numeric: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_numeric.py

bench-oxonfair: $(TEST_STAMP)
	bash benchmarks/setup_oxonfair.sh
	$(BIN)/python benchmarks/bench_oxonfair.py

clean:
	rm -rf results data/prepared logs .snakemake
