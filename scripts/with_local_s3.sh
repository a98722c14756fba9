#!/usr/bin/env bash
# Runs a command against a real S3 on loopback, doing all set-up first:
#   1. installs the Debian packages the project needs when missing (as root;
#      scripts/_apt.sh),
#   2. starts (or reuses) the local Ceph RGW (scripts/local_s3.sh),
#   3. generates the small synthetic dataset in both layouts (deterministic;
#      cached by generator version) and seeds bucket `laion-fmri` (the seed's
#      layout and policy), bucket `laion-fmri-current` (the current layout,
#      held-out deny with the oloc carve-out) and the 2,500-key pagination
#      bucket `laion-fmri-pagination`, and bucket `templateflow` (synthetic
#      TemplateFlow templates, anonymous read),
#   4. starts the local stimulus access service (scripts/access_service.ts) for
#      the command's lifetime,
#   5. exports LAION_FMRI_S3_ENDPOINT, LAION_FMRI_ACCESS_URL, LAION_FMRI_SYNTH_DIR,
#      LAION_FMRI_SYNTH_CURRENT_DIR, LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR,
#      LAION_FMRI_TEMPLATEFLOW_ENDPOINT and (when the folder exists)
#      LAION_FMRI_SPLITS_DIR (with LAION_FMRI_REGISTER_REQUEST=1 also
#      LAION_FMRI_REQUEST_ID, a request registered on the local access
#      service), then runs "$@".
#
#   bash scripts/with_local_s3.sh [--no-server] [--buckets LIST [--access]] deno test ...
#
# With --no-server first (`deno task test:unit`), only steps 1 and 3's generation run: no RGW, no
# seeding, no access service, and LAION_FMRI_S3_ENDPOINT / LAION_FMRI_ACCESS_URL are unset, so a
# test that needs them fails with the message naming `deno task test`.
#
# With --buckets LIST (comma-separated, of laion-fmri, laion-fmri-pagination, laion-fmri-current,
# templateflow; the :offline tasks) only those buckets are generated and seeded (and only their
# variables of step 5 exported), the access service starts only with --access (it serves
# laion-fmri-current's gated images), and the tests' Python reference packages and procps are not
# installed. Without it (`deno task test`) everything runs.
#
# The server is left running for the next command (CI=true stops it at the
# end); `bash scripts/local_s3.sh stop` stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf 'with_local_s3: %s\n' "$*" >&2; }
# shellcheck source=scripts/_apt.sh
source scripts/_apt.sh

ALL_BUCKETS=(laion-fmri laion-fmri-pagination laion-fmri-current templateflow)
no_server=false
for_tests=true
access=true
buckets=("${ALL_BUCKETS[@]}")
while [[ ${1:-} == --* ]]; do
  case $1 in
    --no-server) no_server=true ;;
    --buckets)
      IFS=, read -r -a buckets <<<"${2:-}"
      for b in "${buckets[@]}"; do
        [[ " ${ALL_BUCKETS[*]} " == *" $b "* ]] ||
          { log "--buckets: no bucket '$b' (valid: ${ALL_BUCKETS[*]})" && exit 2; }
      done
      ((${#buckets[@]})) || { log "--buckets needs a list (valid: ${ALL_BUCKETS[*]})" && exit 2; }
      for_tests=false
      [[ ${access_given:-} == 1 ]] || access=false
      shift
      ;;
    --access) access=true access_given=1 ;;
    *)
      log "unknown option $1 (valid: --no-server, --buckets LIST, --access)"
      exit 2
      ;;
  esac
  shift
done
# True when bucket $1 is wanted.
wants() { [[ " ${buckets[*]} " == *" $1 "* ]]; }
if $access && ! wants laion-fmri-current; then
  log "--access serves laion-fmri-current's images: add laion-fmri-current to --buckets"
  exit 2
fi

debs=()
$no_server || command -v radosgw >/dev/null || debs+=(radosgw ceph-mon ceph-osd)
if $for_tests; then
  # The tests' independent references in Debian's Python: nibabel, h5py, Pillow, and the encoding
  # tutorial's (tests/reference/tutorial_ref.py: RidgeCV, pearsonr, pdist) and matplotlib.
  /usr/bin/python3 -c 'import nibabel, numpy' 2>/dev/null || debs+=(python3-nibabel python3-numpy)
  /usr/bin/python3 -c 'import h5py' 2>/dev/null || debs+=(python3-h5py)
  /usr/bin/python3 -c 'import PIL' 2>/dev/null || debs+=(python3-pil)
  /usr/bin/python3 -c 'import sklearn, scipy' 2>/dev/null || debs+=(python3-sklearn python3-scipy)
  /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || debs+=(python3-matplotlib)
  # ps, which tests/slurm_script_test.ts runs to find a job's processes.
  command -v ps >/dev/null || debs+=(procps)
fi
# ISA-L: the fast gzip inflate (libisal2, through FFI) and its igzip CLI (the benchmark floor).
[[ -e /usr/lib/x86_64-linux-gnu/libisal.so.2 && -x /usr/bin/igzip ]] || debs+=(libisal2 isal)
# OpenBLAS (dgemm_/dsyevd_ through FFI, lib/analysis) and the plots' font (DejaVu Sans, sharp/librsvg).
compgen -G '/usr/lib/*/libopenblas.so.0' >/dev/null || debs+=(libopenblas0-pthread)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || debs+=(fonts-dejavu-core)
# Jupyter is installed by scripts/jupyter_kernel.sh, which the notebook tests run; Slurm by
# scripts/slurm.sh, which the Slurm tests run.
ensure_debs "${debs[@]}" || exit 1

if $no_server; then
  unset LAION_FMRI_S3_ENDPOINT LAION_FMRI_ACCESS_URL LAION_FMRI_REQUEST_ID LAION_FMRI_TEMPLATEFLOW_ENDPOINT
else
  endpoint="$(bash scripts/local_s3.sh start)"
  export LAION_FMRI_S3_ENDPOINT="$endpoint"
fi

splits="$(cd "$ROOT/.." && pwd)/shared/laion-fmri-splits"
if [[ -z ${LAION_FMRI_SPLITS_DIR:-} && -d $splits ]]; then export LAION_FMRI_SPLITS_DIR="$splits"; fi

# Regenerate only when the generator's code or the split data changed: the stamp hashes the code
# (sharp's pin decides the JPEG bytes of the stimulus images) and the split folder's file list
# with sizes and modification times.
stamp="$( (cat scripts/generate.ts scripts/synth/*.ts scripts/synth/hdf5/*.ts lib/formats/nifti_write.ts lib/formats/hdf5_*.ts \
  lib/formats/png_write.ts lib/formats/voxel_order.ts lib/core/fs.ts lib/core/pool.ts \
  lib/core/constants.ts 2>/dev/null; grep '"sharp"' deno.json
  if [[ -n ${LAION_FMRI_SPLITS_DIR:-} ]]; then
    find "$LAION_FMRI_SPLITS_DIR" -type f -printf '%P %s %T@\n' 2>/dev/null | sort
  fi) |
  sha256sum | cut -c1-16)-${LAION_FMRI_SPLITS_DIR:-none}"
generate() { # out-dir generate.ts-args...
  local out="$1"
  shift
  if [[ ! -f $out/.stamp || "$(cat "$out/.stamp")" != "$stamp" ]]; then
    rm -rf "$out"
    deno run --allow-read --allow-write="$(dirname "$out")" --allow-env --allow-ffi \
      scripts/generate.ts "$@" --out "$out" >&2
    printf '%s' "$stamp" >"$out/.stamp"
  fi
}
synth="${LAION_FMRI_SYNTH_DIR:-$ROOT/.scratch/synth-small}"
current="${LAION_FMRI_SYNTH_CURRENT_DIR:-$ROOT/.scratch/synth-current-small}"
# The synthetic TemplateFlow bucket (fsaverage icospheres, MNI305 T1w; scripts/synth/templateflow.ts).
templateflow="${LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR:-$ROOT/.scratch/synth-templateflow}"
if wants laion-fmri; then
  generate "$synth" --size small --layout seed
  export LAION_FMRI_SYNTH_DIR="$synth"
fi
if wants laion-fmri-current; then
  generate "$current" --size small --layout current
  export LAION_FMRI_SYNTH_CURRENT_DIR="$current"
fi
if wants templateflow; then
  generate "$templateflow" --only templateflow
  export LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR="$templateflow"
fi
if $no_server; then
  exec "$@"
fi
seed() { deno run --allow-read --allow-write=/tmp --allow-net=127.0.0.1 --allow-env scripts/seed.ts --endpoint "$endpoint" "$@" >&2; }
wants laion-fmri && seed --from "$synth/bucket"
wants laion-fmri-pagination && seed --pagination
wants laion-fmri-current && seed --from "$current/bucket" --bucket laion-fmri-current --policy current
if wants templateflow; then
  seed --from "$templateflow/bucket" --bucket templateflow --policy public
  # Templates (lib/templates) come from the local `templateflow` bucket, never from AWS.
  export LAION_FMRI_TEMPLATEFLOW_ENDPOINT="$endpoint"
fi

# The local stimulus access service (scripts/access_service.ts: manifest, access form, presigned
# URLs to the gated images of laion-fmri-current) for the wrapped command; stopped when it ends.
start_access_service() {
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
}
if $access; then start_access_service; fi

status=0
"$@" || status=$?
if [[ ${CI:-} == true ]]; then bash scripts/local_s3.sh stop || true; fi
exit "$status"
