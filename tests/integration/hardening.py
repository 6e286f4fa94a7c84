"""Helpers shared by the hardening tests (adversarial input, slowloris, fd exhaustion, shutdown, traversal).

Everything is bounded in time: reads take a deadline and fail the test instead of hanging.
"""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n")


def http_server(binary, *extra, root=None, threads=2, preexec_fn=None):
    args = ["http", "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)]
    if root is not None:
        args += ["--root", root]
    return Server(binary, [*args, *extra]) if preexec_fn is None else _server_with_preexec(binary, [*args, *extra],
                                                                                            preexec_fn)


def _server_with_preexec(binary, args, preexec_fn):
    """Server() with a preexec_fn (e.g. a lower RLIMIT_NOFILE); same announcement protocol."""
    import subprocess
    server = Server.__new__(Server)
    server.proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True, preexec_fn=preexec_fn)
    server.port = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = server.proc.stdout.readline()
        if not line:
            break
        m = re.search(rb"listening on [^ ]*:(\d+)", line)
        if m:
            server.port = int(m.group(1))
            return server
    server.kill()
    raise RuntimeError(f"server {args} did not announce its port")


class StreamCollector:
    """Drains a pipe (the server's stdout or stderr) in a thread so that the server never blocks on it."""

    def __init__(self, pipe):
        self.chunks = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.thread.start()

    def _run(self, pipe):
        for line in iter(pipe.readline, b""):
            with self.lock:
                self.chunks.append(line)

    def text(self):
        with self.lock:
            return b"".join(self.chunks).decode(errors="replace")


def read_until_closed(sock, timeout=5.0, limit=1 << 24):
    """Reads until the peer closes. Fails (AssertionError) if it is still open after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    chunks = []
    total = 0
    while total < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"connection still open after {timeout}s; got {b''.join(chunks)[:200]!r}")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"connection still open after {timeout}s; got {b''.join(chunks)[:200]!r}")
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def statuses(data):
    """Status codes of the responses found at response boundaries in `data` (heads only, bodies skipped)."""
    codes = []
    pos = 0
    while pos < len(data):
        m = STATUS_LINE.match(data, pos)
        if m is None:
            break
        codes.append(int(m.group(1)))
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            break
        head = data[pos:end].decode(errors="replace").lower()
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip() == "content-length":
                length = int(value.strip())
        pos = end + 4 + length
    return codes


def read_response(sock, timeout=10.0):
    """Reads exactly one Content-Length-framed response: (status, head text, body). Bounded in time."""
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"closed before a response head: {buf!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    text = head.decode(errors="replace")
    status = int(text.split(" ", 2)[1])
    length = 0
    for line in text.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("closed inside a response body")
        rest += chunk
    return status, text, rest[:length]


def raise_nofile_limit(wanted):
    """Raises this process's soft RLIMIT_NOFILE towards `wanted` (up to the hard limit); returns the new soft."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid):
    """utime + stime of a process, in seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
