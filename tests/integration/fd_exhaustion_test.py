#!/usr/bin/env python3
"""File descriptor exhaustion: `corio http` runs with RLIMIT_NOFILE 64 and is offered more connections than
it can hold. It must log the condition, back off instead of spinning on accept (its CPU time stays low
while connections wait in the backlog), keep serving a connection it already has, and accept again once
descriptors are freed.

Usage: fd_exhaustion_test.py CORIO_BINARY
"""
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from hardening import StreamCollector, cpu_seconds, http_server, read_response, read_until_closed  # noqa: E402

BINARY = sys.argv[1]
FD_LIMIT = 64
EXTRA_CONNECTIONS = 120  # well beyond what 64 descriptors allow


def low_fd_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def plaintext(sock):
    sock.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    status, _, body = read_response(sock, timeout=5)
    return status, body


def ubsan_vptr_checked(binary):
    """True for a build with UBSan's vptr check: on a cache miss the check probes memory through a pipe(2),
    which fails without a free descriptor, and it then reports every virtual call as invalid (a false
    positive that aborts a -fno-sanitize-recover build). Exhaustion cannot be tested there. meson passes
    the build's b_sanitize in CORIO_SANITIZE; by hand, an ASan binary is taken to have UBSan too (as the
    project's sanitizer builds do; ThreadSanitizer builds are fine)."""
    sanitize = os.environ.get("CORIO_SANITIZE")
    if sanitize is not None:
        return "undefined" in sanitize
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def test_exhausted_descriptors_are_logged_backed_off_and_recovered():
    if ubsan_vptr_checked(BINARY):
        print("SKIP UBSan's vptr check needs a free descriptor (see ubsan_vptr_checked); runs in the release build")
        return
    with http_server(BINARY, threads=1, preexec_fn=low_fd_limit) as server:
        out, err = StreamCollector(server.proc.stdout), StreamCollector(server.proc.stderr)

        class log:  # spdlog's default logger writes to stdout; fatal messages go to stderr
            text = staticmethod(lambda: out.text() + err.text())
        pid = server.proc.pid
        with open(f"/proc/{pid}/limits") as f:
            assert any(line.startswith("Max open files") and f" {FD_LIMIT} " in line for line in f), \
                "the server does not run under the low limit"
        keeper = server.connect()
        assert plaintext(keeper) == (200, b"Hello, World!")

        flood = [server.connect() for _ in range(EXTRA_CONNECTIONS)]  # the kernel completes them: backlog
        wait_for(lambda: open_fds(pid) >= FD_LIMIT - 1, 10, "the server to run out of descriptors")
        wait_for(lambda: "accept failed" in log.text(), 10, "the server to log the exhaustion")
        assert "Too many open files" in log.text(), log.text()

        # No busy loop: accept keeps failing while the backlog holds connections, yet CPU stays low.
        before = cpu_seconds(pid)
        time.sleep(2.0)
        spent = cpu_seconds(pid) - before
        print(f"  {spent:.3f} s of server CPU in 2 s of exhaustion", flush=True)
        assert spent < 0.2, f"{spent:.2f} s of CPU in 2 s of exhaustion: busy loop"
        # Logged once per episode, not once per failed accept.
        assert log.text().count("accept failed") <= 2, log.text()

        # The connection it already has is served (more than once: it stays keep-alive).
        for _ in range(3):
            assert plaintext(keeper) == (200, b"Hello, World!")
        # A static file that exists cannot be opened now: 503 (retry later), never a cacheable 404.
        keeper.sendall(b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n")
        status, head, _ = read_response(keeper, timeout=5)
        assert status == 503, f"{status} for an existing file while out of descriptors"
        assert "Retry-After:" in head, head

        # Free the descriptors: the waiting connections are accepted (and closed, they are gone), then new ones.
        for s in flood:
            s.close()
        wait_for(lambda: "accepting again" in log.text(), 10, "the server to accept again")
        fresh = [server.connect() for _ in range(5)]
        for s in fresh:
            assert plaintext(s) == (200, b"Hello, World!")
            s.close()
        assert plaintext(keeper) == (200, b"Hello, World!")
        keeper.sendall(b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n")
        assert read_response(keeper, timeout=5)[0] == 200
        keeper.close()

        # And it still shuts down cleanly.
        server.signal()
        assert server.wait(timeout=15) == 0


def test_a_connection_over_the_per_thread_limit_gets_503_and_is_closed():
    with http_server(BINARY, "--max-connections-per-thread", "3", threads=1) as server:
        held = [server.connect() for _ in range(3)]
        for s in held:
            assert plaintext(s)[0] == 200
        with server.connect() as s:
            data = read_until_closed(s, timeout=5)
            assert data.startswith(b"HTTP/1.1 503 "), data
            assert b"Connection: close" in data
        held.pop().close()
        time.sleep(0.2)
        with server.connect() as s:
            assert plaintext(s)[0] == 200
        for s in held:
            s.close()


if __name__ == "__main__":
    sys.exit(run_tests([
        test_exhausted_descriptors_are_logged_backed_off_and_recovered,
        test_a_connection_over_the_per_thread_limit_gets_503_and_is_closed,
    ]))
