#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test.
#   scripts/test.sh              the normal build (build/), warnings as errors
#   scripts/test.sh --sanitize   the same tests under AddressSanitizer + UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir=build
if [[ "${1:-}" == "--sanitize" ]]; then
  sanitize=ON
  build_dir=build-asan
fi

bash scripts/setup.sh --browser

jobs=$(nproc)
cmake -S . -B "$build_dir" -G Ninja -DACCORD_WERROR=ON -DACCORD_SANITIZE="$sanitize" \
  -DACCORD_BENCH="$([[ $sanitize == ON ]] && echo OFF || echo ON)" >/dev/null
cmake --build "$build_dir" -j "$jobs"

if [[ $sanitize == ON ]]; then
  # OpenSSL keeps per-thread state on pool threads that never exit (see tests/lsan.supp).
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 600
