#pragma once

// run_http_load: the closed-loop HTTP/1.1 keep-alive load generator behind `corio load http`.
//
// Each connection is a coroutine: it writes `pipeline` requests in one write, reads and validates the
// responses (response_parser: status line, fields, framing; the status must be 2xx), records each one's
// latency (from the write to its last byte), and repeats until the duration is over. A connection the server
// closes (Connection: close, end of stream, a reset) is reopened and counted; requests it left unanswered
// count as a read error. Counters are per worker thread (no sharing on the hot path); latencies go into one
// latency_histogram per thread, merged at the end.

// Asio first: every translation unit of corio must agree on Asio's configuration.
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "corio/net/latency_histogram.hpp"

namespace corio::cli {

struct http_load_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 80;
    std::string path = "/";
    std::string host_header = "127.0.0.1"; ///< the Host field (host[:port] as in the URL)
    std::string method = "GET";
    std::size_t body_size = 0; ///< request body bytes (sent with Content-Length when > 0)
    std::size_t connections = 100;
    std::size_t pipeline = 1; ///< requests written at once per connection
    std::size_t threads = 1;
    std::chrono::milliseconds duration{10'000};
    /// A response that does not arrive within this is a timeout error; the connection is reopened.
    std::chrono::milliseconds io_timeout{10'000};
};

/// Fills host, port, path and host_header from "http://host[:port][/path]". @return an error message, or
/// empty on success.
std::string parse_http_url(std::string_view url, http_load_options& options);

/// The request bytes one connection writes per round: `pipeline` copies of the request.
std::string build_request_batch(const http_load_options& options);

/// Counters, summed over the threads.
struct http_load_counters {
    std::uint64_t requests = 0;  ///< valid responses received (any status)
    std::uint64_t bytes = 0;     ///< response bytes received
    std::uint64_t connected = 0; ///< connections that connected at least once
    std::uint64_t reconnects = 0;
    std::uint64_t connect_errors = 0;
    std::uint64_t write_errors = 0;
    std::uint64_t read_errors = 0; ///< reset, or the server closed with requests unanswered
    std::uint64_t timeout_errors = 0;
    std::uint64_t status_errors = 0; ///< responses whose status is not 2xx
    std::uint64_t parse_errors = 0;  ///< malformed responses (the connection is then reopened)

    std::uint64_t errors() const noexcept {
        return connect_errors + write_errors + read_errors + timeout_errors + status_errors + parse_errors;
    }
};

struct http_load_result {
    http_load_counters totals;
    double seconds = 0;
    net::latency_histogram latency;
    std::string first_error;
};

/// Runs the load; calls `progress(counters so far, seconds elapsed)` about once a second on the calling
/// thread. @throws std::system_error when the host cannot be resolved.
http_load_result run_http_load(const http_load_options& options,
                               const std::function<void(const http_load_counters&, double)>& progress);

} // namespace corio::cli
