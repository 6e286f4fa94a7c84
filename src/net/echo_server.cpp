#include "corio/net/echo_server.hpp"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <utility>

#include "corio/detail/frame_allocator.hpp"
#include "corio/net/detail/edge_set.hpp"
#include "corio/net/detail/syscalls.hpp"
#include "corio/net/listener.hpp"
#include "corio/runtime/runtime.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/stop.hpp"

namespace corio::net {

namespace {

constexpr std::size_t thread_buffer_size = 64 * 1024;

char* thread_buffer() {
    static thread_local std::unique_ptr<char[]> buffer;
    if (!buffer) {
        buffer = std::make_unique<char[]>(thread_buffer_size);
    }
    return buffer.get();
}

/// On shutdown: stop reading (the peer's pending bytes are still read, then end of stream; the kernel raises
/// an input edge for it).
struct stop_reading {
    int fd;
    void operator()() const noexcept { ::shutdown(fd, SHUT_RD); }
};

/// What echo_ready() leaves to do.
enum class echo_step : std::uint8_t {
    wait,  ///< everything read was echoed and the socket is drained: wait for its next input edge
    more,  ///< the socket was still full after many reads: let the event loop run, then read on
    rest,  ///< the peer does not read as fast as it sends: `rest` is left to write
    close, ///< end of stream (after everything was echoed), or an error
};

/// Sends as much of `data` as the socket takes now, without blocking. @return the bytes sent; `failed` is set
/// on an error other than a full socket buffer.
std::size_t send_now(int fd, std::span<const char> data, bool& failed) noexcept {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t w =
            detail::sys_send(fd, data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w >= 0) {
            sent += static_cast<std::size_t>(w);
        } else if (errno != EINTR) {
            failed = errno != EAGAIN && errno != EWOULDBLOCK;
            break;
        }
    }
    return sent;
}

/// Echoes what the socket holds now, without blocking: reads into the per-thread buffer and writes each
/// read straight back, until a read comes back short (the socket is drained: its next input raises an edge).
echo_step echo_ready(int fd, std::span<const char>& rest) noexcept {
    constexpr int max_full_reads = 16; // 1 MiB per turn for a fast sender; then others get theirs
    char* buf = thread_buffer();
    for (int reads = 0; reads < max_full_reads; ++reads) {
        const ssize_t n = detail::sys_recv(fd, buf, thread_buffer_size, MSG_DONTWAIT);
        if (n == 0) {
            return echo_step::close;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? echo_step::wait : echo_step::close;
        }
        const auto size = static_cast<std::size_t>(n);
        bool failed = false;
        const std::size_t written = send_now(fd, {buf, size}, failed);
        if (failed) {
            return echo_step::close;
        }
        if (written < size) {
            rest = {buf + written, size - written};
            return echo_step::rest;
        }
        if (size < thread_buffer_size) {
            return echo_step::wait;
        }
    }
    return echo_step::more;
}

/// Slow path: keeps what the peer did not take yet in a buffer of its own and writes it as the socket drains.
/// @return false on error or timeout.
task<bool> write_rest(detail::edge_socket& s, std::span<const char> data, std::chrono::milliseconds timeout) {
    const std::unique_ptr<char[]> copy = std::make_unique<char[]>(data.size());
    std::memcpy(copy.get(), data.data(), data.size());
    std::size_t done = 0;
    while (done < data.size()) {
        const bool ready = co_await s.writable(timeout);
        if (!ready) {
            co_return false;
        }
        bool failed = false;
        done += send_now(s.native_handle(), {copy.get() + done, data.size() - done}, failed);
        if (failed) {
            co_return false;
        }
    }
    co_return true;
}

/// echo_connection's two reasons to stop reading: the server's shutdown token and the task's own.
struct two_tokens {
    std::stop_token shutdown;
    std::stop_token own;
};

/// Stops reading (stop_reading) when the connection's lifetime says so.
template <class Lifetime>
struct shutdown_watch;

template <>
struct shutdown_watch<connection_ticket> {
    shutdown_watch(const connection_ticket& ticket, int fd)
        : stop(ticket.shutdown_token(), stop_reading{fd}) {}
    std::stop_callback<stop_reading> stop;
};

template <>
struct shutdown_watch<two_tokens> {
    shutdown_watch(const two_tokens& tokens, int fd)
        : shutdown(tokens.shutdown, stop_reading{fd}), own(tokens.own, stop_reading{fd}) {}
    std::stop_callback<stop_reading> shutdown;
    std::stop_callback<stop_reading> own;
};

/// The echo loop, as a task (echo_connection) or as a coroutine that is its own root (the server's: a
/// detached_task holding the listener's ticket, so an idle connection is this one frame). It owns `fd`, a
/// connected socket watched through the io_context's edge set (not Asio's reactor: see edge_set.hpp).
/// `lifetime` is the ticket that carries the shutdown token, or two_tokens.
template <class Coroutine, class Lifetime>
Coroutine echo_loop(int fd, asio::io_context& context, std::chrono::milliseconds idle_timeout,
                    Lifetime lifetime) {
    detail::edge_socket s(fd, context);
    if (s.error()) {
        co_return;
    }
    const shutdown_watch<Lifetime> on_shutdown(lifetime, fd);
    bool drained = true; // a new socket raises an edge for input it already has when it joins the set
    for (;;) {
        if (drained) {
            const bool ready = co_await s.readable(idle_timeout);
            if (!ready) {
                break; // idle timeout
            }
        }
        std::span<const char> rest;
        const echo_step step = echo_ready(fd, rest);
        if (step == echo_step::close) {
            break;
        }
        drained = step == echo_step::wait;
        if (step == echo_step::more) {
            co_await s.yield();
        } else if (step == echo_step::rest) {
            const bool written = co_await write_rest(s, rest, idle_timeout);
            if (!written) {
                break;
            }
        }
    }
}

/// The connected socket's descriptor, non-blocking and taken out of Asio's hands (and its reactor), and its
/// io_context.
/// @return -1 when that fails (the socket is closed then).
int take_descriptor(asio::ip::tcp::socket& socket, asio::io_context*& context) noexcept {
    const asio::any_io_executor any = socket.get_executor();
    const auto* ex = any.target<asio::io_context::executor_type>();
    std::error_code ec;
    if (ex == nullptr) {
        socket.close(ec);
        return -1;
    }
    context = &ex->context();
    socket.non_blocking(true, ec);
    const int fd = ec ? -1 : socket.release(ec);
    if (ec) {
        socket.close(ec);
        return -1;
    }
    return fd;
}

using echo_session = corio::detail::detached_task;

} // namespace

task<void> echo_connection(asio::ip::tcp::socket socket, std::chrono::milliseconds idle_timeout,
                           std::stop_token shutdown) {
    asio::io_context* context = nullptr;
    const int fd = take_descriptor(socket, context);
    if (fd < 0) {
        co_return;
    }
    std::stop_token own = co_await this_stop_token;
    task<void> loop =
        echo_loop<task<void>>(fd, *context, idle_timeout, two_tokens{std::move(shutdown), std::move(own)});
    co_await std::move(loop);
}

std::size_t echo_connection_frame_size() {
    // Allocate one frame on a fresh thread (empty frame cache) and see what the cache holds once it is freed.
    std::size_t size = 0;
    std::thread([&size] {
        asio::io_context io;
        {
            const echo_session session =
                echo_loop<echo_session>(-1, io, std::chrono::milliseconds(0), connection_ticket{});
            session.handle().destroy(); // never started
        }
        size = corio::detail::frame_allocator::cached_bytes();
        corio::detail::frame_allocator::trim();
    }).join();
    return size;
}

int run_echo_server(const echo_server_options& options, std::stop_token stop) {
    runtime rt(options.threads == 0 ? runtime::default_threads() : options.threads);
    listen_options lo;
    lo.host = options.host;
    lo.port = options.port;
    listener l(rt, lo);
    spdlog::debug("corio echo: connection coroutine frame {} bytes", echo_connection_frame_size());
    const std::chrono::milliseconds idle = options.idle_timeout;
    l.start_detached([idle](int fd, asio::io_context& context, connection_ticket ticket) {
        echo_loop<echo_session>(fd, context, idle, std::move(ticket)).handle().resume();
    });
    if (options.on_listening) {
        options.on_listening(l.port());
    }
    {
        std::mutex m;
        std::condition_variable cv;
        bool stopped = false;
        std::stop_callback wake(stop, [&] {
            std::lock_guard lock(m);
            stopped = true;
            cv.notify_all();
        });
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return stopped; });
    }
    l.stop_accepting();
    if (!l.drain(options.drain_timeout)) {
        spdlog::warn("corio echo: {} connections still open after the drain timeout; closing them",
                     l.active_connections());
    }
    return 0;
}

} // namespace corio::net
