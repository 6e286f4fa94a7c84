// Router, URI helpers, MIME table, static file rules (path sanitizing, ranges, validators).
#include "corio/http/router.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "corio/http/mime.hpp"
#include "corio/http/static_files.hpp"
#include "corio/http/uri.hpp"
#include "corio/sync_wait.hpp"

using namespace corio::http;

namespace {

corio::task<response> named(request_context& ctx) {
    co_return response::text(std::string(ctx.param("id")));
}

corio::task<response> ok(request_context&) {
    co_return response::static_text("ok", "text/plain");
}

/// A request_context over a request built by hand.
struct fake_request {
    request req;
    request_context ctx;
    fake_request(std::string_view method, std::string_view target, std::vector<header> headers = {}) {
        req.method = method;
        req.verb = verb_from_method(method);
        req.target = target;
        req.headers = std::move(headers);
        const auto parts = split_target(target);
        REQUIRE(parts);
        ctx.set_request(&req, parts->path, parts->query);
    }
};

router sample_router() {
    router r;
    r.get("/plaintext", ok).get("/users/{id}", named).post("/users", ok).del("/users/{id}", ok);
    return r;
}

} // namespace

TEST_CASE("router matches literal routes and fills path parameters decoded") {
    router r = sample_router();
    fake_request a("GET", "/plaintext");
    CHECK(r.route(a.ctx).outcome == route_outcome::handler);
    fake_request b("GET", "/users/j%C3%BCrgen%2Fx?full=1");
    const route_match m = r.route(b.ctx);
    REQUIRE(m.outcome == route_outcome::handler);
    CHECK(b.ctx.param("id") == "j\xC3\xBCrgen/x");
    CHECK(b.ctx.query() == "full=1");
    const response resp = corio::sync_wait((*m.target)(b.ctx));
    CHECK(resp.body() == "j\xC3\xBCrgen/x");
}

TEST_CASE("router answers 404, 405 with Allow, automatic HEAD, OPTIONS and 501") {
    router r = sample_router();
    fake_request missing("GET", "/nothing");
    CHECK(r.route(missing.ctx).outcome == route_outcome::not_found);
    fake_request empty_param("GET", "/users/");
    CHECK(r.route(empty_param.ctx).outcome == route_outcome::not_found);
    fake_request too_deep("GET", "/users/1/x");
    CHECK(r.route(too_deep.ctx).outcome == route_outcome::not_found);

    fake_request put("PUT", "/users/7");
    const route_match m405 = r.route(put.ctx);
    CHECK(m405.outcome == route_outcome::method_not_allowed);
    CHECK(m405.allow == "GET, HEAD, DELETE, OPTIONS");

    fake_request head("HEAD", "/users/7");
    const route_match mh = r.route(head.ctx);
    CHECK(mh.outcome == route_outcome::handler);
    CHECK(head.ctx.param("id") == "7");

    fake_request options("OPTIONS", "/users");
    const route_match mo = r.route(options.ctx);
    CHECK(mo.outcome == route_outcome::options);
    CHECK(mo.allow == "POST, OPTIONS");

    fake_request star("OPTIONS", "*");
    CHECK(r.route(star.ctx).outcome == route_outcome::options);
    fake_request star_get("GET", "*");
    CHECK(r.route(star_get.ctx).outcome == route_outcome::bad_request);

    fake_request unknown("BREW", "/plaintext");
    CHECK(r.route(unknown.ctx).outcome == route_outcome::not_implemented);
    fake_request trace("TRACE", "/plaintext");
    CHECK(r.route(trace.ctx).outcome == route_outcome::not_implemented);
    r.add("BREW", "/coffee", ok);
    fake_request brew("BREW", "/coffee");
    CHECK(r.route(brew.ctx).outcome == route_outcome::handler);
}

TEST_CASE("router rejects path parameters with bad percent-encoding or NUL") {
    router r = sample_router();
    fake_request bad("GET", "/users/%zz");
    CHECK(r.route(bad.ctx).outcome == route_outcome::bad_request);
    fake_request nul("GET", "/users/a%00b");
    CHECK(r.route(nul.ctx).outcome == route_outcome::bad_request);
}

TEST_CASE("router fallback serves GET and HEAD of unrouted paths; other methods get 405") {
    router r = sample_router();
    r.fallback(ok);
    fake_request get("GET", "/style.css");
    CHECK(r.route(get.ctx).outcome == route_outcome::handler);
    fake_request post("POST", "/style.css");
    const route_match m = r.route(post.ctx);
    CHECK(m.outcome == route_outcome::method_not_allowed);
    CHECK(m.allow == "GET, HEAD, OPTIONS");
}

TEST_CASE("route patterns are validated") {
    router r;
    CHECK_THROWS_AS(r.get("users", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.get("/users/{}", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.get("/users/{id", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.get("/users/x{id}", ok), std::invalid_argument);
    CHECK_THROWS_AS(r.add("GE T", "/", ok), std::invalid_argument);
}

TEST_CASE("split_target accepts origin, absolute and asterisk forms only") {
    auto o = split_target("/a/b?x=1");
    REQUIRE(o);
    CHECK(o->path == "/a/b");
    CHECK(o->query == "x=1");
    auto a = split_target("http://example.com/p?q");
    REQUIRE(a);
    CHECK(a->path == "/p");
    CHECK(a->query == "q");
    auto bare = split_target("http://example.com");
    REQUIRE(bare);
    CHECK(bare->path == "/");
    CHECK(split_target("*"));
    CHECK_FALSE(split_target("example.com:443"));
    CHECK_FALSE(split_target("/a#frag"));
    CHECK_FALSE(split_target("ftp://x/"));
}

TEST_CASE("percent_decode reports malformed escapes, NUL and encoded slashes") {
    std::string out;
    CHECK(percent_decode("a%20b", out) == decode_result::ok);
    CHECK(out == "a b");
    out.clear();
    CHECK(percent_decode("a%2", out) == decode_result::malformed);
    out.clear();
    CHECK(percent_decode("a%g0", out) == decode_result::malformed);
    out.clear();
    CHECK(percent_decode("a%00", out) == decode_result::nul);
    out.clear();
    CHECK(percent_decode("a%2fb", out) == decode_result::ok);
    out.clear();
    CHECK(percent_decode("a%2Fb", out, true) == decode_result::encoded_slash);
}

TEST_CASE("mime types come from the extension, case-insensitively") {
    CHECK(mime_type_for("index.html") == "text/html; charset=utf-8");
    CHECK(mime_type_for("/a/b/STYLE.CSS") == "text/css; charset=utf-8");
    CHECK(mime_type_for("app.js") == "text/javascript; charset=utf-8");
    CHECK(mime_type_for("logo.png") == "image/png");
    CHECK(mime_type_for("data.json") == "application/json");
    CHECK(mime_type_for("README") == "application/octet-stream");
    CHECK(mime_type_for(".bashrc") == "application/octet-stream");
    CHECK(mime_type_for("archive.") == "application/octet-stream");
}

TEST_CASE("sanitize_path rejects every traversal spelling before touching the file system") {
    struct row {
        std::string_view path;
        status expected;
    };
    const row table[] = {
        {"/", status::ok},
        {"/a/b.txt", status::ok},
        {"//a///b.txt", status::ok},
        {"/a%20b.txt", status::ok},
        {"/../etc/passwd", status::bad_request},
        {"/a/../../etc/passwd", status::bad_request},
        {"/%2e%2e/etc/passwd", status::bad_request},
        {"/%2E%2E/etc/passwd", status::bad_request},
        {"/..%2fetc/passwd", status::bad_request},
        {"/a%2fb", status::bad_request},
        {"/%252e%252e/x", status::ok}, // double encoding decodes once: a file literally named "%2e%2e"
        {"/a%00b", status::bad_request},
        {"/a\\..\\b", status::bad_request},
        {"/./a", status::bad_request},
        {"/%zz", status::bad_request},
        {"/.git/config", status::not_found},
        {"/a/.env", status::not_found},
    };
    for (const row& r : table) {
        CAPTURE(r.path);
        CHECK(sanitize_path(r.path).status == r.expected);
    }
    CHECK(sanitize_path("//a///b.txt").relative == "a/b.txt");
    CHECK(sanitize_path("/dir/").trailing_slash);
    CHECK(sanitize_path("/%252e%252e/x").relative == "%2e%2e/x");
}

TEST_CASE("parse_range handles single, open, suffix, unsatisfiable and multiple ranges") {
    using k = range_request::kind;
    auto r = parse_range("bytes=0-9", 100);
    CHECK(r.type == k::single);
    CHECK(r.first == 0);
    CHECK(r.last == 9);
    r = parse_range("bytes=90-", 100);
    CHECK((r.type == k::single && r.first == 90 && r.last == 99));
    r = parse_range("bytes=95-200", 100);
    CHECK((r.type == k::single && r.last == 99));
    r = parse_range("bytes=-10", 100);
    CHECK((r.type == k::single && r.first == 90 && r.last == 99));
    r = parse_range("bytes=-1000", 100);
    CHECK((r.type == k::single && r.first == 0));
    CHECK(parse_range("bytes=100-", 100).type == k::unsatisfiable);
    CHECK(parse_range("bytes=-0", 100).type == k::unsatisfiable);
    CHECK(parse_range("bytes=0-1,5-6", 100).type == k::none);
    CHECK(parse_range("bytes=5-1", 100).type == k::none);
    CHECK(parse_range("items=0-1", 100).type == k::none);
    CHECK(parse_range("bytes=x-1", 100).type == k::none);
    CHECK(parse_range("bytes=99999999999999999999-", 100).type == k::none);
}

TEST_CASE("entity tags compare weakly for If-None-Match") {
    const std::string tag = make_etag(0x10, 0x20, 0x30);
    CHECK(tag == "\"10-20-30\"");
    CHECK(none_match_hits(tag, tag));
    CHECK(none_match_hits("W/" + tag, tag));
    CHECK(none_match_hits("\"x\", " + tag, tag));
    CHECK(none_match_hits("*", tag));
    CHECK_FALSE(none_match_hits("\"10-20-31\"", tag));
}

TEST_CASE("parse_http_date reads IMF-fixdate and rejects other text") {
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
    CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date(""));
}
