#!/usr/bin/env bash
# The outer optimizer (outerMomentum, outerLearningRate) on local workers: the reference
# MLP for EPOCHS epochs, per setting the final test accuracy of each seed, their mean, the
# difference to one worker in points and the mean wall time of a run (whole process).
# Writes a Markdown table to stdout. The cluster's figures come from
# bench/cluster_network.sh --set outerMomentum=... (docs/cluster.md, "Outer optimizer").
#
#   bench/experiments/outer_optimizer.sh [EPOCHS=5] [SEEDS="1 2 3"] [THREADS=2]
#
# About 3 minutes on 2 cores with the defaults. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are
# unset (OpenBLAS picks its kernels itself).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
epochs=${1:-5}
seeds=${2:-1 2 3}
threads=${3:-2}
conf=$root/resources/confs/reference-mlp.json
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout binary at $bin (build it, or set SCALEOUT_BINARY)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run: prints "ACCURACY SECONDS".
run() {  # threads seed --set ...
  local t=$1 s=$2
  shift 2
  local t0=$EPOCHREALTIME
  "$bin" train "$conf" --set finetuneEpochs="$epochs" --set checkpointEveryEpochs=0 --set seed="$s" "$@" \
    --threads "$t" --out "$work/run" >"$work/log" 2>&1 ||
    { echo "run failed: threads $t seed $s $*" >&2; tail -n 5 "$work/log" >&2; exit 1; }
  local t1=$EPOCHREALTIME
  echo "$(grep -A1 '^final evaluation' "$work/log" | grep -m1 -oP '^accuracy \K[0-9.]+') $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
}
# setting LABEL THREADS --set ...: one table row.
base=""
setting() {
  local label=$1 t=$2
  shift 2
  local accs=() walls=() r
  for s in $seeds; do
    r=$(run "$t" "$s" "$@")
    accs+=("${r% *}")
    walls+=("${r#* }")
  done
  local acc wall
  acc=$(printf '%s\n' "${accs[@]}" | awk '{s += $1; n++} END {printf "%.4f", s / n}')
  wall=$(printf '%s\n' "${walls[@]}" | awk '{s += $1; n++} END {printf "%.1f", s / n}')
  [[ -z $base ]] && base=$acc
  echo "| $label | $t | ${accs[*]} | $acc | $(awk -v a="$acc" -v b="$base" 'BEGIN { printf "%+.2f", 100 * (a - b) }') | $wall s |"
}

echo "reference MLP, $epochs epochs, seeds $seeds; $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| setting | workers | accuracy per seed | mean | vs 1 worker (points) | wall per run |"
echo "|---|---|---|---|---|---|"
setting "1 worker" 1
setting "averagingFrequency 5 (the conf)" "$threads"
setting "averagingFrequency 40" "$threads" --set averagingFrequency=40
setting "averagingFrequency 40, outerMomentum 0.8, outerLearningRate 0.7" "$threads" \
  --set averagingFrequency=40 --set outerMomentum=0.8 --set outerLearningRate=0.7
setting "averagingFrequency 40, outerMomentum 0.9, outerLearningRate 0.7" "$threads" \
  --set averagingFrequency=40 --set outerMomentum=0.9 --set outerLearningRate=0.7
