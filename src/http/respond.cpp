#include "respond.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "corio/http/date_cache.hpp"
#include "corio/http/serializer.hpp"
#include "corio/http/uri.hpp"

namespace corio::http::detail {

route_match route_request(const router& routes, request_context& ctx, const request& req) {
    route_match m;
    route_request(routes, ctx, req, m);
    return m;
}

void route_request(const router& routes, request_context& ctx, const request& req, route_match& out) {
    const std::optional<target_parts> parts = split_target(req.target);
    if (!parts) {
        ctx.set_request(&req, {}, {});
        out.outcome = route_outcome::bad_request;
        out.target = nullptr;
        out.allow.clear();
        return;
    }
    ctx.set_request(&req, parts->path, parts->query);
    routes.route(ctx, out);
}

response builtin_response(const route_match& match) {
    switch (match.outcome) {
    case route_outcome::handler:
        break;
    case route_outcome::not_found:
        return response::static_text("Not Found", "text/plain; charset=utf-8", status::not_found);
    case route_outcome::method_not_allowed: {
        response r = response::static_text("Method Not Allowed", "text/plain; charset=utf-8",
                                           status::method_not_allowed);
        r.add_header("Allow", match.allow);
        return r;
    }
    case route_outcome::options: {
        response r(status::no_content);
        r.add_header("Allow", match.allow);
        return r;
    }
    case route_outcome::not_implemented:
        return response::static_text("Not Implemented", "text/plain; charset=utf-8", status::not_implemented);
    case route_outcome::bad_request:
        return response::static_text("Bad Request", "text/plain; charset=utf-8", status::bad_request);
    }
    return internal_error_response();
}

response internal_error_response() {
    return response::static_text("Internal Server Error", "text/plain; charset=utf-8",
                                 status::internal_server_error);
}

namespace {

/// Byte equality of short runs (content types, dates) with two overlapping loads per side instead of a
/// loop or a call.
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
    const auto same8 = [](const char* x, const char* y) {
        std::uint64_t u;
        std::uint64_t v;
        std::memcpy(&u, x, 8);
        std::memcpy(&v, y, 8);
        return u == v;
    };
    if (n > 32) {
        return std::memcmp(a, b, n) == 0;
    }
    if (n > 16) {
        return same8(a, b) && same8(a + 8, b + 8) && same8(a + n - 16, b + n - 16) &&
               same8(a + n - 8, b + n - 8);
    }
    if (n >= 8) {
        return same8(a, b) && same8(a + n - 8, b + n - 8);
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/// The head of the last response without extra fields serialized on this thread. A head is a function of
/// status, Content-Type, length, Connection and Date only, so a response that matches all five reuses the
/// bytes: a server answering the same kind of request over and over formats a head once per second.
struct head_cache {
    static constexpr std::size_t type_capacity = 64;
    static constexpr std::size_t date_capacity = 32;
    static constexpr std::size_t head_capacity = 256;
    bool valid;
    http::status status;
    connection_header connection;
    std::uint8_t type_length;
    std::uint8_t date_length;
    std::uint16_t head_length;
    std::uint64_t length;
    char type[type_capacity];
    char date[date_capacity];
    char head[head_capacity];

    bool matches(http::status s, connection_header c, std::string_view t, std::uint64_t n,
                 std::string_view d) const noexcept {
        return valid && status == s && connection == c && length == n && type_length == t.size() &&
               date_length == d.size() && same_bytes(type, t.data(), t.size()) &&
               same_bytes(date, d.data(), d.size());
    }
    void store(http::status s, connection_header c, std::string_view t, std::uint64_t n, std::string_view d,
               std::string_view bytes) noexcept {
        valid = t.size() <= type_capacity && d.size() <= date_capacity && bytes.size() <= head_capacity;
        if (!valid) {
            return;
        }
        status = s;
        connection = c;
        length = n;
        type_length = static_cast<std::uint8_t>(t.size());
        if (!t.empty()) {
            std::memcpy(type, t.data(), t.size());
        }
        date_length = static_cast<std::uint8_t>(d.size());
        std::memcpy(date, d.data(), d.size());
        head_length = static_cast<std::uint16_t>(bytes.size());
        std::memcpy(head, bytes.data(), bytes.size());
    }
};

// Zero-initialized (valid = false) without a constructor: no guard on each access.
thread_local head_cache last_head;

} // namespace

bool serialize_response(std::string& out, const response& r, const request& req, bool head_request,
                        bool server_closes, std::vector<header>& scratch, std::string_view date) {
    if (date.empty()) {
        date = thread_date_cache().now();
    }
    const connection_header connection = connection_for(req, server_closes);
    const bool plain = !r.has_headers() && r.kind() != body_kind::streamed;
    const std::uint64_t length = r.content_length();
    const std::string_view type = r.content_type();
    const bool with_body = r.kind() != body_kind::file && !head_request && !status_forbids_body(r.status());
    head_cache& cache = last_head;
    if (plain && cache.matches(r.status(), connection, type, length, date)) {
        out.append(cache.head, cache.head_length);
        if (with_body) {
            out.append(r.body());
        }
        return true;
    }
    scratch.clear();
    for (const response_field& f : r.headers()) {
        scratch.push_back({f.name, f.value});
    }
    const response_head head{r.status(), scratch, connection, type};
    const std::size_t mark = out.size();
    try {
        if (r.kind() == body_kind::file) {
            write_head(out, head, date, r.file_length());
        } else {
            write_response(out, head, date, r.body(), head_request);
        }
    } catch (const std::invalid_argument& e) {
        out.resize(mark);
        spdlog::error("invalid response to {}: {}", req.target, e.what());
        return false;
    }
    if (plain) {
        const std::size_t body_size = with_body ? r.body().size() : 0;
        cache.store(r.status(), connection, type, length, date,
                    std::string_view(out).substr(mark, out.size() - mark - body_size));
    }
    return true;
}

void serialize_rejection(std::string& out, status s, std::vector<header>& scratch, bool head_request) {
    scratch.clear();
    write_response(out, response_head{s, scratch, connection_header::close, "text/plain; charset=utf-8"},
                   thread_date_cache().now(), reason_phrase(s), head_request);
}

} // namespace corio::http::detail
