#!/usr/bin/env bash
# Accuracy and wall time of the two-host cluster over many seeds (issue #12), against one
# host's accuracy for the same seeds. A cluster's accuracy moves by a point or more from
# run to run, so a comparison of two code states wants a dozen seeds; one host with one
# thread is deterministic per seed, so its accuracy needs no namespaces.
#
#   bench/experiments/cluster_seeds.sh [FIRST=1] [LAST=12] [RATE=1gbit]
#
# Prints "seed wall_s accuracy" per cluster run (bench/cluster_network.sh --cluster-only,
# CURVE on, reference MLP, 5 epochs), then "seed accuracy" per one-host run, then the
# means. Root (network namespaces). About 20 s per cluster seed and 17 s per one-host seed
# on the 2-core VM. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
first=${1:-1}
last=${2:-12}
rate=${3:-1gbit}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout binary at $bin (build it, or set SCALEOUT_BINARY)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "cluster (master + 1 worker, $rate):"
cluster=()
for ((s = first; s <= last; s++)); do
  row=$("$root/bench/cluster_network.sh" --seeds 1 --rates "$rate" --cluster-only --scaleout "$bin" --set "seed=$s" 2>&1 |
    awk -v s="$s" '$1 == "'"$rate"'" && $2 == "master" { print s, $7, $10 }')
  [[ -n $row ]] || { echo "seed $s: the cluster run gave no result row" >&2; exit 1; }
  echo "  $row"
  cluster+=("$row")
done

echo "one host (1 thread, same seeds):"
alone=()
for ((s = first; s <= last; s++)); do
  taskset -c 0 "$bin" train "$root/resources/confs/reference-mlp.json" --threads 1 --set finetuneEpochs=5 \
    --set checkpointEveryEpochs=0 --set "seed=$s" --out "$work/run" >"$work/log" 2>&1 ||
    { echo "seed $s: one-host run failed" >&2; tail -n 5 "$work/log" >&2; exit 1; }
  acc=$(grep -A1 '^final evaluation' "$work/log" | grep -m1 -oP '^accuracy \K[0-9.]+')
  echo "  $s $acc"
  alone+=("$s $acc")
done

printf '%s\n' "${cluster[@]}" >"$work/cluster"
printf '%s\n' "${alone[@]}" >"$work/alone"
awk 'NR == FNR { a[$1] = $2; next } { w += $2; c += $3; d += $3 - a[$1]; n++ }
  END { printf "means over %d seeds: cluster wall %.2f s, cluster accuracy %.4f, one host %.4f, difference %+.2f points\n",
        n, w / n, c / n, (c - d) / n, 100 * d / n }' "$work/alone" "$work/cluster"
