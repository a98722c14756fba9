#!/usr/bin/env bash
# Makes the notebooks runnable headless:
#   1. Debian's Jupyter (nbconvert, nbclient, jupyter_client, ipykernel) for
#      /usr/bin/python3, installed with apt-get when missing (as root);
#   2. the Deno kernel spec (`deno jupyter --install`), installed once: it is
#      skipped when ~/.local/share/jupyter/kernels/deno/kernel.json exists and
#      points at a deno binary that still exists (otherwise reinstalled with
#      --force).
# Prints the jupyter to call (always /usr/bin/jupyter: the `python3` first on
# PATH may be a pyenv build without these packages).
#
#   bash scripts/jupyter_kernel.sh
set -euo pipefail
log() { printf 'jupyter_kernel: %s\n' "$*" >&2; }
# shellcheck source=scripts/_apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"

JUPYTER=/usr/bin/jupyter
if [[ ! -x $JUPYTER ]] ||
  ! /usr/bin/python3 -c 'import nbclient, nbconvert, jupyter_client, ipykernel' 2>/dev/null; then
  ensure_debs jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel || exit 1
fi

# `deno jupyter --install` ignores JUPYTER_DATA_DIR and always writes here.
spec="${HOME:?HOME must be set}/.local/share/jupyter/kernels/deno/kernel.json"
deno_bin="$(command -v deno || true)"
if [[ -z $deno_bin ]]; then
  log "deno is not on PATH"
  exit 1
fi
if [[ -f $spec ]]; then
  # The first argv entry is the deno binary the kernel starts.
  kernel_deno="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$spec" 2>/dev/null || true)"
  if [[ -n $kernel_deno && -x $kernel_deno ]]; then
    log "deno kernel already installed ($spec)"
  else
    log "deno kernel spec is stale (argv[0]='${kernel_deno}'), reinstalling"
    "$deno_bin" jupyter --install --force >&2
  fi
else
  log "installing the deno kernel"
  "$deno_bin" jupyter --install >&2
fi

if ! "$JUPYTER" kernelspec list 2>/dev/null | grep -E '^\s*deno\s' >/dev/null; then
  log "jupyter does not see the deno kernel (check JUPYTER_PATH / JUPYTER_DATA_DIR)"
  exit 1
fi
echo "$JUPYTER"
