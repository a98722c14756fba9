#!/usr/bin/env bash
# A real single-node Slurm cluster on loopback (Debian's slurm-wlm and munge), for the job-array
# tests of `laion-fmri encode` (lib/jobs/): slurmctld + slurmd as root, no cgroups
# (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none), SelectType=select/cons_tres with
# CR_CPU_Memory over this machine's CPUs, and its own munged on its own socket and key.
#
#   bash scripts/slurm.sh start     # start (or reuse); prints the slurm.conf path (use as SLURM_CONF)
#   bash scripts/slurm.sh stop      # cancel its jobs, stop the daemons it started, remove the state dir
#   bash scripts/slurm.sh status    # exit 0 + print the slurm.conf path if running, else exit 1
#
# Environment (defaults):
#   LAION_FMRI_SLURM_DIR=/tmp/laion-fmri-slurm   all state: slurm.conf, munge key/socket, spool, logs, pids
#   LAION_FMRI_SLURM_PORT=7817                   slurmctld port on 127.0.0.1 (slurmd uses port + 1;
#                                                outside Ceph's 6800-7300, where the local S3 binds)
#   LAION_FMRI_SLURM_CPUS=<nproc>                CPUs of the one node
#   LAION_FMRI_SLURM_MEMORY_MB=<MemTotal - 1 GiB> memory of the one node (RealMemory)
#
# stdout carries exactly one line (the slurm.conf path) for start/status; diagnostics go to
# stderr. Clients (sbatch, squeue, scancel, scontrol) must see SLURM_CONF=<that path>.
# Daemons are recognised by their pid files AND by our config path on their command line, so a
# reused pid is never signalled; nothing is killed by name.
set -euo pipefail

DIR="${LAION_FMRI_SLURM_DIR:-/tmp/laion-fmri-slurm}"
PORT="${LAION_FMRI_SLURM_PORT:-7817}"
CPUS="${LAION_FMRI_SLURM_CPUS:-$(nproc)}"
CONF="$DIR/slurm.conf"
KEY="$DIR/munge/munge.key"
SOCKET="$DIR/munge/munge.socket"
LOCK="${DIR%/}.lock"
NODE="$(hostname -s)"
START_TIMEOUT=60

log() { printf 'slurm: %s\n' "$*" >&2; }
# shellcheck source=scripts/_apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
# shellcheck source=scripts/_daemon.sh
source "$(dirname "${BASH_SOURCE[0]}")/_daemon.sh"

fail() {
  log "ERROR: $1"
  shift || true
  local f
  for f in "$@"; do
    [[ -f $f ]] || continue
    log "---- last lines of $f ----"
    tail -n 30 "$f" >&2 || true
  done
  exit 1
}

# The daemons' pids when they are ours (scripts/_daemon.sh: pid file and our path on the command
# line).
munged_pid() { daemon_pid "$DIR/munged.pid" "$KEY"; }
ctld_pid() { daemon_pid "$DIR/slurmctld.pid" "$CONF"; }
slurmd_pid() { daemon_pid "$DIR/slurmd.pid" "$CONF"; }

# The node answers and is idle/allocated/mixed (not down or drained).
node_up() {
  local state
  state="$(SLURM_CONF="$CONF" sinfo -h -N -n "$NODE" -o '%t' 2>/dev/null || true)"
  [[ $state =~ ^(idle|alloc|mix|comp)$ ]]
}

running() { munged_pid >/dev/null && ctld_pid >/dev/null && slurmd_pid >/dev/null && node_up; }

ensure_packages() {
  local b missing=0
  for b in munged slurmctld slurmd sbatch; do command -v "$b" >/dev/null 2>&1 || missing=1; done
  ((missing)) || return 0
  ensure_debs slurm-wlm munge || fail "slurm-wlm/munge are missing"
}

write_conf() {
  local mem
  mem="${LAION_FMRI_SLURM_MEMORY_MB:-$(($(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 1024))}"
  cat >"$CONF" <<EOF
# Written by scripts/slurm.sh: a one-node Slurm cluster on loopback, root, no cgroups.
ClusterName=laionfmri
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
KillWait=2
InactiveLimit=0
PlugStackConfig=$DIR/plugstack.conf
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$DIR/plugstack.conf"
}

stop_all() {
  if ctld_pid >/dev/null; then
    # Cancel our cluster's jobs first (by id: the only jobs it has are ours), so no batch
    # step outlives its slurmd.
    local ids k=0
    ids="$(SLURM_CONF="$CONF" squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)"
    if [[ -n ${ids// /} ]]; then
      log "cancelling jobs $ids"
      # shellcheck disable=SC2086
      SLURM_CONF="$CONF" scancel $ids >/dev/null 2>&1 || true
      while ((k < 100)) && [[ -n "$(SLURM_CONF="$CONF" squeue -h -o %A 2>/dev/null || true)" ]]; do
        sleep 0.2
        k=$((k + 1))
      done
    fi
  fi
  daemon_stop slurmd "$DIR/slurmd.pid" "$CONF"
  daemon_stop slurmctld "$DIR/slurmctld.pid" "$CONF"
  daemon_stop munged "$DIR/munged.pid" "$KEY"
}

cmd_start() {
  daemon_lock "$LOCK"
  if [[ -f $CONF ]] && running; then
    log "already running (state in $DIR)"
    echo "$CONF"
    return 0
  fi
  if [[ -d $DIR ]]; then
    log "stale state in $DIR: stopping leftovers and starting fresh"
    stop_all
    rm -rf "$DIR"
  fi
  ensure_packages
  local t0=$SECONDS
  mkdir -p "$DIR"/{munge,state,spool,log}
  chmod 700 "$DIR/munge"
  # A fresh key for this cluster only (munge wants 0400 and an owner-only folder).
  head -c 1024 /dev/urandom >"$KEY"
  chmod 400 "$KEY"
  write_conf

  munged --force --key-file="$KEY" --socket="$SOCKET" --pid-file="$DIR/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" 9>&- ||
    fail "munged failed to start" "$DIR/log/munged.log"
  slurmctld -f "$CONF" -i 9>&- || fail "slurmctld failed to start" "$DIR/log/slurmctld.log"
  slurmd -f "$CONF" 9>&- || fail "slurmd failed to start" "$DIR/log/slurmd.log"

  local deadline=$((SECONDS + START_TIMEOUT))
  until node_up; do
    munged_pid >/dev/null || fail "munged died during start-up" "$DIR/log/munged.log"
    ctld_pid >/dev/null || fail "slurmctld died during start-up" "$DIR/log/slurmctld.log"
    slurmd_pid >/dev/null || fail "slurmd died during start-up" "$DIR/log/slurmd.log"
    ((SECONDS < deadline)) || fail "node $NODE not up within ${START_TIMEOUT} s" \
      "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"
    sleep 0.3
  done
  log "up in $((SECONDS - t0)) s: node $NODE, $CPUS CPUs (state in $DIR)"
  echo "$CONF"
}

cmd_stop() {
  daemon_lock "$LOCK"
  if [[ ! -d $DIR ]]; then
    log "not running (no $DIR)"
    return 0
  fi
  stop_all
  rm -rf "$DIR"
  log "stopped; removed $DIR"
}

cmd_status() {
  if [[ -f $CONF ]] && running; then
    echo "$CONF"
    return 0
  fi
  log "not running"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: bash scripts/slurm.sh start|stop|status" >&2
    exit 2
    ;;
esac
