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

.PHONY: reproduce verify test cluster-test lint bench bench-ldp bench-repair dry-run clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fairldp needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test]"
	@touch $@

# the study is checked before Snakemake loads it (Snakemake runs YTE templates as it loads);
# after a hard kill the stale lock is removed when no Snakemake at all runs on this machine
# (a Snakemake process is "python .../snakemake ..."; the pattern does not match this shell's
# own command line), and interrupted outputs are redone
reproduce: $(STAMP)
	$(BIN)/python -c "import sys; from fairldp.config import load_study; load_study(sys.argv[1])" $(CONFIG)
	@pgrep -f "[p]ython[0-9.]* [^ ]*snakemake" >/dev/null || \
	  $(BIN)/snakemake --unlock --cores 1 --configfile $(CONFIG) >/dev/null 2>&1 || true
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --rerun-incomplete
	$(BIN)/snakemake --cores 1 --configfile $(CONFIG) --report $$($(BIN)/python -c "import yaml,sys; print(yaml.safe_load(open('$(CONFIG)'))['results'])")/report.html

# every artifact of the study readable and made for its keys, no leftover; then what would rerun
verify: $(STAMP)
	$(BIN)/python -m fairldp.verify $(CONFIG)
	$(BIN)/snakemake --dry-run --quiet rules --cores 1 --configfile $(CONFIG)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/pytest

# the workflow on a one-node SLURM cluster on localhost (root on Debian; see README)
cluster-test: $(STAMP)
	FAIRLDP_REQUIRE_SLURM=1 bash tests/cluster/run_cluster_test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

dry-run: $(STAMP)
	$(BIN)/snakemake -n --configfile $(CONFIG)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_workflow.py

bench-ldp: $(STAMP)
	bash benchmarks/setup_peers.sh
	$(BIN)/python benchmarks/bench_ldp.py

bench-repair: $(STAMP)
	$(BIN)/python benchmarks/bench_repair.py

clean:
	rm -rf results data/prepared logs .snakemake
