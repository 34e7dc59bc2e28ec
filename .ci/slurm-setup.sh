#!/usr/bin/env bash
# A single-node SLURM on this machine, for trying profiles/slurm and for the cluster tests.
#
#   .ci/slurm-setup.sh install   # Debian packages: slurm-wlm munge slurmdbd mariadb-server (as root, ~40 s)
#   .ci/slurm-setup.sh start     # write /etc/slurm/{slurm,slurmdbd,gres}.conf, start MariaDB, munged,
#                                # slurmdbd, slurmctld and slurmd; returns once the node is idle
#   .ci/slurm-setup.sh stop      # cancel jobs, stop the daemons this script started (by their pid
#                                # files), remove the configs it wrote
#   .ci/slurm-setup.sh status    # sinfo and the daemons' pids
#
# Layout of the test cluster: cluster `dlrepro`, one node `dlrepro` (2 CPUs, 8000 MB, one dummy GPU
# so that `--gpus=1` jobs run and see CUDA_VISIBLE_DEVICES), one default partition `main`. Job
# accounting goes through slurmdbd into a MariaDB listening on 127.0.0.1 only, as on real clusters:
# the executor plugin asks `sacct` whether jobs ended. State and logs live in $DLREPRO_SLURM_STATE
# (default /var/lib/dlrepro-slurm); `stop` leaves them for reading.
#
# Facts this layout works around (Debian 12, Slurm 22.05, no systemd, containers):
# - the plugin drops SLURM_CONF inside jobs, so the config must be at /etc/slurm/slurm.conf;
# - the machine's hostname is not the node name, so slurmd runs as `slurmd -N dlrepro`;
# - no cgroups: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none.
# The script refuses to overwrite a /etc/slurm/slurm.conf it did not write (a real cluster's).
set -euo pipefail

STATE=${DLREPRO_SLURM_STATE:-/var/lib/dlrepro-slurm}
ETC=/etc/slurm
MARK="# written by dlrepro .ci/slurm-setup.sh"
NODE=dlrepro
CPUS=${DLREPRO_SLURM_CPUS:-2}
DB_PASS=dlrepro-test-only # the database accepts connections from 127.0.0.1 only

say() { echo "slurm-setup: $*" >&2; }

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every 0.5 s until it succeeds
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "timed out after ${limit}s waiting for $what (logs: $STATE/log)"
      return 1
    fi
    sleep 0.5
  done
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge slurmdbd mariadb-server
}

write_configs() {
  if [[ -f $ETC/slurm.conf ]] && ! grep -qF "$MARK" "$ETC/slurm.conf"; then
    say "$ETC/slurm.conf exists and was not written by this script; not touching it"
    exit 3
  fi
  mkdir -p "$ETC" "$STATE"/{run,log,ctld,spool,mysql-run}
  # the dummy GPU behind Gres=gpu:1: slurmd wants a character device; this one behaves like /dev/null
  if [[ ! -c $STATE/fake-gpu0 ]]; then
    rm -f "$STATE/fake-gpu0"
    mknod -m 666 "$STATE/fake-gpu0" c 1 3
  fi
  cat >"$ETC/slurm.conf" <<EOF
$MARK
ClusterName=dlrepro
SlurmctldHost=$(hostname -s)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# no cgroups in containers
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
# accounting: sacct is how the executor plugin learns that a job ended
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
GresTypes=gpu
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=300
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=8000 Gres=gpu:1 State=UNKNOWN
PartitionName=main Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  cat >"$ETC/gres.conf" <<EOF
$MARK
NodeName=$NODE Name=gpu File=$STATE/fake-gpu0
EOF
  cat >"$ETC/slurmdbd.conf" <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$STATE/run/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$ETC/slurmdbd.conf"
}

start_mariadb() {
  local sock=$STATE/mysql-run/mysqld.sock
  chown mysql:mysql "$STATE/mysql-run"
  if [[ ! -d $STATE/mysql/mysql ]]; then
    mkdir -p "$STATE/mysql"
    chown mysql:mysql "$STATE/mysql"
    mariadb-install-db --user=mysql --datadir="$STATE/mysql" --skip-test-db \
      --auth-root-authentication-method=socket >"$STATE/log/mariadb-install.log" 2>&1
  fi
  if ! alive "$STATE/mysql-run/mysqld.pid"; then
    mariadbd --user=mysql --datadir="$STATE/mysql" --bind-address=127.0.0.1 --port=3306 \
      --socket="$sock" --pid-file="$STATE/mysql-run/mysqld.pid" \
      --log-error="$STATE/log/mariadb.log" >/dev/null 2>&1 &
    wait_for 30 MariaDB mariadb --socket="$sock" -e "SELECT 1"
  fi
  mariadb --socket="$sock" <<EOF
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
}

start_munge() {
  if ! munge -n </dev/null >/dev/null 2>&1; then
    mkdir -p /run/munge
    chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
    cp /run/munge/munged.pid "$STATE/run/munged.pid" # ours to stop; a munged already running is not
    wait_for 10 munged sh -c 'munge -n | unmunge'
  fi
}

start() {
  for tool in slurmctld slurmd slurmdbd munged mariadbd sacct; do
    command -v "$tool" >/dev/null || { say "$tool is missing; run: $0 install"; exit 2; }
  done
  write_configs
  start_mariadb
  start_munge
  alive "$STATE/run/slurmdbd.pid" || slurmdbd
  wait_for 30 slurmdbd sacctmgr -n list cluster
  if [[ -z $(sacctmgr -n -P list cluster dlrepro format=cluster) ]]; then
    sacctmgr -i add cluster dlrepro >/dev/null
  fi
  alive "$STATE/run/slurmctld.pid" || slurmctld
  wait_for 30 slurmctld scontrol ping
  alive "$STATE/run/slurmd.pid" || slurmd -N "$NODE"
  wait_for 30 "node $NODE to be idle" sh -c "sinfo -h -n $NODE -o %t | grep -qx idle"
  say "SLURM is up: cluster dlrepro, node $NODE ($CPUS CPUs, 1 dummy GPU), partition main"
}

stop_daemons() { # stop_daemons PIDFILE...: TERM them all, wait up to 10 s, KILL what lingers
  local file pid pids=()
  for file in "$@"; do
    if alive "$file"; then pids+=("$(cat "$file")"); kill "${pids[-1]}" 2>/dev/null || true; fi
  done
  for _ in $(seq 100); do
    local left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$@"
}

stop() {
  scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  stop_daemons "$STATE"/run/{slurmd,slurmctld,slurmdbd}.pid "$STATE/mysql-run/mysqld.pid" "$STATE/run/munged.pid"
  # without a controller, a leftover slurm.conf makes every snakemake start 10 s slower: the slurm
  # executor plugin runs `scontrol show config` when it is imported, and that waits for slurmctld
  for conf in slurm.conf gres.conf slurmdbd.conf; do
    if [[ -f $ETC/$conf ]] && grep -qF "$MARK" "$ETC/$conf"; then rm -f "$ETC/$conf"; fi
  done
  say "stopped (configs removed; state and logs kept in $STATE)"
}

status() {
  sinfo || true
  for f in "$STATE"/run/*.pid "$STATE"/mysql-run/*.pid; do
    [[ -f $f ]] && echo "$(basename "$f" .pid): $(cat "$f") $(alive "$f" && echo running || echo gone)"
  done
}

case ${1:-} in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 64 ;;
esac
