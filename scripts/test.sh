#!/usr/bin/env bash
# Runs every test, in three builds, each in its own build directory (incremental on re-runs):
#   release  g++, -O3, all tests
#   asan     clang-19, AddressSanitizer + UndefinedBehaviorSanitizer at -O1, all tests
#   tsan     clang-19, ThreadSanitizer at -O1, the tests in the 'concurrent' suite
# Then fuzzes the HTTP parser, chunked decoder and serializer for 20 s each (CORIO_FUZZ_SECONDS).
# Also checks formatting. Ends with one line "N passed, M failed" (totals over all builds);
# exits non-zero if anything failed. CORIO_BUILDS="release asan" runs a subset.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test-deps || exit 1

builds=${CORIO_BUILDS:-"release asan tsan"}
jobs=$(nproc)
extra_failed=0
extra_passed=0

files=$(git ls-files '*.hpp' '*.cpp' 2>/dev/null || find include src tests examples bench -name '*.[ch]pp')
if clang-format-19 --dry-run -Werror $files; then
  extra_passed=$((extra_passed + 1))
else
  echo "test: formatting differs from .clang-format (run: clang-format-19 -i \$(git ls-files '*.hpp' '*.cpp'))"
  extra_failed=$((extra_failed + 1))
fi

run_build() {
  local name=$1 dir=build/$1
  shift
  local setup_args=() test_args=()
  case $name in
    release) export CXX=g++; setup_args=(--buildtype=release); test_args=() ;;
    asan) export CXX=clang++-19
          setup_args=(--buildtype=debug -Doptimization=1 -Db_sanitize=address,undefined -Db_lundef=false
                      -Dcpp_args=-fno-sanitize-recover=all -Dbenchmarks=disabled)
          test_args=(--timeout-multiplier 3) ;;
    tsan) export CXX=clang++-19
          setup_args=(--buildtype=debug -Doptimization=1 -Db_sanitize=thread -Db_lundef=false -Dbenchmarks=disabled)
          test_args=(--suite concurrent --timeout-multiplier 3) ;;
    *) echo "test: unknown build $name"; return 1 ;;
  esac
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "${setup_args[@]}" || return 1
  fi
  echo "=== build $name ($CXX)"
  ninja -C "$dir" -j "$jobs" || return 1
  echo "=== test $name"
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "${test_args[@]}"
  return 0
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
dirs=()
for b in $builds; do
  if run_build "$b"; then
    dirs+=("build/$b")
  else
    echo "test: build $b failed"
    extra_failed=$((extra_failed + 1))
  fi
done

# libFuzzer targets (clang-19, ASan+UBSan) for a fixed time: CORIO_FUZZ_SECONDS per target, 0 to skip.
fuzz_seconds=${CORIO_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" != 0 ]; then
  echo "=== fuzz (${fuzz_seconds}s per target)"
  fuzz_out=$(bash scripts/fuzz.sh "$fuzz_seconds" 2>&1)
  echo "$fuzz_out"
  if fuzz_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$fuzz_out" | tail -n 1); then
    extra_passed=$((extra_passed + $(cut -d' ' -f1 <<<"$fuzz_line")))
    extra_failed=$((extra_failed + $(cut -d' ' -f3 <<<"$fuzz_line")))
  else
    extra_failed=$((extra_failed + 1))
  fi
fi

read -r passed failed < <(python3 scripts/count_tests.py "${dirs[@]}")
passed=$((passed + extra_passed))
failed=$((failed + extra_failed))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
