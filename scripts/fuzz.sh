#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-19, ASan+UBSan) and fuzzes each one for a fixed time.
#
#   scripts/fuzz.sh [seconds-per-target]
#
# Default: 60 s in total, shared evenly by the targets (tests/fuzz/<name>_fuzzer.cpp). Each target starts
# from a temporary copy of its committed corpus (tests/fuzz/corpus/<name>/, so the repository is never
# modified; every seed runs first, so the corpus doubles as a regression test) with the dictionary
# tests/fuzz/http.dict, single process, single worker. A crash, sanitizer report, leak, timeout (10 s per
# input) or out-of-memory fails the target; the input that did it is kept in <build>/fuzz-artifacts/.
# Prints per target the executions and exec/s, then one line "N passed, M failed" (one per target), and
# exits non-zero if any target failed.
#
# Environment: CORIO_FUZZ_BUILD_DIR (default build/fuzz, incremental), CORIO_FUZZ_JOBS (ninja -j, default 2),
# CORIO_FUZZ_CORPUS_OUT=DIR keeps the grown corpora in DIR/<name>/ (bench/fuzz.sh uses it).
set -uo pipefail
cd "$(dirname "$0")/.."

dir=${CORIO_FUZZ_BUILD_DIR:-build/fuzz}
targets=()
for f in tests/fuzz/*_fuzzer.cpp; do
  name=$(basename "$f" _fuzzer.cpp)
  targets+=("$name")
done
count=${#targets[@]}
if [ -n "${1:-}" ]; then
  seconds=$1
else
  seconds=$((60 / count))
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target]" >&2
  exit 2
fi

if ! command -v clang++-19 > /dev/null; then
  echo "fuzz: clang++-19 not found (scripts/setup.sh installs it)"
  echo "0 passed, $count failed"
  exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
  # Coverage instrumentation for everything (-fsanitize=fuzzer-no-link), so that targets linking the
  # corio library are guided by its code too; the targets themselves link libFuzzer's main.
  CXX=clang++-19 meson setup "$dir" --buildtype=debug -Doptimization=1 \
    -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dcpp_args=-fno-sanitize-recover=all -fsanitize=fuzzer-no-link" \
    -Dfuzzing=true -Dbenchmarks=disabled -Dexamples=false > /dev/null || {
    echo "fuzz: meson setup of $dir failed"
    echo "0 passed, $count failed"
    exit 1
  }
fi
executables=()
for t in "${targets[@]}"; do
  executables+=("tests/fuzz/${t}_fuzzer")
done
echo "=== build fuzz targets in $dir"
if ! ninja -C "$dir" -j "${CORIO_FUZZ_JOBS:-2}" "${executables[@]}"; then
  echo "fuzz: build failed"
  echo "0 passed, $count failed"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/corio-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts="$dir/fuzz-artifacts"
logs="$dir/fuzz-logs"
mkdir -p "$artifacts" "$logs"
dict=tests/fuzz/http.dict

passed=0
failed=0
total_execs=0
for t in "${targets[@]}"; do
  exe="$dir/tests/fuzz/${t}_fuzzer"
  corpus="$work/$t"
  mkdir -p "$corpus"
  if [ -d "tests/fuzz/corpus/$t" ]; then
    find "tests/fuzz/corpus/$t" -type f ! -name README.md -exec cp {} "$corpus/" \;
  fi
  seeds=$(find "$corpus" -type f | wc -l)
  log="$logs/$t.log"
  echo "=== fuzz $t for ${seconds}s ($seeds seeds)"
  timeout -k 10 $((seconds + 300)) "$exe" "$corpus" -dict="$dict" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cover=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  after=$(find "$corpus" -type f | wc -l)
  execs=${execs:-0}
  total_execs=$((total_execs + execs))
  if [ "$rc" -eq 0 ] && grep -q '^Done ' "$log"; then
    passed=$((passed + 1))
    verdict=passed
  else
    failed=$((failed + 1))
    verdict="FAILED (exit $rc)"
  fi
  printf 'fuzz %-12s %10s execs %8s exec/s  coverage %s  corpus %s -> %s  %s\n' \
    "$t" "$execs" "${rate:-0}" "${cover:-?}" "$seeds" "$after" "$verdict"
  if [ "$verdict" != passed ]; then
    echo "--- last lines of $log:"
    tail -n 40 "$log"
    for a in "$artifacts/$t-"*; do
      [ -e "$a" ] && echo "reproduce: $exe $a"
    done
  fi
  if [ -n "${CORIO_FUZZ_CORPUS_OUT:-}" ]; then
    mkdir -p "$CORIO_FUZZ_CORPUS_OUT/$t"
    cp "$corpus"/* "$CORIO_FUZZ_CORPUS_OUT/$t/" 2> /dev/null
  fi
done
echo "fuzz: $total_execs executions in total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
