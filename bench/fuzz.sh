#!/usr/bin/env bash
# Long fuzzing run: every target for the given time (default 600 s each) through scripts/fuzz.sh, which
# prints per target the executions and exec/s and ends with "N passed, M failed". The grown corpora are
# kept in build/fuzz/corpus-grown/<target>/; to fold new seeds into the committed corpus, minimize them:
#   build/fuzz/tests/fuzz/<t>_fuzzer -merge=1 tests/fuzz/corpus/<t> build/fuzz/corpus-grown/<t>
#
#   bench/fuzz.sh [seconds-per-target]
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${CORIO_FUZZ_BUILD_DIR:-build/fuzz}
export CORIO_FUZZ_BUILD_DIR=$dir
export CORIO_FUZZ_CORPUS_OUT=${CORIO_FUZZ_CORPUS_OUT:-$dir/corpus-grown}
echo "bench/fuzz: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
exec scripts/fuzz.sh "${1:-600}"
