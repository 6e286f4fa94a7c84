#!/usr/bin/env bash
# Echo server bench: corio's coroutine echo server vs Asio's own C++20 coroutine echo example (Debian
# libasio-doc, compiled here at bench time, never copied into the repository) and, for the bulk case, a
# minimal single-threaded epoll echo loop (the floor: one read + one write per echo).
#
#   bash bench/echo.sh [BUILD_DIR]          # default build/release; DURATION=5 REPS=5 IDLE=9000 BIG=10000
#
# Method: each server runs pinned to core 0 (corio with one worker thread), `corio load echo` (one thread)
# pinned to core 1. Per case, the servers are run in turn, REPS times (alternating), and the median is
# reported: server CPU µs per round trip = (utime+stime delta from /proc/PID/stat over the load run) /
# round trips, round trips/s and MB/s (each way). The corio/Asio verdict is the median of per-run ratios
# (each corio run against the Asio run just before it), as in bench/peers.sh; the ratio of medians follows. Then server RSS per idle connection with IDLE idle
# connections (each echoed one byte first), and BIG concurrent echo connections against corio (errors).
set -euo pipefail

BUILD=${1:-build/release}
CORIO=$(realpath "$BUILD/src/cli/corio")
DURATION=${DURATION:-5}
REPS=${REPS:-5}
IDLE=${IDLE:-9000}
BIG=${BIG:-10000}
ASIO_SRC=/usr/share/doc/libasio-dev/examples/cpp17/coroutines_ts/echo_server.cpp
ASIO_PORT=55555 # hard-coded in Asio's example
# Below the ephemeral port range: a probe connect can then never self-connect and block the bind.
CORIO_PORT=${CORIO_PORT:-17011}
EPOLL_PORT=${EPOLL_PORT:-17012}

[ -x "$CORIO" ] || { echo "no corio binary at $CORIO (build first: ninja -C $BUILD)" >&2; exit 1; }
if [ ! -f "$ASIO_SRC" ] && [ ! -f "$ASIO_SRC.gz" ]; then
  echo "Asio's example is missing: apt-get install libasio-doc" >&2; exit 1
fi
command -v taskset >/dev/null || { echo "taskset is missing (util-linux)" >&2; exit 1; }
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- build the peers -------------------------------------------------------------------------------------
if [ -f "$ASIO_SRC" ]; then cp "$ASIO_SRC" "$TMP/asio_echo.cpp"; else gunzip -c "$ASIO_SRC.gz" > "$TMP/asio_echo.cpp"; fi
g++ -O2 -std=c++20 -DASIO_STANDALONE "$TMP/asio_echo.cpp" -o "$TMP/asio_echo" -pthread

cat > "$TMP/epoll_echo.c" <<'EOF'
#define _GNU_SOURCE
/* Minimal single-threaded level-triggered epoll echo loop: the floor for the bulk case. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
int main(int argc, char** argv) {
  int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr*)&a, sizeof a) || listen(lfd, 4096)) return 1;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[512];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, 0, 0, SOCK_NONBLOCK)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) { close(fd); continue; }
      for (ssize_t off = 0; off < r;) {
        ssize_t w = write(fd, buf + off, (size_t)(r - off));
        if (w < 0 && errno == EAGAIN) { struct pollfd p = {fd, POLLOUT, 0}; poll(&p, 1, -1); continue; }
        if (w < 0) { close(fd); break; }
        off += w;
      }
    }
  }
}
EOF
gcc -O2 "$TMP/epoll_echo.c" -o "$TMP/epoll_echo"

# --- helpers ---------------------------------------------------------------------------------------------
wait_port() { # port
  sleep 0.2
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "server on port $1 did not come up" >&2; exit 1
}

start_server() { # name -> sets SERVER_PID, PORT
  case "$1" in
    corio) taskset -c 0 "$CORIO" echo --host 127.0.0.1 --port "$CORIO_PORT" --threads 1 >/dev/null 2>&1 &
           SERVER_PID=$!; PORT=$CORIO_PORT ;;
    asio)  taskset -c 0 "$TMP/asio_echo" >/dev/null 2>&1 &
           SERVER_PID=$!; PORT=$ASIO_PORT ;;
    epoll) taskset -c 0 "$TMP/epoll_echo" "$EPOLL_PORT" >/dev/null 2>&1 &
           SERVER_PID=$!; PORT=$EPOLL_PORT ;;
  esac
  wait_port "$PORT"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  sleep 0.3
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
CLK_TCK=$(getconf CLK_TCK)

run_case() { # server connections size -> prints "cpu_us_per_rt rt_per_s mb_per_s errors"
  start_server "$1"
  local before after json
  before=$(cpu_ticks "$SERVER_PID")
  json=$(taskset -c 1 "$CORIO" load echo --host 127.0.0.1 --port "$PORT" --connections "$2" --size "$3" \
         --duration "$DURATION" --threads 1 --json 2>/dev/null || true)
  after=$(cpu_ticks "$SERVER_PID")
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "server $1 died during the run" >&2; json=""; fi
  stop_server
  python3 - "$before" "$after" "$CLK_TCK" "$json" <<'EOF'
import json, sys
before, after, tck = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
try:
    r = json.loads(sys.argv[4])
except ValueError:
    print("nan 0 0 1"); sys.exit()
rt = r["round_trips"]
cpu_us = (after - before) * 1e6 / tck
print(f"{cpu_us / rt if rt else float('nan'):.3f} {r['round_trips_per_s']:.0f} {r['mb_per_s']:.2f} {r['errors']}")
EOF
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "corio echo bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "servers on core 0 (corio: 1 worker thread), corio load echo (1 thread) on core 1; ${DURATION}s per run, median of $REPS alternating runs"
echo

declare -A RESULT
cases=("100 64" "1000 64" "10 16384")
printf "%-22s %-6s %14s %12s %10s %7s\n" "case" "server" "CPU us/rt" "rt/s" "MB/s" "errors"
for c in "${cases[@]}"; do
  set -- $c
  conns=$1 size=$2
  servers="corio asio"
  [ "$size" -gt 1024 ] && servers="corio asio epoll"
  for s in $servers; do : > "$TMP/$s.cpu"; : > "$TMP/$s.rate"; : > "$TMP/$s.mb"; : > "$TMP/$s.err"; done
  for rep in $(seq 1 "$REPS"); do
    for s in $servers; do
      read -r cpu rate mb err < <(run_case "$s" "$conns" "$size")
      echo "$cpu" >> "$TMP/$s.cpu"; echo "$rate" >> "$TMP/$s.rate"; echo "$mb" >> "$TMP/$s.mb"; echo "$err" >> "$TMP/$s.err"
    done
  done
  for s in $servers; do
    cpu=$(median < "$TMP/$s.cpu"); rate=$(median < "$TMP/$s.rate"); mb=$(median < "$TMP/$s.mb")
    err=$(awk '{s+=$1} END {print s}' "$TMP/$s.err")
    RESULT[$s,cpu]=$cpu; RESULT[$s,mb]=$mb
    printf "%-22s %-6s %14s %12s %10s %7s\n" "${conns} conn x ${size} B" "$s" "$cpu" "$rate" "$mb" "$err"
  done
  # The verdict: the median of per-run ratios (each corio run against the Asio run next to it; the
  # machine's speed drifts between runs and pairing cancels most of that), then the ratio of the medians.
  paired=$(python3 - "$TMP/corio.cpu" "$TMP/asio.cpu" <<'EOF'
import statistics, sys
c = [float(x) for x in open(sys.argv[1])]
a = [float(x) for x in open(sys.argv[2])]
r = [x / y for x, y in zip(c, a)]
print(f"{statistics.median(r):.2f}x (runs: {' '.join(f'{x:.2f}' for x in r)})")
EOF
)
  ratio=$(python3 -c "print(f'{${RESULT[corio,cpu]} / ${RESULT[asio,cpu]}:.2f}')")
  line="  ratio corio/asio: CPU per round trip ${paired}, ratio of medians ${ratio}x"
  if [ "$size" -gt 1024 ]; then
    line="$line; MB/s corio/epoll $(python3 -c "print(f'{${RESULT[corio,mb]} / ${RESULT[epoll,mb]}:.2f}')")x, asio/epoll $(python3 -c "print(f'{${RESULT[asio,mb]} / ${RESULT[epoll,mb]}:.2f}')")x"
  fi
  echo "$line"
done

# --- idle connections ------------------------------------------------------------------------------------
echo
echo "RSS per idle connection ($IDLE connections, each echoed 1 byte, then idle):"
for s in corio asio; do
  start_server "$s"
  sleep 0.3
  base=$(rss_kib "$SERVER_PID")
  rm -f "$TMP/ready"
  python3 - "$PORT" "$IDLE" "$TMP/ready" <<'EOF' &
import socket, sys, time
port, count, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"x")
    socks.append(s)
for s in socks:
    assert s.recv(1) == b"x"
open(ready, "w").close()
time.sleep(120)
EOF
  CLIENT_PID=$!
  for _ in $(seq 1 600); do [ -f "$TMP/ready" ] && break; sleep 0.1; done
  sleep 1
  loaded=$(rss_kib "$SERVER_PID")
  kill "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true
  stop_server
  python3 -c "print(f'  {\"$s\":6} {($loaded - $base) * 1024 / $IDLE:8.0f} B per connection  (RSS {$base} KiB -> {$loaded} KiB)')"
done

# --- many connections ------------------------------------------------------------------------------------
echo
echo "$BIG concurrent echo connections x 64 B against corio (1 worker thread), ${DURATION}s:"
start_server corio
json=$(taskset -c 1 "$CORIO" load echo --host 127.0.0.1 --port "$PORT" --connections "$BIG" --size 64 \
       --duration "$DURATION" --threads 1 --timeout 30 --json || true)
stop_server
python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"  connected {r['connected']}, round trips {r['round_trips']} ({r['round_trips_per_s']:.0f}/s), p99 {r['latency_us']['p99']:.0f} us, errors {r['errors']}\")" "$json"
