#pragma once

// corio::net::stream: a connected TCP socket with per-operation timeouts (and stream_view: the same
// operations on a socket owned elsewhere).
//
//   corio::net::stream s(std::move(socket));
//   std::size_t n = co_await s.read_some(buf, 5s);        // 0: the peer closed its side
//   co_await s.write_all({buf.data(), n}, 5s);
//
// Guarantees:
// - A stream is used from the thread of its socket's io_context (corio is shared-nothing: the thread that
//   accepted the connection); coroutines resume there.
// - Timeouts cost no allocation and no timer per operation: they are entries of the io_context's deadline
//   wheel (10 ms ticks; an operation times out no earlier than asked and at most ~20 ms later). On timeout
//   the pending operation is cancelled and the call throws std::system_error with std::errc::timed_out (or,
//   in the non-throwing forms, returns that error). A timeout of 0 (or less) means none.
// - Operations also honour the awaiting coroutine's stop token (operation_aborted), as use_task does.
// - wait_readable holds no buffer while it waits: the idle-connection pattern is wait_readable, then
//   try_read into a per-thread buffer.
// - try_read/try_write never block and never suspend (one recv/send system call each).
// - One read-side and one write-side operation may be pending at a time; a timeout cancels only its own
//   operation. The write side's deadline state is allocated the first time a write has to wait.

// Asio first (through socket_awaiter.hpp): every translation unit of corio must agree on Asio's
// configuration.
#include "corio/net/detail/socket_awaiter.hpp"

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>

#include "corio/net/detail/deadline_wheel.hpp"
#include "corio/task.hpp"

namespace corio::net {

/// Stream operations on a socket owned by someone else (it must outlive the view). Same guarantees as stream.
class stream_view {
public:
    explicit stream_view(asio::ip::tcp::socket& socket);
    stream_view(const stream_view&) = delete;
    stream_view& operator=(const stream_view&) = delete;
    ~stream_view() = default;

    asio::ip::tcp::socket& socket() noexcept { return *socket_; }
    int native_handle() noexcept { return socket_->native_handle(); }

    // Throwing coroutine API ------------------------------------------------------------------------------

    /// Reads at least one byte into `buffer` (non-empty). @return the bytes read, 0 at end of stream.
    /// @throws std::system_error (std::errc::timed_out on timeout; operation_aborted when stopped).
    task<std::size_t> read_some(std::span<char> buffer, std::chrono::milliseconds timeout);
    /// Writes all of `data`; the timeout applies to each wait for the socket to become writable.
    /// @throws std::system_error
    task<void> write_all(std::span<const char> data, std::chrono::milliseconds timeout);
    /// Completes once the socket is readable (data, end of stream or error pending); holds no buffer.
    /// @throws std::system_error
    task<void> wait_readable(std::chrono::milliseconds timeout);

    // Non-throwing API for hot paths ----------------------------------------------------------------------

    /// Awaitable (no coroutine frame): `io_result r = co_await s.async_wait_readable(t);`
    detail::socket_awaiter<detail::wait_op> async_wait_readable(std::chrono::nanoseconds timeout) noexcept {
        return {detail::wait_op{socket_, asio::socket_base::wait_read}, {wheel_, &read_}, timeout};
    }
    /// Awaitable: completes once the socket is writable. @throws std::bad_alloc (first wait only)
    detail::socket_awaiter<detail::wait_op> async_wait_writable(std::chrono::nanoseconds timeout) {
        return {detail::wait_op{socket_, asio::socket_base::wait_write}, {wheel_, &write_side()}, timeout};
    }
    /// Awaitable: reads at least one byte; end of stream is io_result{asio::error::eof, 0}.
    detail::socket_awaiter<detail::read_some_op> async_read_some(std::span<char> buffer,
                                                                 std::chrono::nanoseconds timeout) noexcept {
        return {detail::read_some_op{socket_, buffer.data(), buffer.size()}, {wheel_, &read_}, timeout};
    }
    /// Writes all of `data` without throwing. @return the error (none on success) and the bytes written.
    task<io_result> write_all_ec(std::span<const char> data, std::chrono::milliseconds timeout);

    /// One non-blocking recv. @return the bytes read; 0 with no error at end of stream; 0 with
    /// asio::error::would_block when nothing is available.
    std::size_t try_read(std::span<char> buffer, std::error_code& error) noexcept;
    /// One non-blocking send (no SIGPIPE). @return the bytes written (0 with would_block when the send
    /// buffer is full).
    std::size_t try_write(std::span<const char> data, std::error_code& error) noexcept;

    /// Shuts down and closes the socket; pending operations complete with operation_aborted.
    void close() noexcept;

private:
    detail::stream_side& write_side() {
        if (!write_) {
            write_ = std::make_unique<detail::stream_side>();
        }
        return *write_;
    }

    asio::ip::tcp::socket* socket_;
    detail::deadline_wheel* wheel_;
    detail::stream_side read_;
    std::unique_ptr<detail::stream_side> write_;
};

namespace detail {
struct socket_holder {
    asio::ip::tcp::socket owned_socket;
};
} // namespace detail

/// A stream_view that owns its socket (closed when the stream is destroyed).
class stream : private detail::socket_holder, public stream_view {
public:
    /// Takes ownership of a connected socket (whose executor is an io_context's).
    explicit stream(asio::ip::tcp::socket socket)
        : detail::socket_holder{std::move(socket)}, stream_view(owned_socket) {}
};

} // namespace corio::net
