#!/usr/bin/env bash
# Runs a command against a real S3 on loopback, doing all set-up first:
#   1. installs the Debian packages the project needs when missing (as root),
#   2. starts (or reuses) the local Ceph RGW (scripts/local_s3.sh),
#   3. generates the small synthetic dataset (deterministic; cached by seed
#      and generator version) and seeds bucket `laion-fmri` with the real
#      bucket's policy, plus the 2,500-key pagination bucket,
#   4. exports LAION_FMRI_S3_ENDPOINT, LAION_FMRI_SYNTH_DIR and (when the
#      folder exists) LAION_FMRI_SPLITS_DIR, then runs "$@".
#
#   bash scripts/with_local_s3.sh deno test ...
#
# The server is left running for the next command (CI=true stops it at the
# end); `bash scripts/local_s3.sh stop` stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf 'with_local_s3: %s\n' "$*" >&2; }

need_pkgs=()
command -v radosgw >/dev/null || need_pkgs+=(radosgw ceph-mon ceph-osd)
/usr/bin/python3 -c 'import nibabel, numpy' 2>/dev/null || need_pkgs+=(python3-nibabel python3-numpy)
/usr/bin/python3 -c 'import h5py' 2>/dev/null || need_pkgs+=(python3-h5py)
# Jupyter is installed by scripts/jupyter_kernel.sh, which the notebook tests run.
if ((${#need_pkgs[@]})); then
  if [[ $(id -u) != 0 ]]; then
    log "missing Debian packages: ${need_pkgs[*]} (run as root or: sudo apt-get install -y ${need_pkgs[*]})"
    exit 1
  fi
  log "installing ${need_pkgs[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

endpoint="$(bash scripts/local_s3.sh start)"
export LAION_FMRI_S3_ENDPOINT="$endpoint"

splits="$(cd "$ROOT/.." && pwd)/shared/laion-fmri-splits"
if [[ -z ${LAION_FMRI_SPLITS_DIR:-} && -d $splits ]]; then export LAION_FMRI_SPLITS_DIR="$splits"; fi

synth="${LAION_FMRI_SYNTH_DIR:-$ROOT/.scratch/synth-small}"
export LAION_FMRI_SYNTH_DIR="$synth"
# Regenerate only when the generator's code or the split data changed.
stamp="$(cat scripts/generate.ts scripts/synth/*.ts lib/formats/nifti_write.ts 2>/dev/null |
  sha256sum | cut -c1-16)-${LAION_FMRI_SPLITS_DIR:-none}"
if [[ ! -f $synth/.stamp || "$(cat "$synth/.stamp")" != "$stamp" ]]; then
  rm -rf "$synth"
  deno run --allow-read --allow-write="$(dirname "$synth")" --allow-env \
    scripts/generate.ts --size small --out "$synth" >&2
  printf '%s' "$stamp" >"$synth/.stamp"
fi
deno run --allow-read --allow-write=/tmp --allow-net=127.0.0.1 --allow-env \
  scripts/seed.ts --endpoint "$endpoint" --from "$synth/bucket" --pagination >&2

status=0
"$@" || status=$?
if [[ ${CI:-} == true ]]; then bash scripts/local_s3.sh stop || true; fi
exit "$status"
