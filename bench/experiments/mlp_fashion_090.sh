#!/usr/bin/env bash
# README's "MLP at 0.90" figure: resources/confs/mlp-fashion-mnist-90.json (512-256 ReLU,
# cosine learning-rate schedule with 1 warm-up epoch, 30 epochs, 2 workers fixed) on
# Fashion-MNIST, final test accuracy per seed and the mean.
#
#   bench/experiments/mlp_fashion_090.sh [SEEDS="123 11 22"]
#
# About 30 s per seed on 2 cores. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
seeds=${1:-123 11 22}
conf=$root/resources/confs/mlp-fashion-mnist-90.json
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout binary at $bin (build it, or set SCALEOUT_BINARY)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "mlp-fashion-mnist-90.json; $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
sum=0; n=0
for s in $seeds; do
  "$bin" train "$conf" --set seed="$s" --set checkpointEveryEpochs=0 --out "$work/run" >"$work/log" 2>&1 ||
    { echo "run failed (seed $s)" >&2; tail -n 5 "$work/log" >&2; exit 1; }
  a=$(grep -A1 '^final evaluation' "$work/log" | grep -m1 -oP '^accuracy \K[0-9.]+')
  echo "seed $s: $a ($(grep -oP 'trained \d+ iterations in [0-9.]+ s' "$work/log"))"
  sum=$(echo "$sum + $a" | bc -l); n=$((n + 1))
done
printf 'mean over %d seeds: %.4f\n' "$n" "$(echo "$sum / $n" | bc -l)"
