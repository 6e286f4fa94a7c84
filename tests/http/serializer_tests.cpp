#include "corio/http/serializer.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "corio/http/date_cache.hpp"
#include "corio/http/status.hpp"

using namespace corio::http;

namespace {

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

// A fake clock the date cache tests drive by hand.
std::chrono::system_clock::time_point fake_time{};
std::chrono::system_clock::time_point fake_now() noexcept {
    return fake_time;
}

} // namespace

TEST_CASE("a response has status line, Server, Date, fields, Content-Length and body in that order") {
    std::string out;
    const header fields[] = {{"Content-Type", "text/plain"}};
    write_response(out, {status::ok, fields}, date, "Hello, World!");
    CHECK(out == "HTTP/1.1 200 OK\r\n"
                 "Server: corio\r\n"
                 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                 "Content-Type: text/plain\r\n"
                 "Content-Length: 13\r\n"
                 "\r\n"
                 "Hello, World!");
}

TEST_CASE("response_head's content_type is written as the first field, before the others") {
    std::string out;
    const header fields[] = {{"Cache-Control", "no-store"}};
    write_response(out, {status::ok, fields, connection_header::none, "text/plain"}, date, "hi");
    CHECK(out == "HTTP/1.1 200 OK\r\n"
                 "Server: corio\r\n"
                 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                 "Content-Type: text/plain\r\n"
                 "Cache-Control: no-store\r\n"
                 "Content-Length: 2\r\n"
                 "\r\n"
                 "hi");
}

TEST_CASE("field values are checked at every position: a control byte anywhere is rejected, HTAB is not") {
    // The check reads eight bytes at a time: put the bad byte before, inside and after a whole word.
    for (std::size_t at = 0; at < 20; ++at) {
        for (const char bad : {'\r', '\n', '\0', '\x7f', '\x1f'}) {
            std::string value(20, 'v');
            value[at] = bad;
            std::string out = "kept";
            CHECK_THROWS_AS(write_response(out, {status::ok, {}, connection_header::none, value}, date, ""),
                            std::invalid_argument);
            const header fields[] = {{"X-Test", value}};
            CHECK_THROWS_AS(write_response(out, {status::ok, fields}, date, ""), std::invalid_argument);
            CHECK(out == "kept"); // nothing is appended when the head is invalid
        }
        std::string value(20, 'v');
        value[at] = '\t';
        value[(at + 7) % 20] = '\x80'; // obs-text is allowed too
        std::string out;
        const header fields[] = {{"X-Test", value}};
        CHECK_NOTHROW(write_response(out, {status::ok, fields}, date, ""));
    }
}

TEST_CASE("a response to HEAD has the same Content-Length and no body") {
    std::string get;
    std::string head;
    write_response(get, {}, date, "0123456789");
    write_response(head, {}, date, "0123456789", true);
    CHECK(head == get.substr(0, get.size() - 10));
    CHECK(head.find("Content-Length: 10\r\n") != std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));
}

TEST_CASE("Connection: close or keep-alive is written when the connection says so") {
    std::string out;
    write_response(out, {status::bad_request, {}, connection_header::close}, date, "");
    CHECK(out == "HTTP/1.1 400 Bad Request\r\nServer: corio\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                 "Content-Length: 0\r\nConnection: close\r\n\r\n");
    out.clear();
    write_response(out, {status::ok, {}, connection_header::keep_alive}, date, "x");
    CHECK(out.find("Connection: keep-alive\r\n\r\nx") != std::string::npos);
}

TEST_CASE(
    "connection_for closes for close requests and server decisions and keeps HTTP/1.0 alive explicitly") {
    request r;
    r.version_minor = 1;
    r.keep_alive = true;
    CHECK(connection_for(r) == connection_header::none);
    CHECK(connection_for(r, true) == connection_header::close);
    r.keep_alive = false;
    CHECK(connection_for(r) == connection_header::close);
    r.version_minor = 0;
    r.keep_alive = true;
    CHECK(connection_for(r) == connection_header::keep_alive);
}

TEST_CASE("statuses without content get neither Content-Length nor body") {
    std::string out;
    write_response(out, {status::no_content}, date, "ignored");
    CHECK(out == "HTTP/1.1 204 No Content\r\nServer: corio\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    out.clear();
    write_response(out, {status::not_modified}, date, "ignored");
    CHECK(out.starts_with("HTTP/1.1 304 Not Modified\r\n"));
    CHECK(out.find("Content-Length") == std::string::npos);
    CHECK(out.ends_with("\r\n\r\n"));
    out.clear();
    write_continue(out);
    CHECK(out == "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST_CASE("write_head announces a body the caller sends itself") {
    std::string out;
    write_head(out, {status::partial_content}, date, 1234567890123ULL);
    CHECK(out.starts_with("HTTP/1.1 206 Partial Content\r\n"));
    CHECK(out.ends_with("Content-Length: 1234567890123\r\n\r\n"));
}

TEST_CASE("a chunked response frames each chunk and ends with the last chunk and trailers") {
    std::string out;
    write_chunked_head(out, {}, date);
    write_chunk(out, "hello");
    write_chunk(out, "");
    write_chunk(out, std::string(26, 'x'));
    const header trailers[] = {{"Checksum", "abc"}};
    write_last_chunk(out, trailers);
    CHECK(out == "HTTP/1.1 200 OK\r\nServer: corio\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n"
                 "1a\r\n" +
                     std::string(26, 'x') +
                     "\r\n"
                     "0\r\nChecksum: abc\r\n\r\n");
}

TEST_CASE("responses to pipelined requests append to one buffer in order") {
    std::string out;
    out.reserve(4096);
    const char* before = out.data();
    for (int i = 0; i < 16; ++i) {
        write_response(out, {}, date, std::to_string(i));
    }
    CHECK(out.data() == before); // one buffer, no reallocation, one write
    std::size_t at = 0;
    for (int i = 0; i < 16; ++i) {
        const std::string body = "\r\n\r\n" + std::to_string(i);
        at = out.find(body, at);
        REQUIRE(at != std::string::npos);
        at += body.size();
    }
}

TEST_CASE("field names and values that would split the response are rejected") {
    std::string out;
    const header crlf[] = {{"X", "a\r\nSet-Cookie: evil"}};
    CHECK_THROWS_AS(write_response(out, {status::ok, crlf}, date, ""), std::invalid_argument);
    const header bad_name[] = {{"X Y", "a"}};
    CHECK_THROWS_AS(write_response(out, {status::ok, bad_name}, date, ""), std::invalid_argument);
    const header empty_name[] = {{"", "a"}};
    CHECK_THROWS_AS(write_head(out, {status::ok, empty_name}, date, 0), std::invalid_argument);
    const header bad_trailer[] = {{"T", "\n"}};
    CHECK_THROWS_AS(write_last_chunk(out, bad_trailer), std::invalid_argument);
}

TEST_CASE("a trailer field with an empty name is rejected") {
    // Found by tests/fuzz/serializer_fuzzer: write_last_chunk wrote ": v" (a field line without a name).
    std::string out;
    const header empty_name[] = {{"", "v"}};
    CHECK_THROWS_AS(write_last_chunk(out, empty_name), std::invalid_argument);
}

TEST_CASE("reason phrases match RFC 9110") {
    CHECK(reason_phrase(status::ok) == "OK");
    CHECK(reason_phrase(status::not_found) == "Not Found");
    CHECK(reason_phrase(status::content_too_large) == "Content Too Large");
    CHECK(reason_phrase(status::uri_too_long) == "URI Too Long");
    CHECK(reason_phrase(status::request_header_fields_too_large) == "Request Header Fields Too Large");
    CHECK(reason_phrase(status::not_implemented) == "Not Implemented");
    CHECK(reason_phrase(status::http_version_not_supported) == "HTTP Version Not Supported");
    CHECK(reason_phrase(static_cast<status>(299)) == "Unknown");
    std::string out;
    write_response(out, {status::method_not_allowed}, date, "");
    CHECK(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
}

TEST_CASE("HTTP dates are IMF-fixdate") {
    std::array<char, 29> text{};
    format_http_date(784111777, text); // RFC 9110's example
    CHECK(std::string_view(text.data(), text.size()) == "Sun, 06 Nov 1994 08:49:37 GMT");
    format_http_date(0, text);
    CHECK(std::string_view(text.data(), text.size()) == "Thu, 01 Jan 1970 00:00:00 GMT");
    format_http_date(951782400, text); // leap day 2000
    CHECK(std::string_view(text.data(), text.size()) == "Tue, 29 Feb 2000 00:00:00 GMT");
    format_http_date(1767225599, text);
    CHECK(std::string_view(text.data(), text.size()) == "Wed, 31 Dec 2025 23:59:59 GMT");
}

TEST_CASE("the date cache reformats only when the second changes") {
    using namespace std::chrono;
    fake_time = system_clock::time_point{seconds{784111777}};
    date_cache cache(&fake_now);
    CHECK(cache.now() == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(cache.refreshes() == 1);
    fake_time += milliseconds{999};
    for (int i = 0; i < 1000; ++i) {
        CHECK(cache.now() == "Sun, 06 Nov 1994 08:49:37 GMT");
    }
    CHECK(cache.refreshes() == 1);
    fake_time += milliseconds{1};
    CHECK(cache.now() == "Sun, 06 Nov 1994 08:49:38 GMT");
    CHECK(cache.refreshes() == 2);
    fake_time += hours{24};
    CHECK(cache.now() == "Mon, 07 Nov 1994 08:49:38 GMT");
    CHECK(cache.refreshes() == 3);
}

TEST_CASE("the thread's date cache gives a 29-character GMT date") {
    const std::string_view d = thread_date_cache().now();
    CHECK(d.size() == 29);
    CHECK(d.ends_with(" GMT"));
    CHECK(&thread_date_cache() == &thread_date_cache());
}
