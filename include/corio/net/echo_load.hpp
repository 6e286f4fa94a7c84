#pragma once

// corio::net::run_echo_load: a closed-loop echo load generator written with corio (`corio load echo`).
//
// Each connection is a coroutine that sends a message, reads the echo back, checks every byte and sends the
// next one, until the duration is over. Latencies go into one latency_histogram per worker thread (no
// allocation per sample), merged at the end.

// Asio first: every translation unit of corio must agree on Asio's configuration.
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "corio/net/latency_histogram.hpp"

namespace corio::net {

struct echo_load_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 7000;
    std::size_t connections = 100;
    std::size_t message_size = 64;
    std::chrono::milliseconds duration{10'000};
    std::size_t threads = 1;
    /// A connection whose echo does not come back within this is counted as an error and closed.
    std::chrono::milliseconds io_timeout{10'000};
};

/// Counters, summed over the threads.
struct load_counters {
    std::uint64_t round_trips = 0;
    std::uint64_t bytes = 0; ///< payload bytes echoed back (one way)
    std::uint64_t errors = 0;
    std::uint64_t connected = 0;
};

struct load_result {
    load_counters totals;
    double seconds = 0; ///< measured duration of the run
    latency_histogram latency;
    std::string first_error;
};

/// Runs the load; calls `progress(counters so far, seconds elapsed)` about once a second on the calling
/// thread. @throws std::system_error when the host cannot be resolved.
load_result run_echo_load(const echo_load_options& options,
                          const std::function<void(const load_counters&, double)>& progress);

} // namespace corio::net
