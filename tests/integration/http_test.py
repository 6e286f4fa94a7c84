#!/usr/bin/env python3
"""`corio http` integration tests over 127.0.0.1 with real clients: curl, http.client, raw sockets, wrk and
a headless Chromium (the last two are skipped, with a note, when not installed).

Usage: http_test.py CORIO_BINARY WWW_DIR BUILD_DIR
"""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, recv_until_closed, run_tests  # noqa: E402

BINARY = sys.argv[1]
WWW = os.path.abspath(sys.argv[2])
BUILD_DIR = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else tempfile.gettempdir()
MODELS = sys.argv[4:] or ["coroutine"]
MODEL = MODELS[0]  # the model the running test starts its server with


def http_server(*extra, root=WWW):
    return Server(BINARY, ["http", "--host", "127.0.0.1", "--port", "0", "--threads", "2", "--root", root,
                           "--model", MODEL, *extra])


def for_each_model(tests, coroutine_only=()):
    """The tests once per model (by the same test code), as run_tests entries named test[model]."""
    runs = []
    for model in MODELS:
        for test in tests:
            if model != "coroutine" and test in coroutine_only:
                continue

            def run(test=test, model=model):
                global MODEL
                MODEL = model
                test()
            run.__name__ = f"{test.__name__}[{model}]"
            runs.append(run)
    return runs


def curl(server, *args, path="/"):
    """Runs curl; returns (exit status, stdout bytes, stderr text)."""
    url = f"http://127.0.0.1:{server.port}{path}"
    p = subprocess.run(["curl", "-sS", "--max-time", "20", *args, url], capture_output=True, timeout=30)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def read_response(sock_file):
    """Reads one response from a socket file: (status, headers dict (lower-case names), body)."""
    status_line = sock_file.readline()
    if not status_line:
        return None
    parts = status_line.decode().split(" ", 2)
    status = int(parts[1])
    headers = {}
    while True:
        line = sock_file.readline().decode()
        if line in ("\r\n", ""):
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers and status not in (204, 304) and status >= 200:
        body = sock_file.read(int(headers["content-length"]))
    return status, headers, body


# -- curl ---------------------------------------------------------------------------------------------------

def test_curl_reuses_the_keep_alive_connection():
    with http_server() as server:
        url = f"http://127.0.0.1:{server.port}"
        p = subprocess.run(["curl", "-sv", "--max-time", "20", f"{url}/plaintext", f"{url}/json"],
                           capture_output=True, timeout=30)
        assert p.returncode == 0, p.stderr
        assert p.stdout == b'Hello, World!{"message":"Hello, World!"}', p.stdout
        err = p.stderr.decode(errors="replace")
        assert "Re-using existing connection" in err, err


def test_plaintext_and_json_carry_the_techempower_headers():
    with http_server() as server:
        for path, body, ctype in (("/plaintext", b"Hello, World!", "text/plain"),
                                  ("/json", b'{"message":"Hello, World!"}', "application/json")):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", path)
            r = conn.getresponse()
            assert r.status == 200
            assert r.read() == body
            assert r.getheader("Server") == "corio"
            assert r.getheader("Date")
            assert r.getheader("Content-Type") == ctype
            assert r.getheader("Content-Length") == str(len(body))
            conn.close()


def test_curl_chunked_upload_is_echoed():
    payload = os.urandom(100_000)
    with http_server() as server, tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        rc, out, err = curl(server, "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/x-test",
                            "--data-binary", f"@{f.name}", path="/echo")
        assert rc == 0, err
        assert out == payload


def test_curl_range_gives_206_and_416():
    with http_server() as server:
        full = open(os.path.join(WWW, "index.html"), "rb").read()
        rc, out, err = curl(server, "-r", "0-9", "-D", "-", path="/index.html")
        assert rc == 0, err
        head, _, body = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 206"), head
        assert f"Content-Range: bytes 0-9/{len(full)}".encode() in head
        assert body == full[:10]
        rc, out, err = curl(server, "-r", f"{len(full)}-", "-D", "-", "-o", "/dev/null", path="/index.html")
        assert out.startswith(b"HTTP/1.1 416"), out
        assert f"Content-Range: bytes */{len(full)}".encode() in out


def test_curl_if_none_match_gives_304():
    with http_server() as server:
        rc, out, err = curl(server, "-D", "-", "-o", "/dev/null", path="/style.css")
        etag = [line.split(":", 1)[1].strip() for line in out.decode().split("\r\n") if line.lower().startswith("etag:")]
        assert etag, out
        rc, out, err = curl(server, "-D", "-", "-H", f"If-None-Match: {etag[0]}", path="/style.css")
        assert out.startswith(b"HTTP/1.1 304"), out
        assert out.endswith(b"\r\n\r\n")  # no body


def test_curl_large_body_gets_100_continue():
    payload = b"x" * 2_000_000  # curl sends Expect: 100-continue for large bodies
    with http_server("--max-body", "4000000") as server, tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        rc, out, err = curl(server, "-v", "--data-binary", f"@{f.name}", path="/echo")
        assert rc == 0, err
        assert "Expect: 100-continue" in err, err
        assert "HTTP/1.1 100 Continue" in err, err
        assert out == payload


def test_curl_head_has_the_headers_without_a_body():
    with http_server() as server:
        size = os.path.getsize(os.path.join(WWW, "logo.png"))
        rc, out, err = curl(server, "-I", path="/logo.png")
        assert rc == 0, err
        assert out.startswith(b"HTTP/1.1 200"), out
        assert f"Content-Length: {size}".encode() in out
        assert b"Content-Type: image/png" in out
        assert out.endswith(b"\r\n\r\n")


# -- http.client ---------------------------------------------------------------------------------------------

def test_http_client_sends_several_requests_on_one_connection():
    with http_server() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for i in range(20):
            body = f"message {i}".encode()
            conn.request("POST", "/echo", body=body, headers={"Content-Type": "text/plain"})
            r = conn.getresponse()
            assert r.status == 200
            assert r.read() == body
            assert r.getheader("Content-Type") == "text/plain"
        local = conn.sock.getsockname()
        conn.request("GET", "/plaintext")
        r = conn.getresponse()
        assert r.read() == b"Hello, World!"
        assert conn.sock.getsockname() == local  # same connection throughout
        conn.close()


def test_unknown_path_404_wrong_method_405_unknown_method_501():
    with http_server() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/no/such/file")
        r = conn.getresponse()
        r.read()
        assert r.status == 404
        conn.request("DELETE", "/plaintext")
        r = conn.getresponse()
        r.read()
        assert r.status == 405
        assert "GET" in r.getheader("Allow")
        conn.request("BREW", "/plaintext")
        r = conn.getresponse()
        r.read()
        assert r.status == 501
        conn.close()


# -- raw sockets ---------------------------------------------------------------------------------------------

def test_three_pipelined_requests_get_three_responses_in_order():
    with http_server() as server, server.connect() as s:
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
                  b"GET /json HTTP/1.1\r\nHost: a\r\n\r\n"
                  b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nlast")
        f = s.makefile("rb")
        bodies = [read_response(f)[2] for _ in range(3)]
        assert bodies == [b"Hello, World!", b'{"message":"Hello, World!"}', b"last"], bodies


MALFORMED = [
    # (name, request bytes, expected status)
    ("space before colon", b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n", 400),
    ("bare CR", b"GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n", 400),
    ("missing Host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("duplicate Host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("CL and TE", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("differing CLs", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ("invalid CL", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
    ("chunked not last", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("unknown coding", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ("chunk size overflow", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 400),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("NUL in header", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
    ("URI too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ("too many headers", b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n", 431),
    ("body too large", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413),
    ("authority-form GET", b"GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
]


def test_each_malformed_request_gets_its_status_then_the_connection_closes_unprocessed():
    failures = []
    with http_server() as server:
        for name, request, expected in MALFORMED:
            with server.connect() as s:
                s.sendall(request + b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                data = recv_until_closed(s)  # returns only once the server closed the connection
                first, _, _ = data.partition(b"\r\n")
                if not first.startswith(b"HTTP/1.1 %d" % expected):
                    failures.append(f"{name}: got {first!r}, expected {expected}")
                if b"Hello, World!" in data or data.count(b"HTTP/1.1 ") != 1:
                    failures.append(f"{name}: the request after the bad one was answered")
                if b"Connection: close" not in data:
                    failures.append(f"{name}: no Connection: close")
    assert not failures, failures


def test_static_traversal_attempts_never_return_content_from_outside_the_root():
    base = tempfile.mkdtemp(prefix="corio-www-")
    try:
        root = os.path.join(base, "root")
        os.mkdir(root)
        with open(os.path.join(base, "secret.txt"), "w") as f:
            f.write("TOP SECRET")
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write("inside")
        os.symlink(os.path.join(base, "secret.txt"), os.path.join(root, "link.txt"))
        attempts = ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt",
                    "/%252e%252e/secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt", "/link.txt",
                    "/secret.txt%00.html", "//../secret.txt", "/./../secret.txt", "/" + base + "/secret.txt",
                    "http://x/../secret.txt"]
        failures = []
        with http_server(root=root) as server:
            for target in attempts:
                with server.connect() as s:
                    s.sendall(f"GET {target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
                    data = recv_until_closed(s)
                status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
                if b"SECRET" in data or status not in (400, 403, 404):
                    failures.append(f"{target}: {data[:80]!r}")
        assert not failures, failures
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_directory_without_slash_redirects_and_index_is_served():
    with http_server() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/")
        r = conn.getresponse()
        assert r.status == 200
        assert b"<title>corio</title>" in r.read()
        conn.close()


def test_sigterm_finishes_requests_and_exits_zero():
    with http_server("--drain-timeout", "5") as server:
        s = server.connect()
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        assert read_response(s.makefile("rb"))[0] == 200
        server.signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        assert recv_until_closed(s) == b""  # the idle keep-alive connection was closed
        s.close()


# -- wrk -------------------------------------------------------------------------------------------------------

def test_wrk_smoke_run_has_no_errors():
    if shutil.which("wrk") is None:
        print("SKIP wrk not installed (scripts/setup.sh installs it)")
        return
    with http_server() as server:
        p = subprocess.run(["wrk", "-t1", "-c20", "-d2s", f"http://127.0.0.1:{server.port}/plaintext"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert "Socket errors" not in p.stdout, p.stdout
        assert "Non-2xx" not in p.stdout, p.stdout
        assert "requests in" in p.stdout, p.stdout


# -- Chromium ----------------------------------------------------------------------------------------------------

def test_headless_chromium_loads_the_site_and_its_assets():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("SKIP chromium not installed (scripts/setup.sh --test-deps installs it)")
        return
    with http_server("--access-log") as server:
        log_lines = []
        reader = threading.Thread(target=lambda: log_lines.extend(iter(server.proc.stdout.readline, b"")),
                                  daemon=True)
        reader.start()
        profile = tempfile.mkdtemp(prefix="corio-chromium-")
        screenshot = os.path.join(BUILD_DIR, "http_site_screenshot.png")
        try:
            p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                                f"--screenshot={screenshot}", "--window-size=800,600",
                                f"http://127.0.0.1:{server.port}/"], capture_output=True, timeout=120)
            assert os.path.exists(screenshot), p.stderr.decode(errors="replace")[-2000:]
            deadline = time.monotonic() + 5
            wanted = ["/ ", "/style.css", "/app.js", "/logo.png", "/json"]
            while time.monotonic() < deadline:
                text = b"".join(log_lines).decode(errors="replace")
                if all(f'"GET {w}'.rstrip() in text for w in wanted):
                    break
                time.sleep(0.1)
            text = b"".join(log_lines).decode(errors="replace")
            for w in wanted:
                lines = [line for line in text.splitlines() if f'"GET {w.strip()} ' in line]
                assert lines, f"{w} not requested; log:\n{text}"
                assert any('" 200 ' in line or '" 304 ' in line for line in lines), lines
        finally:
            shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    # The access log (which the Chromium test reads) is the coroutine server's.
    sys.exit(run_tests(for_each_model([
        test_curl_reuses_the_keep_alive_connection,
        test_plaintext_and_json_carry_the_techempower_headers,
        test_curl_chunked_upload_is_echoed,
        test_curl_range_gives_206_and_416,
        test_curl_if_none_match_gives_304,
        test_curl_large_body_gets_100_continue,
        test_curl_head_has_the_headers_without_a_body,
        test_http_client_sends_several_requests_on_one_connection,
        test_unknown_path_404_wrong_method_405_unknown_method_501,
        test_three_pipelined_requests_get_three_responses_in_order,
        test_each_malformed_request_gets_its_status_then_the_connection_closes_unprocessed,
        test_static_traversal_attempts_never_return_content_from_outside_the_root,
        test_directory_without_slash_redirects_and_index_is_served,
        test_sigterm_finishes_requests_and_exits_zero,
        test_wrk_smoke_run_has_no_errors,
        test_headless_chromium_loads_the_site_and_its_assets,
    ], coroutine_only={test_headless_chromium_loads_the_site_and_its_assets})))
