#!/usr/bin/env python3
"""Echo server integration tests over 127.0.0.1, run once per concurrency model.

Usage: echo_test.py CORIO_BINARY [MODEL...]
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, only_for, recv_exactly, recv_until_closed, run_tests  # noqa: E402

BINARY = sys.argv[1]
MODELS = sys.argv[2:] or ["coroutine", "thread", "process"]


def echo_server(model, *extra):
    return Server(BINARY, ["echo", "--host", "127.0.0.1", "--port", "0", "--threads", "2", "--model", model, *extra])


def echo_round_trip(server, payload):
    """Sends payload while reading the echo concurrently (large payloads would otherwise deadlock)."""
    with server.connect() as s:
        sender = threading.Thread(target=s.sendall, args=(payload,))
        sender.start()
        got = recv_exactly(s, len(payload))
        sender.join()
        return got


def test_echoes_every_byte_for_many_concurrent_clients_with_random_sizes(model):
    rng = random.Random(7)
    sizes = [1, 2, 100, 1500, 65536, 1 << 20] + [rng.randint(1, 200_000) for _ in range(26)]
    errors = []
    with echo_server(model) as server:
        def client(size, seed):
            try:
                payload = random.Random(seed).randbytes(size)
                got = echo_round_trip(server, payload)
                if got != payload:
                    errors.append(f"size {size}: echo differs")
            except Exception as e:  # noqa: BLE001
                errors.append(f"size {size}: {e!r}")

        clients = [threading.Thread(target=client, args=(size, i)) for i, size in enumerate(sizes)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(60)
    assert not errors, errors


def test_many_messages_on_one_connection_come_back_in_order(model):
    with echo_server(model) as server, server.connect() as s:
        for i in range(200):
            msg = f"message {i}\n".encode()
            s.sendall(msg)
            assert recv_exactly(s, len(msg)) == msg


def test_half_close_gets_the_rest_of_the_echo_then_eof(model):
    payload = os.urandom(300_000)
    with echo_server(model) as server, server.connect() as s:
        sender = threading.Thread(target=lambda: (s.sendall(payload), s.shutdown(socket.SHUT_WR)))
        sender.start()
        got = recv_until_closed(s)
        sender.join()
        assert got == payload


def test_idle_timeout_closes_a_silent_connection(model):
    with echo_server(model, "--idle-timeout", "0.3") as server, server.connect(timeout=10) as s:
        start = time.monotonic()
        assert s.recv(1) == b""
        assert time.monotonic() - start < 8


def test_idle_timeout_spares_an_active_connection(model):
    with echo_server(model, "--idle-timeout", "1") as server, server.connect() as s:
        for _ in range(6):
            time.sleep(0.3)
            s.sendall(b"ping")
            assert recv_exactly(s, 4) == b"ping"


def test_sigterm_drains_in_flight_echoes_and_exits_zero(model):
    payload = os.urandom(64 * 1024)
    with echo_server(model) as server, server.connect() as s:
        s.sendall(b"warm")
        assert recv_exactly(s, 4) == b"warm"
        s.sendall(payload)
        server.signal(signal.SIGTERM)
        got = recv_until_closed(s)
        assert got == payload, f"got {len(got)} of {len(payload)} bytes"
        assert server.wait(15) == 0
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
            refused = False
        except OSError:
            refused = True
        assert refused, "the server still accepts after SIGTERM"


@only_for("coroutine", "thread")
def test_five_hundred_connections_open_at_once_are_all_echoed(model):
    with echo_server(model) as server:
        socks = [server.connect(timeout=30) for _ in range(500)]
        try:
            for i, s in enumerate(socks):
                s.sendall(f"connection {i:04d} says hello".encode())
            for i, s in enumerate(socks):
                expected = f"connection {i:04d} says hello".encode()
                assert recv_exactly(s, len(expected)) == expected
        finally:
            for s in socks:
                s.close()


@only_for("coroutine")
def test_corio_load_echo_reports_round_trips_and_no_errors_as_json(model):
    with echo_server(model) as server:
        out = subprocess.run([BINARY, "load", "echo", "--host", "127.0.0.1", "--port", str(server.port),
                              "--connections", "20", "--size", "100", "--duration", "2", "--threads", "1",
                              "--json"], capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr.decode(errors="replace")
        lines = [line for line in out.stdout.decode().splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one JSON line, got {lines!r}"
        report = json.loads(lines[0])
        assert report["mode"] == "echo"
        assert report["errors"] == 0, report
        assert report["round_trips"] > 0, report
        assert report["connected"] == 20, report
        assert report["bytes"] == report["round_trips"] * 100, report
        lat = report["latency_us"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], lat


@only_for("coroutine")
def test_corio_load_echo_counts_errors_when_nothing_listens(model):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port now
    out = subprocess.run([BINARY, "load", "echo", "--host", "127.0.0.1", "--port", str(port),
                          "--connections", "3", "--duration", "1", "--json"], capture_output=True, timeout=60)
    assert out.returncode != 0
    report = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert report["errors"] == 3, report
    assert report["round_trips"] == 0, report


@only_for("process")
def test_process_model_leaves_no_zombies(model):
    with echo_server(model) as server:
        for _ in range(20):
            assert echo_round_trip(server, b"x" * 100) == b"x" * 100
        deadline = time.monotonic() + 5
        while server.children() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.children() == [], f"children left: {server.children()}"


if __name__ == "__main__":
    tests = [v for k, v in list(globals().items()) if k.startswith("test_")]
    sys.exit(run_tests(tests, MODELS))
