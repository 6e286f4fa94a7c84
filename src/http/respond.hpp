#pragma once

// The protocol decisions every server model shares (coroutine connections and the blocking thread/process
// models): route a parsed request, the server's own answers, and serializing a handler's response. Internal.

#include <string>
#include <vector>

#include "corio/http/request.hpp"
#include "corio/http/request_context.hpp"
#include "corio/http/response.hpp"
#include "corio/http/router.hpp"

namespace corio::http::detail {

/// Points `ctx` at `req` (path and query split from its target) and routes it. A target that cannot be
/// split gives route_outcome::bad_request.
route_match route_request(const router& routes, request_context& ctx, const request& req);
/// The same, into `out` (whose storage is reused).
void route_request(const router& routes, request_context& ctx, const request& req, route_match& out);

/// The server's own answer to a route outcome other than route_outcome::handler (404, 405 + Allow,
/// OPTIONS 204 + Allow, 501, 400).
response builtin_response(const route_match& match);

/// The server's 500: a handler threw, or its response could not be serialized.
response internal_error_response();

/// Appends the head of `r` (and its body when in memory; for a file only the head) to `out`, with the
/// Connection field `req` and `server_closes` call for. Returns false, leaving `out` as it was, when a field
/// of `r` is invalid. `scratch` is reused storage for the field list. `date` is the Date value (empty: read
/// the clock through thread_date_cache()).
bool serialize_response(std::string& out, const response& r, const request& req, bool head_request,
                        bool server_closes, std::vector<header>& scratch, std::string_view date = {});

/// Appends the server's answer to a request it rejects (`s`: 400, 408, 413, 414, 431, 501, 503, 505 ...):
/// a short text body (left out, Content-Length kept, when the rejected request is a HEAD whose head was
/// parsed: `head_request`) and Connection: close.
void serialize_rejection(std::string& out, status s, std::vector<header>& scratch, bool head_request = false);

} // namespace corio::http::detail
