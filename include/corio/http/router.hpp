#pragma once

// corio::http::router: maps method + path pattern to a handler.
//
//   router r;
//   r.get("/users/{id}", get_user).post("/users", create_user).fallback(static_files("www"));
//
// Patterns are '/'-separated segments; a segment "{name}" matches one non-empty path segment (still
// percent-encoded in the path, so "%2F" stays inside its segment) and is available decoded as
// ctx.param("name"). Routes without parameters are compared with the path as a whole; otherwise routes are
// tried in the order they were added and the first whose pattern and method match wins.
//
// What the router answers by itself (RFC 9110):
// - no route matches the path (and no fallback): 404;
// - routes match the path but not the method: 405 with Allow;
// - HEAD without a HEAD route runs the GET route; the server sends its head without the body (§9.3.2);
// - OPTIONS without an OPTIONS route: 204 with Allow (for "*": every method the router serves);
// - a method that no route uses and that is not one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS
//   (an unknown token, CONNECT, TRACE): 501 Not Implemented;
// - a path parameter that is not valid percent-encoding or decodes to NUL: 400.
// A fallback handler serves GET and HEAD for paths no route matches (e.g. static files); other methods on
// those paths get 405 (Allow: GET, HEAD, OPTIONS).

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "corio/http/handler.hpp"
#include "corio/http/request_context.hpp"
#include "corio/http/status.hpp"

namespace corio::http {

/// What route() decided.
enum class route_outcome : std::uint8_t {
    handler,            ///< run match::target
    not_found,          ///< 404
    method_not_allowed, ///< 405, match::allow
    options,            ///< 204 with match::allow
    not_implemented,    ///< 501
    bad_request,        ///< 400 (bad target form or path parameter encoding)
};

struct route_match {
    route_outcome outcome = route_outcome::not_found;
    const handler* target = nullptr;
    std::string allow; ///< the Allow value for 405 and OPTIONS answers (empty otherwise)
};

class router {
public:
    /// Adds a route. `method` is any method token (case-sensitive), `pattern` starts with '/'.
    /// @throws std::invalid_argument for an empty method, a pattern not starting with '/', or a malformed
    /// or empty "{}" segment.
    router& add(std::string_view method, std::string_view pattern, handler h);
    router& get(std::string_view pattern, handler h) { return add("GET", pattern, std::move(h)); }
    router& head(std::string_view pattern, handler h) { return add("HEAD", pattern, std::move(h)); }
    router& post(std::string_view pattern, handler h) { return add("POST", pattern, std::move(h)); }
    router& put(std::string_view pattern, handler h) { return add("PUT", pattern, std::move(h)); }
    router& patch(std::string_view pattern, handler h) { return add("PATCH", pattern, std::move(h)); }
    router& del(std::string_view pattern, handler h) { return add("DELETE", pattern, std::move(h)); }
    router& options(std::string_view pattern, handler h) { return add("OPTIONS", pattern, std::move(h)); }
    /// Serves GET and HEAD for paths that match no route.
    router& fallback(handler h) {
        fallback_ = std::move(h);
        return *this;
    }

    /// Decides what answers the request in `ctx` (method and ctx.path(), the percent-encoded path or "*").
    /// On route_outcome::handler, the path parameters are stored in `ctx`. Never allocates on that path.
    route_match route(request_context& ctx) const;
    /// The same, into `out` (whose storage is reused).
    void route(request_context& ctx, route_match& out) const;

    /// True when some route (or the built-in set) implements `method`.
    bool implements(std::string_view method) const noexcept;

private:
    struct segment {
        std::string text; // literal text, or the parameter name
        bool is_param = false;
    };
    struct entry {
        std::string method;
        http::verb verb = http::verb::other; // of method: compared instead of the text when not `other`
        std::string pattern;
        std::vector<segment> segments;
        bool literal = true;
        handler target;
    };

    /// Literal patterns (most routes) by length and bytes, inline; patterns with parameters segment-wise.
    static bool matches(const entry& r, std::string_view path) noexcept {
        return r.literal ? path.size() == r.pattern.size() &&
                               std::memcmp(path.data(), r.pattern.data(), path.size()) == 0
                         : matches_segments(r, path);
    }
    static bool matches_segments(const entry& r, std::string_view path) noexcept;
    static bool same_method(const entry& r, http::verb v, std::string_view method) noexcept {
        return r.verb != http::verb::other ? r.verb == v : r.method == method;
    }
    static bool capture(const entry& r, std::string_view path, request_context& ctx);
    std::string allow_for(std::string_view path) const;

    std::vector<entry> routes_;
    handler fallback_;
};

} // namespace corio::http
