#!/usr/bin/env bash
# HTTP bench: corio http (one worker thread) vs nginx (one worker process), side by side, same run.
#
#   bash bench/peers.sh [BUILD_DIR]     # default build/release; DURATION=10 REPS=5 IDLE=9000
#
# Method (issue 8): each server runs pinned to core 0, wrk (one thread) pinned to core 1. The servers are run
# in turn, REPS times (alternating, restarted for every run), and the median of each figure is reported.
# The keep-alive CPU target is judged on the median of the per-run ratios (corio's run against the nginx
# run next to it): the machine's speed drifts between runs, and a ratio of runs made seconds apart
# cancels most of the drift. The ratio of the two medians is printed too.
#   (a) GET /plaintext, keep-alive, 100 connections: server CPU µs per request (utime+stime delta from
#       /proc/PID/stat over the run, master and worker summed for nginx) and requests/s;
#   (b) GET /plaintext pipelined 16 deep (bench/pipeline.lua, as TechEmpower's plaintext test), 256
#       connections: requests/s and CPU µs per request;
#   (c) IDLE keep-alive connections, each having made one request: server RSS growth per connection;
#   (d) GET /plaintext with `Connection: close`, 100 connections (a connection per request): server CPU µs
#       per request, judged like (a) on per-run ratios, and requests/s (no target in issue 8).
# nginx is installed with apt-get when missing; its configuration is generated in a temporary directory:
# 1 worker, `return 200 "Hello, World!"` (text/plain), access_log off, 127.0.0.1 only, keepalive_requests
# unlimited in practice (corio has no per-connection request limit either).
set -euo pipefail

BUILD=${1:-build/release}
CORIO=$(realpath "$BUILD/src/cli/corio")
HERE=$(cd "$(dirname "$0")" && pwd)
DURATION=${DURATION:-10}
REPS=${REPS:-5}
IDLE=${IDLE:-9000}
# Below the ephemeral port range: a probe connect can never self-connect.
CORIO_PORT=${CORIO_PORT:-17021}
NGINX_PORT=${NGINX_PORT:-17022}

[ -x "$CORIO" ] || { echo "no corio binary at $CORIO (build first: ninja -C $BUILD)" >&2; exit 1; }
for tool in taskset wrk python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install util-linux wrk python3)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  echo "installing nginx (apt-get)..." >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  # Keep the package from starting its own service on port 80 (the usual container policy).
  POLICY_ADDED=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    POLICY_ADDED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends nginx >&2 ||
    { $SUDO apt-get update >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends nginx >&2; }
  [ -n "$POLICY_ADDED" ] && $SUDO rm -f /usr/sbin/policy-rc.d
  NGINX=/usr/sbin/nginx
fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -le $((IDLE + 100)) ]; then
  echo "the file descriptor limit ($(ulimit -n)) is too low for $IDLE connections" >&2; exit 1
fi

TMP=$(mktemp -d)
SERVER_PID=""
CLIENT_PID=""
cleanup() {
  if [ -n "$CLIENT_PID" ]; then kill "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$TMP/nginx"
cat > "$TMP/nginx/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
master_process on;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
worker_rlimit_nofile 20000;
events {
    worker_connections 20000;
}
http {
    access_log off;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location / {
            default_type text/plain;
            return 200 "Hello, World!";
        }
    }
}
EOF
"$NGINX" -t -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" 2>"$TMP/nginx/check.log" ||
  { cat "$TMP/nginx/check.log" >&2; exit 1; }

# --- helpers ---------------------------------------------------------------------------------------------
wait_port() { # port
  for _ in $(seq 1 200); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "server on port $1 did not come up" >&2; exit 1
}

start_server() { # name -> sets SERVER_PID, PORT
  case "$1" in
    corio) taskset -c 0 "$CORIO" http --host 127.0.0.1 --port "$CORIO_PORT" --threads 1 >"$TMP/corio.log" 2>&1 &
           SERVER_PID=$!; PORT=$CORIO_PORT ;;
    nginx) taskset -c 0 "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
             >"$TMP/nginx.log" 2>&1 &
           SERVER_PID=$!; PORT=$NGINX_PORT ;;
  esac
  wait_port "$PORT"
  sleep 0.3
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true # nginx: TERM to the master stops the workers too
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  sleep 0.3
}

# The server's processes: the PID and its children (nginx's workers).
tree_pids() { echo "$1"; cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' | sed '/^$/d'; }
cpu_ticks() { # pid -> utime+stime summed over the tree
  local sum=0 p t
  for p in $(tree_pids "$1"); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    sum=$((sum + t))
  done
  echo "$sum"
}
rss_kib() { # pid -> VmRSS summed over the tree
  local sum=0 p r
  for p in $(tree_pids "$1"); do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    sum=$((sum + r))
  done
  echo "$sum"
}
CLK_TCK=$(getconf CLK_TCK)

run_wrk() { # server connections [pipeline depth | close] -> prints "cpu_us_per_request requests_per_s errors"
  local before after out depth=${3:-}
  start_server "$1"
  local url="http://127.0.0.1:$PORT/plaintext"
  before=$(cpu_ticks "$SERVER_PID")
  if [ "$depth" = close ]; then
    out=$(taskset -c 1 wrk -t1 -c"$2" -d"${DURATION}s" --timeout 10s -H "Connection: close" "$url" 2>&1 || true)
  elif [ -n "$depth" ]; then
    out=$(taskset -c 1 wrk -t1 -c"$2" -d"${DURATION}s" --timeout 10s -s "$HERE/pipeline.lua" "$url" -- "$depth" 2>&1 || true)
  else
    out=$(taskset -c 1 wrk -t1 -c"$2" -d"${DURATION}s" --timeout 10s "$url" 2>&1 || true)
  fi
  after=$(cpu_ticks "$SERVER_PID")
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "server $1 died during the run" >&2; out=""; fi
  stop_server
  echo "$out" > "$TMP/wrk-$1-$2${depth:+-p$depth}.txt"
  python3 - "$before" "$after" "$CLK_TCK" "$out" <<'EOF'
import re, sys
before, after, tck, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
total = re.search(r"(\d+) requests in", out)
rate = re.search(r"Requests/sec:\s*([0-9.]+)", out)
if not total or not rate:
    print("nan 0 1"); sys.exit()
errors = 0
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
if sock:
    errors += sum(int(g) for g in sock.groups())
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
if non2xx:
    errors += int(non2xx.group(1))
requests = int(total.group(1))
cpu_us = (after - before) * 1e6 / tck
print(f"{cpu_us / requests if requests else float('nan'):.3f} {float(rate.group(1)):.0f} {errors}")
EOF
}

run_idle() { # server -> prints "bytes_per_connection errors"
  start_server "$1"
  local base loaded
  base=$(rss_kib "$SERVER_PID")
  rm -f "$TMP/ready"
  taskset -c 1 python3 - "$PORT" "$IDLE" "$TMP/ready" <<'EOF' &
import socket, sys, time
port, count, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
request = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
socks, bad = [], 0
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    socks.append(s)
for s in socks:
    data = b""
    while not data.endswith(b"Hello, World!"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        bad += 1
with open(ready, "w") as f:
    f.write(str(bad))
time.sleep(300)
EOF
  CLIENT_PID=$!
  for _ in $(seq 1 1200); do [ -s "$TMP/ready" ] && break; sleep 0.1; done
  sleep 1
  loaded=$(rss_kib "$SERVER_PID")
  local bad
  bad=$(cat "$TMP/ready" 2>/dev/null || echo "$IDLE")
  kill "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true
  CLIENT_PID=""
  stop_server
  python3 -c "print(f'{($loaded - $base) * 1024 / $IDLE:.0f} $bad')"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'nan')" "$1" "$2"; }

echo "corio vs nginx: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "$("$NGINX" -v 2>&1); corio $("$CORIO" --version 2>/dev/null || echo '?')"
echo "servers on core 0 (corio: 1 worker thread; nginx: 1 worker), wrk -t1 on core 1; ${DURATION}s per run,"
echo "median of $REPS alternating runs"
echo

for s in corio nginx; do for f in ka_cpu ka_rps ka_err pl_cpu pl_rps pl_err cl_cpu cl_rps cl_err idle idle_err; do : > "$TMP/$s.$f"; done; done
for rep in $(seq 1 "$REPS"); do
  order="corio nginx"; [ $((rep % 2)) -eq 0 ] && order="nginx corio"
  for s in $order; do
    read -r cpu rps err < <(run_wrk "$s" 100)
    echo "$cpu" >> "$TMP/$s.ka_cpu"; echo "$rps" >> "$TMP/$s.ka_rps"; echo "$err" >> "$TMP/$s.ka_err"
    echo "  run $rep $s keep-alive: $cpu us/request, $rps requests/s, $err errors" >&2
  done
  for s in $order; do
    read -r cpu rps err < <(run_wrk "$s" 256 16)
    echo "$cpu" >> "$TMP/$s.pl_cpu"; echo "$rps" >> "$TMP/$s.pl_rps"; echo "$err" >> "$TMP/$s.pl_err"
    echo "  run $rep $s pipelined: $cpu us/request, $rps requests/s, $err errors" >&2
  done
  for s in $order; do
    read -r bytes bad < <(run_idle "$s")
    echo "$bytes" >> "$TMP/$s.idle"; echo "$bad" >> "$TMP/$s.idle_err"
    echo "  run $rep $s idle: $bytes B/connection, $bad bad responses" >&2
  done
  for s in $order; do
    read -r cpu rps err < <(run_wrk "$s" 100 close)
    echo "$cpu" >> "$TMP/$s.cl_cpu"; echo "$rps" >> "$TMP/$s.cl_rps"; echo "$err" >> "$TMP/$s.cl_err"
    echo "  run $rep $s connection per request: $cpu us/request, $rps requests/s, $err errors" >&2
  done
done

declare -A M
for s in corio nginx; do
  for f in ka_cpu ka_rps pl_cpu pl_rps cl_cpu cl_rps idle; do M[$s,$f]=$(median < "$TMP/$s.$f"); done
  for f in ka_err pl_err cl_err idle_err; do M[$s,$f]=$(awk '{s+=$1} END {print s+0}' "$TMP/$s.$f"); done
done
verdict() { # value op limit
  python3 -c "import sys; v, op, l = float(sys.argv[1]), sys.argv[2], float(sys.argv[3]); print('met' if (v <= l if op == '<=' else v >= l) else 'MISSED')" "$1" "$2" "$3"
}
r_ka=$(ratio "${M[corio,ka_cpu]}" "${M[nginx,ka_cpu]}")
# Per-run ratios: line k of each file is run k.
r_ka_pair=$(paste "$TMP/corio.ka_cpu" "$TMP/nginx.ka_cpu" | awk '{ if ($2 > 0) printf "%.4f\n", $1 / $2 }' | median)
r_ka_pair=$(python3 -c "print(f'{float(\"$r_ka_pair\"):.2f}')")
ka_pairs=$(paste "$TMP/corio.ka_cpu" "$TMP/nginx.ka_cpu" | awk '{ if ($2 > 0) printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2 }')
r_kar=$(ratio "${M[corio,ka_rps]}" "${M[nginx,ka_rps]}")
r_pl=$(ratio "${M[corio,pl_rps]}" "${M[nginx,pl_rps]}")
r_plc=$(ratio "${M[corio,pl_cpu]}" "${M[nginx,pl_cpu]}")
r_idle=$(ratio "${M[corio,idle]}" "${M[nginx,idle]}")
r_cl_pair=$(paste "$TMP/corio.cl_cpu" "$TMP/nginx.cl_cpu" | awk '{ if ($2 > 0) printf "%.4f\n", $1 / $2 }' | median)
r_cl_pair=$(python3 -c "print(f'{float(\"$r_cl_pair\"):.2f}')")
r_clr=$(ratio "${M[corio,cl_rps]}" "${M[nginx,cl_rps]}")
printf "%-34s %-18s %12s %12s %12s  %s\n" "case" "figure" "corio" "nginx" "corio/nginx" "target"
printf "%-34s %-18s %12s %12s %12s  %s\n" "(a) /plaintext keep-alive c=100" "CPU us/request" "${M[corio,ka_cpu]}" "${M[nginx,ka_cpu]}" "$r_ka" "(ratio of medians)"
printf "%-34s %-18s %12s %12s %12s  %s\n" "" "CPU, per-run ratio" "" "" "$r_ka_pair" "<= 0.90x: $(verdict "$r_ka_pair" '<=' 0.9)  (median of $ka_pairs)"
printf "%-34s %-18s %12s %12s %12s\n" "" "requests/s" "${M[corio,ka_rps]}" "${M[nginx,ka_rps]}" "$r_kar"
printf "%-34s %-18s %12s %12s\n" "" "errors (all runs)" "${M[corio,ka_err]}" "${M[nginx,ka_err]}"
printf "%-34s %-18s %12s %12s %12s  %s\n" "(b) /plaintext pipelined x16 c=256" "requests/s" "${M[corio,pl_rps]}" "${M[nginx,pl_rps]}" "$r_pl" ">= 6x: $(verdict "$r_pl" '>=' 6)"
printf "%-34s %-18s %12s %12s %12s\n" "" "CPU us/request" "${M[corio,pl_cpu]}" "${M[nginx,pl_cpu]}" "$r_plc"
printf "%-34s %-18s %12s %12s\n" "" "errors (all runs)" "${M[corio,pl_err]}" "${M[nginx,pl_err]}"
printf "%-34s %-18s %12s %12s %12s  %s\n" "(c) $IDLE idle keep-alive conns" "RSS B/connection" "${M[corio,idle]}" "${M[nginx,idle]}" "$r_idle" "<= 512 B: $(verdict "${M[corio,idle]}" '<=' 512)"
printf "%-34s %-18s %12s %12s\n" "" "bad responses" "${M[corio,idle_err]}" "${M[nginx,idle_err]}"
printf "%-34s %-18s %12s %12s %12s  %s\n" "(d) Connection: close c=100" "CPU us/request" "${M[corio,cl_cpu]}" "${M[nginx,cl_cpu]}" "$r_cl_pair" "(median of per-run ratios; no target)"
printf "%-34s %-18s %12s %12s %12s\n" "" "requests/s" "${M[corio,cl_rps]}" "${M[nginx,cl_rps]}" "$r_clr"
printf "%-34s %-18s %12s %12s\n" "" "errors (all runs)" "${M[corio,cl_err]}" "${M[nginx,cl_err]}"
