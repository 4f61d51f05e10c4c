#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test.
#   scripts/test.sh              the normal build (build/), warnings as errors
#   scripts/test.sh --sanitize   the same tests under AddressSanitizer + UBSan (build-asan/, clang 14)
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
compilers=()
if [[ $sanitize == ON ]]; then
  # clang 14 for the sanitized build: it compiles it in ~5-6 min where GCC 12
  # took ~8, its instrumented tests ran 429 s against GCC's 513-556, and CI
  # then checks the code against a second compiler's warnings (docs/PERFORMANCE.md,
  # "CI time", stop 27). The normal build, the one offices run, stays GCC.
  compilers=(-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14)
  # CMake cannot switch the compiler of a configured tree without dropping the
  # options given here: a build-asan/ made by GCC starts afresh.
  if [[ -f $build_dir/CMakeCache.txt ]] &&
    ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' "$build_dir/CMakeCache.txt"; then
    echo "test: $build_dir/ was configured with another compiler; rebuilding it with clang 14"
    rm -rf "$build_dir"
  fi
fi
# The sanitized build also builds the fuzz targets (scripts/fuzz.sh runs them
# from it in CI: FUZZ_BUILD_DIR=build-asan); the normal build has neither.
# The tests and their hooks on, in case scripts/fuzz.sh configured this
# directory first (its builds have neither).
cmake -S . -B "$build_dir" -G Ninja "${compilers[@]}" -DACCORD_WERROR=ON \
  -DACCORD_SANITIZE="$sanitize" -DACCORD_FUZZ="$sanitize" -DACCORD_TESTS=ON -DACCORD_TEST_HOOKS=ON \
  -DACCORD_BENCH="$([[ $sanitize == ON ]] && echo OFF || echo ON)" >/dev/null
cmake --build "$build_dir" -j "$jobs"

if [[ $sanitize == ON ]]; then
  # OpenSSL keeps per-thread state on pool threads that never exit (see tests/lsan.supp).
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 600
