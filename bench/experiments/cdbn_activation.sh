#!/usr/bin/env bash
# The accuracy of both unit-function choices for the seed's CDBN (issue #14): its layers are
# pretrained as RBMs with sigmoid hidden means, then finetuned through `activation`.
# Trains resources/confs/cdbn-seed.json as shipped (activation=hardtanh) and with
# activation=sigmoid (pretraining and finetuning through the same function), 2 workers
# fixed, for each seed; prints the final test accuracies and their means as a Markdown table.
#
#   bench/experiments/cdbn_activation.sh [SEEDS="123 11 22"] [EPOCHS=20]
#
# Long: each run pretrains three layers and finetunes 20 epochs on Fashion-MNIST (tens of
# minutes per run on 2 cores). Last run 2026-12-02: table in bench/experiments/cdbn_activation_2026-12-02.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
seeds=${1:-123 11 22}
epochs=${2:-20}
conf=$root/resources/confs/cdbn-seed.json
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no scaleout binary at $bin (build it, or set SCALEOUT_BINARY)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # activation seed
  "$bin" train "$conf" --threads 2 --set activation="$1" --set seed="$2" --set finetuneEpochs="$epochs" \
    --set checkpointEveryEpochs=0 --out "$work/run" >"$work/log" 2>&1 ||
    { echo "run failed: activation $1 seed $2" >&2; tail -n 5 "$work/log" >&2; exit 1; }
  grep -A1 '^final evaluation' "$work/log" | grep -m1 -oP '^accuracy \K[0-9.]+'
}
mean() { echo "$@" | tr ' ' '\n' | awk '{s += $1; n++} END {printf "%.4f", s / n}'; }

echo "cdbn-seed.json, 2 workers, $epochs finetune epochs, seeds $seeds; $(date -u +%FT%TZ), $(nproc) cores"
echo
echo "| finetuning activation | per seed | mean |"
echo "|---|---|---|"
for activation in hardtanh sigmoid; do
  acc=()
  for s in $seeds; do acc+=("$(run "$activation" "$s")"); done
  echo "| $activation$([[ $activation == hardtanh ]] && echo ' (as shipped)') | ${acc[*]} | $(mean "${acc[@]}") |"
done
