#!/usr/bin/env python3
"""Graceful shutdown of `corio http` on SIGTERM: stop accepting (new connections are refused), close idle
keep-alive connections, finish every request already received (a body still arriving, a head still
arriving, a large response still being written), answer them with "Connection: close", exit 0 within
--drain-timeout. Under load, every request the server logged as processed reached its client complete. A
second SIGTERM forces an exit (non-zero) while a request is stuck; a stuck request is cut at the drain
timeout.

Usage: shutdown_test.py CORIO_BINARY
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from hardening import StreamCollector, http_server, read_response, read_until_closed  # noqa: E402

BINARY = sys.argv[1]
BIG = 8 * 1024 * 1024  # larger than the socket buffers: the response is still being written at SIGTERM


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_sigterm_finishes_received_requests_closes_idle_ones_refuses_new_ones_and_exits_zero():
    root = tempfile.mkdtemp(prefix="corio-drain-")
    big = os.urandom(BIG)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(big)
    try:
        drain = 5.0
        with http_server(BINARY, "--drain-timeout", str(drain), root=root) as server:
            idle = []
            for _ in range(3):  # served once, now idle keep-alive
                s = server.connect()
                s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                assert read_response(s)[0] == 200
                idle.append(s)
            idle += [server.connect() for _ in range(2)]  # never sent a byte
            body = os.urandom(200_000)
            partial_body = server.connect()
            partial_body.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-test\r\n"
                                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:100_000])
            partial_head = server.connect()
            partial_head.sendall(b"GET /plaintext HTTP/1.1\r\nHo")
            download = server.connect()
            download.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            download.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            got = download.recv(1000)
            assert got.startswith(b"HTTP/1.1 200"), got
            time.sleep(0.3)  # every byte above has reached the server

            start = time.monotonic()
            server.signal(signal.SIGTERM)

            # New connections are refused (the listeners are closed).
            assert wait_until(lambda: refused(server.port), 3.0), "still accepting after SIGTERM"
            # Idle keep-alive connections are closed without a response.
            for s in idle:
                assert read_until_closed(s, timeout=3.0) == b""
                s.close()
            # The rest of the body: the request is answered in full, with Connection: close.
            partial_body.sendall(body[100_000:])
            status, head, echoed = read_response(partial_body)
            assert status == 200 and echoed == body, (status, len(echoed))
            assert "Connection: close" in head, head
            assert read_until_closed(partial_body) == b""
            # The rest of the head: answered too.
            partial_head.sendall(b"st: a\r\n\r\n")
            status, head, text = read_response(partial_head)
            assert (status, text) == (200, b"Hello, World!"), (status, text)
            assert "Connection: close" in head, head
            # The response being written arrives complete.
            rest = read_until_closed(download, timeout=10.0)
            data = got + rest
            head, _, content = data.partition(b"\r\n\r\n")
            assert content == big, f"{len(content)} of {BIG} bytes"
            for s in (partial_body, partial_head, download):
                s.close()

            status = server.wait(timeout=drain + 5)
            elapsed = time.monotonic() - start
            assert status == 0, status
            assert elapsed < drain, f"exit took {elapsed:.1f} s (drain timeout {drain} s)"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_second_sigterm_forces_exit_while_a_request_is_stuck():
    with http_server(BINARY, "--drain-timeout", "30") as server:
        stuck = server.connect()
        stuck.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part")
        time.sleep(0.2)
        server.signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.proc.poll() is None, "exited at once although a request was in progress"
        start = time.monotonic()
        server.signal(signal.SIGTERM)
        status = server.wait(timeout=5)
        assert status != 0, "a forced exit must not look like a clean one"
        assert time.monotonic() - start < 2.0
        stuck.close()


def test_the_drain_timeout_cuts_a_stuck_request_and_the_server_exits():
    drain = 1.0
    with http_server(BINARY, "--drain-timeout", str(drain)) as server:
        stuck = server.connect()
        stuck.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part")
        time.sleep(0.2)
        start = time.monotonic()
        server.signal(signal.SIGTERM)
        status = server.wait(timeout=drain + 10)
        elapsed = time.monotonic() - start
        assert status == 0, status
        assert drain * 0.8 <= elapsed < drain + 3, f"exit after {elapsed:.2f} s"
        data = read_until_closed(stuck, timeout=2)
        assert b"Hello" not in data
        stuck.close()


ACCESS = re.compile(r'"GET (/plaintext\?c=\d+&n=\d+) HTTP/1\.1" 200')


def load_client(port, index, stop, answered, problems):
    """Sequential keep-alive requests with unique targets until the server stops accepting."""
    n = 0
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
        except (ConnectionRefusedError, ConnectionResetError):
            return
        try:
            while True:
                target = f"/plaintext?c={index}&n={n}"
                n += 1
                s.sendall(f"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
                try:
                    status, head, body = read_response(s, timeout=10)
                except (AssertionError, ConnectionResetError, BrokenPipeError):
                    break  # closed between requests: this one was never received
                if status != 200 or body != b"Hello, World!":
                    problems.append(f"{target}: {status} {body[:40]!r}")
                answered.add(target)
                if "Connection: close" in head:
                    break
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()


def test_under_load_every_request_the_server_processed_reached_its_client():
    with http_server(BINARY, "--drain-timeout", "5", "--access-log") as server:
        log = StreamCollector(server.proc.stdout)
        stop = threading.Event()
        answered, problems = set(), []
        clients = [threading.Thread(target=load_client, args=(server.port, i, stop, answered, problems), daemon=True)
                   for i in range(8)]
        for c in clients:
            c.start()
        time.sleep(1.0)
        server.signal(signal.SIGTERM)
        start = time.monotonic()
        status = server.wait(timeout=15)
        elapsed = time.monotonic() - start
        stop.set()
        for c in clients:
            c.join(15)
        log.thread.join(5)
        processed = set(ACCESS.findall(log.text()))
        assert status == 0 and elapsed < 5, (status, elapsed)
        assert not problems, problems[:5]
        assert len(processed) > 100, f"only {len(processed)} requests under load"
        lost = processed - answered
        assert not lost, f"{len(lost)} processed requests never reached their client: {sorted(lost)[:5]}"
        print(f"  {len(processed)} requests processed, all answered; exit after {elapsed:.2f} s", flush=True)


def test_sigterm_during_wrk_exits_zero_within_the_drain_timeout():
    if shutil.which("wrk") is None:
        print("SKIP wrk not installed (scripts/setup.sh installs it)")
        return
    with http_server(BINARY, "--drain-timeout", "5") as server:
        wrk = subprocess.Popen(["wrk", "-t1", "-c50", "-d4s", f"http://127.0.0.1:{server.port}/plaintext"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        server.signal(signal.SIGTERM)
        start = time.monotonic()
        status = server.wait(timeout=15)
        elapsed = time.monotonic() - start
        out, err = wrk.communicate(timeout=30)
        assert status == 0 and elapsed < 5, (status, elapsed)
        assert "requests in" in out, out + err
        assert "Non-2xx" not in out, out  # nothing half-written or refused with an error status


if __name__ == "__main__":
    sys.exit(run_tests([
        test_sigterm_finishes_received_requests_closes_idle_ones_refuses_new_ones_and_exits_zero,
        test_a_second_sigterm_forces_exit_while_a_request_is_stuck,
        test_the_drain_timeout_cuts_a_stuck_request_and_the_server_exits,
        test_under_load_every_request_the_server_processed_reached_its_client,
        test_sigterm_during_wrk_exits_zero_within_the_drain_timeout,
    ]))
