#pragma once

// Requests the parser benchmarks feed: a typical browser GET, and a chunked upload.

#include <string>

namespace corio_bench {

// A ~300-byte browser-like GET (Firefox-style fields).
inline const std::string browser_get =
    "GET /articles/coroutines-vs-threads?page=2 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
    "Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

// A POST with a 1 KiB body in four chunks, one with an extension, and a trailer.
inline std::string chunked_upload() {
    std::string r = "POST /upload HTTP/1.1\r\nHost: www.example.com\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n";
    for (int i = 0; i < 4; ++i) {
        r += i == 1 ? "100;name=value\r\n" : "100\r\n";
        r += std::string(256, static_cast<char>('a' + i));
        r += "\r\n";
    }
    r += "0\r\nChecksum: 1234abcd\r\n\r\n";
    return r;
}

} // namespace corio_bench
