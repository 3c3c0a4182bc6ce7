#!/usr/bin/env bash
# README's memory figures: peak resident memory (GNU time's %M) of `scaleout train` on the
# reference MLP for 1 epoch with 1, 2 and 4 local workers, and what each extra worker costs.
#
#   bench/experiments/memory_per_worker.sh [THREADS="1 2 4"]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
threads=${1:-1 2 4}
conf=$root/resources/confs/reference-mlp.json
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout binary at $bin (build it, or set SCALEOUT_BINARY)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "reference MLP, 1 epoch; $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| workers | peak RSS (MB) | per extra worker (MB) |"
echo "|---|---|---|"
first=""; firstN=""
for n in $threads; do
  /usr/bin/time -f %M -o "$work/rss" "$bin" train "$conf" --set finetuneEpochs=1 --set checkpointEveryEpochs=0 \
    --threads "$n" --out "$work/run" >"$work/log" 2>&1
  mb=$(awk '{printf "%.0f", $1 / 1024}' "$work/rss")
  extra="-"
  if [[ -n $first ]]; then extra=$(echo "($mb - $first) / ($n - $firstN)" | bc -l | xargs printf '%.1f'); else first=$mb; firstN=$n; fi
  echo "| $n | $mb | $extra |"
done
