#!/usr/bin/env bash
# Instructions per parsed request (the ~300-byte browser GET), measured with callgrind.
# Usage: bench/http/callgrind.sh [build-dir]   (default build/release; needs valgrind)
set -euo pipefail
build=${1:-build/release}
driver="$build/bench/http/parser_callgrind"
ninja -C "$build" bench/http/parser_callgrind >/dev/null
n=100000
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$driver" "$1" 2>&1 |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
base=$(ir 1)
full=$(ir $((n + 1)))
echo "instructions per request: $(( (full - base) / n ))"
