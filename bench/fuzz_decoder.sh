#!/usr/bin/env bash
# Fuzzes the cluster protocol decoder (bench/fuzz/fuzz_decoder.cpp) with libFuzzer for a
# bounded time. Built here with clang directly (-fsanitize=fuzzer,address,undefined), in
# its own directory: not part of the normal gcc/CMake build.
#   bench/fuzz_decoder.sh [SECONDS=60] [OUT_DIR=build/fuzz-decoder]
#   COVERAGE=1 bench/fuzz_decoder.sh ...   also reports protocol.cpp's line/branch coverage
#                                          of the final corpus (llvm-cov)
# Needs clang and libclang-rt-14-dev (scripts/bootstrap.sh). Exits non-zero if a crash,
# leak or sanitizer report was found; the reproducer is left in OUT_DIR/artifacts/.
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/build/fuzz-decoder}
mkdir -p "$out/corpus" "$out/seeds" "$out/artifacts"

cxx=${CLANGXX:-clang++}
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I"$root/core" -I/usr/include/eigen3)
sources=("$root/bench/fuzz/fuzz_decoder.cpp" "$root/core/cluster/protocol.cpp" "$root/core/cluster/vector_codec.cpp"
         "$root/core/cluster/shard_stream.cpp" "$root/core/util/cache_dir.cpp")

echo "fuzz_decoder: building with $($cxx --version | head -1)"
"$cxx" "${flags[@]}" -DSCALEOUT_FUZZ_SEEDS "${sources[@]}" -lz -o "$out/make_seeds"
"$cxx" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  "${sources[@]}" -lz -o "$out/fuzz_decoder"

rm -f "$out/seeds"/*
"$out/make_seeds" "$out/seeds"

echo "fuzz_decoder: running for ${seconds} s (corpus $out/corpus, seeds $out/seeds)"
# -rss_limit_mb guards against a decoder that allocates what a header claims;
# -malloc_limit_mb makes any single allocation above 64 MB (the body limit) a finding.
cd "$out"
"$out/fuzz_decoder" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=1024 -malloc_limit_mb=80 \
  -max_len=65536 -artifact_prefix="$out/artifacts/" "$out/corpus" "$out/seeds" 2>&1 | tee "$out/last-run.log" |
  grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|ERROR|SUMMARY|Done [0-9]+ runs" || true
status=${PIPESTATUS[0]}
if [[ $status -ne 0 ]]; then
  echo "fuzz_decoder: FAILED (exit $status); see $out/last-run.log and $out/artifacts/" >&2
  exit "$status"
fi
echo "fuzz_decoder: no crash in ${seconds} s; full log $out/last-run.log"

if [[ "${COVERAGE:-0}" == 1 ]]; then
  # Replays the corpus (no fuzzing) through an instrumented build of the same target.
  "$cxx" "${flags[@]}" -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
    "${sources[@]}" -lz -o "$out/fuzz_decoder_cov"
  rm -rf "$out/replay" && mkdir -p "$out/replay"
  LLVM_PROFILE_FILE="$out/replay/%p.profraw" "$out/fuzz_decoder_cov" -runs=0 "$out/corpus" "$out/seeds" >/dev/null 2>&1
  llvm-profdata merge -sparse "$out/replay"/*.profraw -o "$out/decoder.profdata"
  echo "fuzz_decoder: coverage of the corpus (regions, functions, lines, branches):"
  llvm-cov report "$out/fuzz_decoder_cov" -instr-profile="$out/decoder.profdata" "$root/core/cluster/protocol.cpp" | tail -n 2
fi
