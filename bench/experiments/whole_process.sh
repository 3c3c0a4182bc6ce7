#!/usr/bin/env bash
# Issue #13: `scaleout train` as a user runs it, timed from start to exit (loading, every
# epoch's evaluation, checkpoints and the final save included): the reference MLP for
# EPOCHS epochs with 1 and 2 worker threads, alternating, RUNS times each. Prints each wall
# time, the medians, samples/s over the whole process (60,000 x EPOCHS / wall) and the
# 2-over-1 ratio. The decoded-data cache is warm after the first run (as for a user's
# second run); pass --cold to clear it before every run.
#
#   bench/experiments/whole_process.sh [RUNS=3] [EPOCHS=2] [--cold]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT:-$root/build/app/scaleout}
runs=${1:-3}
epochs=${2:-2}
cold=0
[[ ${3:-} == --cold ]] && cold=1
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout at $bin (build it, or set SCALEOUT)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache
echo "scaleout train reference-mlp.json, $epochs epoch(s); $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
declare -A walls=([1]="" [2]="")
for ((i = 1; i <= runs; i++)); do
  for t in 1 2; do
    ((cold)) && rm -rf "$XDG_CACHE_HOME"
    rm -rf "$work/run"
    start=$(date +%s.%N)
    "$bin" train "$root/resources/confs/reference-mlp.json" --threads "$t" --set finetuneEpochs="$epochs" --out "$work/run" >"$work/log" 2>&1 ||
      { echo "run failed:"; tail -5 "$work/log"; exit 1; }
    end=$(date +%s.%N)
    wall=$(echo "$end - $start" | bc)
    walls[$t]+="$wall "
    printf 'threads %d  wall %6.2f s  %s\n' "$t" "$wall" "$(grep -m1 '^accuracy' "$work/log" | cut -c1-15)"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m1=$(median "${walls[1]}")
m2=$(median "${walls[2]}")
awk -v m1="$m1" -v m2="$m2" -v n="$((60000 * epochs))" 'BEGIN {
  printf "median wall: 1 thread %.2f s (%.0f samples/s), 2 threads %.2f s (%.0f samples/s); 2 over 1: %.2fx\n", m1, n / m1, m2, n / m2, m1 / m2 }'
