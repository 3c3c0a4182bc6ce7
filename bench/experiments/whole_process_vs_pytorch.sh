#!/usr/bin/env bash
# Issue #13: the whole process against PyTorch, each timed from start to exit as a user
# runs it: `scaleout train` of the reference MLP for EPOCHS epochs (loading, an evaluation
# per epoch, checkpoints, the saved models) against `bench/pytorch_mlp.py --whole EPOCHS`
# (the same network, optimiser, batch and data; loading, an evaluation per epoch, the saved
# model). One thread each (PyTorch: OMP and BLAS threads 1), and the two cores (scaleout: 2
# worker threads; PyTorch: 1 intra-op thread and 2 BLAS threads, its best 2-core setting in
# bench/vs_pytorch.sh runs). Alternating, RUNS times each; prints every wall time, the
# medians and scaleout's speed over PyTorch's. The decoded-data cache is warm after the
# first scaleout run; PyTorch decodes the gzip files every run (as its script would).
#
#   bench/experiments/whole_process_vs_pytorch.sh [RUNS=3] [EPOCHS=2]
#   PYTHON   interpreter to try first (else python3, then /usr/bin/python3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT:-$root/build/app/scaleout}
runs=${1:-3}
epochs=${2:-2}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout at $bin (build it, or set SCALEOUT)" >&2; exit 2; }
py=""
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do  # a pyenv python3 may shadow Debian's
  if "$candidate" -c "import torch" 2>/dev/null; then py=$candidate; break; fi
done
[[ -n $py ]] || { echo "SKIPPED: no python3 can import torch (Debian: apt-get install python3-torch; or set PYTHON)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache
echo "reference MLP, $epochs epoch(s), whole process; $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
declare -A walls=()
timed() {  # KEY COMMAND...: runs it, appends its wall time to walls[KEY], prints a line
  local key=$1 start end wall
  shift
  start=$(date +%s.%N)
  "$@" >"$work/log" 2>&1 || { echo "$key failed:"; tail -5 "$work/log"; exit 1; }
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  walls[$key]+="$wall "
  printf '%-10s wall %6.2f s  %s\n' "$key" "$wall" "$(grep -E '^accuracy|test accuracy [0-9.]+$' "$work/log" | tail -1 | cut -c1-40)"
}
for ((i = 1; i <= runs; i++)); do
  for t in 1 2; do
    rm -rf "$work/run"
    timed "scaleout-$t" "$bin" train "$root/resources/confs/reference-mlp.json" --threads "$t" --set finetuneEpochs="$epochs" --out "$work/run"
    timed "pytorch-$t" "$py" "$root/bench/pytorch_mlp.py" --whole "$epochs" --threads 1 --blas-threads "$t" --save "$work/model.pt"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for t in 1 2; do
  s=$(median "${walls[scaleout-$t]}")
  p=$(median "${walls[pytorch-$t]}")
  awk -v s="$s" -v p="$p" -v t="$t" -v n="$((60000 * epochs))" 'BEGIN {
    printf "%s core(s): scaleout %.2f s (%.0f samples/s), pytorch %.2f s (%.0f samples/s): scaleout %.2fx PyTorch (medians of the walls)\n",
      t, s, n / s, p, n / p, p / s }'
done
