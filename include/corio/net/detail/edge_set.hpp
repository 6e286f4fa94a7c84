#pragma once

// corio::net::detail::edge_set and edge_socket: sockets that corio watches itself, outside Asio's reactor.
//
// Why: a coroutine that waits for readability through Asio (`socket.async_wait(wait_read)`) costs one
// epoll_ctl(EPOLL_CTL_MOD) per wait, because Asio re-arms the descriptor for every operation that is not a
// speculative read (epoll_reactor::start_op). An echo round trip is then recv + send + epoll_ctl. A socket
// registered once, edge-triggered, in a set of corio's own costs recv + send, and the set is drained with
// one epoll_wait per batch of ready sockets.
//
// - edge_set: one edge-triggered epoll set per io_context (an Asio service, used only from that io_context's
//   thread). The set's own descriptor is watched by Asio; when it is readable, the set is drained in batches
//   (epoll_wait with no timeout, up to 16 rounds, so that timers, posted work and accepts keep their turn)
//   and each ready socket's callback runs on the io_context's thread.
// - edge_socket: one connected socket in the set, owned (closed on destruction, which also takes it out of
//   the set), awaited by one coroutine at a time for readability or writability, with an optional timeout
//   from the io_context's deadline_wheel. An input edge that arrives while nobody waits is remembered, so a
//   wait never misses input that came before it. As the set is edge-triggered, input already there when the
//   reader stopped reading raises no new edge: a reader waits only after a read came back short or with
//   EAGAIN.
// - Writability is watched only while a writer waits (EPOLLOUT is added and removed around that wait): a
//   socket always watched for output would have its write-space wake-ups reported too.

// Asio first: every translation unit of corio must agree on Asio's configuration.
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <sys/epoll.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

#include "corio/net/detail/deadline_wheel.hpp"

namespace corio::net::detail {

/// What the set calls for a ready socket: a base (or member) of the object that watches it.
struct edge_watch {
    using callback = void (*)(edge_watch& self, std::uint32_t events) noexcept;
    callback on_event = nullptr;
};

class edge_set final : public asio::execution_context::service {
public:
    using key_type = edge_set;
    static inline asio::execution_context::id id;

    /// @throws std::system_error when no epoll set can be created.
    explicit edge_set(asio::io_context& context);
    edge_set(const edge_set&) = delete;
    edge_set& operator=(const edge_set&) = delete;
    ~edge_set() override;

    /// The set of `context` (created on first use; takes a lock: call once per connection, not per wait).
    static edge_set& of(asio::io_context& context) { return asio::use_service<edge_set>(context); }

    /// Adds `fd` edge-triggered for `events` (EPOLLET is implied); readiness it already has is reported.
    /// Each socket added must be forgotten (forget()) when it is closed: while none is registered, the set
    /// holds no pending wait, so an io_context with nothing else to do can run out of work.
    std::error_code add(int fd, edge_watch& watch, std::uint32_t events) noexcept;
    /// A socket added before was closed (which took it out of the set).
    void forget() noexcept;
    /// Changes the events watched on `fd` (readiness it has for them is reported again).
    std::error_code modify(int fd, edge_watch& watch, std::uint32_t events) noexcept;

    /// Adds `hook` (once: adding it again does nothing) to what runs at the start of each dispatch, i.e. once
    /// per batch of ready sockets (for per-round caches such as the HTTP Date).
    void add_round_hook(void (*hook)() noexcept);

    /// Makes the io_context wake up for the set's next events; call before suspending on a watch.
    /// @return false when that is impossible (out of memory, or the io_context is shutting down).
    bool arm() noexcept { return armed_ || arm_slow(); }

private:
    void shutdown() override;
    std::error_code control(int op, int fd, edge_watch& watch, std::uint32_t events) noexcept;
    bool arm_slow() noexcept;
    void on_ready(std::uint32_t generation, const std::error_code& ec) noexcept;
    void dispatch() noexcept;

    int fd_ = -1;
    asio::posix::stream_descriptor watch_; // owns fd_
    std::vector<void (*)() noexcept> round_hooks_;
    std::size_t registered_ = 0;   // sockets added and not forgotten
    std::uint32_t generation_ = 0; // of the pending wait: a cancelled wait's late handler is ignored
    bool armed_ = false;           // a wait is pending, or a dispatch runs (and arms at its end)
    bool dispatching_ = false;
    bool shut_down_ = false;
};

/// A connected socket in its io_context's edge_set (see above). Use it from that io_context's thread.
class edge_socket : private edge_watch {
public:
    /// Takes ownership of `fd` (a connected, non-blocking stream socket) and adds it to the set of `context`
    /// for input. error() tells whether that worked.
    edge_socket(int fd, asio::io_context& context) noexcept;
    edge_socket(const edge_socket&) = delete;
    edge_socket& operator=(const edge_socket&) = delete;
    /// Closes the socket.
    ~edge_socket();

    int native_handle() const noexcept { return fd_; }
    /// Why the socket could not be added to the set (none when it was).
    std::error_code error() const noexcept { return error_; }

    class wait;
    /// `bool ok = co_await s.readable(timeout);` completes once input (data, end of stream or an error)
    /// arrived since the last readable() completed, or at once after a hangup; false on timeout (<= 0: none).
    inline wait readable(std::chrono::nanoseconds timeout) noexcept;
    /// `bool ok = co_await s.writable(timeout);` completes once the socket can take more output (or has an
    /// error); false on timeout or when the socket cannot be watched for output.
    inline wait writable(std::chrono::nanoseconds timeout) noexcept;

    class yield_awaiter;
    /// `co_await s.yield();` lets the io_context run what is queued before going on (for a reader that found
    /// its socket still full after many reads); goes on at once when that cannot be queued.
    inline yield_awaiter yield() noexcept;

    /// True once a wait ended by its timeout.
    bool timed_out() const noexcept { return timed_out_; }

private:
    enum class side : std::uint8_t { none, read, write };
    static constexpr std::uint32_t input_events = EPOLLIN | EPOLLRDHUP;

    static void on_event_fn(edge_watch& self, std::uint32_t events) noexcept;
    static void on_timeout(void* self) noexcept;
    bool begin_wait(std::coroutine_handle<> waiter, side which, std::chrono::nanoseconds timeout) noexcept;
    bool end_wait(side which, std::chrono::nanoseconds timeout) noexcept;

    int fd_;
    side waiting_ = side::none;
    bool readable_ = false; // an input edge not yet consumed by readable()
    bool writable_ = false; // an output edge (only while output is watched)
    bool hangup_ = false;   // the peer closed its side, or an error: no more input edges will come
    bool failed_ = false;   // the last wait ended without its edge (timeout, or watching failed)
    bool timed_out_ = false;
    std::coroutine_handle<> waiter_;
    asio::io_context* context_;
    edge_set* set_ = nullptr;
    deadline_wheel* wheel_ = nullptr;
    deadline_entry deadline_;
    std::error_code error_;
};

class edge_socket::wait {
public:
    wait(edge_socket& s, side which, std::chrono::nanoseconds timeout) noexcept
        : socket_(s), which_(which), timeout_(timeout) {}
    bool await_ready() noexcept {
        if (which_ == side::read && (socket_.readable_ || socket_.hangup_)) {
            // Input arrived since the last wait: read it now. After a hangup every read wait completes at
            // once: the end of stream raised its one edge, maybe together with data that a short read took,
            // and the next read returns it.
            socket_.readable_ = false;
            socket_.failed_ = false;
            return true;
        }
        return false;
    }
    bool await_suspend(std::coroutine_handle<> waiter) noexcept {
        return socket_.begin_wait(waiter, which_, timeout_);
    }
    bool await_resume() noexcept { return socket_.end_wait(which_, timeout_); }

private:
    edge_socket& socket_;
    side which_;
    std::chrono::nanoseconds timeout_;
};

class edge_socket::yield_awaiter {
public:
    explicit yield_awaiter(asio::io_context& context) noexcept : context_(context) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> self) const noexcept;
    void await_resume() const noexcept {}

private:
    asio::io_context& context_;
};

inline edge_socket::yield_awaiter edge_socket::yield() noexcept {
    return yield_awaiter{*context_};
}
inline edge_socket::wait edge_socket::readable(std::chrono::nanoseconds timeout) noexcept {
    return {*this, side::read, timeout};
}
inline edge_socket::wait edge_socket::writable(std::chrono::nanoseconds timeout) noexcept {
    return {*this, side::write, timeout};
}

} // namespace corio::net::detail
