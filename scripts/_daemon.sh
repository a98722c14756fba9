# Starting and stopping our own daemons safely, shared by scripts/local_s3.sh (Ceph) and
# scripts/slurm.sh (munge, Slurm). Sourced; the caller defines `log MESSAGE...` and
# `fail MESSAGE [LOG...]` (which exits).
#
# A daemon is recognised by its pid file AND by a mark on its command line (the caller's config
# path, or munge's key): a pid the kernel has handed to another process since is never
# signalled, and nothing is killed by name.

# Takes an exclusive lock on file $1 (fd 9) for this script's lifetime, waiting up to 300 s, so
# concurrent start/stop calls run one after another. Start the daemons with fd 9 closed (9>&-)
# so they never inherit (and hold) the lock.
daemon_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  flock -w 300 9 || fail "could not take lock $1 within 300 s"
}

# True when pid $1 is a live (non-zombie) process whose command line contains $2.
pid_is_ours() {
  local pid="$1" mark="$2" state
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ -n $state && $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

# Prints the pid in pid file $1 when that process is ours (see pid_is_ours, mark $2).
daemon_pid() {
  local pid
  [[ -f $1 ]] || return 1
  pid="$(tr -dc '0-9' 2>/dev/null <"$1")" || return 1
  pid_is_ours "$pid" "$2" || return 1
  printf '%s\n' "$pid"
}

# Stops daemon $1 (pid file $2, mark $3) when it is ours: SIGTERM, SIGKILL after 20 s, then up to
# 10 s more for it to go. It waits on the pid it signalled (not the pid file, which a daemon may
# remove before it has exited).
daemon_stop() {
  local name="$1" file="$2" mark="$3" pid k=0
  pid="$(daemon_pid "$file" "$mark")" || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while pid_is_ours "$pid" "$mark"; do
    if ((k == 200)); then # 20 s in 0.1 s steps
      log "$name (pid $pid) still alive after 20 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    ((k < 300)) || break
    sleep 0.1
    k=$((k + 1))
  done
}
