#include "corio/http/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "corio/http/date_cache.hpp"
#include "corio/http/mime.hpp"
#include "corio/http/request.hpp"
#include "corio/http/uri.hpp"

namespace corio::http {

namespace {

task<response> ready(response r) {
    co_return std::move(r);
}

response plain(http::status s) {
    response r = response::static_text(reason_phrase(s), "text/plain; charset=utf-8", s);
    if (s == http::status::service_unavailable) {
        r.add_header("Retry-After", "1");
    }
    return r;
}

// The answer when looking up or opening a file failed with `e`: 403 unreadable; 503 when the process is
// out of descriptors or memory (the file may well exist, and a 404 could be cached); else 404.
http::status lookup_failure(int e) noexcept {
    if (e == EACCES) {
        return http::status::forbidden;
    }
    if (e == EMFILE || e == ENFILE || e == ENOMEM) {
        return http::status::service_unavailable;
    }
    return http::status::not_found;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool path_within(std::string_view path, std::string_view root) noexcept {
    if (path.size() < root.size() || path.substr(0, root.size()) != root) {
        return false;
    }
    return path.size() == root.size() || path[root.size()] == '/' || root == "/";
}

// realpath(3) of `path`, checked to lie under `root`. Returns the status to answer on failure.
http::status resolve_under(const std::string& path, const std::string& root, std::string& real) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) {
        return lookup_failure(errno);
    }
    real.assign(buf);
    if (!path_within(real, root)) {
        return http::status::not_found;
    }
    return http::status::ok;
}

// Opens a resolved path without following a final symlink; fills `st`.
http::status open_resolved(const std::string& real, unique_fd& fd, struct stat& st) {
    fd.reset(::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) {
        return lookup_failure(errno);
    }
    if (::fstat(fd.get(), &st) != 0) {
        return http::status::not_found;
    }
    return http::status::ok;
}

std::string_view unquote_weak(std::string_view tag) noexcept {
    if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') {
        tag.remove_prefix(2);
    }
    return tag;
}

} // namespace

sanitized_path sanitize_path(std::string_view raw_path) {
    sanitized_path out;
    std::string decoded;
    decoded.reserve(raw_path.size());
    if (percent_decode(raw_path, decoded, /*reject_encoded_slash=*/true) != decode_result::ok) {
        out.status = http::status::bad_request;
        return out;
    }
    if (decoded.find('\\') != std::string::npos || decoded.empty() || decoded.front() != '/') {
        out.status = http::status::bad_request;
        return out;
    }
    out.trailing_slash = decoded.back() == '/';
    std::string_view rest = decoded;
    while (!rest.empty()) {
        const std::size_t slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
        if (seg.empty()) {
            continue;
        }
        if (seg == "." || seg == "..") {
            out.status = http::status::bad_request;
            out.relative.clear();
            return out;
        }
        if (seg.front() == '.') {
            out.status = http::status::not_found;
            out.relative.clear();
            return out;
        }
        if (!out.relative.empty()) {
            out.relative.push_back('/');
        }
        out.relative.append(seg);
    }
    return out;
}

range_request parse_range(std::string_view value, std::uint64_t size) noexcept {
    range_request r;
    value = trim(value);
    if (value.size() < 6 || !iequals(value.substr(0, 6), "bytes=")) {
        return r;
    }
    value = trim(value.substr(6));
    if (value.find(',') != std::string_view::npos) {
        return r; // several ranges: served whole (documented)
    }
    const std::size_t dash = value.find('-');
    if (dash == std::string_view::npos) {
        return r;
    }
    const std::string_view first_text = trim(value.substr(0, dash));
    const std::string_view last_text = trim(value.substr(dash + 1));
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (first_text.empty()) {
        // suffix range: the last N bytes
        if (!parse_u64(last_text, last)) {
            return r;
        }
        if (last == 0 || size == 0) {
            r.type = range_request::kind::unsatisfiable;
            return r;
        }
        r.type = range_request::kind::single;
        r.first = last >= size ? 0 : size - last;
        r.last = size - 1;
        return r;
    }
    if (!parse_u64(first_text, first)) {
        return r;
    }
    if (last_text.empty()) {
        last = UINT64_MAX;
    } else if (!parse_u64(last_text, last) || last < first) {
        return r;
    }
    if (first >= size) {
        r.type = range_request::kind::unsatisfiable;
        return r;
    }
    r.type = range_request::kind::single;
    r.first = first;
    r.last = last >= size ? size - 1 : last;
    return r;
}

std::string make_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns) {
    std::string tag = "\"";
    char buf[24];
    auto hex = [&](std::uint64_t v) {
        const auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
        tag.append(buf, r.ptr);
    };
    hex(inode);
    tag.push_back('-');
    hex(size);
    tag.push_back('-');
    hex(static_cast<std::uint64_t>(mtime_ns));
    tag.push_back('"');
    return tag;
}

bool none_match_hits(std::string_view field, std::string_view etag) noexcept {
    field = trim(field);
    if (field == "*") {
        return true;
    }
    const std::string_view mine = unquote_weak(etag);
    while (!field.empty()) {
        const std::size_t comma = field.find(',');
        const std::string_view item = trim(field.substr(0, comma));
        if (!item.empty() && unquote_weak(item) == mine) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        field.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<std::int64_t> parse_http_date(std::string_view t) noexcept {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    if (t.size() != 29 || t[3] != ',' || t[4] != ' ' || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' ||
        t[19] != ':' || t[22] != ':' || t[25] != ' ' || t.substr(26) != "GMT") {
        return std::nullopt;
    }
    auto num = [&](std::size_t at, std::size_t n, unsigned& out) {
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') {
                return false;
            }
            out = out * 10 + static_cast<unsigned>(t[i] - '0');
        }
        return true;
    };
    static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const std::size_t mpos = months.find(t.substr(8, 3));
    if (mpos == std::string_view::npos || mpos % 3 != 0) {
        return std::nullopt;
    }
    unsigned day = 0;
    unsigned year = 0;
    unsigned hh = 0;
    unsigned mm = 0;
    unsigned ss = 0;
    if (!num(5, 2, day) || !num(12, 4, year) || !num(17, 2, hh) || !num(20, 2, mm) || !num(23, 2, ss) ||
        day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) {
        return std::nullopt;
    }
    const std::int64_t days = days_from_civil(year, static_cast<unsigned>(mpos / 3 + 1), day);
    return days * 86400 + hh * 3600 + mm * 60 + ss;
}

static_files::static_files(const std::string& root) {
    char buf[PATH_MAX];
    if (::realpath(root.c_str(), buf) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "static root " + root);
    }
    struct stat st{};
    if (::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw std::invalid_argument("static root is not a directory: " + root);
    }
    root_.assign(buf);
}

task<response> static_files::operator()(request_context& ctx) const {
    return ready(serve(ctx));
}

response static_files::serve(const request_context& ctx) const {
    sanitized_path p = sanitize_path(ctx.path());
    if (p.status != http::status::ok) {
        return plain(p.status);
    }
    std::string real;
    http::status s = resolve_under(p.relative.empty() ? root_ : root_ + '/' + p.relative, root_, real);
    if (s != http::status::ok) {
        return plain(s);
    }
    unique_fd fd;
    struct stat st{};
    s = open_resolved(real, fd, st);
    if (s != http::status::ok) {
        return plain(s);
    }
    if (S_ISDIR(st.st_mode)) {
        if (!p.trailing_slash) {
            response r = plain(http::status::moved_permanently);
            std::string location(ctx.path());
            location.push_back('/');
            if (!ctx.query().empty()) {
                location.push_back('?');
                location.append(ctx.query());
            }
            r.add_header("Location", location);
            return r;
        }
        s = resolve_under(real + "/index.html", root_, real);
        if (s != http::status::ok) {
            return plain(http::status::not_found);
        }
        s = open_resolved(real, fd, st);
        if (s != http::status::ok) {
            return plain(s);
        }
    }
    if (!S_ISREG(st.st_mode)) {
        return plain(http::status::not_found);
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const std::int64_t mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    const std::string etag = make_etag(st.st_ino, size, mtime_ns);
    std::array<char, 29> date{};
    format_http_date(st.st_mtim.tv_sec, date);
    const std::string_view last_modified(date.data(), date.size());
    const std::string_view type = mime_type_for(real);

    auto with_validators = [&](response r) {
        r.add_header("ETag", etag);
        r.add_header("Last-Modified", last_modified);
        r.add_header("Accept-Ranges", "bytes");
        return r;
    };

    const std::string_view inm = ctx.header("If-None-Match");
    bool not_modified = false;
    if (!inm.empty()) {
        not_modified = none_match_hits(inm, etag);
    } else if (const std::string_view ims = ctx.header("If-Modified-Since"); !ims.empty()) {
        const std::optional<std::int64_t> since = parse_http_date(ims);
        not_modified = since && st.st_mtim.tv_sec <= *since;
    }
    if (not_modified) {
        response r(http::status::not_modified);
        return with_validators(std::move(r));
    }

    if (ctx.verb() == http::verb::get) {
        const std::string_view range_field = ctx.header("Range");
        const std::string_view if_range = trim(ctx.header("If-Range"));
        const bool range_applies =
            !range_field.empty() && (if_range.empty() || if_range == etag || if_range == last_modified);
        if (range_applies) {
            const range_request rr = parse_range(range_field, size);
            if (rr.type == range_request::kind::unsatisfiable) {
                response r = plain(http::status::range_not_satisfiable);
                r.add_header("Content-Range", "bytes */" + std::to_string(size));
                return with_validators(std::move(r));
            }
            if (rr.type == range_request::kind::single) {
                response r = response::file(std::move(fd), rr.first, rr.last - rr.first + 1, type,
                                            http::status::partial_content);
                r.add_header("Content-Range", "bytes " + std::to_string(rr.first) + '-' +
                                                  std::to_string(rr.last) + '/' + std::to_string(size));
                return with_validators(std::move(r));
            }
        }
    }
    return with_validators(response::file(std::move(fd), 0, size, type));
}

} // namespace corio::http
