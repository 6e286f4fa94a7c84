#include "corio/net/echo_server.hpp"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "corio/detail/frame_allocator.hpp"
#include "corio/net/listener.hpp"
#include "corio/net/stream.hpp"
#include "corio/runtime/runtime.hpp"
#include "corio/runtime/spawn.hpp"

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

/// On shutdown: stop reading (the peer's pending bytes are still read, then end of stream).
struct stop_reading {
    int fd;
    void operator()() const noexcept { ::shutdown(fd, SHUT_RD); }
};

/// Slow path: the peer does not read as fast as it sends; keep the rest in a buffer of our own.
task<io_result> write_rest(stream_view& s, const char* data, std::size_t size,
                           std::chrono::milliseconds timeout) {
    std::unique_ptr<char[]> rest = std::make_unique<char[]>(size);
    std::memcpy(rest.get(), data, size);
    io_result r = co_await s.write_all_ec({rest.get(), size}, timeout);
    co_return r;
}

std::stop_token shutdown_of(const std::stop_token& token) noexcept {
    return token;
}
std::stop_token shutdown_of(const connection_ticket& ticket) noexcept {
    return ticket.shutdown_token();
}

/// The echo loop, as a task (echo_connection) or as a coroutine that is its own root (the server's: a
/// detached_task holding the listener's ticket, so an idle connection is this one frame). `lifetime` is the
/// shutdown token, or the ticket that carries it.
template <class Coroutine, class Lifetime>
Coroutine echo_loop(asio::ip::tcp::socket socket, std::chrono::milliseconds idle_timeout, Lifetime lifetime) {
    stream_view s(socket);
    const std::stop_callback<stop_reading> on_shutdown(shutdown_of(lifetime),
                                                       stop_reading{s.native_handle()});
    for (;;) {
        io_result ready = co_await s.async_wait_readable(idle_timeout);
        if (ready.error) {
            break; // idle timeout or error
        }
        char* buf = thread_buffer();
        std::error_code ec;
        const std::size_t n = s.try_read({buf, thread_buffer_size}, ec);
        if (ec == asio::error::would_block) {
            continue;
        }
        if (ec || n == 0) {
            break; // error, or the peer closed its side after everything was echoed
        }
        const std::size_t written = s.try_write({buf, n}, ec);
        if (written == n) {
            continue;
        }
        if (ec && ec != asio::error::would_block) {
            break;
        }
        io_result rest = co_await write_rest(s, buf + written, n - written, idle_timeout);
        if (rest.error) {
            break;
        }
    }
}

using echo_session = corio::detail::detached_task;

} // namespace

task<void> echo_connection(asio::ip::tcp::socket socket, std::chrono::milliseconds idle_timeout,
                           std::stop_token shutdown) {
    return echo_loop<task<void>>(std::move(socket), idle_timeout, std::move(shutdown));
}

std::size_t echo_connection_frame_size() {
    // Allocate one frame on a fresh thread (empty frame cache) and see what the cache holds once it is freed.
    std::size_t size = 0;
    std::thread([&size] {
        asio::io_context io;
        {
            const echo_session session = echo_loop<echo_session>(
                asio::ip::tcp::socket(io), std::chrono::milliseconds(0), connection_ticket{});
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
    l.start_detached([idle](asio::ip::tcp::socket s, connection_ticket ticket) {
        echo_loop<echo_session>(std::move(s), idle, std::move(ticket)).handle().resume();
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
