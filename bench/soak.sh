#!/usr/bin/env bash
# Soak: at least TOTAL keep-alive requests against `corio http` /plaintext, in SEGMENT-second wrk runs, with
# the server's resident memory after every run.
#
#   bash bench/soak.sh [BUILD_DIR]      # default build/release; TOTAL=5000000 SEGMENT=10 CONNS=100 PATHS=...
#
# Method: the server runs with one worker thread pinned to core 0, wrk -t1 -cCONNS on core 1. The first
# segment warms the server up (pools, caches); its RSS is the start figure, the RSS after the last one the
# end figure. Pass: end within 5 % of start, and zero errors (socket errors, non-2xx responses, or a
# server that died). PATHS (space-separated, default "/plaintext") are requested in turn by the segments.
set -euo pipefail

BUILD=${1:-build/release}
CORIO=$(realpath "$BUILD/src/cli/corio")
TOTAL=${TOTAL:-5000000}
SEGMENT=${SEGMENT:-10}
CONNS=${CONNS:-100}
PATHS=${PATHS:-/plaintext}

[ -x "$CORIO" ] || { echo "no corio binary at $CORIO (build first: ninja -C $BUILD)" >&2; exit 1; }
command -v wrk > /dev/null || { echo "wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }
command -v taskset > /dev/null || { echo "taskset is missing (util-linux)" >&2; exit 1; }
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2> /dev/null || true; wait "$SERVER_PID" 2> /dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

taskset -c 0 "$CORIO" http --host 127.0.0.1 --port 0 --threads 1 > "$TMP/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q "listening on" "$TMP/server.out" && break
  sleep 0.1
done
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$TMP/server.out" | head -1)
[ -n "$PORT" ] || { echo "the server did not start:" >&2; cat "$TMP/server.out" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$SERVER_PID/stat"; }

idle=$(rss_kb)
done_requests=0
errors=0
segment=0
start_rss=""
read -r -a paths <<< "$PATHS"
echo "corio http (1 thread, core 0) <- wrk -t1 -c$CONNS (core 1), ${SEGMENT}s segments until $TOTAL requests"
echo "server RSS idle: $idle kB"
started=$(date +%s)
while [ "$done_requests" -lt "$TOTAL" ]; do
  path=${paths[$((segment % ${#paths[@]}))]}
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${SEGMENT}s" "http://127.0.0.1:$PORT$path" > "$TMP/wrk.out" || true
  segment=$((segment + 1))
  if ! kill -0 "$SERVER_PID" 2> /dev/null; then
    echo "the server died:" >&2
    tail -20 "$TMP/server.out" >&2
    exit 1
  fi
  n=$(awk '/requests in/ {print $1; exit}' "$TMP/wrk.out")
  n=${n:-0}
  sock=$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' "$TMP/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$TMP/wrk.out")
  seg_errors=$((${sock:-0} + ${non2xx:-0}))
  [ "$n" -gt 0 ] || seg_errors=$((seg_errors + 1))
  errors=$((errors + seg_errors))
  done_requests=$((done_requests + n))
  rss=$(rss_kb)
  [ -n "$start_rss" ] || start_rss=$rss
  printf '  segment %3d %-12s %9d requests (%8d total)  RSS %7d kB  CPU %7s s  errors %d\n' \
    "$segment" "$path" "$n" "$done_requests" "$rss" "$(cpu_s)" "$seg_errors"
done
end_rss=$(rss_kb)
elapsed=$(($(date +%s) - started))
change=$(awk -v s="$start_rss" -v e="$end_rss" 'BEGIN {printf "%+.2f", (e - s) * 100 / s}')
stable=$(awk -v s="$start_rss" -v e="$end_rss" 'BEGIN {d = (e - s) / s; if (d < 0) d = -d; print (d <= 0.05) ? "yes" : "NO"}')
echo "requests: $done_requests in ${elapsed}s; errors: $errors"
echo "server RSS: idle $idle kB, start (after the first segment) $start_rss kB, end $end_rss kB ($change %)," \
  "stable within 5 %: $stable"
[ "$errors" -eq 0 ] && [ "$stable" = yes ]
