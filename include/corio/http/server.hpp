#pragma once

// corio::http::server: the HTTP/1.1 server on a corio::runtime.
//
//   corio::runtime rt(4);
//   corio::http::router routes;
//   routes.get("/hello", hello);
//   corio::http::server srv(rt, std::move(routes), {.port = 8080});
//   srv.start();                       // binds; srv.port() is the bound port
//   ...
//   srv.stop();                        // graceful: see below
//   srv.wait();
//
// Shared-nothing: every runtime worker has its own SO_REUSEPORT listener; a connection lives and dies on the
// worker that accepted it, one coroutine per connection.
//
// Per connection (RFC 9112): persistent connections (HTTP/1.1 by default, HTTP/1.0 with
// "Connection: keep-alive"), "Connection: close", pipelining (requests are answered in order; the responses
// to all requests already received are written together, with one write), Expect: 100-continue (the 100 is
// sent only when the request is routed to a handler, i.e. the body is wanted; otherwise the final response is
// sent at once and the connection closed). A malformed request gets its error status with
// "Connection: close", then the connection is closed: nothing after it is processed.
//
// Timeouts (defaults in server_options):
// - header_timeout: from the first byte of a request to the end of its head (slowloris): 408, close;
// - body_timeout: between two reads of a request body: 408, close;
// - idle_timeout: between requests on a persistent connection: closed quietly;
// - write_timeout: between two writes that make progress: closed.
// Timeouts are checked by a per-worker sweep (granularity a quarter of the smallest timeout, at most 1 s), so
// a request costs no timer operations.
//
// Memory: an idle connection holds no buffer; the parser, input and output buffers are taken from a
// per-worker pool when bytes arrive and returned when the connection is idle again (only the bytes of a
// partly received head are kept, copied, while waiting for the rest).
//
// Graceful stop: stop() stops accepting, closes idle connections, lets requests already received finish
// (their responses carry "Connection: close") and cuts what is still open after drain_timeout.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "corio/http/limits.hpp"
#include "corio/http/router.hpp"
#include "corio/runtime/runtime.hpp"

namespace corio::http {

struct server_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080; ///< 0 picks a free port (see server::port())
    int backlog = 4096;
    http::limits limits{};
    std::chrono::milliseconds header_timeout{10'000}; ///< h2o: 10 s
    std::chrono::milliseconds body_timeout{60'000};   ///< nginx client_body_timeout
    std::chrono::milliseconds idle_timeout{75'000};   ///< nginx keepalive_timeout
    std::chrono::milliseconds write_timeout{60'000};  ///< nginx send_timeout
    std::chrono::milliseconds drain_timeout{10'000};  ///< graceful stop bound
    /// Connections beyond this on one worker are answered 503 and closed at accept.
    std::size_t max_connections_per_thread = 10'000;
    /// Log one line per request (spdlog, info level, logger "access").
    bool access_log = false;
};

class server {
public:
    /// A server that will run on `rt`'s workers (which must outlive it).
    server(runtime& rt, router routes, server_options options = {});
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    /// stop() and wait().
    ~server();

    /// Binds one listener per worker and starts accepting. @throws std::system_error if binding fails.
    void start();
    /// The bound port (after start()).
    std::uint16_t port() const noexcept;
    /// Starts a graceful stop (see the file comment). Thread-safe, idempotent, does not block.
    void stop();
    /// Blocks (not on a worker) until every connection has finished after stop(). @return false when the
    /// drain timeout cut connections whose handlers had not finished (they are abandoned).
    bool wait();
    /// start(), run until `token` is stopped, stop(), wait(). @return wait()'s result.
    bool run(std::stop_token token);

    /// Connections currently open, over all workers (approximate while running).
    std::size_t connection_count() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace corio::http
