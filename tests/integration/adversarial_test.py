#!/usr/bin/env python3
"""Hostile requests against `corio http` over raw sockets: request smuggling (CL.TE, TE.CL, TE.TE with
obfuscated codings, duplicate Content-Length), malformed request lines and fields, oversized URI, header
section and body, invalid chunk sizes, NUL/CTL bytes, HTTP/0.9 and the HTTP/2 preface.

Each case is sent in one packet followed by a pipelined probe (a POST /echo whose body is a marker, then a
GET), and must get exactly one response, with the expected status and "Connection: close", then the
server closes the connection (bounded wait): the probe is never processed, so the marker never comes back.

Usage: adversarial_test.py CORIO_BINARY
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402
from hardening import http_server, read_until_closed, statuses  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else None  # importable (the connection fuzzer seeds use CASES)

MARKER = b"PIPELINED-PROBE-6d1c9e"
PROBE = (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
         b"GET /echo-probe-after-bad HTTP/1.1\r\nHost: a\r\n\r\n") % (len(MARKER), MARKER)
# A request hidden in a body: if a front end and corio disagreed on framing, one of them would run it.
SMUGGLED = b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s" % (len(MARKER), MARKER)


def post(headers, body=b"", version=b"HTTP/1.1", target=b"/echo"):
    return b"POST " + target + b" " + version + b"\r\nHost: a\r\n" + b"".join(h + b"\r\n" for h in headers) + \
        b"\r\n" + body


def get(extra=b"", target=b"/plaintext", version=b"HTTP/1.1"):
    return b"GET " + target + b" " + version + b"\r\nHost: a\r\n" + extra + b"\r\n"


CHUNKED = b"Transfer-Encoding: chunked"

# (name, request bytes, expected status)
CASES = [
    # -- smuggling: both framings present, or a Transfer-Encoding that a lenient peer could read otherwise
    ("CL.TE", post([b"Content-Length: 6", CHUNKED], b"0\r\n\r\n" + SMUGGLED), 400),
    ("TE.CL", post([CHUNKED, b"Content-Length: 4"], b"5c\r\n" + SMUGGLED + b"\r\n0\r\n\r\n"), 400),
    ("TE.TE xchunked with CL", post([b"Content-Length: 4", b"Transfer-Encoding: xchunked"], b"0\r\n\r\n"), 400),
    ("TE xchunked alone", post([b"Transfer-Encoding: xchunked"], b"0\r\n\r\n" + SMUGGLED), 501),
    ("TE space before colon", post([b"Transfer-Encoding : chunked", b"Content-Length: 4"], b"0\r\n\r\n"), 400),
    ("TE obs-folded", post([b"X: y", b" Transfer-Encoding: chunked"], b"0\r\n\r\n" + SMUGGLED), 400),
    ("TE chunked, identity", post([b"Transfer-Encoding: chunked, identity"], b"0\r\n\r\n" + SMUGGLED), 400),
    ("TE chunked twice in one field", post([b"Transfer-Encoding: chunked, chunked"], b"0\r\n\r\n"), 400),
    ("TE duplicate fields", post([CHUNKED, CHUNKED], b"0\r\n\r\n" + SMUGGLED), 400),
    ("TE gzip then chunked fields", post([b"Transfer-Encoding: gzip", CHUNKED], b"0\r\n\r\n"), 501),
    ("TE chunked then gzip fields", post([CHUNKED, b"Transfer-Encoding: gzip"], b"0\r\n\r\n"), 400),
    ("TE with parameter", post([b"Transfer-Encoding: chunked;q=1"], b"0\r\n\r\n"), 400),
    ("TE quoted", post([b'Transfer-Encoding: "chunked"'], b"0\r\n\r\n"), 400),
    ("TE vertical tab", post([b"Transfer-Encoding:\x0bchunked"], b"0\r\n\r\n"), 400),
    ("TE empty", post([b"Transfer-Encoding: "], b"0\r\n\r\n"), 400),
    ("TE in HTTP/1.0", post([CHUNKED], b"0\r\n\r\n", version=b"HTTP/1.0"), 400),
    ("CL duplicate differing", post([b"Content-Length: 3", b"Content-Length: 40"], b"abc" + SMUGGLED), 400),
    ("CL list", post([b"Content-Length: 3, 40"], b"abc"), 400),
    ("CL plus sign", post([b"Content-Length: +3"], b"abc"), 400),
    ("CL negative", post([b"Content-Length: -1"]), 400),
    ("CL hex", post([b"Content-Length: 0x3"], b"abc"), 400),
    ("CL overflow", post([b"Content-Length: 99999999999999999999999"]), 400),
    ("CL empty", post([b"Content-Length: "]), 400),
    # -- request line
    ("HTTP/0.9 simple request", b"GET /\r\n", 505),
    ("HTTP/2 connection preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    ("HTTP/2.0 request", get(version=b"HTTP/2.0"), 505),
    ("HTTP/1.10 version", get(version=b"HTTP/1.10"), 400),
    ("lower-case version", get(version=b"http/1.1"), 400),
    ("double space", b"GET  /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("tab separators", b"GET\t/plaintext\tHTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("trailing garbage", b"GET /plaintext HTTP/1.1 x\r\nHost: a\r\n\r\n", 400),
    ("empty method", b" /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("method with slash", b"GE/T /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("NUL in method", b"G\x00T /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("NUL in target", get(target=b"/plain\x00text"), 400),
    ("space in target", b"GET /plain text HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("DEL in target", get(target=b"/plain\x7ftext"), 400),
    ("bare LF request line", b"GET /plaintext HTTP/1.1\nHost: a\r\n\r\n", 400),
    ("bare CR request line", b"GET /plaintext HTTP/1.1\rHost: a\r\n\r\n", 400),
    ("authority-form GET", get(target=b"example.com:80"), 400),
    ("asterisk-form GET", get(target=b"*"), 400),
    # -- header fields
    ("field without colon", get(b"NoColon\r\n"), 400),
    ("empty field name", get(b": value\r\n"), 400),
    ("space before colon", get(b"X-A : 1\r\n"), 400),
    ("field name with separator", get(b"X(a): 1\r\n"), 400),
    ("NUL in field name", get(b"X-\x00: 1\r\n"), 400),
    ("NUL in field value", get(b"X-A: a\x00b\r\n"), 400),
    ("CTL 0x01 in field value", get(b"X-A: a\x01b\r\n"), 400),
    ("DEL in field value", get(b"X-A: a\x7fb\r\n"), 400),
    ("bare CR in field", get(b"X-A: a\rb\r\n"), 400),
    ("bare LF field terminator", get(b"X-A: a\nX-B: b\r\n"), 400),
    ("obs-fold continuation", get(b"X-A: a\r\n b\r\n"), 400),
    ("missing Host", b"GET /plaintext HTTP/1.1\r\n\r\n", 400),
    ("duplicate Host", get(b"Host: b\r\n"), 400),
    ("invalid Host", b"GET /plaintext HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    # -- sizes (defaults: request line 8 KiB, header section 16 KiB, 100 fields, body 1 MiB)
    ("URI too long", get(target=b"/" + b"a" * 9000), 414),
    ("one huge field", get(b"X-Big: " + b"v" * 20000 + b"\r\n"), 431),
    ("too many fields", get(b"".join(b"X-%d: 1\r\n" % i for i in range(150))), 431),
    ("header section too large", get(b"".join(b"X-%d: %s\r\n" % (i, b"v" * 300) for i in range(60))), 431),
    ("Content-Length too large", post([b"Content-Length: 2000000"], b"abc"), 413),
    ("chunked body too large", post([CHUNKED], b"100001\r\n" + b"x" * 1024), 413),
    # -- chunk lines
    ("chunk size not hex", post([CHUNKED], b"zz\r\nab\r\n0\r\n\r\n"), 400),
    ("chunk size negative", post([CHUNKED], b"-1\r\nab\r\n0\r\n\r\n"), 400),
    ("chunk size 0x prefix", post([CHUNKED], b"0x2\r\nab\r\n0\r\n\r\n"), 400),
    ("chunk size leading space", post([CHUNKED], b" 2\r\nab\r\n0\r\n\r\n"), 400),
    ("chunk size empty", post([CHUNKED], b"\r\nab\r\n0\r\n\r\n"), 400),
    ("chunk size overflow", post([CHUNKED], b"fffffffffffffffffff\r\n"), 400),
    ("chunk data longer than size", post([CHUNKED], b"2\r\nabc\r\n0\r\n\r\n"), 400),
    ("chunk line bare LF", post([CHUNKED], b"2\nab\r\n0\r\n\r\n"), 400),
    ("chunk line too long", post([CHUNKED], b"2;" + b"e" * 2000 + b"\r\nab\r\n0\r\n\r\n"), 400),
    ("NUL in chunk extension", post([CHUNKED], b"2;a\x00b\r\nab\r\n0\r\n\r\n"), 400),
    ("trailer with NUL", post([CHUNKED], b"2\r\nab\r\n0\r\nX-T: a\x00\r\n\r\n"), 400),
]


def test_the_probe_alone_is_answered_with_its_marker():
    # Control: the probe is a valid pipeline, so its absence after a bad request means something.
    with http_server(BINARY) as server, server.connect() as s:
        s.sendall(PROBE + b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = read_until_closed(s)
        assert MARKER in data, data
        assert statuses(data) == [200, 404, 200], data


def test_every_hostile_request_gets_its_status_and_a_closed_connection_without_processing_the_pipeline():
    failures = []
    with http_server(BINARY) as server:
        for name, request, expected in CASES:
            with server.connect() as s:
                s.sendall(request + PROBE)
                try:
                    data = read_until_closed(s, timeout=5.0)
                except AssertionError as e:
                    failures.append(f"{name}: {e}")
                    continue
            got = statuses(data)
            head = data.partition(b"\r\n\r\n")[0]
            if got != [expected]:
                failures.append(f"{name}: statuses {got}, expected [{expected}]; {data[:120]!r}")
            if MARKER in data:
                failures.append(f"{name}: the pipelined probe was processed")
            if b"\r\nConnection: close" not in head:
                failures.append(f"{name}: no Connection: close in {head!r}")
        # The server is still healthy after all of that.
        with server.connect() as s:
            s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            data = read_until_closed(s)
            if statuses(data) != [200]:
                failures.append(f"server unhealthy afterwards: {data[:120]!r}")
    assert not failures, "\n".join(failures)


def test_hostile_requests_split_byte_by_byte_get_the_same_status():
    # The same verdict when the bytes trickle in (the parser judges them in order, whatever the split).
    import time
    failures = []
    picked = [c for c in CASES if len(c[1]) < 300]
    with http_server(BINARY) as server:
        for name, request, expected in picked[::3]:
            with server.connect() as s:
                try:
                    for i in range(len(request)):
                        s.send(request[i:i + 1])
                        if i % 16 == 15:
                            time.sleep(0.001)
                    s.sendall(PROBE)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server may answer and close before the last bytes
                try:
                    data = read_until_closed(s, timeout=5.0)
                except AssertionError as e:
                    failures.append(f"{name}: {e}")
                    continue
            if statuses(data) != [expected] or MARKER in data:
                failures.append(f"{name}: {statuses(data)} (expected [{expected}]); {data[:120]!r}")
    assert not failures, "\n".join(failures)


if __name__ == "__main__":
    sys.exit(run_tests([
        test_the_probe_alone_is_answered_with_its_marker,
        test_every_hostile_request_gets_its_status_and_a_closed_connection_without_processing_the_pipeline,
        test_hostile_requests_split_byte_by_byte_get_the_same_status,
    ]))
