#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest).
# Everything a test needs is installed here, so a skipped test is a failure: it would
# otherwise hide a check that did not run (see tests/CMakeLists.txt: QSKIP and exit 77
# count as skips).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
cd build
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --output-on-failure --timeout 600 -j"$(nproc 2>/dev/null || echo 2)" "$@" 2>&1 | tee "$log" || status=$?
if grep -q '(Skipped)' "$log"; then
  echo "test.sh: FAILED: these tests skipped, though every prerequisite is installed:" >&2
  grep '(Skipped)' "$log" >&2
  exit 1
fi
exit "$status"
