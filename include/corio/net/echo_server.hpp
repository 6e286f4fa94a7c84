#pragma once

// The coroutine echo server: `corio echo` with the default model.
//
// Each connection is one coroutine on the thread that accepted it. Its socket is taken out of Asio's reactor
// and watched, edge-triggered, in the io_context's own epoll set (net/detail/edge_set.hpp): a round trip is
// one recv and one send, with no epoll_ctl. While idle it holds no read buffer: it reads into a per-thread
// 64 KiB buffer and writes the bytes straight back from it (a connection copies data into a buffer of its own
// only while the peer is not reading fast enough).

// Asio first: every translation unit of corio must agree on Asio's configuration.
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "corio/task.hpp"

namespace corio::net {

struct echo_server_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 7000;
    std::size_t threads = 0;                   ///< 0: one per hardware thread
    std::chrono::milliseconds idle_timeout{0}; ///< close a connection silent this long (0: never)
    std::chrono::milliseconds drain_timeout{10'000};
    /// Called once the server listens, with the bound port.
    std::function<void(std::uint16_t)> on_listening;
};

/// Echoes everything read on `socket` (of an io_context) until the peer closes its side (then closes), an
/// error, the idle timeout, or `shutdown` or the task's own stop token is stopped: then it stops reading,
/// echoes what it had already received and closes.
task<void> echo_connection(asio::ip::tcp::socket socket, std::chrono::milliseconds idle_timeout,
                           std::stop_token shutdown);

/// The bytes the frame allocator hands out for the coroutine frame of one of the server's connections: its
/// whole per-connection state in user space (the server runs the echo loop as its own root coroutine, without
/// echo_connection's task, and the socket has no state in Asio's reactor).
std::size_t echo_connection_frame_size();

/// Runs the echo server until `stop` is requested, then stops accepting, lets connections finish what they
/// received (up to drain_timeout) and returns 0. @throws std::system_error when it cannot listen.
int run_echo_server(const echo_server_options& options, std::stop_token stop);

} // namespace corio::net
