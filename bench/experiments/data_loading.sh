#!/usr/bin/env bash
# Issue #13 "Loading": time until Fashion-MNIST is ready for training (decode or cache
# read, then normalisation): the loader before the cache (sequential, no cache), cold
# (decoded-data cache cleared before each run: both gzip pairs inflated in parallel, cache
# rewritten) and warm (read from the cache). Wall and CPU medians of RUNS runs each, all
# in one process (bench/bench_loading.cpp); the cache lives in a temporary XDG_CACHE_HOME.
#
#   bench/experiments/data_loading.sh [RUNS=7]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SCALEOUT_BENCH_LOADING:-$root/build/bench/bench_loading}
runs=${1:-7}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[[ -x $bin ]] || { echo "no bench_loading at $bin (build it, or set SCALEOUT_BENCH_LOADING)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work
echo "Fashion-MNIST loading; $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$bin" --runs "$runs"
