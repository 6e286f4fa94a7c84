#!/usr/bin/env python3
"""Static file safety: a table of path traversal attempts against `corio http --root` — dot segments raw and
percent-encoded (once and twice), encoded slashes and backslashes, NUL, absolute paths, absolute-form
targets, symlinks (file and directory) leading out of the root, a sibling directory sharing the root's
prefix, dot files. None may return a byte from outside the root: the secrets' markers never appear and
every answer is 400, 403 or 404 (301 only for a redirect that stays on the server, never with content).

Usage: static_safety_test.py CORIO_BINARY
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from hardening import http_server, read_until_closed, statuses  # noqa: E402

BINARY = sys.argv[1]

OUTSIDE = b"OUTSIDE-SECRET-3b8e51"   # base/secret.txt, next to the root
SIBLING = b"SIBLING-SECRET-a40c77"   # base/root-sibling/secret.txt: shares the root's path prefix
HIDDEN = b"HIDDEN-SECRET-91f2d0"     # root/.htpasswd: inside, but a dot file
INSIDE = b"INSIDE-PUBLIC-5ce1a2"     # root/public.txt: may be served
PASSWD = b"root:x:0:0"               # /etc/passwd


class Site:
    """A temporary tree: base/{secret.txt, root-sibling/secret.txt, root/{public.txt, .htpasswd, sub/,
    link.txt -> ../secret.txt, linkdir -> .., sibling.txt -> ../root-sibling/secret.txt,
    abs.txt -> base/secret.txt, etc -> /etc, inner.txt -> public.txt}}."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="corio-static-")
        b = self.base
        self.root = os.path.join(b, "root")
        os.makedirs(os.path.join(self.root, "sub"))
        os.makedirs(os.path.join(b, "root-sibling"))
        self.write("secret.txt", OUTSIDE)
        self.write("root-sibling/secret.txt", SIBLING)
        self.write("root/public.txt", INSIDE)
        self.write("root/.htpasswd", HIDDEN)
        self.write("root/sub/index.html", b"sub index " + INSIDE)
        os.symlink("../secret.txt", os.path.join(self.root, "link.txt"))
        os.symlink("..", os.path.join(self.root, "linkdir"))
        os.symlink("../root-sibling/secret.txt", os.path.join(self.root, "sibling.txt"))
        os.symlink("../root-sibling", os.path.join(self.root, "siblingdir"))
        os.symlink(os.path.join(b, "secret.txt"), os.path.join(self.root, "abs.txt"))
        os.symlink("/etc", os.path.join(self.root, "etc"))
        os.symlink("public.txt", os.path.join(self.root, "inner.txt"))
        os.mkfifo(os.path.join(self.root, "fifo"))

    def write(self, rel, data):
        with open(os.path.join(self.base, rel), "wb") as f:
            f.write(data)

    def close(self):
        shutil.rmtree(self.base, ignore_errors=True)


def attempts(base):
    up = "../"
    return [
        # raw dot segments
        "/../secret.txt", "/../../secret.txt", "/sub/../../secret.txt", "/./../secret.txt", "/sub/../secret.txt",
        "/" + up * 20 + "etc/passwd", "/public.txt/../../secret.txt", "/...//secret.txt", "/..;/secret.txt",
        # percent-encoded dots and slashes
        "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/%2e./secret.txt",
        "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt", "/%2fetc%2fpasswd", "/%2f..%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        # double encoding (decoded once: a literal "%2e%2e" name, which does not exist)
        "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt", "/..%252fsecret.txt",
        # overlong UTF-8 and other encodings of '.' and '/'
        "/%c0%ae%c0%ae/secret.txt", "/%c0%af../secret.txt", "/%e0%80%ae%e0%80%ae/secret.txt", "/%u002e%u002e/secret.txt",
        # NUL
        "/secret.txt%00", "/public.txt%00.html", "/%00../secret.txt", "/..%00/secret.txt",
        # backslashes
        "/..\\secret.txt", "/..%5csecret.txt", "/%5c..%5csecret.txt", "/sub\\..\\..\\secret.txt", "/..%255csecret.txt",
        # absolute paths
        "//etc/passwd", "///etc/passwd", "/" + base + "/secret.txt", "/" + base.lstrip("/") + "/secret.txt",
        "/%2f" + base.lstrip("/") + "/secret.txt",
        # absolute-form and other request-target forms
        "http://a/../secret.txt", "http://a/%2e%2e/secret.txt", "http://a//etc/passwd", "file:///etc/passwd",
        # symlinks leading out of the root
        "/link.txt", "/linkdir/secret.txt", "/linkdir/root-sibling/secret.txt", "/sibling.txt", "/siblingdir/secret.txt",
        "/abs.txt", "/etc/passwd", "/etc/", "/linkdir/", "/linkdir",
        # dot files and non-regular files inside the root
        "/.htpasswd", "/%2ehtpasswd", "/sub/../.htpasswd", "/fifo",
    ]


def get(server, target, extra=""):
    with server.connect() as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n{extra}\r\n".encode())
        return read_until_closed(s, timeout=5.0)


def test_no_traversal_attempt_returns_a_byte_from_outside_the_root():
    site = Site()
    try:
        failures = []
        with http_server(BINARY, root=site.root) as server:
            for target in attempts(site.base):
                for extra in ("", "Range: bytes=0-5\r\n"):
                    data = get(server, target, extra)
                    codes = statuses(data)
                    leaked = [m for m in (OUTSIDE, SIBLING, HIDDEN, PASSWD) if m in data]
                    if leaked:
                        failures.append(f"{target!r} {extra.strip()}: LEAKED {leaked}: {data[:100]!r}")
                    elif codes not in ([400], [403], [404]):
                        failures.append(f"{target!r} {extra.strip()}: statuses {codes}: {data[:100]!r}")
            # HEAD must not reveal the secret's size either.
            with server.connect() as s:
                s.sendall(b"HEAD /link.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                data = read_until_closed(s)
                if statuses(data) != [404]:
                    failures.append(f"HEAD /link.txt: {data[:100]!r}")
        assert not failures, "\n".join(failures)
    finally:
        site.close()


def test_files_and_symlinks_inside_the_root_are_still_served():
    # Control: the same server serves what it should, so the 404s above are not a broken site.
    site = Site()
    try:
        with http_server(BINARY, root=site.root) as server:
            for target in ("/public.txt", "/inner.txt", "/sub/", "/sub/index.html", "//public.txt"):
                data = get(server, target)
                assert statuses(data) == [200], (target, data[:200])
                assert INSIDE in data, (target, data[:200])
            data = get(server, "/sub")
            assert statuses(data) == [301], data[:200]
            assert b"Location: /sub/" in data, data[:200]
    finally:
        site.close()


if __name__ == "__main__":
    sys.exit(run_tests([
        test_files_and_symlinks_inside_the_root_are_still_served,
        test_no_traversal_attempt_returns_a_byte_from_outside_the_root,
    ]))
