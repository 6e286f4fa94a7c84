#pragma once

// HTTP/1.1 over a blocking socket, for the thread- and process-per-connection models: the same parser,
// router, handlers and serializer as the coroutine server (handlers run to completion with sync_wait), only
// the I/O differs. Streamed response bodies need the coroutine server; here a handler that streams gets 500.

#include <chrono>

#include "corio/http/parser.hpp"
#include "corio/http/router.hpp"

namespace corio::models {

struct blocking_http_options {
    http::parser_options parser{};
    /// How long a request's head may take from its first byte (then 408 and close); also the longest
    /// silence inside a body.
    std::chrono::milliseconds header_timeout{10'000};
    /// How long an idle keep-alive connection is kept (then closed quietly).
    std::chrono::milliseconds idle_timeout{75'000};
};

/// Serves HTTP/1.1 requests on the connected blocking socket `fd` until the client or the protocol ends the
/// connection. Does not close `fd`.
void serve_http(int fd, const http::router& routes, const blocking_http_options& options);

} // namespace corio::models
