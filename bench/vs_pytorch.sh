#!/usr/bin/env bash
# Our engine against PyTorch on the same workload, measured in one invocation:
#   bench_throughput (Trainer with 1 and 2 workers) and bench/pytorch_mlp.py with 1 and 2
#   threads, then ours(1 worker)/PyTorch(1 thread) (target >= 1.0) and
#   ours(2 workers)/PyTorch(best of 1 and 2 threads) (target >= 1.5).
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
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "vs_pytorch.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# OpenBLAS must pick its kernels for this CPU: a forced core type or L2 size (set on some
# machines for reproducibility) would handicap both sides differently from the real thing.
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
native=$(sed -n 's/^SCALEOUT_NATIVE:BOOL=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
echo "our build: $build ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"), SCALEOUT_NATIVE=${native:-OFF})"
echo "python: $python ($("$python" -c 'import torch; print("torch", torch.__version__)'))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo

out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== ours: bench_throughput --skip gemm,raw,averaging --samples $samples --reps $reps ${synthetic[*]}"
"$bench" --skip gemm,raw,averaging --samples "$samples" --reps "$reps" "${synthetic[@]}" | tee -a "$out" | grep -v '^result'
for threads in 1 2; do
  echo "== PyTorch, $threads thread(s)"
  "$python" "$here/pytorch_mlp.py" --threads "$threads" --samples "$samples" --reps "$reps" "${synthetic[@]}" | tee -a "$out" | grep -v '^result'
done

value() { awk -v k="$1" '$1 == "result" && $2 == k { print $3 }' "$out"; }
ours1=$(value trainer1_samples_per_s)
ours2=$(value trainer2_samples_per_s)
torch1=$(value pytorch1_samples_per_s)
torch2=$(value pytorch2_samples_per_s)
ours1cpu=$(value trainer1_cpu_samples_per_s)
torch1cpu=$(value pytorch1_cpu_samples_per_s)

echo
awk -v o1="$ours1" -v o2="$ours2" -v t1="$torch1" -v t2="$torch2" -v o1c="$ours1cpu" -v t1c="$torch1cpu" 'BEGIN {
  best = (t1 > t2) ? t1 : t2
  printf "samples/s (wall, best of runs): ours 1 worker %.0f, ours 2 workers %.0f, PyTorch 1 thread %.0f, PyTorch 2 threads %.0f\n", o1, o2, t1, t2
  r1 = o1 / t1; r2 = o2 / best
  printf "ours(1 worker) / PyTorch(1 thread)      %.3f  (target >= 1.0: %s)\n", r1, (r1 >= 1.0 ? "meets" : "BELOW")
  printf "ours(2 workers) / PyTorch(best, %s)  %.3f  (target >= 1.5: %s)\n", (t1 > t2 ? "1 thr" : "2 thr"), r2, (r2 >= 1.5 ? "meets" : "BELOW")
  printf "per CPU second, 1 worker / 1 thread      %.3f  (robust to other jobs on the machine)\n", o1c / t1c
  printf "result ours1_over_torch1 %.6g\nresult ours2_over_torch_best %.6g\n", r1, r2
}'
