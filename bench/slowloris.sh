#!/usr/bin/env bash
# Slowloris bench: `corio http` throughput on /plaintext with and without SLOW slow connections, each sending
# one byte of a never-ending request head per second (re-opened when the server closes them with 408 at
# the header timeout, as the attack does).
#
#   bash bench/slowloris.sh [BUILD_DIR]     # default build/release; SLOW=1000 DURATION=10 REPS=3 CONNS=50
#                                           # HEADER_TIMEOUT=10 (the server's default)
#
# Method: the server runs with one worker thread pinned to core 0; wrk (-t1 -cCONNS, keep-alive) and the
# attacker (a small Python process, ~SLOW bytes/s) on core 1. Baseline and attack runs alternate REPS
# times; the medians and their ratio are printed. Target: ratio >= 0.80. Exit status 0 when met.
set -euo pipefail

BUILD=${1:-build/release}
CORIO=$(realpath "$BUILD/src/cli/corio")
SLOW=${SLOW:-1000}
DURATION=${DURATION:-10}
REPS=${REPS:-3}
CONNS=${CONNS:-50}
HEADER_TIMEOUT=${HEADER_TIMEOUT:-10}

[ -x "$CORIO" ] || { echo "no corio binary at $CORIO (build first: ninja -C $BUILD)" >&2; exit 1; }
command -v wrk > /dev/null || { echo "wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }
command -v taskset > /dev/null || { echo "taskset is missing (util-linux)" >&2; exit 1; }
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d)
SERVER_PID=""
ATTACK_PID=""
cleanup() {
  for p in "$ATTACK_PID" "$SERVER_PID"; do
    if [ -n "$p" ]; then kill "$p" 2> /dev/null || true; wait "$p" 2> /dev/null || true; fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

cat > "$TMP/attack.py" <<'EOF'
# Keeps N slow connections: one header byte per second each, re-opened when closed. Prints
# "ready" once all are open, then on SIGTERM the number of 408 responses seen and of reconnects.
import selectors, signal, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
head = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Slow: "
sel = selectors.DefaultSelector()
state = {}
got408 = reconnects = 0
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
def open_one():
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    state[s] = [0, b""]
for _ in range(n):
    open_one()
print("ready", flush=True)
while running:
    tick = time.monotonic() + 1
    for s, st in list(state.items()):
        try:
            s.send(head[st[0]:st[0] + 1] if st[0] < len(head) else b"x")
            st[0] += 1
        except OSError:
            pass
    while running and time.monotonic() < tick:
        for key, _ in sel.select(timeout=max(0, tick - time.monotonic())):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                state[s][1] += data
                continue
            if state[s][1].startswith(b"HTTP/1.1 408"):
                got408 += 1
            sel.unregister(s)
            s.close()
            del state[s]
            reconnects += 1
            open_one()
print(f"408s {got408} reconnects {reconnects}", flush=True)
EOF

taskset -c 0 "$CORIO" http --host 127.0.0.1 --port 0 --threads 1 --header-timeout "$HEADER_TIMEOUT" \
  > "$TMP/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q "listening on" "$TMP/server.out" && break
  sleep 0.1
done
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$TMP/server.out" | head -1)
[ -n "$PORT" ] || { echo "the server did not start:" >&2; cat "$TMP/server.out" >&2; exit 1; }
URL="http://127.0.0.1:$PORT/plaintext"

run_wrk() {
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "$URL" > "$TMP/wrk.out"
  if grep -q "Socket errors\|Non-2xx" "$TMP/wrk.out"; then
    grep "Socket errors\|Non-2xx" "$TMP/wrk.out" | sed 's/^/    wrk: /' >&2
  fi
  sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$TMP/wrk.out"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "corio http (1 thread, core 0), wrk -t1 -c$CONNS ${DURATION}s (core 1), $SLOW slow connections (core 1)," \
  "header timeout ${HEADER_TIMEOUT}s, $REPS runs each"
taskset -c 1 wrk -t1 -c"$CONNS" -d1s "$URL" > /dev/null # warm-up
: > "$TMP/base"
: > "$TMP/attack"
for rep in $(seq "$REPS"); do
  base=$(run_wrk)
  echo "$base" >> "$TMP/base"
  taskset -c 1 python3 "$TMP/attack.py" "$PORT" "$SLOW" > "$TMP/attack.out" &
  ATTACK_PID=$!
  for _ in $(seq 600); do
    grep -q ready "$TMP/attack.out" && break
    sleep 0.1
  done
  sleep 1
  open=$(ls /proc/"$SERVER_PID"/fd | wc -l)
  under=$(run_wrk)
  echo "$under" >> "$TMP/attack"
  kill "$ATTACK_PID"
  wait "$ATTACK_PID" || true
  ATTACK_PID=""
  printf '  run %d: baseline %10.0f req/s   under attack %10.0f req/s   (server fds during attack: %d; %s)\n' \
    "$rep" "$base" "$under" "$open" "$(tail -1 "$TMP/attack.out")"
done
b=$(median < "$TMP/base")
a=$(median < "$TMP/attack")
ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')
verdict=$(awk -v r="$ratio" 'BEGIN {print (r >= 0.80) ? "met" : "MISSED"}')
printf 'median: baseline %.0f req/s, under %d slow connections %.0f req/s: ratio %s (target >= 0.80: %s)\n' \
  "$b" "$SLOW" "$a" "$ratio" "$verdict"
[ "$verdict" = met ]
