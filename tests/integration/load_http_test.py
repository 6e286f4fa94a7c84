"""`corio load http` against `corio http`, and against small Python servers that misbehave.

Usage: load_http_test.py CORIO_BINARY
"""
import json
import socket
import socketserver
import subprocess
import sys
import threading

from harness import Server, run_tests

BINARY = sys.argv[1]


def load(url, *args, timeout=60):
    out = subprocess.run([BINARY, "load", "http", "--url", url, "--threads", "1", "--json", *args],
                         capture_output=True, timeout=timeout)
    lines = [line for line in out.stdout.decode().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got {lines!r}; stderr: {out.stderr.decode(errors='replace')}"
    return out.returncode, json.loads(lines[0])


def corio_http():
    return Server(BINARY, ["http", "--host", "127.0.0.1", "--port", "0", "--threads", "1"])


class python_server:
    """A threading TCP server on 127.0.0.1:0 whose connections run `handle(sock)`."""

    def __init__(self, handle):
        class handler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    handle(self.request)
                except OSError:
                    pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def read_request(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


KEYS = ("requests", "requests_per_s", "p50_us", "p90_us", "p99_us", "max_us", "errors")


def test_load_against_corio_http_has_no_errors():
    with corio_http() as server:
        status, r = load(f"http://127.0.0.1:{server.port}/plaintext", "--connections", "20", "--duration", "2")
    assert status == 0, r
    for key in KEYS:
        assert key in r and isinstance(r[key], (int, float)), (key, r)
    assert r["mode"] == "http"
    assert r["errors"] == 0, r
    assert r["requests"] > 0, r
    assert r["connected"] == 20, r
    assert r["reconnects"] == 0, r
    assert 0 < r["p50_us"] <= r["p90_us"] <= r["p99_us"] <= r["max_us"], r
    # "Hello, World!" plus a head: every response counted is at least that long
    assert r["bytes"] >= r["requests"] * 13, r


def test_pipelined_load_and_bodies_against_corio_http_have_no_errors():
    with corio_http() as server:
        status, r = load(f"http://127.0.0.1:{server.port}/plaintext", "--connections", "8", "--duration", "1",
                         "--pipeline", "16")
        assert status == 0 and r["errors"] == 0 and r["requests"] >= 16, r
        assert r["requests"] % 16 == 0, r  # whole rounds: the run waits for every response it asked for
        status, r = load(f"http://127.0.0.1:{server.port}/echo", "--connections", "4", "--duration", "1",
                         "--method", "POST", "--body-size", "1000", "--pipeline", "4")
        assert status == 0 and r["errors"] == 0 and r["requests"] > 0, r
        assert r["bytes"] >= r["requests"] * 1000, r  # the echo handler sends the body back


def test_status_errors_are_counted():
    with corio_http() as server:
        status, r = load(f"http://127.0.0.1:{server.port}/no-such-path", "--connections", "2", "--duration", "1")
    assert status != 0
    assert r["errors_status"] == r["requests"] > 0, r
    assert r["errors"] == r["errors_status"], r


def test_a_server_that_closes_without_answering_counts_read_errors_and_reconnects():
    def handle(sock):
        read_request(sock)
        sock.close()

    with python_server(handle) as server:
        status, r = load(f"http://127.0.0.1:{server.port}/", "--connections", "2", "--duration", "1")
    assert status != 0
    assert r["requests"] == 0, r
    assert r["errors_read"] > 0, r
    assert r["errors"] >= r["errors_read"], r
    assert r["reconnects"] > 0, r


def test_connection_close_after_a_response_reconnects_without_errors():
    def handle(sock):
        if read_request(sock) is not None:
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        sock.close()

    with python_server(handle) as server:
        status, r = load(f"http://127.0.0.1:{server.port}/", "--connections", "2", "--duration", "1")
    assert status == 0, r
    assert r["errors"] == 0, r
    assert r["requests"] > 1, r
    assert r["reconnects"] >= r["requests"] - 2, r


def test_malformed_responses_count_parse_errors():
    def handle(sock):
        while read_request(sock) is not None:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\nX: y\r\n\r\nok")

    with python_server(handle) as server:
        status, r = load(f"http://127.0.0.1:{server.port}/", "--connections", "1", "--duration", "1")
    assert status != 0
    assert r["errors_parse"] > 0, r
    assert r["requests"] == 0, r


def test_nothing_listening_counts_connect_errors():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    status, r = load(f"http://127.0.0.1:{port}/", "--connections", "3", "--duration", "1")
    assert status != 0
    assert r["errors_connect"] >= 3, r
    assert r["requests"] == 0 and r["connected"] == 0, r


def test_a_server_that_stops_answering_is_a_timeout_error():
    def handle(sock):
        read_request(sock)
        threading.Event().wait(5)

    with python_server(handle) as server:
        status, r = load(f"http://127.0.0.1:{server.port}/", "--connections", "1", "--duration", "3",
                         "--timeout", "0.5")
    assert status != 0
    assert r["errors_timeout"] >= 1, r


if __name__ == "__main__":
    tests = [v for k, v in list(globals().items()) if k.startswith("test_")]
    sys.exit(run_tests(tests))
