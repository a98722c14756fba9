#!/usr/bin/env bash
# Runs a command against a real S3 on loopback, doing all set-up first:
#   1. installs the Debian packages the project needs when missing (as root),
#   2. starts (or reuses) the local Ceph RGW (scripts/local_s3.sh),
#   3. generates the small synthetic dataset in both layouts (deterministic;
#      cached by generator version) and seeds bucket `laion-fmri` (the seed's
#      layout and policy), bucket `laion-fmri-current` (the current layout,
#      held-out deny with the oloc carve-out) and the 2,500-key pagination
#      bucket, and bucket `templateflow` (synthetic TemplateFlow templates,
#      anonymous read),
#   4. starts the local stimulus access service (scripts/access_service.ts) for
#      the command's lifetime,
#   5. exports LAION_FMRI_S3_ENDPOINT, LAION_FMRI_ACCESS_URL, LAION_FMRI_SYNTH_DIR,
#      LAION_FMRI_SYNTH_CURRENT_DIR, LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR,
#      LAION_FMRI_TEMPLATEFLOW_ENDPOINT and (when the folder exists)
#      LAION_FMRI_SPLITS_DIR (with LAION_FMRI_REGISTER_REQUEST=1 also
#      LAION_FMRI_REQUEST_ID, a request registered on the local access
#      service), then runs "$@".
#
#   bash scripts/with_local_s3.sh deno test ...
#
# With --no-server first (`deno task test:unit`), only steps 1 and 3's generation run: no RGW, no
# seeding, no access service, and LAION_FMRI_S3_ENDPOINT / LAION_FMRI_ACCESS_URL are unset, so a
# test that needs them fails with the message naming `deno task test`.
#
# The server is left running for the next command (CI=true stops it at the
# end); `bash scripts/local_s3.sh stop` stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf 'with_local_s3: %s\n' "$*" >&2; }
no_server=false
if [[ ${1:-} == --no-server ]]; then
  no_server=true
  shift
fi

need_pkgs=()
$no_server || command -v radosgw >/dev/null || need_pkgs+=(radosgw ceph-mon ceph-osd)
/usr/bin/python3 -c 'import nibabel, numpy' 2>/dev/null || need_pkgs+=(python3-nibabel python3-numpy)
/usr/bin/python3 -c 'import h5py' 2>/dev/null || need_pkgs+=(python3-h5py)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || need_pkgs+=(python3-pil)
# The encoding tutorial's independent reference (tests/reference/tutorial_ref.py): RidgeCV, pearsonr, pdist.
/usr/bin/python3 -c 'import sklearn, scipy' 2>/dev/null || need_pkgs+=(python3-sklearn python3-scipy)
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need_pkgs+=(python3-matplotlib)
# ISA-L: the fast gzip inflate (libisal2, through FFI) and its igzip CLI (the benchmark floor).
[[ -e /usr/lib/x86_64-linux-gnu/libisal.so.2 && -x /usr/bin/igzip ]] || need_pkgs+=(libisal2 isal)
# OpenBLAS (dgemm_/dsyevd_ through FFI, lib/analysis) and the plots' font (DejaVu Sans, sharp/librsvg).
compgen -G '/usr/lib/*/libopenblas.so.0' >/dev/null || need_pkgs+=(libopenblas0-pthread)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need_pkgs+=(fonts-dejavu-core)
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

if $no_server; then
  unset LAION_FMRI_S3_ENDPOINT LAION_FMRI_ACCESS_URL LAION_FMRI_REQUEST_ID LAION_FMRI_TEMPLATEFLOW_ENDPOINT
else
  endpoint="$(bash scripts/local_s3.sh start)"
  export LAION_FMRI_S3_ENDPOINT="$endpoint"
fi

splits="$(cd "$ROOT/.." && pwd)/shared/laion-fmri-splits"
if [[ -z ${LAION_FMRI_SPLITS_DIR:-} && -d $splits ]]; then export LAION_FMRI_SPLITS_DIR="$splits"; fi

# Regenerate only when the generator's code or the split data changed.
# (sharp's pin decides the JPEG bytes of the stimulus images)
stamp="$( (cat scripts/generate.ts scripts/synth/*.ts scripts/synth/hdf5/*.ts lib/formats/nifti_write.ts lib/formats/hdf5_*.ts \
  lib/formats/png_write.ts lib/formats/voxel_order.ts lib/core/fs.ts lib/core/pool.ts \
  lib/core/constants.ts 2>/dev/null; grep '"sharp"' deno.json) |
  sha256sum | cut -c1-16)-${LAION_FMRI_SPLITS_DIR:-none}"
generate() { # layout dir
  if [[ ! -f $2/.stamp || "$(cat "$2/.stamp")" != "$stamp" ]]; then
    rm -rf "$2"
    deno run --allow-read --allow-write="$(dirname "$2")" --allow-env --allow-ffi \
      scripts/generate.ts --size small --layout "$1" --out "$2" >&2
    printf '%s' "$stamp" >"$2/.stamp"
  fi
}
synth="${LAION_FMRI_SYNTH_DIR:-$ROOT/.scratch/synth-small}"
current="${LAION_FMRI_SYNTH_CURRENT_DIR:-$ROOT/.scratch/synth-current-small}"
export LAION_FMRI_SYNTH_DIR="$synth" LAION_FMRI_SYNTH_CURRENT_DIR="$current"
generate seed "$synth"
generate current "$current"
# The synthetic TemplateFlow bucket (fsaverage icospheres, MNI305 T1w; scripts/synth/templateflow.ts).
templateflow="${LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR:-$ROOT/.scratch/synth-templateflow}"
if [[ ! -f $templateflow/.stamp || "$(cat "$templateflow/.stamp")" != "$stamp" ]]; then
  rm -rf "$templateflow"
  deno run --allow-read --allow-write="$(dirname "$templateflow")" --allow-env \
    scripts/generate.ts --only templateflow --out "$templateflow" >&2
  printf '%s' "$stamp" >"$templateflow/.stamp"
fi
export LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR="$templateflow"
if $no_server; then
  exec "$@"
fi
seed() { deno run --allow-read --allow-write=/tmp --allow-net=127.0.0.1 --allow-env scripts/seed.ts --endpoint "$endpoint" "$@" >&2; }
seed --from "$synth/bucket" --pagination
seed --from "$current/bucket" --bucket laion-fmri-current --policy current
seed --from "$templateflow/bucket" --bucket templateflow --policy public
# Templates (lib/templates) come from the local `templateflow` bucket, never from AWS.
export LAION_FMRI_TEMPLATEFLOW_ENDPOINT="$endpoint"

# The local stimulus access service (scripts/access_service.ts: manifest, access form, presigned
# URLs to the gated images of laion-fmri-current) for the wrapped command; stopped when it ends.
access_out="$(mktemp)"
deno run --allow-net=127.0.0.1 --allow-env --allow-read scripts/access_service.ts \
  --endpoint "$endpoint" --bucket laion-fmri-current --port "${LAION_FMRI_ACCESS_PORT:-0}" \
  >"$access_out" 2>&1 &
access_pid=$!
trap 'kill "$access_pid" 2>/dev/null || true; rm -f "$access_out"' EXIT
for _ in $(seq 1 200); do [[ -s $access_out ]] && break; sleep 0.1; done
access_url="$(head -n1 "$access_out")"
if [[ $access_url != http://* ]]; then
  log "the access service did not start: $(cat "$access_out")"
  exit 1
fi
export LAION_FMRI_ACCESS_URL="$access_url"
# Opt-in for the :offline tasks: a request registered on the local service and handed over in
# LAION_FMRI_REQUEST_ID, so examples and notebooks need nobody's access form. Tests register
# their own (tests/_access_fixture.ts).
if [[ ${LAION_FMRI_REGISTER_REQUEST:-} == 1 ]]; then
  LAION_FMRI_REQUEST_ID="$(deno run --allow-net=127.0.0.1 scripts/register_request.ts "$access_url")"
  export LAION_FMRI_REQUEST_ID
fi

status=0
"$@" || status=$?
if [[ ${CI:-} == true ]]; then bash scripts/local_s3.sh stop || true; fi
exit "$status"
