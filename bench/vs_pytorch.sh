#!/usr/bin/env bash
# Our engine against PyTorch on the same workload, measured in one invocation:
#   bench_throughput (the Trainer with 1 and 2 workers) and bench/pytorch_mlp.py with 1 and
#   2 threads, then ours(1 worker)/PyTorch(1 thread) (target >= 1.0) and
#   ours(2 workers)/PyTorch(best 2-core setting) (target >= 1.5).
# Each side runs twice, with glibc malloc as it comes and with its mmap/trim thresholds
# raised (GLIBC_TUNABLES), and keeps its best: on machines where page faults are expensive
# (virtual machines) PyTorch's per-operation allocations otherwise dominate its time.
# PyTorch's 2-core figure is the best of (intra-op threads, BLAS threads) = (2,2), (1,2),
# (2,1): (2,2) oversubscribes two cores with OpenMP and OpenBLAS threads.
# Skips (exit 0) with a message when no python3 can import torch (Debian: python3-torch).
#
# usage: bench/vs_pytorch.sh [--synthetic] [--samples N] [--reps N]
#   BUILD_DIR   build directory holding bench/bench_throughput (default: build-bench beside
#               bench/; configured and built here when the binary is missing)
#   PYTHON      interpreter to try first
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}

synthetic=()
samples=30000
reps=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --synthetic) synthetic=(--synthetic) ;;
    --samples) samples=$2; shift ;;
    --reps) reps=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "vs_pytorch.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# OpenBLAS must pick its kernels for this CPU: a forced core type or L2 size (set on some
# machines for reproducibility) would handicap both sides unlike a real installation.
echo "unsetting OPENBLAS_CORETYPE (was: ${OPENBLAS_CORETYPE:-unset}) and OPENBLAS_L2_SIZE (was: ${OPENBLAS_L2_SIZE:-unset})"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

python=""
tried=()
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  tried+=("$candidate")
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [[ -z "$python" ]]; then
  echo "SKIPPED: PyTorch is not importable (tried: ${tried[*]}); install it (Debian: apt-get install python3-torch) to compare"
  exit 0
fi

bench="$build/bench/bench_throughput"
if [[ ! -x "$bench" ]]; then
  echo "building bench_throughput in $build (Release)"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target bench_throughput >/dev/null
fi
cache="$build/CMakeCache.txt"
echo "our build: $build, CMAKE_BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache")," \
  "SCALEOUT_NATIVE=$(sed -n 's/^SCALEOUT_NATIVE:BOOL=//p' "$cache"), CMAKE_CXX_FLAGS='$(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$cache")'"
echo "python: $python ($("$python" -c 'import torch; print("torch", torch.__version__)'))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo

tuned='glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432'
value() { awk -v k="$1" '$1 == "result" && $2 == k { print $3 }'; }
max() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

ours1=0 ours2=0 ours1cpu=0
for malloc in default raised; do
  tunables=""
  [[ $malloc == raised ]] && tunables=$tuned
  echo "== ours, malloc thresholds $malloc: bench_throughput --skip gemm,raw,averaging --samples $samples --reps $reps ${synthetic[*]}"
  out=$(GLIBC_TUNABLES=$tunables "$bench" --skip gemm,raw,averaging --samples "$samples" --reps "$reps" "${synthetic[@]}")
  grep -E '^build:' <<<"$out" | sed 's/^/   /'
  grep -E '^   [12] ' <<<"$out" | sed 's/^/   workers /'
  ours1=$(max "$ours1" "$(value trainer1_samples_per_s <<<"$out")")
  ours2=$(max "$ours2" "$(value trainer2_samples_per_s <<<"$out")")
  ours1cpu=$(max "$ours1cpu" "$(value trainer1_cpu_samples_per_s <<<"$out")")
done
echo "   (columns: workers, samples/s, median, whole run, cpu s/s, per-worker, averaging, serial, rounds, faults/round, sys)"

torch1=0 torch2=0 torch1cpu=0 torch2how=""
for malloc in default raised; do
  tunables=""
  [[ $malloc == raised ]] && tunables=$tuned
  for cfg in "1 1" "2 2" "1 2" "2 1"; do
    read -r threads blas <<<"$cfg"
    echo "== PyTorch, malloc thresholds $malloc, $threads intra-op thread(s), $blas BLAS thread(s)"
    out=$(GLIBC_TUNABLES=$tunables "$python" "$here/pytorch_mlp.py" --threads "$threads" --blas-threads "$blas" \
      --samples "$samples" --reps "$reps" "${synthetic[@]}")
    grep -v '^result' <<<"$out" | sed 's/^/   /'
    sps=$(value pytorch_samples_per_s <<<"$out")
    if [[ $cfg == "1 1" ]]; then
      torch1=$(max "$torch1" "$sps")
      torch1cpu=$(max "$torch1cpu" "$(value pytorch_cpu_samples_per_s <<<"$out")")
    fi
    if [[ $(max "$torch2" "$sps") != "$torch2" ]]; then
      torch2=$sps
      torch2how="$threads intra-op/$blas BLAS threads, malloc $malloc"
    fi
  done
done

echo
awk -v o1="$ours1" -v o2="$ours2" -v t1="$torch1" -v t2="$torch2" -v how="$torch2how" -v o1c="$ours1cpu" -v t1c="$torch1cpu" 'BEGIN {
  printf "best samples/s (wall): ours 1 worker %.0f, ours 2 workers %.0f; PyTorch 1 thread %.0f, PyTorch best %.0f (%s)\n", o1, o2, t1, t2, how
  r1 = o1 / t1; r2 = o2 / t2
  printf "ours(1 worker) / PyTorch(1 thread)     %.3f  (target >= 1.0: %s)\n", r1, (r1 >= 1.0 ? "meets" : "BELOW")
  printf "ours(2 workers) / PyTorch(best)        %.3f  (target >= 1.5: %s)\n", r2, (r2 >= 1.5 ? "meets" : "BELOW")
  printf "per CPU second, 1 worker / 1 thread    %.3f  (robust to other jobs on the machine)\n", o1c / t1c
  printf "result ours1_over_torch1 %.6g\nresult ours2_over_torch_best %.6g\n", r1, r2
}'
