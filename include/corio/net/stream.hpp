#pragma once

// corio::net::stream: a connected TCP socket with per-operation timeouts.
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
//   in the *_ec forms, returns that error). A timeout of 0 (or less) means none.
// - Operations also honour the awaiting coroutine's stop token (operation_aborted), as use_task does.
// - wait_readable holds no buffer while it waits: the idle-connection pattern is wait_readable, then
//   try_read into a per-thread buffer.
// - try_read/try_write never block and never suspend (one recv/send system call).
// - One read-side and one write-side operation may be pending at a time; a timeout cancels only its own
//   operation.

// Asio first (through socket_awaiter.hpp): every translation unit of corio must agree on Asio's
// configuration.
#include "corio/net/detail/socket_awaiter.hpp"

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <span>
#include <system_error>

#include "corio/net/detail/deadline_wheel.hpp"
#include "corio/task.hpp"

namespace corio::net {

class stream {
public:
    /// Takes ownership of a connected socket (whose executor is an io_context's).
    explicit stream(asio::ip::tcp::socket socket);
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() = default;

    asio::ip::tcp::socket& socket() noexcept { return socket_; }
    int native_handle() noexcept { return socket_.native_handle(); }

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
        return {detail::wait_op{&socket_, asio::socket_base::wait_read}, reader(), timeout};
    }
    /// Awaitable: completes once the socket is writable.
    detail::socket_awaiter<detail::wait_op> async_wait_writable(std::chrono::nanoseconds timeout) noexcept {
        return {detail::wait_op{&socket_, asio::socket_base::wait_write}, writer(), timeout};
    }
    /// Awaitable: reads at least one byte; end of stream is io_result{asio::error::eof, 0}.
    detail::socket_awaiter<detail::read_some_op> async_read_some(std::span<char> buffer,
                                                                 std::chrono::nanoseconds timeout) noexcept {
        return {detail::read_some_op{&socket_, asio::buffer(buffer.data(), buffer.size())}, reader(),
                timeout};
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
    struct side {
        detail::deadline_entry deadline;
        asio::cancellation_signal signal;
    };
    detail::deadline_binding reader() noexcept { return {wheel_, &read_.deadline, &read_.signal}; }
    detail::deadline_binding writer() noexcept { return {wheel_, &write_.deadline, &write_.signal}; }

    asio::ip::tcp::socket socket_;
    detail::deadline_wheel* wheel_;
    side read_;
    side write_;
};

} // namespace corio::net
