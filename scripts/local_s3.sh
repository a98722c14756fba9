#!/usr/bin/env bash
# A real S3 server on loopback: a single-node Ceph RADOS Gateway (RGW).
#
#   bash scripts/local_s3.sh start     # start (or reuse) and print the endpoint URL
#   bash scripts/local_s3.sh stop      # stop the daemons it started, remove the scratch dir
#   bash scripts/local_s3.sh status    # exit 0 + print endpoint if running, else exit 1
#   bash scripts/local_s3.sh endpoint  # print the endpoint URL (no check)
#
# Environment (defaults):
#   LAION_FMRI_RGW_DIR=/tmp/laion-fmri-rgw       all state: ceph.conf, mon/osd data, logs, pids
#   LAION_FMRI_RGW_PORT=7480                     RGW (beast) port on 127.0.0.1
#   LAION_FMRI_RGW_MON_PORT=6789                 monitor port on 127.0.0.1 (msgr v1)
#   LAION_FMRI_RGW_MEMSTORE_BYTES=4294967296     memstore size (objects live in RAM)
#   LAION_FMRI_RGW_START_TIMEOUT=90              seconds to wait for RGW to answer
#
# stdout carries exactly one line (the endpoint) for start/status/endpoint; all
# diagnostics go to stderr. See /work/shared/docs/local-s3.md (shared/docs/local-s3.md)
# for the facts this follows. The seeding user is laion-seed with access key
# laionfmriseed / secret laionfmriseedsecret (loopback-only test credentials).
set -euo pipefail

DIR="${LAION_FMRI_RGW_DIR:-/tmp/laion-fmri-rgw}"
PORT="${LAION_FMRI_RGW_PORT:-7480}"
MON_PORT="${LAION_FMRI_RGW_MON_PORT:-6789}"
MEMSTORE_BYTES="${LAION_FMRI_RGW_MEMSTORE_BYTES:-4294967296}"
START_TIMEOUT="${LAION_FMRI_RGW_START_TIMEOUT:-90}"
CONF="$DIR/ceph.conf"
ENDPOINT="http://127.0.0.1:$PORT"
LOCK="${DIR%/}.lock"
# pid file = DIR/$name.pid  ->  these names
DAEMONS=(client.rgw.a osd.0 mon.a) # stop order
SEED_UID=laion-seed
SEED_ACCESS=laionfmriseed
SEED_SECRET=laionfmriseedsecret

log() { printf 'local_s3: %s\n' "$*" >&2; }
# shellcheck source=scripts/_apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
# shellcheck source=scripts/_daemon.sh
source "$(dirname "${BASH_SOURCE[0]}")/_daemon.sh"

# ---------------------------------------------------------------- helpers

# True when daemon $1 (pid file DIR/$1.pid) is alive and was started with our ceph.conf
# (scripts/_daemon.sh: a reused pid is never taken for ours).
daemon_alive() { daemon_pid "$DIR/$1.pid" "$CONF" >/dev/null; }

# HTTP status code of GET $ENDPOINT/ (000 when nothing answers).
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -m 5 -w '%{http_code}' "$ENDPOINT/" 2>/dev/null || true
  else
    # dependency-free fallback: bash /dev/tcp
    timeout 5 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
      printf "GET / HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$1" >&3
      IFS=" " read -r _ code _ <&3 && printf "%s" "$code"' _ "$PORT" 2>/dev/null || true
  fi
}

endpoint_ok() { [[ "$(http_status)" == 200 ]]; }

running() {
  local d
  for d in "${DAEMONS[@]}"; do daemon_alive "$d" || return 1; done
  endpoint_ok
}

port_busy() {
  # true if something listens on 127.0.0.1:$1 (or any address)
  if command -v ss >/dev/null 2>&1; then
    ss -Htln "sport = :$1" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

show_log_tail() {
  local name="$1" f="$DIR/log/$1.log"
  if [[ -f $f ]]; then
    log "---- last lines of $f ----"
    tail -n 40 "$f" >&2 || true
  else
    log "(no log file $f)"
  fi
}

fail() {
  log "ERROR: $1"
  shift || true
  local n
  for n in "$@"; do show_log_tail "$n"; done
  exit 1
}

# Run a ceph tool quietly, showing its output only on failure.
run_quiet() {
  local out
  if ! out="$("$@" 2>&1)"; then
    log "command failed: $*"
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

ensure_packages() {
  local b missing=0
  for b in radosgw radosgw-admin ceph-mon ceph-osd monmaptool ceph ceph-conf; do
    command -v "$b" >/dev/null 2>&1 || missing=1
  done
  ((missing)) || return 0
  ensure_debs radosgw ceph-mon ceph-osd || fail "radosgw/ceph-mon/ceph-osd are missing"
}

write_conf() {
  local fsid="$1"
  cat >"$CONF" <<EOF
# Written by scripts/local_s3.sh: a one-host Ceph cluster for a loopback S3 endpoint.
[global]
fsid = $fsid
mon initial members = a
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/\$name.pid
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush update on start = false
osd class update on start = false
mon pg warn min per osd = 0
mon osd down out interval = 0
mon data avail warn = 2
mon data avail crit = 1

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
rgw enable usage log = false
EOF
}

# Stop every daemon named in a pid file under $DIR (only if the pid is ours).
stop_daemons() {
  local d
  for d in "${DAEMONS[@]}"; do daemon_stop "$d" "$DIR/$d.pid" "$CONF"; done
}

# ---------------------------------------------------------------- commands

cmd_start() {
  daemon_lock "$LOCK"
  if [[ -d $DIR ]] && running; then
    log "already running (state in $DIR)"
    ensure_seed_user
    echo "$ENDPOINT"
    return 0
  fi
  if [[ -d $DIR ]]; then
    log "stale state in $DIR: stopping leftovers and starting fresh"
    stop_daemons
    rm -rf "$DIR"
  fi
  ensure_packages
  port_busy "$PORT" && fail "port $PORT is already in use by another process (set LAION_FMRI_RGW_PORT)"
  port_busy "$MON_PORT" && fail "monitor port $MON_PORT is already in use (set LAION_FMRI_RGW_MON_PORT)"

  local t0=$SECONDS fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  mkdir -p "$DIR"/{run,log,mon,osd,rgw}
  : >"$DIR/keyring"
  write_conf "$fsid"

  log "creating monitor (127.0.0.1:$MON_PORT)"
  run_quiet monmaptool --create --addv a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$DIR/monmap" \
    >/dev/null || fail "monmaptool failed"
  run_quiet ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >/dev/null ||
    fail "ceph-mon --mkfs failed" mon.a
  ceph-mon -c "$CONF" -i a >&2 9>&- || fail "ceph-mon failed to start" mon.a

  local ceph=(ceph -c "$CONF" --connect-timeout 20)
  log "creating osd.0 (memstore, $MEMSTORE_BYTES bytes)"
  # One uuid for both the osdmap entry and the store: without it, osd.0 sometimes
  # fails at boot with "mon_cmd_maybe_osd_create fail: 'wrong fsid'".
  local id osd_uuid
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  id="$(run_quiet "${ceph[@]}" osd create "$osd_uuid")" || fail "ceph osd create failed" mon.a client.admin
  id="$(printf '%s' "$id" | tail -n 1 | tr -dc '0-9')"
  [[ $id == 0 ]] || fail "ceph osd create returned '$id', expected 0" mon.a
  mkdir -p "$DIR/osd/ceph-0"
  run_quiet ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null || fail "ceph-osd --mkfs failed" osd.0
  ceph-osd -c "$CONF" -i 0 >&2 9>&- || fail "ceph-osd failed to start" osd.0
  run_quiet "${ceph[@]}" osd crush add osd.0 1.0 host=localhost root=default >/dev/null ||
    fail "ceph osd crush add failed" mon.a

  log "starting radosgw on $ENDPOINT"
  radosgw -c "$CONF" -n client.rgw.a >&2 9>&- || fail "radosgw failed to start" client.rgw.a

  local deadline=$((SECONDS + START_TIMEOUT)) d
  until endpoint_ok; do
    for d in "${DAEMONS[@]}"; do
      daemon_alive "$d" || fail "$d died during start-up" "$d"
    done
    ((SECONDS < deadline)) || fail "RGW did not answer 200 on $ENDPOINT/ within ${START_TIMEOUT} s" \
      client.rgw.a osd.0 mon.a
    sleep 0.5
  done
  ensure_seed_user
  log "up in $((SECONDS - t0)) s (state in $DIR)"
  echo "$ENDPOINT"
}

ensure_seed_user() {
  if radosgw-admin -c "$CONF" -n client.admin user info --uid="$SEED_UID" >/dev/null 2>&1; then
    return 0
  fi
  run_quiet radosgw-admin -c "$CONF" -n client.admin user create --uid="$SEED_UID" \
    --display-name=seed --access-key="$SEED_ACCESS" --secret-key="$SEED_SECRET" >/dev/null ||
    fail "radosgw-admin user create failed" client.admin client.rgw.a
}

cmd_stop() {
  daemon_lock "$LOCK"
  if [[ ! -d $DIR ]]; then
    log "not running (no $DIR)"
    return 0
  fi
  stop_daemons
  rm -rf "$DIR"
  log "stopped; removed $DIR"
}

cmd_status() {
  if [[ -d $DIR ]] && running; then
    echo "$ENDPOINT"
    return 0
  fi
  log "not running"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  endpoint) echo "$ENDPOINT" ;;
  *)
    echo "usage: bash scripts/local_s3.sh start|stop|status|endpoint" >&2
    exit 2
    ;;
esac
