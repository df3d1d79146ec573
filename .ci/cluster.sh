#!/usr/bin/env bash
# CI: the workflow on a one-node SLURM cluster on localhost (tests/cluster/run_cluster_test.sh).
# Prints SKIP and exits 0 without root or apt-get, unless FAIRLDP_REQUIRE_SLURM=1.
# Bounded: the whole cluster part is stopped after FAIRLDP_CLUSTER_TIMEOUT seconds (default 900);
# SIGINT first, so that the test's EXIT trap stops the daemons it started.
set -euo pipefail
cd "$(dirname "$0")/.."
exec timeout -s INT -k 60 "${FAIRLDP_CLUSTER_TIMEOUT:-900}" bash tests/cluster/run_cluster_test.sh
