#pragma once

// corio::net::listener: accepts TCP connections on every runtime worker thread.
//
//   corio::net::listener l(rt, {.host = "127.0.0.1", .port = 0});
//   l.start([](asio::ip::tcp::socket s) { return serve(std::move(s)); });   // serve: a task<void> coroutine
//   ...
//   l.stop_accepting();
//   l.drain(10s);
//
// Guarantees:
// - One SO_REUSEPORT acceptor per runtime worker (shared-nothing: the kernel spreads connections over the
//   workers; a connection lives and dies on the thread that accepted it, and its handler runs there). With
//   port 0 the first bind picks the port and the others reuse it. With reuse_port = false there is a single
//   acceptor, on worker 0, and every connection is served there.
// - Accepted sockets have TCP_NODELAY set (inherited from the listening socket: no system call per
//   connection).
// - The handler is invoked on the accepting thread, with the socket, and owns it; its task starts at once
//   (inline, before the next accept) and runs under no stop token. An exception escaping it is logged
//   (spdlog warn) and the listener carries on. start_detached() hands the connection over instead, with a
//   connection_ticket that keeps it counted until the handler destroys it: the connection then needs no
//   wrapper coroutine frame of the listener's.
// - max_connections_per_thread (0: unlimited): a connection accepted while its thread already serves that
//   many is closed at once.
// - Accept errors: when out of file descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the acceptor logs
//   once per burst and backs off on a timer (100 ms) without busy looping; existing connections carry on.
// - stop_accepting() (thread-safe, idempotent) closes every acceptor and stops shutdown_token(); handlers may
//   watch that token to finish gracefully. drain() then waits until every accept loop and every handler has
//   finished.
// - The listener may be destroyed while handlers still run (they keep the shared state alive); it must be
//   destroyed before the runtime.

// Asio first: every translation unit of corio must agree on Asio's configuration.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "corio/runtime/runtime.hpp"
#include "corio/task.hpp"

namespace corio::net {

struct listen_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 0; ///< 0 picks a free port
    int backlog = 4096;
    bool reuse_port = true;
    std::size_t max_connections_per_thread = 0; ///< 0: unlimited
};

/// Serves one accepted connection: called on the accepting thread, owns the socket.
using connection_handler = std::function<task<void>(asio::ip::tcp::socket)>;

namespace detail {
struct listener_state;
struct listener_shard;
} // namespace detail

/// Counts a connection as active (for listener::drain() and max_connections_per_thread) until it is
/// destroyed; move-only. Destroy it on the thread that accepted the connection.
class connection_ticket {
public:
    connection_ticket() noexcept = default;
    connection_ticket(connection_ticket&& other) noexcept;
    connection_ticket& operator=(connection_ticket&& other) noexcept;
    connection_ticket(const connection_ticket&) = delete;
    connection_ticket& operator=(const connection_ticket&) = delete;
    ~connection_ticket();

    /// Stopped when the listener's stop_accepting() is called (a token that never stops for an empty ticket).
    std::stop_token shutdown_token() const noexcept;

    /// For the listener (detail).
    connection_ticket(std::shared_ptr<detail::listener_state> state, detail::listener_shard* shard) noexcept
        : state_(std::move(state)), shard_(shard) {}

private:
    void release() noexcept;
    std::shared_ptr<detail::listener_state> state_;
    detail::listener_shard* shard_ = nullptr;
};

/// Takes over one accepted connection (called on the accepting thread): starts whatever serves it, typically
/// a coroutine that is its own root (no wrapper frame, so an idle connection costs only that frame), and
/// keeps the ticket until the connection is done. Nothing is logged for it: it handles its own failures.
/// The connection comes as a bare descriptor, owned by the handler from then on: connected, non-blocking,
/// close-on-exec, with TCP_NODELAY, and known to no reactor (Asio's included), for servers that watch their
/// sockets themselves (corio's echo and HTTP servers). `context` is the accepting thread's io_context; wrap
/// the descriptor in `asio::ip::tcp::socket(context, asio::ip::tcp::v4(), fd)` to use it with Asio.
using detached_connection_handler = std::function<void(int fd, asio::io_context& context, connection_ticket)>;

class listener {
public:
    /// Opens and binds the acceptors (they accept only after start()).
    /// @throws std::system_error when the address cannot be bound.
    listener(runtime& rt, listen_options options);
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;
    /// Calls stop_accepting(); does not wait.
    ~listener();

    /// The bound port.
    std::uint16_t port() const noexcept;
    const listen_options& options() const noexcept;

    /// Starts accepting on every acceptor, calling `handler` for each connection. Call once (this or
    /// start_detached).
    void start(connection_handler handler);
    /// The same, for handlers that take over the connection and its ticket (see detached_connection_handler).
    void start_detached(detached_connection_handler handler);

    /// Closes the acceptors and stops shutdown_token(). Thread-safe, idempotent.
    void stop_accepting();

    /// Blocks (call it outside the runtime's workers) until stop_accepting() was called and every accept
    /// loop and connection handler has finished, or `timeout` passed. @return true when everything finished.
    bool drain(std::chrono::milliseconds timeout);

    /// Connections whose handler has not finished yet (summed over the threads; thread-safe).
    std::size_t active_connections() const noexcept;
    /// Connections accepted so far, and those closed at once for max_connections_per_thread.
    std::size_t accepted_connections() const noexcept;
    std::size_t refused_connections() const noexcept;

    /// Stopped when stop_accepting() is called.
    std::stop_token shutdown_token() const noexcept;

    using state = detail::listener_state; // shared with the accept loops and connections (detail)

private:
    void start_accepting();
    std::shared_ptr<state> state_;
};

} // namespace corio::net
