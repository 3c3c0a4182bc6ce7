#!/usr/bin/env bash
# Installs what is missing, builds, and starts Scaleout Studio.
# With no arguments: trains the default conf (an MLP on Fashion-MNIST) headless.
# With arguments: passes them to the program, e.g. scripts/run.sh knobs
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
if [[ $# -eq 0 ]]; then
  exec build/app/scaleout train resources/confs/mlp-fashion-mnist.json --out runs/default
fi
exec build/app/scaleout "$@"
