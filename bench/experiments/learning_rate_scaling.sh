#!/usr/bin/env bash
# README's learningRateScaling table: the reference MLP trained by 1, 2 and 4 local workers
# (iterative reduce, averaging every 5 minibatches, finetuneLearningRate 0.01) for EPOCHS
# epochs, with each learningRateScaling choice, final test accuracy as a mean over seeds,
# and the difference to one worker in points. Writes a Markdown table to stdout.
#
#   bench/experiments/learning_rate_scaling.sh [EPOCHS=5] [SEEDS="123 11 22 33"] [SCALINGS="none sqrt linear"]
#
# About 20-25 minutes on 2 cores with the defaults. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
# are unset (OpenBLAS picks its kernels itself). 4 workers on 2 cores is the same
# computation as on 4 cores, only slower: the accuracy does not depend on the core count.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
epochs=${1:-5}
seeds=${2:-123 11 22 33}
scalings=${3:-none sqrt linear}
conf=$root/resources/confs/reference-mlp.json
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout binary at $bin (build it, or set SCALEOUT_BINARY)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Final test accuracy of one run.
run() {  # threads scaling seed
  "$bin" train "$conf" --set finetuneEpochs="$epochs" --set averagingFrequency=5 --set finetuneLearningRate=0.01 \
    --set checkpointEveryEpochs=0 --set seed="$3" --set learningRateScaling="$2" --threads "$1" --out "$work/run" \
    >"$work/log" 2>&1 || { echo "run failed: threads $1 scaling $2 seed $3" >&2; tail -n 5 "$work/log" >&2; exit 1; }
  grep -A1 '^final evaluation' "$work/log" | grep -m1 -oP '^accuracy \K[0-9.]+'
}
mean() { echo "$@" | tr ' ' '\n' | awk '{s += $1; n++} END {printf "%.4f", s / n}'; }

echo "reference MLP, $epochs epochs, averaging every 5, seeds $seeds; $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
one=()
for s in $seeds; do one+=("$(run 1 none "$s")"); done
base=$(mean "${one[@]}")
echo
echo "1 worker: mean $base (per seed: ${one[*]})"
echo
echo "| learningRateScaling | 2 workers | 4 workers |"
echo "|---|---|---|"
for scaling in $scalings; do
  row="| $scaling |"
  for threads in 2 4; do
    accs=()
    for s in $seeds; do accs+=("$(run "$threads" "$scaling" "$s")"); done
    m=$(mean "${accs[@]}")
    row+=" $m ($(echo "($m - $base) * 100" | bc -l | xargs printf '%+.2f')) |"
  done
  echo "$row"
done
