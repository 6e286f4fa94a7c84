// `corio load http` pieces: the strict response parser (table of valid and invalid responses, split
// invariance), URL parsing and the request batch.
#include "load_http_response.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "load_http.hpp"

using corio::cli::response_event;
using corio::cli::response_parser;

namespace {

struct parsed {
    std::vector<int> statuses;
    std::vector<std::uint64_t> body_bytes;
    std::vector<bool> keep_alive;
    bool error = false;
    std::string why;
};

/// Feeds `input` `step` bytes at a time (dropping consumed bytes as the contract says), then ends the input.
parsed feed(std::string_view input, std::size_t step, bool head_request = false) {
    response_parser p;
    p.expect_head_response(head_request);
    std::string buffer;
    parsed out;
    auto record = [&] {
        out.statuses.push_back(p.status());
        out.body_bytes.push_back(p.body_bytes());
        out.keep_alive.push_back(p.keep_alive());
    };
    for (std::size_t fed = 0; fed < input.size();) {
        const std::size_t n = std::min(step, input.size() - fed);
        buffer.append(input.substr(fed, n));
        fed += n;
        for (;;) {
            const auto r = p.parse(buffer);
            REQUIRE(r.consumed <= buffer.size());
            buffer.erase(0, r.consumed);
            if (r.event == response_event::complete) {
                record();
                continue;
            }
            if (r.event == response_event::error) {
                out.error = true;
                out.why = std::string(p.error());
                return out;
            }
            break;
        }
    }
    const response_event last = p.finish(buffer.size());
    if (last == response_event::complete) {
        record();
    } else if (last == response_event::error) {
        out.error = true;
        out.why = std::string(p.error());
    }
    return out;
}

struct valid_case {
    const char* name;
    std::string_view bytes;
    bool head_request;
    std::vector<int> statuses;
    std::vector<std::uint64_t> body_bytes;
    std::vector<bool> keep_alive;
};

} // namespace

TEST_CASE("valid responses give the same responses however the bytes are split") {
    const std::vector<valid_case> cases = {
        {"content-length",
         "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nServer: x\r\n\r\nHello, World!",
         false,
         {200},
         {13},
         {true}},
        {"empty reason phrase", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", false, {200}, {0}, {true}},
        {"pipelined",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 404 Not Found\r\ncontent-length: "
         "3\r\n\r\nxyz",
         false,
         {200, 404},
         {2, 3},
         {true, true}},
        {"chunked with extensions and trailers",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
         "chunked\r\n\r\n5;a=b\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
         false,
         {200},
         {15},
         {true}},
        {"connection close",
         "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1\r\n\r\nx",
         false,
         {200},
         {1},
         {false}},
        {"HTTP/1.0 without keep-alive",
         "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
         false,
         {200},
         {1},
         {false}},
        {"HTTP/1.0 with keep-alive",
         "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx",
         false,
         {200},
         {1},
         {true}},
        {"204 and 304 have no body",
         "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
         false,
         {204, 304},
         {0, 0},
         {true, true}},
        {"a response to HEAD has no body",
         "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
         true,
         {200, 200},
         {0, 0},
         {true, true}},
        {"body delimited by the end of the connection",
         "HTTP/1.1 200 OK\r\n\r\nuntil the end",
         false,
         {200},
         {13},
         {false}},
        {"identical duplicate content-length",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
         false,
         {200},
         {2},
         {true}},
    };
    for (const valid_case& c : cases) {
        for (const std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, c.bytes.size()}) {
            CAPTURE(c.name);
            CAPTURE(step);
            const parsed p = feed(c.bytes, step, c.head_request);
            CHECK_MESSAGE(!p.error, p.why);
            CHECK(p.statuses == c.statuses);
            CHECK(p.body_bytes == c.body_bytes);
            CHECK(p.keep_alive == c.keep_alive);
        }
    }
}

TEST_CASE("invalid or cut responses are errors however the bytes are split") {
    const std::vector<std::pair<const char*, std::string_view>> cases = {
        {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"},
        {"HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n"},
        {"two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"},
        {"no space after the status", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"},
        {"bare LF in a field line", "HTTP/1.1 200 OK\r\nA: b\nContent-Length: 0\r\n\r\n"},
        {"bare CR in a value", "HTTP/1.1 200 OK\r\nA: b\rc\r\nContent-Length: 0\r\n\r\n"},
        {"obs-fold", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\nContent-Length: 0\r\n\r\n"},
        {"space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"},
        {"field without a colon", "HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n"},
        {"differing content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
        {"non-digit content-length", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\na"},
        {"overflowing content-length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"},
        {"content-length with chunked",
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"},
        {"unknown transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"},
        {"interim response", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {"invalid chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
        {"chunk data without CRLF",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n"},
        {"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
        {"head cut short", "HTTP/1.1 200 OK\r\nContent-Len"},
        {"chunked body cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"},
    };
    for (const auto& [name, bytes] : cases) {
        for (const std::size_t step : {std::size_t{1}, std::size_t{3}, bytes.size()}) {
            CAPTURE(name);
            CAPTURE(step);
            const parsed p = feed(bytes, step);
            CHECK(p.error);
            CHECK(!p.why.empty());
        }
    }
}

TEST_CASE("a head that never ends is rejected once it passes the limit") {
    response_parser p;
    std::string head = "HTTP/1.1 200 OK\r\n";
    while (head.size() <= response_parser::max_head_bytes) {
        head += "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    }
    const auto r = p.parse(head);
    CHECK(r.event == response_event::error);
}

TEST_CASE("nothing of an incomplete head is consumed and body bytes are consumed as they arrive") {
    response_parser p;
    const std::string_view head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    auto r = p.parse(head.substr(0, head.size() - 1));
    CHECK(r.event == response_event::need_more);
    CHECK(r.consumed == 0);
    r = p.parse(std::string(head) + "abcd");
    CHECK(r.event == response_event::need_more);
    CHECK(r.consumed == head.size() + 4);
    r = p.parse("efghij");
    CHECK(r.event == response_event::complete);
    CHECK(r.consumed == 6);
    CHECK(p.body_bytes() == 10);
    CHECK(p.finish(0) == response_event::need_more); // a clean end between responses
}

TEST_CASE("URLs give host, port, path and the Host field") {
    corio::cli::http_load_options o;
    CHECK(corio::cli::parse_http_url("http://127.0.0.1:8080/plaintext?x=1", o).empty());
    CHECK(o.host == "127.0.0.1");
    CHECK(o.port == 8080);
    CHECK(o.path == "/plaintext?x=1");
    CHECK(o.host_header == "127.0.0.1:8080");
    CHECK(corio::cli::parse_http_url("http://localhost", o).empty());
    CHECK(o.port == 80);
    CHECK(o.path == "/");
    CHECK(corio::cli::parse_http_url("http://[::1]:81/a", o).empty());
    CHECK(o.host == "::1");
    CHECK(o.port == 81);
    CHECK_FALSE(corio::cli::parse_http_url("https://127.0.0.1/", o).empty());
    CHECK_FALSE(corio::cli::parse_http_url("http://127.0.0.1:0/", o).empty());
    CHECK_FALSE(corio::cli::parse_http_url("http://127.0.0.1:99999/", o).empty());
    CHECK_FALSE(corio::cli::parse_http_url("http://:80/", o).empty());
    CHECK_FALSE(corio::cli::parse_http_url("http://h/a b", o).empty());
}

TEST_CASE("a request batch holds the pipelined requests, each with Host and its body") {
    corio::cli::http_load_options o;
    o.path = "/echo";
    o.host_header = "h:1";
    o.method = "POST";
    o.body_size = 3;
    o.pipeline = 2;
    const std::string one = "POST /echo HTTP/1.1\r\nHost: h:1\r\nContent-Type: application/octet-stream\r\n"
                            "Content-Length: 3\r\n\r\nxxx";
    CHECK(corio::cli::build_request_batch(o) == one + one);
}
