#!/usr/bin/env bash
# slurm_up.sh - bring up a single-node Slurm cluster on localhost (Debian 12, run as root).
# Adapted from the tested reference setup (Slurm 22.05 from Debian's packages); used by
# tests/cluster/run_cluster_test.sh. Default here: no accounting database (WITH_DBD=0); the SLURM
# profile queries job states with squeue, which needs MinJobAge (600 s below) >= 3 x the
# plugin's status-check interval.
# Idempotent, non-interactive, time-bounded. Only daemons it starts are recorded in
# $STATE/pids and stopped again by slurm_down.sh.
#   WITH_DBD=1          : munge + MariaDB + slurmdbd + slurmctld + slurmd  -> `sacct` works
#   WITH_DBD=0 (default): no accounting; use snakemake `--slurm-status-command squeue`
set -euo pipefail
STATE=${SLURM_STATE_DIR:-/tmp/fairldp-slurm}
WITH_DBD=${WITH_DBD:-0}
PARTITION=${SLURM_PARTITION:-debug}
CLUSTER=localcluster
PIDS=$STATE/pids
MARK="# managed-by: slurm_up.sh"
log() { echo "[slurm_up $(date +%T)] $*"; }
die() { echo "[slurm_up] ERROR: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

alive() {  # pid alive and not a zombie (PID 1 in some containers never reaps)
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]
}
ours_alive() { [ -f "$PIDS/$1.pid" ] && alive "$(cat "$PIDS/$1.pid")"; }
wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local t=$1 what=$2; shift 2; local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timeout (${t}s) waiting for $what"; sleep 0.5
  done
}
node_idle() { [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]; }

# ---- fast path: already up ---------------------------------------------------
if ours_alive slurmctld && ours_alive slurmd && node_idle; then
  log "already up"; sinfo; exit 0
fi

# ---- 1. packages (Debian 12: slurm 22.05) -------------------------------------
pkgs=(munge slurmctld slurmd slurm-client)
[ "$WITH_DBD" = 1 ] && pkgs+=(slurmdbd mariadb-server)
missing=(); for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then   # keep postinst scripts from starting daemons
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# ---- 2. config ----------------------------------------------------------------
mkdir -p "$PIDS" "$STATE"/{ctld,spool,log}
CPUS=$(nproc); MEM=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) * 9 / 10 ))
if [ "$WITH_DBD" = 1 ]; then
  ACCT="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux"
else
  ACCT="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi
conf=$(cat <<EOF
$MARK
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$PIDS/slurmctld.pid
SlurmdPidFile=$PIDS/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# no cgroups: works in containers/VMs without a delegated cgroup tree
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
$ACCT
JobCompType=jobcomp/none
# keep finished jobs visible to squeue for 10 min (snakemake squeue status mode)
MinJobAge=600
ReturnToService=2
SlurmdTimeout=60
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
)
mkdir -p /etc/slurm
if [ -f /etc/slurm/slurm.conf ] && ! grep -qx "$MARK" /etc/slurm/slurm.conf; then
  cp -n /etc/slurm/slurm.conf "$STATE/slurm.conf.orig"   # foreign config: keep a copy
fi
echo "$conf" > /etc/slurm/slurm.conf

# ---- 3. munge -----------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
    || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  wait_for 20 munged sh -c 'munge -n | unmunge'
  cp /run/munge/munged.pid "$PIDS/munged.pid"; log "munged started"
fi

# ---- 4. MariaDB + slurmdbd (only for sacct) -------------------------------------
if [ "$WITH_DBD" = 1 ]; then
  if ! mariadb -uroot -e 'select 1' >/dev/null 2>&1; then
    install -d -o mysql -g mysql "$STATE/mysql" /run/mysqld
    if [ ! -d "$STATE/mysql/mysql" ]; then
      timeout 120 mariadb-install-db --user=mysql --datadir="$STATE/mysql" --skip-test-db \
        --auth-root-authentication-method=socket > "$STATE/log/mariadb-install.log" 2>&1
    fi
    setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" \
      --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/slurm-up-mariadbd.pid \
      --log-error="$STATE/mysql/mariadb.err" --skip-networking \
      --innodb-buffer-pool-size=128M --innodb-lock-wait-timeout=900 </dev/null >/dev/null 2>&1 &
    wait_for 60 mariadb mariadb -uroot -e 'select 1'
    cp /run/mysqld/slurm-up-mariadbd.pid "$PIDS/mariadbd.pid"; log "mariadbd started"
  fi
  cat > /etc/slurm/slurmdbd.conf <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$PIDS/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
EOF
  chmod 600 /etc/slurm/slurmdbd.conf
  if ! ours_alive slurmdbd; then
    /usr/sbin/slurmdbd; log "slurmdbd started"
  fi
  wait_for 60 slurmdbd sacctmgr -n show cluster
  sacctmgr -n -P show cluster format=cluster | grep -qx "$CLUSTER" \
    || sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi

# ---- 5. slurmctld + slurmd ----------------------------------------------------
if ! ours_alive slurmctld; then
  scontrol ping 2>/dev/null | grep -q 'is UP' && die "a foreign slurmctld is already answering"
  /usr/sbin/slurmctld; log "slurmctld started"
fi
wait_for 30 slurmctld sh -c 'scontrol ping | grep -q "is UP"'
if ! ours_alive slurmd; then /usr/sbin/slurmd -N localhost; log "slurmd started"; fi
end=$((SECONDS + 60))
until node_idle; do
  st=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$st" in down*|drain*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;; esac
  [ $SECONDS -lt $end ] || die "node not idle after 60s (state: $st); see $STATE/log"
  sleep 0.5
done
# ---- 6. smoke test --------------------------------------------------------------
jid=$(sbatch --parsable -o /dev/null -p "$PARTITION" -J slurm_up_smoke --wrap true)
wait_for 60 "smoke-test job $jid" sh -c "squeue -h -j $jid --states=all -o %T | grep -qx COMPLETED"
[ "$WITH_DBD" = 1 ] && { sacct -X -n >/dev/null || die "sacct not working"; }
log "cluster up (WITH_DBD=$WITH_DBD) in ${SECONDS}s"; sinfo
