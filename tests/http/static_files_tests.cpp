// static_files against a real directory: traversal, symlinks, directories, validators, ranges.
#include "corio/http/static_files.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "corio/http/uri.hpp"

using namespace corio::http;
namespace fs = std::filesystem;

namespace {

struct site {
    fs::path base;
    fs::path root;
    site() {
        std::string tmpl = (fs::temp_directory_path() / "corio-static-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        base = tmpl;
        root = base / "root";
        fs::create_directories(root / "sub");
        fs::create_directories(root / "empty");
        write(root / "index.html", "<h1>home</h1>");
        write(root / "a.txt", "0123456789");
        write(root / "sub" / "index.html", "sub index");
        write(root / ".hidden", "hidden");
        write(base / "secret.txt", "TOP SECRET");
        fs::create_symlink(base / "secret.txt", root / "escape.txt");
        fs::create_symlink(base, root / "up");
        fs::create_symlink(root / "a.txt", root / "inner.txt");
        ::mkfifo((root / "fifo").c_str(), 0600);
    }
    ~site() {
        std::error_code ec;
        fs::remove_all(base, ec);
    }
    static void write(const fs::path& p, std::string_view text) { std::ofstream(p) << text; }
};

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

std::string file_text(const response& r) {
    REQUIRE(r.kind() == body_kind::file);
    std::string s(r.file_length(), '\0');
    REQUIRE(::pread(r.file_fd(), s.data(), s.size(), static_cast<off_t>(r.file_offset())) ==
            static_cast<ssize_t>(s.size()));
    return s;
}

std::string header_of(const response& r, std::string_view name) {
    const response_field* f = r.find_header(name);
    return f ? f->value : std::string();
}

} // namespace

TEST_CASE("static files never serve a byte from outside the root") {
    site s;
    static_files files(s.root.string());
    struct row {
        std::string_view target;
        status expected;
    };
    const row table[] = {
        {"/../secret.txt", status::bad_request},
        {"/%2e%2e/secret.txt", status::bad_request},
        {"/..%2fsecret.txt", status::bad_request},
        {"/sub/..%2f..%2fsecret.txt", status::bad_request},
        {"/%2e%2e%2fsecret.txt", status::bad_request},
        {"/escape.txt", status::not_found},    // symlink leaving the root
        {"/up/secret.txt", status::not_found}, // directory symlink leaving the root
        {"/up/root/a.txt", status::ok},        // leaves and comes back: the real path is inside
        {"/a.txt%00.html", status::bad_request},
        {"/sub\\..\\..\\secret.txt", status::bad_request},
        {"/.hidden", status::not_found},
        {"/fifo", status::not_found},
        {"/empty/", status::not_found}, // no index, no listing
        {"/missing.txt", status::not_found},
        {"/a.txt/x", status::not_found},
    };
    for (const row& r : table) {
        CAPTURE(r.target);
        fake_request req("GET", r.target);
        const response resp = files.serve(req.ctx);
        CHECK(resp.status() == r.expected);
        if (resp.kind() == body_kind::file) {
            CHECK(file_text(resp).find("SECRET") == std::string::npos);
        }
        CHECK(resp.body().find("SECRET") == std::string_view::npos);
    }
}

TEST_CASE("static files serve files, in-root symlinks and directory indexes with validators") {
    site s;
    static_files files(s.root.string());
    fake_request a("GET", "/a.txt");
    const response ra = files.serve(a.ctx);
    CHECK(ra.status() == status::ok);
    CHECK(file_text(ra) == "0123456789");
    CHECK(ra.content_type() == "text/plain; charset=utf-8");
    CHECK_FALSE(header_of(ra, "ETag").empty());
    CHECK_FALSE(header_of(ra, "Last-Modified").empty());
    CHECK(header_of(ra, "Accept-Ranges") == "bytes");

    fake_request inner("GET", "/inner.txt");
    CHECK(file_text(files.serve(inner.ctx)) == "0123456789");

    fake_request root("GET", "/");
    CHECK(file_text(files.serve(root.ctx)) == "<h1>home</h1>");
    fake_request sub("GET", "/sub/");
    CHECK(file_text(files.serve(sub.ctx)) == "sub index");

    fake_request redirect("GET", "/sub?x=1");
    const response rr = files.serve(redirect.ctx);
    CHECK(rr.status() == status::moved_permanently);
    CHECK(header_of(rr, "Location") == "/sub/?x=1");
}

TEST_CASE("static files answer 304 to a matching If-None-Match or a not-newer If-Modified-Since") {
    site s;
    static_files files(s.root.string());
    fake_request first("GET", "/a.txt");
    const response r1 = files.serve(first.ctx);
    const std::string etag = header_of(r1, "ETag");
    const std::string modified = header_of(r1, "Last-Modified");

    fake_request inm("GET", "/a.txt", {{"If-None-Match", etag}});
    CHECK(files.serve(inm.ctx).status() == status::not_modified);
    fake_request other("GET", "/a.txt", {{"If-None-Match", "\"nope\""}});
    CHECK(files.serve(other.ctx).status() == status::ok);
    // If-None-Match takes precedence over If-Modified-Since.
    fake_request both("GET", "/a.txt", {{"If-None-Match", "\"nope\""}, {"If-Modified-Since", modified}});
    CHECK(files.serve(both.ctx).status() == status::ok);
    fake_request ims("GET", "/a.txt", {{"If-Modified-Since", modified}});
    CHECK(files.serve(ims.ctx).status() == status::not_modified);
    fake_request old("GET", "/a.txt", {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}});
    CHECK(files.serve(old.ctx).status() == status::ok);
}

TEST_CASE("static files answer one byte range with 206 and an unsatisfiable one with 416") {
    site s;
    static_files files(s.root.string());
    fake_request range("GET", "/a.txt", {{"Range", "bytes=2-4"}});
    const response r = files.serve(range.ctx);
    CHECK(r.status() == status::partial_content);
    CHECK(file_text(r) == "234");
    CHECK(header_of(r, "Content-Range") == "bytes 2-4/10");

    fake_request past("GET", "/a.txt", {{"Range", "bytes=10-"}});
    const response r416 = files.serve(past.ctx);
    CHECK(r416.status() == status::range_not_satisfiable);
    CHECK(header_of(r416, "Content-Range") == "bytes */10");

    fake_request multi("GET", "/a.txt", {{"Range", "bytes=0-1,4-5"}});
    const response rm = files.serve(multi.ctx);
    CHECK(rm.status() == status::ok);
    CHECK(file_text(rm) == "0123456789");

    fake_request stale("GET", "/a.txt", {{"Range", "bytes=0-1"}, {"If-Range", "\"old\""}});
    CHECK(files.serve(stale.ctx).status() == status::ok);

    fake_request head("HEAD", "/a.txt", {{"Range", "bytes=0-1"}});
    CHECK(files.serve(head.ctx).status() == status::ok);
}
