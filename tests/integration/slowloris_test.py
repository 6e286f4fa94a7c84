#!/usr/bin/env python3
"""Slowloris against `corio http --header-timeout 2`: ~1,000 connections each send one byte of a never-ending
request head per second (re-opening when the server closes them, as the attack does), while a normal
client runs keep-alive requests.

Asserted (loosely, the machine is small and shared; bench/slowloris.sh measures the ratio properly):
- the normal client's throughput under attack is at least half its no-attack baseline, measured in the
  same run;
- every slow connection the server closed got exactly one response, 408, then end of stream, no sooner
  than the header timeout allows (from its first byte) and not much later.

Usage: slowloris_test.py CORIO_BINARY
"""
import os
import selectors
import socket
import sys
import multiprocessing
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from hardening import http_server, raise_nofile_limit, read_response, statuses  # noqa: E402

BINARY = sys.argv[1]
HEADER_TIMEOUT = 2.0
SLOW_CONNECTIONS = 1000
HEAD = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Slow: "


def normal_client_rate(server, seconds):
    """Requests/s of one keep-alive client (a fresh connection every 50 requests: accepting is measured too)."""
    done = 0
    s = None
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < deadline:
        if s is None or done % 50 == 0:
            if s is not None:
                s.close()
            s = server.connect(timeout=10)
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        status, _, body = read_response(s)
        assert status == 200 and body == b"Hello, World!", (status, body)
        done += 1
    s.close()
    return done / (time.monotonic() - start)


class SlowConnection:
    def __init__(self, sock):
        self.sock = sock
        self.sent = 0
        self.first_byte = None
        self.data = b""


class Slowloris:
    """Keeps `count` slow connections open from a child process; records how each one the server closed
    ended (available after the `with` block)."""

    def __init__(self, port, count):
        self.port = port
        self.count = count
        self.sel = None
        self.closed = []  # (data received, seconds from first byte to end of stream)
        self.reset = 0
        # A separate process: the attack must not take the normal client's interpreter lock.
        ctx = multiprocessing.get_context("fork")
        self.stop = ctx.Event()
        self.opened = ctx.Event()
        self.results, self.child_end = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=self.child, daemon=True)

    def child(self):
        self.sel = selectors.DefaultSelector()
        try:
            self.run()
        finally:
            self.child_end.send((self.closed, self.reset))

    def open_one(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.setblocking(False)
        c = SlowConnection(s)
        self.sel.register(s, selectors.EVENT_READ, c)
        return c

    def run(self):
        conns = [self.open_one() for _ in range(self.count)]
        self.opened.set()
        while not self.stop.is_set():
            tick = time.monotonic() + 1.0
            for c in conns:
                byte = HEAD[c.sent:c.sent + 1] if c.sent < len(HEAD) else b"x"
                try:
                    c.sock.send(byte)
                    c.sent += 1
                    if c.first_byte is None:
                        c.first_byte = time.monotonic()
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    pass
            while True:
                left = tick - time.monotonic()
                if left <= 0 or self.stop.is_set():
                    break
                for key, _ in self.sel.select(timeout=min(left, 0.2)):
                    c = key.data
                    try:
                        chunk = c.sock.recv(65536)
                    except BlockingIOError:
                        continue
                    except ConnectionResetError:
                        chunk = None
                    if chunk:
                        c.data += chunk
                        continue
                    if chunk is None:
                        self.reset += 1
                    else:
                        self.closed.append((c.data, time.monotonic() - c.first_byte))
                    self.sel.unregister(c.sock)
                    c.sock.close()
                    conns[conns.index(c)] = self.open_one()  # the attack goes on
        for c in conns:
            c.sock.close()

    def __enter__(self):
        self.process.start()
        assert self.opened.wait(60), "could not open the slow connections"
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.results.poll(30):
            self.closed, self.reset = self.results.recv()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def test_slow_headers_get_408_while_normal_clients_keep_their_throughput():
    raise_nofile_limit(SLOW_CONNECTIONS * 2 + 200)
    with http_server(BINARY, "--header-timeout", str(HEADER_TIMEOUT)) as server:
        normal_client_rate(server, 0.5)  # warm up
        baseline = normal_client_rate(server, 3.0)
        with Slowloris(server.port, SLOW_CONNECTIONS) as attack:
            time.sleep(0.5)
            under_attack = normal_client_rate(server, 4.0)
            # Every slow connection of the first generation has reached the header timeout by now.
            time.sleep(HEADER_TIMEOUT + 1)
        ratio = under_attack / baseline
        print(f"  baseline {baseline:.0f} req/s, under {SLOW_CONNECTIONS} slow connections {under_attack:.0f} "
              f"req/s (ratio {ratio:.2f}); {len(attack.closed)} slow connections closed by the server, "
              f"{attack.reset} reset", flush=True)
        assert ratio >= 0.5, f"throughput under attack {ratio:.2f} of the baseline"
        assert len(attack.closed) >= SLOW_CONNECTIONS * 0.9, len(attack.closed)
        bad = [(d[:80], round(t, 2)) for d, t in attack.closed
               if statuses(d) != [408] or not d.endswith(b"Request Timeout")]
        assert not bad, bad[:5]
        durations = sorted(t for _, t in attack.closed)
        # The coarse clock and the sweep each have a granularity of a quarter of the timeout; the client's
        # 1 s tick adds at most 1 s.
        assert durations[0] >= HEADER_TIMEOUT * 0.7, durations[:5]
        assert durations[-1] <= HEADER_TIMEOUT + 4.0, durations[-5:]
        # Still healthy.
        with server.connect() as s:
            s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            assert read_response(s)[0] == 200


if __name__ == "__main__":
    sys.exit(run_tests([test_slow_headers_get_408_while_normal_clients_keep_their_throughput]))
