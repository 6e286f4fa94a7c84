#pragma once

// The two designs corio is measured against: thread-per-connection and process-per-connection servers with
// blocking sockets. They serve the same protocols through the same sans-I/O code as the coroutine server;
// only the way connections are multiplexed differs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

namespace corio::models {

/// How a server multiplexes its connections.
enum class concurrency_model { coroutine, thread, process };

/// "coroutine", "thread" or "process".
std::string_view to_string(concurrency_model m) noexcept;
/// Parses a model name. @throws std::invalid_argument for an unknown name.
concurrency_model parse_concurrency_model(std::string_view name);

/// Serves one accepted connection with blocking I/O and returns when it is done; the caller closes `fd`.
using connection_handler = std::function<void(int fd)>;

struct blocking_server_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0; ///< 0 picks a free port
    int backlog = 4096;
    /// After stop is requested: how long in-flight connections may take to finish before they are cut.
    std::chrono::milliseconds drain_timeout{10'000};
    /// Receive timeout on each connection (0: none): a silent peer is disconnected after it.
    std::chrono::milliseconds idle_timeout{0};
    /// Called once the listener is bound, with the actual port.
    std::function<void(std::uint16_t)> on_listening;
};

/// Accepts until `stop` is requested, running `serve` on a new std::thread per connection. On stop: stops
/// accepting, shuts down the read side of every open connection so that its handler finishes what it has
/// received, then joins every thread (cutting connections still open after drain_timeout).
/// @return 0 on a clean shutdown. @throws std::system_error if the listener cannot be set up.
int run_thread_per_connection(const blocking_server_options& options, const connection_handler& serve,
                              std::stop_token stop);

/// Accepts until `stop` is requested, fork()ing a child per connection that runs `serve` and exits. The
/// parent reaps children as they exit (no zombies). On stop: stops accepting, sends SIGTERM to every child (a
/// child then stops reading and finishes what it has received), waits up to drain_timeout, then SIGKILLs and
/// reaps the rest.
/// @return 0 on a clean shutdown. @throws std::system_error if the listener cannot be set up.
int run_process_per_connection(const blocking_server_options& options, const connection_handler& serve,
                               std::stop_token stop);

/// The echo protocol over a blocking socket: writes back every byte read until the peer closes its side.
void serve_echo(int fd);

/// Opens a listening TCP socket bound to host:port with SO_REUSEADDR. @throws std::system_error
int open_listener(const std::string& host, std::uint16_t port, int backlog);
/// The local port a socket is bound to.
std::uint16_t local_port(int fd);

} // namespace corio::models
