#include "corio/http/parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "parse_harness.hpp"

using namespace corio::http;
using namespace corio::http::test;

namespace {

parser_options with_limits(std::size_t request_line, std::size_t header_bytes, std::size_t header_count,
                           std::uint64_t body, std::size_t chunk_line = 64) {
    parser_options o;
    o.limits.max_request_line = request_line;
    o.limits.max_header_bytes = header_bytes;
    o.limits.max_header_count = header_count;
    o.limits.max_body_size = body;
    o.limits.max_chunk_line = chunk_line;
    return o;
}

const parser_options small = with_limits(32, 64, 3, 10, 16);

struct table_case {
    const char* name;
    std::string input;
    verdict result;
    unsigned status; // for errors
    parser_options options{};
};

// Request bytes -> expected outcome. Every rejection class of RFC 9112 that corio enforces is here.
const std::vector<table_case> table = {
    // well-formed
    {"simple GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", verdict::ok, 0},
    {"HTTP/1.0 without Host (then closes)", "GET / HTTP/1.0\r\n\r\n", verdict::closed, 0},
    {"HTTP/1.2 is processed as 1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", verdict::ok, 0},
    {"unknown token method", "FROB / HTTP/1.1\r\nHost: a\r\n\r\n", verdict::ok, 0},
    {"empty Host value", "GET / HTTP/1.1\r\nHost:\r\n\r\n", verdict::ok, 0},
    {"identical duplicate Content-Length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", verdict::ok, 0},
    {"obs-text in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", verdict::ok, 0},
    {"leading CRLFs", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", verdict::ok, 0},
    {"incomplete head", "GET / HTTP/1.1\r\nHost: a\r\n", verdict::incomplete, 0},
    {"incomplete body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", verdict::incomplete, 0},
    // request line
    {"invalid method character", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"non-ASCII request-target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"control byte in request-target", std::string("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), verdict::error,
     400},
    {"lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"two-digit minor version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"RTSP version", "GET / RTSP/1.0\r\n\r\n", verdict::error, 400},
    {"HTTP/2.0", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", verdict::error, 505},
    {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", verdict::error, 505},
    {"HTTP/0.9", "GET /\r\n", verdict::error, 505},
    {"bare CR in request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", verdict::error, 400},
    // field lines
    {"whitespace before colon", "GET / HTTP/1.1\r\nHost: a\r\nFoo : bar\r\n\r\n", verdict::error, 400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nFoo: bar\r\n baz\r\n\r\n", verdict::error, 400},
    {"whitespace-led line after request line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", verdict::error, 400},
    {"bare CR in field value", "GET / HTTP/1.1\r\nHost: a\r\nFoo: b\rar\r\n\r\n", verdict::error, 400},
    {"bare LF ending a field line", "GET / HTTP/1.1\r\nHost: a\nFoo: b\r\n\r\n", verdict::error, 400},
    {"bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", verdict::error, 400},
    {"CR then garbage ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\rX", verdict::error, 400},
    {"invalid field name character", "GET / HTTP/1.1\r\nHost: a\r\nFo@o: x\r\n\r\n", verdict::error, 400},
    {"NUL in field name", std::string("GET / HTTP/1.1\r\nHost: a\r\nF") + '\0' + "o: x\r\n\r\n",
     verdict::error, 400},
    {"empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", verdict::error, 400},
    {"field line without colon", "GET / HTTP/1.1\r\nHost: a\r\nFoo\r\n\r\n", verdict::error, 400},
    {"control byte in field value", "GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x01z\r\n\r\n", verdict::error, 400},
    {"DEL in field value", "GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x7fz\r\n\r\n", verdict::error, 400},
    {"NUL in a long field value",
     std::string("GET / HTTP/1.1\r\nHost: a\r\nFoo: abcdefghijklmnop") + '\0' + "qrstuvwxyz\r\n\r\n",
     verdict::error, 400},
    // Host
    {"missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", verdict::error, 400},
    {"duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", verdict::error, 400},
    {"duplicate Host on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", verdict::error, 400},
    {"invalid Host value", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", verdict::error, 400},
    // Content-Length
    {"non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
     verdict::error, 400},
    {"negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", verdict::error,
     400},
    {"signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", verdict::error,
     400},
    {"empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", verdict::error, 400},
    {"Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx", verdict::error,
     400},
    {"Content-Length overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
     verdict::error, 400},
    {"duplicate differing Content-Length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", verdict::error, 400},
    {"Content-Length with Transfer-Encoding",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     verdict::error, 400},
    // Transfer-Encoding
    {"chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
     verdict::error, 400},
    {"chunked twice",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     verdict::error, 400},
    {"chunked with a parameter", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
     verdict::error, 400},
    {"unknown transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
     verdict::error, 501},
    {"unknown coding before chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", verdict::error, 501},
    {"empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", verdict::error,
     400},
    {"Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     verdict::error, 400},
    {"invalid Transfer-Encoding syntax",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", verdict::error, 400},
    // chunked body
    {"chunk-size overflow",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", verdict::error,
     400},
    {"invalid chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\ng\r\n",
     verdict::error, 400},
    {"whitespace after chunk size",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n", verdict::error,
     400},
    {"chunk data without CRLF",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n", verdict::error,
     400},
    {"bare LF after chunk size",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", verdict::error,
     400},
    {"empty chunk extension",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\r\nx\r\n0\r\n\r\n", verdict::error,
     400},
    {"unterminated quoted chunk extension",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"b\r\nx\r\n0\r\n\r\n",
     verdict::error, 400},
    {"obs-fold in trailers",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n",
     verdict::error, 400},
    // limits
    {"request line over the limit", "GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
     verdict::error, 414, small},
    {"request line at the limit", "GET /" + std::string(18, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
     verdict::ok, 0, small},
    {"request line one over the limit", "GET /" + std::string(19, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
     verdict::error, 414, small},
    {"header section over the limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(60, 'b') + "\r\n\r\n",
     verdict::error, 431, small},
    {"header section at the limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(50, 'b') + "\r\n\r\n",
     verdict::ok, 0, small},
    {"header section one over the limit",
     "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(51, 'b') + "\r\n\r\n", verdict::error, 431, small},
    {"too many header fields", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", verdict::error,
     431, small},
    {"Content-Length over the body limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n",
     verdict::error, 413, small},
    {"chunked body over the body limit",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nabcde\r\n0\r\n\r\n",
     verdict::error, 413, small},
    {"chunk line over the limit",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
     "chunked\r\n\r\n1;aaaaaaaaaaaaaaaaaaaa\r\nx\r\n0\r\n\r\n",
     verdict::error, 400, small},
    {"too many trailer fields",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: "
     "4\r\n\r\n",
     verdict::error, 431, small},
    // the connection ends
    {"CONNECT stops the parser", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\ntunnel bytes", verdict::closed,
     0},
    {"upgrade request stops the parser",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x80",
     verdict::closed, 0},
    {"Connection: close stops the parser",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
     verdict::closed, 0},
};

} // namespace

TEST_CASE("each request in the table gives its verdict and status") {
    for (const table_case& c : table) {
        INFO(std::string(c.name));
        const outcome o = run_whole(c.input, c.options);
        CHECK(std::string(to_string(o.result)) == std::string(to_string(c.result)));
        if (c.result == verdict::error) {
            CHECK(o.status == c.status);
            CHECK(!o.reason.empty());
        }
    }
}

TEST_CASE("each request in the table gives the same result split at every byte") {
    for (const table_case& c : table) {
        INFO(std::string(c.name));
        const outcome whole = run_whole(c.input, c.options);
        CHECK(run_bytewise(c.input, c.options) == whole);
        for (std::size_t at = 1; at < c.input.size(); ++at) {
            INFO("split at " << at);
            CHECK(run_split(c.input, at, c.options) == whole);
        }
    }
}

TEST_CASE("pipelined requests come out in order and leftover bytes belong to the next request") {
    const std::string input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                              "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /d HTTP/1.1\r\nHo";
    const outcome o = run_whole(input);
    REQUIRE(o.messages.size() == 3);
    CHECK(o.messages[0].target == "/a");
    CHECK(o.messages[1].target == "/b");
    CHECK(o.messages[1].body == "abc");
    CHECK(o.messages[2].target == "/c");
    CHECK(o.result == verdict::incomplete);

    // The parser itself consumes exactly one message and leaves the rest to the caller.
    request_parser p;
    std::string_view rest = input;
    parse_result r = p.parse(rest);
    CHECK(r.event == parse_event::head);
    CHECK(r.consumed == 28);
    rest.remove_prefix(r.consumed);
    r = p.parse(rest);
    CHECK(r.event == parse_event::message_complete);
    CHECK(r.consumed == 0);
    CHECK(rest.substr(0, 7) == "POST /b");
    r = p.parse(rest);
    CHECK(r.event == parse_event::head);
    CHECK(p.request().target == "/b");
}

TEST_CASE("a chunked body is decoded with extensions ignored and trailers exposed") {
    const std::string input = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5;name=value;q=\"a \\\"quoted\\\" one\"\r\nhello\r\n"
                              "6 ; flag\r\n world\r\n"
                              "00\r\nChecksum: abc\r\nX-Done:  yes \r\n\r\n"
                              "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
    const outcome o = run_whole(input);
    REQUIRE(o.messages.size() == 2);
    CHECK(o.messages[0].chunked);
    CHECK(o.messages[0].body == "hello world");
    CHECK(o.messages[0].trailers == field_list{{"Checksum", "abc"}, {"X-Done", "yes"}});
    CHECK(o.messages[1].target == "/next");
    CHECK(o.result == verdict::ok);
    CHECK(run_bytewise(input) == o);
}

TEST_CASE("body pieces are views into the input and never empty") {
    const std::string input = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";
    request_parser p;
    std::string_view rest = input;
    parse_result r = p.parse(rest.substr(0, 50));
    REQUIRE(r.event == parse_event::head);
    CHECK(p.request().content_length == 10);
    rest.remove_prefix(r.consumed);
    r = p.parse(rest.substr(0, 4));
    REQUIRE(r.event == parse_event::body);
    CHECK(r.body == "0123");
    CHECK(r.body.data() == rest.data());
    CHECK(p.body_remaining() == 6);
    rest.remove_prefix(r.consumed);
    r = p.parse(rest.substr(0, 0));
    CHECK(r.event == parse_event::need_more);
    r = p.parse(rest);
    REQUIRE(r.event == parse_event::body);
    CHECK(r.body == "456789");
    rest.remove_prefix(r.consumed);
    r = p.parse(rest);
    CHECK(r.event == parse_event::message_complete);
    CHECK(!p.in_message());
}

TEST_CASE("head views point into the caller's buffer even after the buffer moved between calls") {
    request_parser p;
    std::string first = "GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nAcc";
    CHECK(p.parse(first).event == parse_event::need_more);
    // The caller moves its bytes to a new, larger buffer (as when growing) and appends the rest.
    std::string moved = first + "ept: */*\r\nX-Pad:   padded value  \r\n\r\n";
    first.assign(first.size(), 'Z'); // the old bytes are gone
    const parse_result r = p.parse(moved);
    REQUIRE(r.event == parse_event::head);
    CHECK(r.consumed == moved.size());
    const request& req = p.request();
    const auto inside = [&](std::string_view v) {
        return v.data() >= moved.data() && v.data() + v.size() <= moved.data() + moved.size();
    };
    CHECK(req.method == "GET");
    CHECK(req.verb == verb::get);
    CHECK(req.target == "/path?q=1");
    CHECK(inside(req.target));
    REQUIRE(req.headers.size() == 3);
    CHECK(req.headers[1].name == "Accept");
    CHECK(req.headers[1].value == "*/*");
    CHECK(req.headers[2].value == "padded value");
    CHECK(inside(req.headers[2].value));
    CHECK(req.host == "example.com");
    CHECK(req.value_of("ACCEPT") == "*/*");
    CHECK(req.find("missing") == nullptr);
}

TEST_CASE("keep-alive follows the version and the Connection options") {
    const auto keep = [](const std::string& head) {
        const outcome o = run_whole(head);
        REQUIRE(o.messages.size() == 1);
        return o.messages[0].keep_alive;
    };
    CHECK(keep("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    CHECK_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    CHECK_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n"));
    CHECK_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
    CHECK(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    CHECK_FALSE(keep("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
    // Upgrade is ignored on HTTP/1.0 (RFC 9110 §7.8) and needs the Connection option on 1.1.
    CHECK(keep("GET / HTTP/1.0\r\nConnection: keep-alive, upgrade\r\nUpgrade: x\r\n\r\n"));
    CHECK(keep("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\n\r\n"));
    CHECK_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n"));
}

TEST_CASE("a message that closes the connection stops the parser and leaves the rest unparsed") {
    const std::string input = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGARBAGE";
    const outcome o = run_whole(input);
    REQUIRE(o.messages.size() == 1);
    CHECK(o.result == verdict::closed);
    CHECK(o.leftover == "GARBAGE");

    const outcome connect =
        run_whole("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nContent-Length: 3\r\n\r\nabc");
    REQUIRE(connect.messages.size() == 1);
    CHECK(connect.messages[0].upgrade);
    CHECK(connect.messages[0].body.empty());
    CHECK(connect.leftover == "abc");
}

TEST_CASE("Expect: 100-continue is flagged on HTTP/1.1 only") {
    const outcome o11 =
        run_whole("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx");
    REQUIRE(o11.messages.size() == 1);
    CHECK(o11.messages[0].expect_continue);
    const outcome o10 = run_whole("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
    REQUIRE(o10.messages.size() == 1);
    CHECK_FALSE(o10.messages[0].expect_continue);
    const outcome other = run_whole("PUT / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n");
    REQUIRE(other.messages.size() == 1);
    CHECK_FALSE(other.messages[0].expect_continue);
}

TEST_CASE("an error is sticky and reset makes the parser reusable") {
    request_parser p;
    const std::string bad = "GET / HTTP/1.1\r\nHost : a\r\n\r\n";
    CHECK(p.parse(bad).event == parse_event::error);
    CHECK(p.error().status == status::bad_request);
    CHECK(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").event == parse_event::error);
    p.reset();
    const parse_result r = p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(r.event == parse_event::head);
}

TEST_CASE("the parser reuses its header storage from one request to the next") {
    request_parser p;
    const std::string one = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    std::string_view rest = one;
    REQUIRE(p.parse(rest).event == parse_event::head);
    const header* storage = p.request().headers.data();
    const std::size_t capacity = p.request().headers.capacity();
    for (int i = 0; i < 100; ++i) {
        REQUIRE(p.parse(std::string_view(one).substr(one.size())).event == parse_event::message_complete);
        REQUIRE(p.parse(one).event == parse_event::head);
    }
    CHECK(p.request().headers.data() == storage);
    CHECK(p.request().headers.capacity() == capacity);
}

TEST_CASE("methods map to verbs case-sensitively") {
    CHECK(verb_from_method("GET") == verb::get);
    CHECK(verb_from_method("HEAD") == verb::head);
    CHECK(verb_from_method("POST") == verb::post);
    CHECK(verb_from_method("PUT") == verb::put);
    CHECK(verb_from_method("DELETE") == verb::delete_);
    CHECK(verb_from_method("CONNECT") == verb::connect);
    CHECK(verb_from_method("OPTIONS") == verb::options);
    CHECK(verb_from_method("TRACE") == verb::trace);
    CHECK(verb_from_method("PATCH") == verb::patch);
    CHECK(verb_from_method("get") == verb::other);
    CHECK(verb_from_method("PROPFIND") == verb::other);
}

TEST_CASE("an empty or CRLF-only input is a clean end between requests") {
    CHECK(run_whole("").result == verdict::ok);
    CHECK(run_whole("\r\n\r\n").result == verdict::ok);
    request_parser p;
    CHECK(p.parse("\r").event == parse_event::need_more);
    CHECK_FALSE(p.in_message());
    CHECK(p.parse("\r\nG").consumed == 2);
    CHECK(p.in_message());
}
