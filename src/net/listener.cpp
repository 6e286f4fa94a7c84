#include "corio/net/listener.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "corio/detail/promise_base.hpp"
#include "corio/runtime/this_executor.hpp"
#include "corio/runtime/use_task.hpp"

namespace corio::net {

namespace detail {

struct listener_shard {
    explicit listener_shard(const executor& e) : ex(e), acceptor(asio::any_io_executor(e)) {}
    executor ex;
    asio::ip::tcp::acceptor acceptor;
    // Written only by the shard's thread, read by any.
    std::atomic<std::size_t> active{0};
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> refused{0};
    std::atomic<bool> loop_running{false};
};

} // namespace detail

namespace {

using reuse_port_option = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
using shard = detail::listener_shard;

// Compares errno values: Asio 1.22's system category maps no errno to std::errc (its
// default_error_condition is compiled out), so `ec == std::errc::too_many_files_open` is always false.
bool out_of_resources(const std::error_code& ec) {
    if (ec.category() != asio::error::get_system_category() && ec.category() != std::system_category() &&
        ec.category() != std::generic_category()) {
        return false;
    }
    const int e = ec.value();
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

} // namespace

namespace detail {

struct listener_state {
    listen_options options;
    std::uint16_t port = 0;
    std::vector<std::unique_ptr<listener_shard>> shards;
    connection_handler handler;
    detached_connection_handler detached_handler;
    std::stop_source shutdown;
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::condition_variable changed;

    void notify() {
        std::lock_guard lock(mutex);
        changed.notify_all();
    }
    bool quiescent() const noexcept {
        for (const auto& s : shards) {
            if (s->loop_running.load(std::memory_order_acquire) ||
                s->active.load(std::memory_order_acquire) != 0) {
                return false;
            }
        }
        return true;
    }
};

} // namespace detail

namespace {

/// A connection's root coroutine: runs the handler's task, logs what escapes it, frees itself at the end.
class connection_root {
public:
    class promise_type : public corio::detail::promise_base {
    public:
        connection_root get_return_object() noexcept {
            return connection_root{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept {}
    };
    std::coroutine_handle<> handle;
};

void log_handler_failure(std::exception_ptr e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::warn("corio: connection handler failed: {}", ex.what());
    } catch (...) {
        spdlog::warn("corio: connection handler failed (not a std::exception)");
    }
}

void connection_finished(listener::state& st, shard& sh) noexcept {
    if (sh.active.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
        st.stopping.load(std::memory_order_acquire)) {
        st.notify();
    }
}

connection_root run_connection(std::shared_ptr<listener::state> st, shard* sh, task<void> t) {
    try {
        co_await std::move(t);
    } catch (...) {
        log_handler_failure(std::current_exception());
    }
    connection_finished(*st, *sh);
}

void start_connection(const std::shared_ptr<listener::state>& st, shard& sh, asio::ip::tcp::socket socket) {
    sh.active.fetch_add(1, std::memory_order_relaxed);
    task<void> t;
    try {
        t = st->handler(std::move(socket));
    } catch (...) {
        log_handler_failure(std::current_exception());
        connection_finished(*st, sh);
        return;
    }
    run_connection(st, &sh, std::move(t)).handle.resume();
}

/// Logs the first accept failure of a burst of them (typically out of descriptors or memory) and pauses for
/// 100 ms, without busy looping; existing connections carry on.
task<void> back_off(shard* sh, bool& backing_off, const std::error_code& ec) {
    if (!backing_off) {
        spdlog::warn("corio: accept failed ({}): backing off, existing connections carry on", ec.message());
        backing_off = true;
    }
    asio::steady_timer pause(asio::any_io_executor(sh->ex), std::chrono::milliseconds(100));
    [[maybe_unused]] std::error_code waited = co_await pause.async_wait(use_task_ec);
}

/// Books a connection just accepted: ends a back-off, counts it, and tells whether max_connections_per_thread
/// lets it in (a connection refused is counted; the caller closes it).
bool admit(shard& sh, std::size_t limit, bool& backing_off) noexcept {
    if (backing_off) {
        spdlog::info("corio: accepting again");
        backing_off = false;
    }
    sh.accepted.fetch_add(1, std::memory_order_relaxed);
    if (limit != 0 && sh.active.load(std::memory_order_relaxed) >= limit) {
        sh.refused.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

/// The accept loop of start_detached(): accept4() straight into non-blocking descriptors that no reactor
/// knows, so that the servers that watch their sockets themselves pay no registration with Asio (epoll_ctl
/// ADD, then DEL when they take the descriptor out again) and no fcntl. The acceptor is closed on this
/// thread only (stop_accepting() posts it here), so its descriptor is valid whenever it is open.
task<void> accept_descriptors(std::shared_ptr<listener::state> st, shard* sh) {
    constexpr int accepts_per_turn = 64; // then the event loop gets a turn, under a flood of connections
    bool backing_off = false;
    const std::size_t limit = st->options.max_connections_per_thread;
    asio::io_context& context = sh->ex.context();
    int turn = 0;
    while (sh->acceptor.is_open()) {
        const int fd =
            ::accept4(sh->acceptor.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int e = errno;
            if (e == EINTR || e == ECONNABORTED || e == EPERM || e == EPROTO || e == ENETDOWN ||
                e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH || e == EOPNOTSUPP ||
                e == ENETUNREACH) {
                continue; // a connection that failed before it was accepted (see accept(2)): the next one
            }
            if (e != EAGAIN && e != EWOULDBLOCK) {
                co_await back_off(sh, backing_off, std::error_code(e, std::system_category()));
                continue;
            }
            turn = 0;
            const std::error_code waited =
                co_await sh->acceptor.async_wait(asio::socket_base::wait_read, use_task_ec);
            if (waited == asio::error::operation_aborted) {
                break;
            }
            continue;
        }
        if (!admit(*sh, limit, backing_off)) {
            ::close(fd);
            continue;
        }
        sh->active.fetch_add(1, std::memory_order_relaxed);
        try {
            st->detached_handler(fd, context, connection_ticket(st, sh));
        } catch (...) {
            log_handler_failure(std::current_exception());
        }
        if (++turn == accepts_per_turn) {
            turn = 0;
            co_await switch_to(sh->ex);
        }
    }
    sh->loop_running.store(false, std::memory_order_release);
    st->notify();
}

task<void> accept_loop(std::shared_ptr<listener::state> st, shard* sh) {
    bool backing_off = false;
    const std::size_t limit = st->options.max_connections_per_thread;
    for (;;) {
        auto accepted = co_await sh->acceptor.async_accept(use_task_ec);
        std::error_code& ec = accepted.first;
        if (ec) {
            if (ec == asio::error::operation_aborted || !sh->acceptor.is_open()) {
                break;
            }
            if (out_of_resources(ec)) {
                co_await back_off(sh, backing_off, ec);
            }
            continue; // ECONNABORTED and the like: the next connection
        }
        asio::ip::tcp::socket socket = std::move(accepted.second);
        if (!admit(*sh, limit, backing_off)) {
            std::error_code ignored;
            socket.close(ignored);
            continue;
        }
        start_connection(st, *sh, std::move(socket)); // TCP_NODELAY: inherited from the acceptor
    }
    sh->loop_running.store(false, std::memory_order_release);
    st->notify();
}

void open_acceptor(asio::ip::tcp::acceptor& a, const asio::ip::tcp::endpoint& ep, const listen_options& o) {
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    if (o.reuse_port) {
        a.set_option(reuse_port_option(true));
    }
    a.set_option(asio::ip::tcp::no_delay(true)); // accepted sockets inherit it: no system call per connection
    a.non_blocking(true);                        // accept_descriptors() calls accept4() itself
    a.bind(ep);
    a.listen(o.backlog);
}

} // namespace

listener::listener(runtime& rt, listen_options options) : state_(std::make_shared<state>()) {
    state& st = *state_;
    st.options = std::move(options);
    const std::size_t count = st.options.reuse_port ? rt.size() : 1;
    asio::ip::tcp::endpoint ep(asio::ip::make_address(st.options.host), st.options.port);
    for (std::size_t i = 0; i < count; ++i) {
        auto sh = std::make_unique<shard>(rt.get_executor(i));
        open_acceptor(sh->acceptor, ep, st.options);
        if (i == 0) {
            st.port = sh->acceptor.local_endpoint().port();
            ep.port(st.port);
        }
        st.shards.push_back(std::move(sh));
    }
}

listener::~listener() {
    stop_accepting();
}

std::uint16_t listener::port() const noexcept {
    return state_->port;
}

const listen_options& listener::options() const noexcept {
    return state_->options;
}

void listener::start(connection_handler handler) {
    state_->handler = std::move(handler);
    start_accepting();
}

void listener::start_detached(detached_connection_handler handler) {
    state_->detached_handler = std::move(handler);
    start_accepting();
}

void listener::start_accepting() {
    for (auto& sh : state_->shards) {
        sh->loop_running.store(true, std::memory_order_release);
        spawn(sh->ex, state_->detached_handler ? accept_descriptors(state_, sh.get())
                                               : accept_loop(state_, sh.get()));
    }
}

void listener::stop_accepting() {
    if (state_->stopping.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    state_->shutdown.request_stop();
    for (auto& sh : state_->shards) {
        asio::post(sh->ex, [st = state_, s = sh.get()] {
            std::error_code ignored;
            s->acceptor.close(ignored);
        });
    }
}

bool listener::drain(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, timeout, [this] {
        return state_->stopping.load(std::memory_order_acquire) && state_->quiescent();
    });
}

std::size_t listener::active_connections() const noexcept {
    std::size_t n = 0;
    for (const auto& sh : state_->shards) {
        n += sh->active.load(std::memory_order_relaxed);
    }
    return n;
}

std::size_t listener::accepted_connections() const noexcept {
    std::size_t n = 0;
    for (const auto& sh : state_->shards) {
        n += sh->accepted.load(std::memory_order_relaxed);
    }
    return n;
}

std::size_t listener::refused_connections() const noexcept {
    std::size_t n = 0;
    for (const auto& sh : state_->shards) {
        n += sh->refused.load(std::memory_order_relaxed);
    }
    return n;
}

std::stop_token listener::shutdown_token() const noexcept {
    return state_->shutdown.get_token();
}

// connection_ticket ----------------------------------------------------------------------------------------

connection_ticket::connection_ticket(connection_ticket&& other) noexcept
    : state_(std::move(other.state_)), shard_(std::exchange(other.shard_, nullptr)) {}

connection_ticket& connection_ticket::operator=(connection_ticket&& other) noexcept {
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
        shard_ = std::exchange(other.shard_, nullptr);
    }
    return *this;
}

connection_ticket::~connection_ticket() {
    release();
}

void connection_ticket::release() noexcept {
    if (shard_ != nullptr) {
        connection_finished(*state_, *std::exchange(shard_, nullptr));
        state_.reset();
    }
}

std::stop_token connection_ticket::shutdown_token() const noexcept {
    return state_ ? state_->shutdown.get_token() : std::stop_token{};
}

} // namespace corio::net
