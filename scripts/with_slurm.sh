#!/usr/bin/env bash
# Runs a command with the single-node Slurm cluster of scripts/slurm.sh up (started, and its
# Debian packages slurm-wlm and munge installed as root, when missing) and SLURM_CONF exported,
# so sbatch/squeue/scancel in "$@" talk to it:
#
#   bash scripts/with_slurm.sh sbatch --array=0-3 plan/encode.sbatch
#   bash scripts/with_local_s3.sh bash scripts/with_slurm.sh deno test ... tests/encode_job_test.ts
#
# The cluster is left running for the next command (CI=true stops it at the end);
# `bash scripts/slurm.sh stop` stops it. The Slurm tests start it themselves (tests/_slurm.ts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLURM_CONF="$(bash "$ROOT/scripts/slurm.sh" start)"
export SLURM_CONF
status=0
"$@" || status=$?
if [[ ${CI:-} == true ]]; then bash "$ROOT/scripts/slurm.sh" stop || true; fi
exit "$status"
