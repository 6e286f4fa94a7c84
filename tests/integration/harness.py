"""A small harness for integration tests that start the real `corio` binary.

Each test module defines functions named test_*; run_tests() runs them (optionally once per parameter),
prints one line per test and ends with "N passed, M failed". A test fails by raising (assert).
Servers listen on port 0 and announce "listening on HOST:PORT" on stdout; start_server() reads it.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import traceback

LISTENING = re.compile(rb"listening on [^ ]*:(\d+)")


class Server:
    """A corio server running as a subprocess; stops (SIGKILL) when the test ends, whatever happens."""

    def __init__(self, binary, args, timeout=10.0):
        self.proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.port = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = LISTENING.search(line)
            if m:
                self.port = int(m.group(1))
                return
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
        self.kill()
        raise RuntimeError(f"server {args} did not announce its port: {err}")

    def connect(self, timeout=10.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=15.0):
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def children(self):
        """PIDs of the server's direct children (for the process model)."""
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except FileNotFoundError:
            return []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def recv_exactly(sock, n):
    chunks = []
    while n > 0:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise AssertionError(f"connection closed with {n} bytes still expected")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_until_closed(sock, limit=1 << 24):
    chunks = []
    total = 0
    while total < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def only_for(*params):
    """Decorator: run this test only with these parameters."""
    def mark(test):
        test.only_for = params
        return test
    return mark


def run_tests(tests, params=(None,)):
    """Runs every (test, param) pair; prints the totals line; returns the process exit status."""
    passed = failed = 0
    for param in params:
        for test in tests:
            only = getattr(test, "only_for", None)
            if only is not None and param not in only:
                continue
            name = test.__name__ + (f"[{param}]" if param is not None else "")
            start = time.monotonic()
            try:
                test(param) if param is not None else test()
                passed += 1
                print(f"PASS {name} ({time.monotonic() - start:.2f}s)", flush=True)
            except Exception:  # noqa: BLE001 - report every failure and carry on
                failed += 1
                print(f"FAIL {name}", flush=True)
                traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1
