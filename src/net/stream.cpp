#include "corio/net/stream.hpp"

#include <sys/socket.h>

#include <asio/io_context.hpp>

#include <cassert>
#include <cerrno>
#include <system_error>
#include <utility>

#include "corio/net/detail/syscalls.hpp"

namespace corio::net {

namespace {

detail::deadline_wheel& wheel_of(asio::ip::tcp::socket& socket) {
    const asio::any_io_executor any = socket.get_executor();
    const auto* ex = any.target<asio::io_context::executor_type>();
    assert(ex != nullptr && "corio::net::stream needs a socket on an io_context");
    return detail::deadline_wheel::of(ex->context());
}

[[noreturn]] void throw_error(const std::error_code& ec) {
    throw std::system_error(ec);
}

} // namespace

stream_view::stream_view(asio::ip::tcp::socket& socket) : socket_(&socket), wheel_(&wheel_of(socket)) {}

std::size_t stream_view::try_read(std::span<char> buffer, std::error_code& error) noexcept {
    for (;;) {
        const ssize_t n =
            detail::sys_recv(socket_->native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n >= 0) {
            error.clear();
            return static_cast<std::size_t>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        error = (errno == EAGAIN || errno == EWOULDBLOCK) ? std::error_code(asio::error::would_block)
                                                          : std::error_code(errno, std::system_category());
        return 0;
    }
}

std::size_t stream_view::try_write(std::span<const char> data, std::error_code& error) noexcept {
    for (;;) {
        const ssize_t n =
            detail::sys_send(socket_->native_handle(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            error.clear();
            return static_cast<std::size_t>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        error = (errno == EAGAIN || errno == EWOULDBLOCK) ? std::error_code(asio::error::would_block)
                                                          : std::error_code(errno, std::system_category());
        return 0;
    }
}

task<io_result> stream_view::write_all_ec(std::span<const char> data, std::chrono::milliseconds timeout) {
    io_result total;
    while (!data.empty()) {
        std::error_code ec;
        const std::size_t n = try_write(data, ec);
        total.bytes += n;
        data = data.subspan(n);
        if (ec == asio::error::would_block) {
            io_result ready = co_await async_wait_writable(timeout);
            if (ready.error) {
                total.error = ready.error;
                co_return total;
            }
        } else if (ec) {
            total.error = ec;
            co_return total;
        }
    }
    co_return total;
}

task<std::size_t> stream_view::read_some(std::span<char> buffer, std::chrono::milliseconds timeout) {
    io_result r = co_await async_read_some(buffer, timeout);
    if (r.error == asio::error::eof) {
        co_return 0;
    }
    if (r.error) {
        throw_error(r.error);
    }
    co_return r.bytes;
}

task<void> stream_view::write_all(std::span<const char> data, std::chrono::milliseconds timeout) {
    io_result r = co_await write_all_ec(data, timeout);
    if (r.error) {
        throw_error(r.error);
    }
}

task<void> stream_view::wait_readable(std::chrono::milliseconds timeout) {
    io_result r = co_await async_wait_readable(timeout);
    if (r.error) {
        throw_error(r.error);
    }
}

void stream_view::close() noexcept {
    std::error_code ignored;
    socket_->shutdown(asio::socket_base::shutdown_both, ignored);
    socket_->close(ignored);
}

} // namespace corio::net
