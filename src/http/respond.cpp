#include "respond.hpp"

#include <spdlog/spdlog.h>

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
    return response::static_text("Internal Server Error", "text/plain; charset=utf-8",
                                 status::internal_server_error);
}

bool serialize_response(std::string& out, const response& r, const request& req, bool head_request,
                        bool server_closes, std::vector<header>& scratch, std::string_view date) {
    scratch.clear();
    for (const response_field& f : r.headers()) {
        scratch.push_back({f.name, f.value});
    }
    if (date.empty()) {
        date = thread_date_cache().now();
    }
    const response_head head{r.status(), scratch, connection_for(req, server_closes), r.content_type()};
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
    return true;
}

void serialize_rejection(std::string& out, status s, std::vector<header>& scratch, bool head_request) {
    scratch.clear();
    write_response(out, response_head{s, scratch, connection_header::close, "text/plain; charset=utf-8"},
                   thread_date_cache().now(), reason_phrase(s), head_request);
}

} // namespace corio::http::detail
