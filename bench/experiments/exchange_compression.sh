#!/usr/bin/env bash
# The accuracy effect of exchangeCompression (none | bf16 | int8) on the reference MLP:
# one master thread + one `scaleout worker` process on this machine (loopback, CURVE on),
# fixed rounds (balanceShares=false, so only the codec differs), against one local thread
# alone, over several seeds. Prints final test accuracy per run, the mean per setting,
# the difference to one thread, and the master's bytes per round per worker.
#
#   bench/experiments/exchange_compression.sh [EPOCHS=5] [SEEDS=3] [CODECS="none bf16 int8"]
#
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset (OpenBLAS picks its kernels itself).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BINARY:-$root/build/app/scaleout}
epochs=${1:-5}
seeds=${2:-3}
codecs=${3:-none bf16 int8}
conf=$root/resources/confs/reference-mlp.json
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
work=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache

accuracy() { grep -m1 -oP '^accuracy \K[0-9.]+' "$1" || echo nan; }

declare -A sum
echo "reference MLP, $epochs epochs, seeds 1..$seeds; $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for seed in $(seq 1 "$seeds"); do
  "$bin" train "$conf" --set finetuneEpochs="$epochs" --set seed="$seed" --threads 1 --out "$work/one" >"$work/one.log" 2>&1
  a=$(accuracy "$work/one.log")
  sum[one]=$(echo "${sum[one]:-0} + $a" | bc -l)
  echo "seed $seed  one thread            accuracy $a"
  for codec in $codecs; do
    "$bin" train "$conf" --set finetuneEpochs="$epochs" --set seed="$seed" --set exchangeCompression="$codec" \
      --set balanceShares=false --threads 1 --bind "tcp://127.0.0.1:*" --out "$work/c" >"$work/m.log" 2>&1 &
    master=$!
    # The worker needs the master's key (created at its start, in the shared config dir)
    # and its port (the kernel picked it).
    endpoint=
    for _ in $(seq 600); do
      endpoint=$(grep -m1 -oP 'listening for workers on \K\S+' "$work/m.log" || true)
      [[ -n $endpoint ]] && break
      sleep 0.1
    done
    "$bin" worker --connect "$endpoint" >"$work/w.log" 2>&1 &
    worker=$!
    wait "$master"
    kill "$worker" 2>/dev/null || true
    wait "$worker" 2>/dev/null || true
    a=$(accuracy "$work/m.log")
    sum[$codec]=$(echo "${sum[$codec]:-0} + $a" | bc -l)
    bytes=$(grep -m1 -oP 'exchange with .* over \K[0-9]+ rounds: [0-9.]+ MB down \+ [0-9.]+ MB up' "$work/m.log" || echo "not reported")
    joined=$(grep -m1 -oP 'joined in \K[0-9.]+ s' "$work/w.log" || echo "never")
    echo "seed $seed  master+worker $codec  accuracy $a  (worker joined in $joined; $bytes per round)"
  done
done
echo "mean over $seeds seed(s):"
one=$(echo "${sum[one]} / $seeds" | bc -l)
printf "  one thread            %.4f\n" "$one"
for codec in $codecs; do
  m=$(echo "${sum[$codec]} / $seeds" | bc -l)
  printf "  master+worker %-6s  %.4f  (%+.2f points vs one thread)\n" "$codec" "$m" "$(echo "($m - $one) * 100" | bc -l)"
done
