#!/usr/bin/env bash
# tests/cluster/run_cluster_test.sh - the workflow on a real (single-node, localhost) SLURM
# cluster through profiles/slurm. Run by .ci/run after the unit tests; needs root and apt-get
# (Debian 12: slurmctld, slurmd, slurm-client, munge), otherwise it prints SKIP and exits 0
# (FAIRLDP_REQUIRE_SLURM=1: exit 1 instead).
#
# Checks (default: the budget-split run of config/studies/test.yaml, about 30 jobs; all of it
# with FAIRLDP_CLUSTER_TEST_CONFIG=config/studies/test.yaml):
#   0. grouping: a dry run of config/studies/cluster-test.yaml (>= 200 learn jobs) under the
#      profile plans at most 20 SLURM submissions;
#   1. the study locally (reference);
#   2. the same study through SLURM; a group job is cancelled (scancel) while it runs: the run
#      exits non-zero, no Parquet artifact is corrupt;
#   3. rerun: resumes without redoing finished jobs, every job went through sbatch (job ids in
#      the log, .snakemake/slurm_logs and squeue), metrics.parquet equal to the local run;
#   4. a job that fails on the cluster (corrupt input): run exits non-zero naming rule,
#      wildcards and log; fixing the input and rerunning redoes only that cell.
# FAIRLDP_CLUSTER_FULL=1 also runs config/studies/cluster-test.yaml (208 learn jobs) locally and
# through SLURM and compares (30-40 min on 2 cores); FAIRLDP_CLUSTER_UNGROUPED=1 adds an
# ungrouped SLURM run of it (one sbatch per job) to measure submissions and wall time.
# Only the daemons that tests/cluster/slurm_up.sh started are stopped again (trap EXIT).
set -uo pipefail
T0=$SECONDS
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$REPO/tests/cluster
PY=${FAIRLDP_PYTHON:-$REPO/.venv/bin/python}
SMK=$(dirname "$PY")/snakemake
export SLURM_STATE_DIR=${SLURM_STATE_DIR:-/tmp/fairldp-slurm}
SMK_TIMEOUT=${FAIRLDP_CLUSTER_SMK_TIMEOUT:-600}     # seconds per snakemake call
MAX_SUBMISSIONS=20

log() { echo "[cluster-test +$((SECONDS - T0))s] $*"; }
skip() {
  if [ "${FAIRLDP_REQUIRE_SLURM:-0}" = 1 ]; then echo "FAIL: cluster test required but: $*" >&2; exit 1; fi
  echo "SKIP: cluster test: $* (set FAIRLDP_REQUIRE_SLURM=1 to make this an error)"; exit 0
}
die() { echo "FAIL: cluster test: $*" >&2; exit 1; }

# ---- prerequisites -------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "not root (a local SLURM cluster needs root)"
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null; then
  command -v apt-get >/dev/null || skip "SLURM not installed and apt-get unavailable"
fi
[ -x "$SMK" ] || die "no snakemake at $SMK (make the venv first)"
if ! "$PY" -c 'import snakemake_executor_plugin_slurm' 2>/dev/null; then
  log "installing snakemake-executor-plugin-slurm"
  "$PY" -m pip install --quiet "snakemake-executor-plugin-slurm==2.8.0" \
    || skip "cannot install snakemake-executor-plugin-slurm"
fi

WORK=${FAIRLDP_CLUSTER_WORK:-$(mktemp -d /tmp/fairldp-cluster.XXXXXX)}
mkdir -p "$WORK"
SMK_PID=
cleanup() {
  local rc=$?
  if [ -n "$SMK_PID" ] && kill -0 "$SMK_PID" 2>/dev/null; then kill -INT "$SMK_PID"; sleep 2; fi
  [ "${STARTED_SLURM:-0}" = 1 ] && bash "$HERE/slurm_down.sh"
  # job steps of a cancelled job can outlive slurmd (reparented to init): stop what still runs
  # from this test's own work dir (a fresh mktemp dir, so nothing else matches)
  if pkill -TERM -f -- "$WORK/" 2>/dev/null; then
    sleep 2; pkill -KILL -f -- "$WORK/" 2>/dev/null  # a job step waiting for files ignores TERM
    log "stopped leftover job processes of $WORK"
  fi
  log "work dir: $WORK"
  if [ $rc = 0 ]; then log "PASS in $((SECONDS - T0))s"; else log "FAILED (exit $rc) after $((SECONDS - T0))s"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- cluster -------------------------------------------------------------------
if ! dpkg -s slurmctld slurmd slurm-client munge >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed (no package registry?)"
fi
STARTED_SLURM=1
WITH_DBD=0 bash "$HERE/slurm_up.sh" || die "slurm_up.sh failed (logs in $SLURM_STATE_DIR/log)"
log "cluster up"

# Snapshot of the workflow and the package, so that edits to the checkout during the test
# (they change the package hash, a param of every rule) cannot make a resumed run redo jobs.
SRC=$REPO
REPO=$WORK/repo
mkdir -p "$REPO/data"
cp -a "$SRC/Snakefile" "$SRC/workflow" "$SRC/src" "$SRC/config" "$SRC/profiles" "$REPO/"
cp -a "$SRC/data/raw" "$REPO/data/"
export PYTHONPATH=$REPO/src${PYTHONPATH:+:$PYTHONPATH}   # before the editable install's path

# the partition reaches sbatch through the profile's environment variable (checked below)
export FAIRLDP_SLURM_PARTITION=${SLURM_PARTITION:-debug}
NCPU=$(nproc); CORES=$(( NCPU < 2 ? NCPU : 2 ))   # a group job must fit on the one node
# smk DIR CONFIG LOGNAME [extra args]: snakemake through the SLURM profile, bounded in time
# (SIGINT: snakemake cancels its SLURM jobs and exits; the plugin can otherwise wait forever)
smk_slurm() {
  local dir=$1 cfg=$2 name=$3; shift 3
  mkdir -p "$dir"
  timeout -s INT -k 30 "$SMK_TIMEOUT" "$SMK" -s "$REPO/Snakefile" --directory "$dir" \
    --configfile "$cfg" --profile "$REPO/profiles/slurm" --cores "$CORES" \
    --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs "$@" \
    > "$dir/$name.log" 2>&1
}
smk_local() {
  local dir=$1 cfg=$2 name=$3; shift 3
  mkdir -p "$dir"
  timeout -s INT -k 30 "$SMK_TIMEOUT" "$SMK" -s "$REPO/Snakefile" --directory "$dir" \
    --configfile "$cfg" --cores "$NCPU" "$@" > "$dir/$name.log" 2>&1
}
slurm_ids() { grep -ho 'submitted with SLURM jobid [0-9]*' "$@" 2>/dev/null | awk '{print $NF}'; }
# every SLURM job id in the logs must be a job of our cluster whose state is as expected
check_ids() {  # check_ids DIR EXPECTED_STATE LOG...
  local dir=$1 want=$2; shift 2; local ids n=0 st
  ids=$(slurm_ids "$@")
  [ -n "$ids" ] || die "no SLURM job id in $*: nothing went through sbatch"
  for id in $ids; do
    st=$(squeue -h -j "$id" --states=all -o '%T %P' 2>/dev/null)
    [ "$st" = "$want $FAIRLDP_SLURM_PARTITION" ] \
      || die "SLURM job $id: state/partition '$st', expected '$want $FAIRLDP_SLURM_PARTITION'"
    ls "$dir"/.snakemake/slurm_logs/*/"$id".log >/dev/null 2>&1 || die "no slurm log of job $id"
    grep -q "JobId=$id " "$SLURM_STATE_DIR/log/slurmctld.log" || die "job $id not in slurmctld.log"
    n=$((n + 1))
  done
  echo "$n"
}

# ---- 0. grouping plan of the >= 200-learn-job study ---------------------------------
CT=$REPO/config/studies/cluster-test.yaml
smk_slurm "$WORK/plan" "$CT" dryrun -n || die "dry run of $CT failed: $WORK/plan/dryrun.log"
n_train=$("$PY" "$HERE/check.py" count-jobs "$WORK/plan/dryrun.log" learn)
n_all=$(awk '$1=="total"{print $2; exit}' "$WORK/plan/dryrun.log")
n_groups=$(grep -c 'Group job ' "$WORK/plan/dryrun.log")
# non-local jobs outside any group ('all' has no output and runs on the submit host)
n_single=$(grep -E '^rule [a-z_]+:' "$WORK/plan/dryrun.log" | grep -vc '^rule all:')
log "plan of $(basename "$CT"): $n_all jobs ($n_train learn) -> $n_groups group jobs + $n_single single jobs"
[ "$n_train" -ge 200 ] || die "$CT has only $n_train learn jobs (need >= 200)"
[ $((n_groups + n_single)) -le $MAX_SUBMISSIONS ] \
  || die "$CT would need $((n_groups + n_single)) SLURM submissions (> $MAX_SUBMISSIONS)"

# ---- 1. local reference -----------------------------------------------------------
# the study: the budget-split run of config/studies/test.yaml (privatize, learn, evaluate,
# collect, figures: about 30 jobs; the fair-learning and repair runs triple the time), or
# FAIRLDP_CLUSTER_TEST_CONFIG=config/studies/test.yaml for all of it (it needs the cell
# german/grr/eps1)
if [ -n "${FAIRLDP_CLUSTER_TEST_CONFIG:-}" ]; then
  CFG=$REPO/$FAIRLDP_CLUSTER_TEST_CONFIG
else
  CFG=$WORK/ci.yaml
  "$PY" - "$REPO/config/studies/test.yaml" "$CFG" <<'PYEOF' || die "cannot write $CFG"
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
cfg["runs"] = [r for r in cfg["runs"] if r["name"] == "budget_splits"]
cfg["figures"] = {k: f for k, f in cfg["figures"].items() if f.get("runs") == ["budget_splits"]}
yaml.safe_dump(cfg, open(sys.argv[2], "w"))
PYEOF
fi
RES=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["results"])' "$CFG")
smk_local "$WORK/local" "$CFG" run || die "local run failed: $WORK/local/run.log"
log "local reference done"

# ---- 2. SLURM run, one group job cancelled mid-run ----------------------------------
S=$WORK/slurm
mkdir -p "$S"
smk_slurm "$S" "$CFG" run1 --retries 0 &
SMK_PID=$!
victim=
end=$((SECONDS + 300))
while kill -0 "$SMK_PID" 2>/dev/null && [ $SECONDS -lt $end ]; do
  # the cell group job (privatize/learn) is running and has written something
  if [ -z "$victim" ] && ls "$S/$RES"/privatized/*/*/*/*.parquet >/dev/null 2>&1; then
    for id in $(slurm_ids "$S/run1.log"); do
      if [ "$(squeue -h -j "$id" -o %T 2>/dev/null)" = RUNNING ] \
         && ls "$S"/.snakemake/slurm_logs/group_cell*/"$id".log >/dev/null 2>&1; then
        sleep 2; victim=$id; scancel "$id"; log "scancel $id (group job cell, running)"; break
      fi
    done
  fi
  sleep 0.5
done
wait "$SMK_PID"; rc=$?; SMK_PID=
[ -n "$victim" ] || die "could not catch the cell group job running (run1 exit $rc); see $S/run1.log"
[ $rc != 0 ] || die "run with a cancelled job exited 0"
grep -q "Error in group cell" "$S/run1.log" || die "cancelled group job not reported: $S/run1.log"
log "run1 (cancelled) exited $rc and reported the failed group job"
"$PY" "$HERE/check.py" parquet-ok "$S/$RES" || die "corrupt Parquet after scancel"
"$PY" "$HERE/check.py" mtimes "$S/$RES" "$WORK/before_resume.json" >/dev/null

# ---- 3. resume -----------------------------------------------------------------------
smk_slurm "$S" "$CFG" run2 || die "resumed run failed: $S/run2.log"
"$PY" "$HERE/check.py" unchanged "$WORK/before_resume.json" "$S/$RES" || die "resume redid finished jobs"
n_ok=$(check_ids "$S" COMPLETED "$S/run2.log") || exit 1
log "run2 (resume) completed: $n_ok SLURM jobs, all COMPLETED in squeue and in slurmctld.log"
"$PY" "$HERE/check.py" same-metrics "$WORK/local/$RES/metrics.parquet" "$S/$RES/metrics.parquet" \
  || die "SLURM metrics differ from the local run"

# ---- 4. a job that fails on the cluster ----------------------------------------------
# as in a first run: the cell's learn jobs and everything after them (evaluate of the
# dataset's learners, collect) still to do, and their input corrupt (newer than the outputs that stay)
bad=$S/$RES/privatized/german/grr/eps1/seeds0-19.parquet
rm -f "$S/$RES/metrics.parquet" "$S/$RES"/evaluated/german/*/seeds0-19.parquet \
  "$S/$RES"/predictions/german/grr/eps1/identity-*/*/seeds0-19.parquet
"$PY" "$HERE/check.py" mtimes "$S/$RES" "$WORK/before_fail.json" >/dev/null
sleep 1; echo "not a parquet file" > "$bad"
smk_slurm "$S" "$CFG" run3; rc=$?
[ $rc != 0 ] || die "run with a failing job exited 0"
# the error report at the end of the run: rule, log (its path holds the wildcards) and the
# SLURM log of the group job, whose own report names the wildcards
err=$(sed -n '/Error in group cell\|Error in rule learn/,$p' "$S/run3.log")
[ -n "$err" ] || die "failure not reported: $S/run3.log"
grep -q "rule learn" <<<"$err" || die "failed rule not named: $S/run3.log"
grep -q "logs/learn/german/grr/eps1/identity-" <<<"$err" || die "log path not reported"
slog=$(grep -o '/[^ ]*/slurm_logs/[^ ]*\.log' <<<"$err" | head -1)
[ -n "$slog" ] || die "SLURM log path not reported"
grep -q "wildcards: dataset=german, privatizer=grr, eps=1, representation=identity-" "$slog" \
  || die "wildcards not in $slog"
log "run3 (failing job) exited $rc; report (wildcards are in $slog):"
head -12 <<<"$err" | sed 's/^/    /'
rm -f "$bad"                                       # the fix: privatize redoes it
smk_slurm "$S" "$CFG" run4 || die "rerun after fixing the input failed: $S/run4.log"
for f in "$S/$RES"/privatized/german/grr/eps1/seeds0-19.parquet \
         "$S/$RES"/predictions/german/grr/eps1/identity-*/lightgbm/seeds0-19.parquet \
         "$S/$RES"/predictions/german/grr/eps1/identity-*/logistic_regression/seeds0-19.parquet \
         "$S/$RES"/evaluated/german/{lightgbm,logistic_regression}/seeds0-19.parquet; do
  [ -s "$f" ] || die "rerun did not redo ${f#"$S/$RES/"}"
done
"$PY" "$HERE/check.py" unchanged "$WORK/before_fail.json" "$S/$RES" --except /grr/eps1/ \
  metrics.parquet /evaluated/ || die "rerun redid jobs of other cells"
"$PY" "$HERE/check.py" same-metrics "$WORK/local/$RES/metrics.parquet" "$S/$RES/metrics.parquet" \
  || die "metrics differ after the rerun"
log "run4 redid only the failed cell (and the summary); metrics equal to the local run"

# ---- optional: the >= 200-train-job study for real -----------------------------------
if [ "${FAIRLDP_CLUSTER_FULL:-0}" = 1 ]; then
  RT=results/cluster-test
  t=$SECONDS; smk_local "$WORK/full-local" "$CT" run || die "local cluster-test run failed"
  log "full: local run $((SECONDS - t))s"
  t=$SECONDS; smk_slurm "$WORK/full-slurm" "$CT" run || die "SLURM cluster-test run failed"
  n=$(check_ids "$WORK/full-slurm" COMPLETED "$WORK/full-slurm/run.log") || exit 1
  log "full: grouped SLURM run $((SECONDS - t))s, $n sbatch submissions for $n_all jobs"
  [ "$n" -le $MAX_SUBMISSIONS ] || die "$n submissions > $MAX_SUBMISSIONS"
  "$PY" "$HERE/check.py" same-metrics "$WORK/full-local/$RT/metrics.parquet" \
    "$WORK/full-slurm/$RT/metrics.parquet" || die "cluster-test metrics differ"
fi
if [ "${FAIRLDP_CLUSTER_UNGROUPED:-0}" = 1 ]; then
  # one group per rule and one component per group = one sbatch per job
  t=$SECONDS
  smk_slurm "$WORK/ungrouped" "$CT" run --jobs 100 \
    --groups privatize=p learn=l evaluate=e collect=c figures=f prepare=d split=s \
      provenance=v --group-components p=1 l=1 e=1 c=1 f=1 d=1 s=1 v=1 \
    || die "ungrouped SLURM run failed"
  log "ungrouped SLURM run $((SECONDS - t))s, $(slurm_ids "$WORK/ungrouped/run.log" | wc -l) sbatch submissions"
fi
exit 0
