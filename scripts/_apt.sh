# Debian packages for the scripts, one way (sourced by scripts/with_local_s3.sh, local_s3.sh,
# slurm.sh and jupyter_kernel.sh):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
#   ensure_debs radosgw ceph-mon ceph-osd || exit 1
#
# ensure_debs installs the named packages that dpkg does not list as installed (callers pass the
# ones whose program or module they found missing). As root it runs `apt-get update` at most once
# per run — the first call exports LAION_FMRI_APT_UPDATED=1, which the scripts and tests it
# starts inherit — and always waits up to 300 s for another apt/dpkg to let go of the lock (CI
# images run unattended upgrades; parallel test processes install at the same time). Not root: it
# says which command to run and returns 1.

# The installed state of a package, "install ok installed" when it is; empty when dpkg does not
# know it (or there is no dpkg).
_deb_status() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true; }

ensure_debs() {
  local who missing=() p
  who="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"
  for p in "$@"; do
    [[ "$(_deb_status "$p")" == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) != 0 ]]; then
    printf '%s: missing Debian packages: %s (run as root, or: sudo apt-get install -y %s)\n' \
      "$who" "${missing[*]}" "${missing[*]}" >&2
    return 1
  fi
  printf '%s: installing %s (apt-get)\n' "$who" "${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [[ ${LAION_FMRI_APT_UPDATED:-} != 1 ]]; then
    apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || {
      printf '%s: apt-get update failed\n' "$who" >&2
      return 1
    }
    export LAION_FMRI_APT_UPDATED=1
  fi
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2 || {
    printf '%s: apt-get install %s failed\n' "$who" "${missing[*]}" >&2
    return 1
  }
}
