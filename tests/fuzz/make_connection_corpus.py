#!/usr/bin/env python3
"""Regenerates the seeds of the `connection` fuzz target in tests/fuzz/corpus/connection/.

    python3 tests/fuzz/make_connection_corpus.py

Payloads: typical exchanges with the fuzzer's server (connection_fuzzer.cpp: /plaintext, POST|PUT /echo,
/stream/{n}, /fail, /reflect?..., static files), and every hostile request of the integration tests
(tests/integration/adversarial_test.py, each followed by its pipelined probe). Each seed starts with the
split-plan prefix (fuzz_support.hpp); some are split in pieces with pauses (flag bit 0) so that the server
sees separate reads. Files are named by the SHA-1 of their content; old `seed-*` files are replaced, `min-*`
files are kept: inputs libFuzzer found from these seeds (a few minutes of fuzzing), reduced to a set
covering the same features with `-merge=1 -set_cover_merge=1`, plus regression inputs of fixed bugs
(`min-head-rejection-has-no-body`).
"""
import hashlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "corpus" / "connection"
sys.path.insert(0, str(HERE.parent / "integration"))
import adversarial_test  # noqa: E402


def req(method, target, headers=(), body=b"", version=b"HTTP/1.1"):
    head = method + b" " + target + b" " + version + b"\r\nHost: a\r\n" + b"".join(h + b"\r\n" for h in headers)
    return head + b"\r\n" + body


TYPICAL = [
    req(b"GET", b"/plaintext"),
    req(b"GET", b"/plaintext") * 3 + req(b"GET", b"/plaintext", [b"Connection: close"]),
    req(b"HEAD", b"/plaintext"),
    req(b"GET", b"/plaintext", version=b"HTTP/1.0"),
    req(b"GET", b"/plaintext", [b"Connection: keep-alive"], version=b"HTTP/1.0") + req(b"GET", b"/index.html"),
    req(b"POST", b"/echo", [b"Content-Length: 5"], b"hello") + req(b"PUT", b"/echo", [b"Content-Length: 0"]),
    req(b"POST", b"/echo", [b"Transfer-Encoding: chunked"], b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"),
    req(b"POST", b"/echo", [b"Content-Length: 5", b"Expect: 100-continue"], b"hello"),
    req(b"POST", b"/nowhere", [b"Content-Length: 5", b"Expect: 100-continue"], b"hello"),
    req(b"POST", b"/echo", [b"Content-Length: 5000"], b"x" * 100),
    req(b"GET", b"/stream/3") + req(b"HEAD", b"/stream/2") + req(b"GET", b"/stream/0"),
    req(b"GET", b"/stream/4", version=b"HTTP/1.0"),
    req(b"GET", b"/fail") + req(b"GET", b"/plaintext"),
    req(b"GET", b"/reflect?a%0d%0ab") + req(b"GET", b"/reflect?ok"),
    req(b"GET", b"/") + req(b"GET", b"/sub") + req(b"GET", b"/sub/") + req(b"GET", b"/a.txt", [b"Range: bytes=10-20"]),
    req(b"GET", b"/a.txt", [b"Range: bytes=5000-"]) + req(b"HEAD", b"/a.txt"),
    req(b"GET", b"/a.txt", [b'If-None-Match: "x", *']) + req(b"GET", b"/a.txt", [b"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"]),
    req(b"OPTIONS", b"/plaintext") + req(b"DELETE", b"/plaintext") + req(b"BREW", b"/plaintext"),
    req(b"GET", b"http://a/plaintext?x=1") + req(b"OPTIONS", b"*"),
    req(b"CONNECT", b"a:443") + b"tunnel bytes",
    req(b"GET", b"/plaintext", [b"Connection: Upgrade", b"Upgrade: websocket"]) + b"\x81\x00",
    b"\r\n" + req(b"GET", b"/plaintext"),
    req(b"GET", b"/plaintext")[:20],
]


def plan(payload, flags, salt):
    digest = hashlib.sha1(salt.encode() + payload).digest()
    sizes = [b % max(1, min(255, len(payload))) for b in digest[:4]]
    return bytes([(flags << 4) | len(sizes)] + sizes)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("seed-*"):
        old.unlink()
    seeds = []
    for payload in TYPICAL:
        seeds.append(b"\x00" + payload)
        seeds.append(plan(payload, 1, "typical") + payload)
    for name, request, _status in adversarial_test.CASES:
        payload = request + adversarial_test.PROBE
        if len(payload) > 8192:
            payload = request[:8000]
        seeds.append(b"\x00" + payload)
        if len(payload) < 400:
            seeds.append(plan(payload, 1, name) + payload)
    for seed in seeds:
        (OUT / ("seed-" + hashlib.sha1(seed).hexdigest()[:16])).write_bytes(seed)
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
