#!/usr/bin/env bash
# Installs what is missing, builds, and starts Scaleout Studio.
# With no arguments: the desktop application when a display is available, otherwise a
# headless training run of the default conf (an MLP on Fashion-MNIST).
# With arguments: passes them to the program, e.g. scripts/run.sh knobs
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
if [[ $# -gt 0 ]]; then
  exec build/app/scaleout "$@"
fi
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  exec build/app/scaleout gui
fi
echo "run.sh: no display found; training the default conf headless (scripts/run.sh gui for the window)"
exec build/app/scaleout train resources/confs/mlp-fashion-mnist.json --out runs/default
