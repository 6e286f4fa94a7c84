// The protocol decisions shared by every server model (src/http/respond.hpp, internal): here, that reusing a
// serialized head gives exactly the bytes formatting it again would.
#include "respond.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>

#include <string>
#include <string_view>
#include <vector>

#include "corio/http/serializer.hpp"

using namespace corio::http;
using corio::http::detail::serialize_response;

namespace {

constexpr std::string_view date_a = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view date_b = "Sun, 06 Nov 1994 08:49:38 GMT";

request make_request(std::uint8_t minor, bool keep_alive) {
    request req;
    req.method = "GET";
    req.verb = verb::get;
    req.target = "/";
    req.version_minor = minor;
    req.keep_alive = keep_alive;
    return req;
}

/// What the serializer writes for `r` without any reuse.
std::string formatted(const response& r, const request& req, bool head_request, bool server_closes,
                      std::string_view date) {
    std::vector<header> fields;
    for (const response_field& f : r.headers()) {
        fields.push_back({f.name, f.value});
    }
    const response_head head{r.status(), fields, connection_for(req, server_closes), r.content_type()};
    std::string out;
    if (r.kind() == body_kind::file) {
        write_head(out, head, date, r.file_length());
    } else {
        write_response(out, head, date, r.body(), head_request);
    }
    return out;
}

} // namespace

TEST_CASE("serialize_response reuses a head only when status, type, length, Connection and Date all match") {
    const request keep11 = make_request(1, true);
    const request close11 = make_request(1, false);
    const request keep10 = make_request(0, true);
    std::vector<header> scratch;
    struct step {
        response r;
        const request* req;
        bool head_request;
        bool server_closes;
        std::string_view date;
    };
    std::vector<step> steps;
    const auto add = [&](response r, const request& req, bool head_request = false, bool closes = false,
                         std::string_view date = date_a) {
        steps.push_back({std::move(r), &req, head_request, closes, date});
    };
    // Each variant follows the base response, from which it differs in one thing only.
    const auto base = [&] {
        add(response::static_text("Hello, World!", "text/plain"), keep11);
    };
    base();
    base();                                                                  // reused
    add(response::static_text("Hello, World?", "text/plain"), keep11);       // same head, other body
    add(response::static_text("Hello, World!", "text/plain"), keep11, true); // HEAD: no body
    base();
    add(response::static_text("Hello, World!", "text/plaim"), keep11); // type differs in a byte
    base();
    add(response::static_text("Hello, World!", "text/plain; charset=utf-8"), keep11);
    base();
    add(response::static_text("Hello, World!!", "text/plain"), keep11); // length
    base();
    add(response::static_text("Hello, World!", "text/plain", status::created), keep11); // status
    base();
    add(response::static_text("Hello, World!", "text/plain"), close11); // Connection: close
    base();
    add(response::static_text("Hello, World!", "text/plain"), keep10); // Connection: keep-alive
    base();
    add(response::static_text("Hello, World!", "text/plain"), keep11, false, true); // the server closes
    base();
    add(response::static_text("Hello, World!", "text/plain"), keep11, false, false, date_b); // next second
    add(response::static_text("Hello, World!", "text/plain"), keep11, false, false, date_b);
    add(response::static_text("Hello, World!", ""), keep11, false, false, date_b); // no type
    add(response(status::no_content), keep11);                                     // no Content-Length
    add(response(status::no_content), keep11);
    add(response(status::ok), keep11); // Content-Length: 0
    add(response::text(std::string(300, 'x'), "application/json"), keep11);
    add(response::text(std::string(300, 'y'), "application/json"), keep11);
    add(response::static_text("Hello, World!", std::string(40, 'a')), keep11); // a long type
    add(response::static_text("Hello, World!", std::string(40, 'a')), keep11);
    add(response::static_text("Hello, World!", std::string(39, 'a') + "b"), keep11);
    base();
    response with_field = response::static_text("Hello, World!", "text/plain");
    with_field.add_header("X-One", "1");
    add(std::move(with_field), keep11); // extra fields: always formatted
    response other_field = response::static_text("Hello, World!", "text/plain");
    other_field.add_header("X-Two", "2");
    add(std::move(other_field), keep11);
    base();
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    add(response::file(unique_fd(fd), 0, 13, "text/plain"), keep11); // a file: head only, the same head
    base();

    for (std::size_t i = 0; i < steps.size(); ++i) {
        CAPTURE(i);
        const step& s = steps[i];
        std::string out = "previous bytes|";
        REQUIRE(serialize_response(out, s.r, *s.req, s.head_request, s.server_closes, scratch, s.date));
        CHECK(out == "previous bytes|" + formatted(s.r, *s.req, s.head_request, s.server_closes, s.date));
    }
}

TEST_CASE("serialize_response rejects a bad field after a cached head and leaves the output as it was") {
    const request req = make_request(1, true);
    std::vector<header> scratch;
    std::string out;
    REQUIRE(serialize_response(out, response::static_text("ok", "text/plain"), req, false, false, scratch,
                               date_a));
    const std::string before = out;
    CHECK_FALSE(serialize_response(out, response::static_text("ok", "text/plain\r\nX: y"), req, false, false,
                                   scratch, date_a));
    CHECK(out == before);
}

TEST_CASE("a response keeps any Content-Type, of every length, through moves and replacements") {
    std::string alphabet;
    for (int i = 0; i < 80; ++i) {
        alphabet.push_back(static_cast<char>('a' + i % 26));
    }
    for (std::size_t n = 0; n <= alphabet.size(); ++n) {
        CAPTURE(n);
        const std::string type = alphabet.substr(0, n);
        response r = response::static_text("x", type);
        CHECK(r.content_type() == type);
        response moved = std::move(r);
        CHECK(moved.content_type() == type);
        // Replaced by a shorter and by a longer one: nothing of the old value shows.
        moved.set_content_type("text/plain");
        CHECK(moved.content_type() == "text/plain");
        moved.set_content_type(alphabet.substr(1, n));
        CHECK(moved.content_type() == alphabet.substr(1, n));
    }
}
