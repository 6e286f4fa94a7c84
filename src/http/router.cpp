#include "corio/http/router.hpp"

#include <stdexcept>

#include "corio/http/uri.hpp"

namespace corio::http {

namespace {

constexpr std::string_view builtin_methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

bool is_token_char(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void append_method(std::string& allow, std::string_view method) {
    // A small list: linear search keeps it free of duplicates.
    std::string_view rest = allow;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(", ");
        const std::string_view item = rest.substr(0, comma);
        if (item == method) {
            return;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 2);
    }
    if (!allow.empty()) {
        allow.append(", ");
    }
    allow.append(method);
}

} // namespace

bool request_context::add_param(std::string_view name, std::string_view raw_value) {
    const std::size_t start = decoded_.size();
    if (decoded_.size() + raw_value.size() > decoded_.capacity()) {
        return false; // would move earlier views; clear_params() reserves enough for any path
    }
    if (percent_decode(raw_value, decoded_) != decode_result::ok) {
        decoded_.resize(start);
        return false;
    }
    params_.push_back({name, std::string_view(decoded_).substr(start)});
    return true;
}

router& router::add(std::string_view method, std::string_view pattern, handler h) {
    if (method.empty()) {
        throw std::invalid_argument("route method is empty");
    }
    for (char c : method) {
        if (!is_token_char(c)) {
            throw std::invalid_argument("route method is not a token: " + std::string(method));
        }
    }
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    }
    entry r;
    r.method.assign(method);
    r.verb = verb_from_method(method);
    r.pattern.assign(pattern);
    std::string_view rest = pattern.substr(1);
    for (;;) {
        const std::size_t slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        segment s;
        if (!seg.empty() && seg.front() == '{') {
            if (seg.size() < 3 || seg.back() != '}' ||
                seg.substr(1, seg.size() - 2).find_first_of("{}/") != std::string_view::npos) {
                throw std::invalid_argument("malformed parameter segment in route pattern: " +
                                            std::string(pattern));
            }
            s.text.assign(seg.substr(1, seg.size() - 2));
            s.is_param = true;
            r.literal = false;
        } else {
            if (seg.find_first_of("{}") != std::string_view::npos) {
                throw std::invalid_argument("braces must enclose a whole segment: " + std::string(pattern));
            }
            s.text.assign(seg);
        }
        r.segments.push_back(std::move(s));
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    r.target = std::move(h);
    routes_.push_back(std::move(r));
    return *this;
}

bool router::matches_segments(const entry& r, std::string_view path) noexcept {
    if (path.empty() || path.front() != '/') {
        return false;
    }
    std::string_view rest = path.substr(1);
    std::size_t i = 0;
    for (;;) {
        const std::size_t slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        if (i == r.segments.size()) {
            return false;
        }
        const segment& s = r.segments[i++];
        if (s.is_param ? seg.empty() : seg != s.text) {
            return false;
        }
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    return i == r.segments.size();
}

bool router::capture(const entry& r, std::string_view path, request_context& ctx) {
    if (r.literal) {
        ctx.clear_params(0); // nothing is decoded
        return true;
    }
    ctx.clear_params(path.size());
    std::string_view rest = path.substr(1);
    for (const segment& s : r.segments) {
        const std::size_t slash = rest.find('/');
        if (s.is_param && !ctx.add_param(s.text, rest.substr(0, slash))) {
            return false;
        }
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    }
    return true;
}

bool router::implements(std::string_view method) const noexcept {
    for (std::string_view m : builtin_methods) {
        if (m == method) {
            return true;
        }
    }
    for (const entry& r : routes_) {
        if (r.method == method) {
            return true;
        }
    }
    return false;
}

std::string router::allow_for(std::string_view path) const {
    std::string allow;
    bool any = false;
    for (const entry& r : routes_) {
        if (path == "*" || matches(r, path)) {
            any = true;
            append_method(allow, r.method);
            if (r.method == "GET") {
                append_method(allow, "HEAD");
            }
        }
    }
    if (fallback_ && (path == "*" || !any)) {
        append_method(allow, "GET");
        append_method(allow, "HEAD");
        any = true;
    }
    if (any) {
        append_method(allow, "OPTIONS");
    }
    return allow;
}

route_match router::route(request_context& ctx) const {
    route_match m;
    route(ctx, m);
    return m;
}

void router::route(request_context& ctx, route_match& m) const {
    const std::string_view method = ctx.method();
    // The parser sets the verb; a request built by hand may only have the method text.
    const http::verb v = ctx.verb() != http::verb::other ? ctx.verb() : verb_from_method(method);
    const std::string_view path = ctx.path();
    m.target = nullptr;
    m.allow.clear();
    // The built-in set (GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS) by its verb; other methods by name.
    const bool builtin = v != http::verb::other && v != http::verb::connect && v != http::verb::trace;
    if (!builtin && !implements(method)) {
        m.outcome = route_outcome::not_implemented;
        return;
    }
    if (path.size() == 1 && path[0] == '*') {
        if (v != http::verb::options) {
            m.outcome = route_outcome::bad_request;
            return;
        }
        m.outcome = route_outcome::options;
        m.allow = allow_for(path);
        return;
    }
    const entry* found = nullptr;
    const entry* get_for_head = nullptr;
    bool path_known = false;
    const bool is_head = v == http::verb::head;
    for (const entry& r : routes_) {
        if (!matches(r, path)) {
            continue;
        }
        path_known = true;
        if (same_method(r, v, method)) {
            found = &r;
            break;
        }
        if (is_head && get_for_head == nullptr && r.verb == http::verb::get) {
            get_for_head = &r;
        }
    }
    if (found == nullptr) {
        found = get_for_head;
    }
    if (found != nullptr) {
        if (!capture(*found, path, ctx)) {
            m.outcome = route_outcome::bad_request;
            return;
        }
        m.outcome = route_outcome::handler;
        m.target = &found->target;
        return;
    }
    if (!path_known && fallback_ && (v == http::verb::get || is_head)) {
        ctx.clear_params(0);
        m.outcome = route_outcome::handler;
        m.target = &fallback_;
        return;
    }
    if (!path_known && !fallback_) {
        m.outcome = route_outcome::not_found;
        return;
    }
    m.allow = allow_for(path);
    m.outcome = v == http::verb::options ? route_outcome::options : route_outcome::method_not_allowed;
}

} // namespace corio::http
