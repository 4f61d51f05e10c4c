#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (build-fuzz/, every library
# instrumented, ASan + UBSan) and runs each one briefly from the committed seed
# corpus. Fails if a target crashes, leaks, hangs or trips a sanitizer; the
# input that did it is left in <build dir>/fuzz-artifacts/.
#   scripts/fuzz.sh                  every target, FUZZ_SECONDS (default 20) each
#   scripts/fuzz.sh frame bundle     only these targets
#   FUZZ_SECONDS=900 scripts/fuzz.sh a long run (docs/fuzzing.md)
#   FUZZ_BUILD_DIR=build-asan scripts/fuzz.sh
#                                    the targets scripts/test.sh --sanitize built
#                                    beside the tests (lighter instrumentation; CI)
# New inputs found go to <build dir>/fuzz-corpus/<target>/, not into fuzz/corpus/:
# merge the ones worth keeping with -set_cover_merge=1 (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-20}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
all=(frame bundle json_load request_auth review_api)
targets=("$@")
if ((${#targets[@]} == 0)); then targets=("${all[@]}"); fi

start=$(date +%s)
bash scripts/setup.sh
cache=$build_dir/CMakeCache.txt
if [[ -f $cache ]] && grep -q '^ACCORD_SANITIZE:BOOL=ON$' "$cache"; then
  # The sanitized test build: it is used as scripts/test.sh configured it.
  if ! grep -q '^ACCORD_FUZZ:BOOL=ON$' "$cache"; then
    echo "fuzz: $build_dir/ is a sanitized build without the fuzz targets;" \
      "scripts/test.sh --sanitize configures it with them" >&2
    exit 1
  fi
  echo "fuzz: the targets of the sanitized test build $build_dir/ (coverage counters only)"
else
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -G Ninja -DACCORD_FUZZ=ON \
    -DACCORD_TESTS=OFF -DACCORD_BENCH=OFF >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"
built=$(date +%s)

# The harnesses keep their set-up in process-wide objects on purpose; OpenSSL
# keeps per-thread state (see tests/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$build_dir/fuzz-artifacts" "$build_dir/fuzz-logs"
failed=()
for t in "${targets[@]}"; do
  work="$build_dir/fuzz-corpus/$t"
  log="$build_dir/fuzz-logs/$t.log"
  mkdir -p "$work"
  args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1
        -artifact_prefix="$build_dir/fuzz-artifacts/$t-")
  if [[ -f fuzz/$t.dict ]]; then args+=(-dict="fuzz/$t.dict"); fi
  if "$build_dir/bin/${t}_fuzz" "${args[@]}" "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    # e.g. "#41234	DONE   cov: 2917 ft: 9160 corp: 412/88Kb exec/s: 2061 rss: 231Mb"
    summary=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    echo "fuzz: $t ok (${seconds}s): ${summary:-see $log}"
  else
    echo "fuzz: $t FAILED; the end of $log:"
    tail -n 60 "$log"
    failed+=("$t")
  fi
done
end=$(date +%s)
echo "fuzz: build $((built - start)) s, fuzzing $((end - built)) s, total $((end - start)) s"
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]} > 0)); then
  echo "fuzz: crashed: ${failed[*]} (inputs in $build_dir/fuzz-artifacts/)"
  exit 1
fi
