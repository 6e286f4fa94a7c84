#!/usr/bin/env python3
"""Regenerates the committed seed corpora in tests/fuzz/corpus/ (see corpus/README.md).

    python3 tests/fuzz/make_corpus.py [path/to/http-vectors]

Seeds come from the request vectors in ../shared/http-vectors (MIT-licensed test data of llhttp and
http-parser) plus typical requests written here. Each seed starts with the split-plan prefix that the
targets read (tests/fuzz/fuzz_support.hpp): one byte (low 4 bits: number of piece sizes k, high 4 bits:
flags), then k piece-size bytes.
"""
import hashlib
import pathlib
import re
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def plan(payload: bytes, flags: int, salt: str) -> bytes:
    """A prefix with 3 piece sizes derived from the payload, so splits vary across seeds."""
    digest = hashlib.sha1(salt.encode() + payload).digest()
    sizes = [b % max(1, min(255, len(payload))) for b in digest[:3]]
    return bytes([(flags << 4) | len(sizes)] + sizes)


def read_vectors(path: pathlib.Path):
    cases = []
    for line in path.read_text().splitlines():
        keyword, _, rest = line.partition(" ")
        if keyword == "case":
            cases.append({"id": rest.split(" ")[0], "raw": b"", "chunked": False})
        elif keyword == "raw" and cases:
            cases[-1]["raw"] = b"" if rest == "-" else bytes.fromhex(rest)
        elif keyword == "chunked" and cases:
            cases[-1]["chunked"] = True
    return cases


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


TYPICAL = {
    "get": b"GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    "get-browser": (
        b"GET /index.html?x=1&y=%20 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        b"Accept: text/html,application/xhtml+xml;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n"
        b"If-None-Match: \"5f3a-1b\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
        b"Range: bytes=0-99\r\nCookie: a=b; c=d\r\n\r\n"
    ),
    "post-content-length": b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
    "post-chunked": (
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nChecksum: abc\r\n\r\n"
    ),
    "post-expect-continue": (
        b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"
    ),
    "pipelined": (
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
        b"GET /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n"
    ),
    "http10-keep-alive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD / HTTP/1.0\r\n\r\n",
    "connect": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "upgrade": b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    "options-asterisk": b"\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "smuggle-cl-te": (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"
    ),
    "smuggle-te-obfuscated": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
    "te-gzip-chunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "duplicate-cl": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "http09": b"GET /\r\n",
    "long-target": b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
}

CHUNKED = {
    "simple": b"5\r\nhello\r\n0\r\n\r\n",
    "hex-case": b"A\r\n0123456789\r\na\r\n0123456789\r\n000\r\n\r\n",
    "extensions": b"3;a;b=c;q=\"x\\\"y\" ;  d = e\r\nabc\r\n0;last\r\n\r\n",
    "trailers": b"2\r\nhi\r\n0\r\nExpires: never\r\nX-Sum:  1 \r\n\r\n",
    "pipelined-next": b"1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "leading-zeros": b"00000000000000000001\r\nz\r\n0\r\n\r\n",
    "overflow": b"fffffffffffffffff\r\n",
    "space-before-crlf": b"5 \r\nhello\r\n0\r\n\r\n",
    "missing-crlf": b"5\r\nhelloX\r\n",
    "obs-fold-trailer": b"0\r\nA: b\r\n c\r\n\r\n",
    "big-declared": b"100\r\n" + b"y" * 40,
}


def serializer_seeds():
    """Byte programs for serializer_fuzzer.cpp (its reader: u8 count, then per response...)."""

    def s(b: bytes) -> bytes:
        return bytes([len(b)]) + b

    def response(code, mode, connection, fields, body, extra=b""):
        out = struct.pack(">H", code - 100) + bytes([mode, connection, len(fields)])
        for name, value in fields:
            out += s(name) + s(value)
        return out + s(body) + extra

    seeds = {}
    seeds["ok-full"] = bytes([0]) + response(200, 0, 0, [(b"Content-Type", b"text/plain")], b"Hello, World!")
    seeds["head-request"] = bytes([0]) + response(200, 1, 2, [(b"ETag", b"\"1-2\"")], b"body")
    seeds["head-only"] = bytes([0]) + response(206, 2, 1, [], b"") + struct.pack(">I", 12345)
    chunks = bytes([2]) + s(b"hello") + s(b" world") + bytes([1]) + s(b"Checksum") + s(b"abc")
    seeds["chunked"] = bytes([0]) + response(200, 3, 0, [(b"X-A", b"1")], b"", chunks)
    seeds["no-content"] = bytes([1]) + response(204, 0, 0, [], b"ignored") + response(304, 0, 1, [], b"")
    seeds["continue"] = bytes([1]) + response(100, 4, 0, [], b"") + response(200, 0, 0, [], b"x")
    seeds["splitting"] = bytes([0]) + response(200, 0, 0, [(b"X", b"a\r\nSet-Cookie: evil")], b"")
    seeds["bad-name"] = bytes([0]) + response(500, 0, 1, [(b"X Y", b"a"), (b"", b"b")], b"oops")
    seeds["pipelined"] = bytes([3]) + b"".join(
        response(c, 0, 0, [(b"K", b"v")], b"%d" % c) for c in (200, 404, 405, 413))
    return seeds


def write(directory: pathlib.Path, name: str, data: bytes):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / safe(name)).write_bytes(data)


def main():
    vectors = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "http-vectors"
    # Regenerate the written seeds; keep the min-* seeds (inputs found by fuzzing, see corpus/README.md).
    for target in ("parser", "chunked", "serializer"):
        for f in (CORPUS / target).glob("*"):
            if not f.name.startswith("min-"):
                f.unlink()

    for source in ("llhttp", "http-parser"):
        for i, case in enumerate(read_vectors(vectors / f"{source}-requests.txt")):
            raw = case["raw"]
            # Flags: bit 1 (Host not required: the vectors predate that check); every third seed byte by
            # byte (bit 2), every fifth with the small limits (bit 0).
            flags = 0b0010 | (0b0100 if i % 3 == 0 else 0) | (0b0001 if i % 5 == 0 else 0)
            write(CORPUS / "parser", f"{source}-{case['id']}", plan(raw, flags, case["id"]) + raw)
            if case["chunked"]:
                head_end = raw.find(b"\r\n\r\n")
                if head_end >= 0:
                    body = raw[head_end + 4:]
                    write(CORPUS / "chunked", f"{source}-{case['id']}", plan(body, 0, case["id"]) + body)

    for name, raw in TYPICAL.items():
        write(CORPUS / "parser", f"typical-{name}", plan(raw, 0, name) + raw)
        write(CORPUS / "parser", f"typical-{name}-small-limits", plan(raw, 0b1001, name) + raw)
    for name, body in CHUNKED.items():
        write(CORPUS / "chunked", name, plan(body, 0, name) + body)
        write(CORPUS / "chunked", f"{name}-limits", plan(body, 0b1011, name) + body)
    for name, program in serializer_seeds().items():
        write(CORPUS / "serializer", name, program)

    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    count = sum(1 for f in CORPUS.rglob("*") if f.is_file() and f.name != "README.md")
    print(f"{count} seeds, {total} bytes in {CORPUS}")


if __name__ == "__main__":
    main()
