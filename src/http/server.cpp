#include "corio/http/server.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "corio/http/date_cache.hpp"
#include "corio/http/serializer.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/runtime/use_task.hpp"
#include "server_internal.hpp"

namespace corio::http {

namespace detail {

namespace {

constexpr std::size_t pool_limit = 256;

task<void> sweep_loop(worker_state& w);

/// The input set's round hook: the Date is read once per batch of ready sockets, not per response
/// (connection::respond_now()).
void refresh_date() noexcept {
    thread_date_cache().now();
}

void refuse(int fd, worker_state& w) noexcept {
    try {
        w.canned.clear();
        w.fields.clear();
        w.fields.push_back({"Content-Type", "text/plain; charset=utf-8"});
        write_response(w.canned,
                       response_head{status::service_unavailable, w.fields, connection_header::close},
                       thread_date_cache().now(), "Service Unavailable");
        [[maybe_unused]] const ssize_t n =
            ::send(fd, w.canned.data(), w.canned.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    } catch (...) {
        // best effort
    }
    ::close(fd);
}

task<void> sweep_loop(worker_state& w) {
    w.input_set.add_round_hook(&refresh_date); // here, on the worker's thread, as all use of the set
    for (;;) {
        w.sweep_timer.expires_after(w.stopping ? std::min(w.srv.sweep_interval, std::chrono::milliseconds(50))
                                               : w.srv.sweep_interval);
        [[maybe_unused]] const std::error_code waited = co_await w.sweep_timer.async_wait(use_task_ec);
        w.now = clock::now();
        thread_date_cache().now(); // refreshed at least once per sweep (connection::respond_now())
        if (w.stopping && !w.forced && w.now >= w.drain_deadline) {
            w.forced = true;
            if (w.connection_count > 0) {
                spdlog::warn("http: drain timeout: closing {} connection(s)", w.connection_count);
            }
        }
        if (w.stopping && !w.accepting && w.connection_count == 0) {
            break;
        }
        for (list_node* n = w.connections.next; n != &w.connections;) {
            auto* c = static_cast<connection*>(n);
            n = n->next; // wake() does not unlink, but be safe against reordering
            if (!c->waiting()) {
                continue;
            }
            if (w.forced || (w.stopping && c->phase() == conn_phase::idle)) {
                c->wake(wake_reason::stop);
            } else if (c->deadline() <= w.now) {
                c->wake(wake_reason::timeout);
            }
        }
    }
    server::impl& srv = w.srv;
    // Decrement under the mutex: the waiter (server::wait) may destroy the server as soon as it sees zero,
    // so nothing of it may be touched after the lock is released.
    std::lock_guard lock(srv.done_mutex);
    if (srv.running_workers.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        srv.done_cv.notify_all();
    }
}

} // namespace

worker_state::worker_state(server::impl& s, const executor& e)
    : srv(s), ex(e), sweep_timer(asio::any_io_executor(e)),
      input_set(net::detail::edge_set::of(e.context())) {}

worker_state::~worker_state() {
    while (pool != nullptr) {
        delete std::exchange(pool, pool->next_free);
    }
}

void worker_state::arm_input_set() {
    if (!input_set.arm()) {
        throw std::system_error(std::make_error_code(std::errc::not_enough_memory),
                                "http: watching the input set");
    }
}

exchange* worker_state::acquire_exchange() {
    if (pool != nullptr) {
        exchange* x = pool;
        pool = x->next_free;
        --pool_size;
        return x;
    }
    return new exchange(srv.parser_opts, srv.input_capacity);
}

void worker_state::release_exchange(exchange* x) noexcept {
    // After a request answered in full most of this is in its reset state already: only stores, no calls.
    x->parser.reset();
    x->begin = x->end = x->keep = 0;
    x->head_seen = false;
    x->body_view = {};
    x->body_copied = false;
    x->discard_body = false;
    x->close_after = false;
    x->out_start = 0;
    x->ctx.set_body({});
    x->action = input_action::none;
    if (x->call) {
        x->call = {};
    }
    if (x->call_error) {
        x->call_error = nullptr;
    }
    clear_bounded(x->out, max_kept_output);
    clear_bounded(x->body, max_kept_body);
    if (pool_size < pool_limit) {
        x->next_free = pool;
        pool = x;
        ++pool_size;
        return;
    }
    delete x;
}

void worker_state::begin_stop() {
    if (stopping) {
        return;
    }
    stopping = true;
    now = clock::now();
    drain_deadline = now + srv.options.drain_timeout;
    accepting = false;
    for (list_node* n = connections.next; n != &connections; n = n->next) {
        auto* c = static_cast<connection*>(n);
        if (c->waiting() && c->phase() == conn_phase::idle) {
            c->wake(wake_reason::stop);
        }
    }
    sweep_timer.cancel();
}

void worker_state::connection_closed() noexcept {
    if (stopping && connection_count == 0) {
        sweep_timer.cancel();
    }
}

} // namespace detail

server::impl::impl(runtime& r, router rt, server_options o)
    : rt(r), routes(std::move(rt)), options(std::move(o)) {
    parser_opts.limits = options.limits;
    input_capacity = std::max<std::size_t>(32 * 1024, options.limits.max_request_line +
                                                          2 * options.limits.max_header_bytes + 8 * 1024);
    auto smallest =
        std::min({options.header_timeout, options.body_timeout, options.idle_timeout, options.write_timeout});
    sweep_interval = std::clamp(smallest / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
}

server::server(runtime& rt, router routes, server_options options)
    : impl_(std::make_unique<impl>(rt, std::move(routes), std::move(options))) {}

server::~server() {
    if (impl_->started) {
        stop();
        if (!wait()) {
            // Handlers still running refer to the server state: leave it to them (abandoned, not freed).
            static_cast<void>(impl_.release());
        }
    }
}

void server::start() {
    impl& s = *impl_;
    if (s.started) {
        throw std::logic_error("http server already started");
    }
    if (s.options.access_log && !spdlog::get("access")) {
        auto log = spdlog::stdout_logger_mt("access");
        log->set_pattern("%v");
    }
    net::listen_options lo;
    lo.host = s.options.host;
    lo.port = s.options.port;
    lo.backlog = s.options.backlog;
    s.listener = std::make_unique<net::listener>(s.rt, lo);
    s.protocol = asio::ip::make_address(s.options.host).is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
    for (std::size_t i = 0; i < s.rt.size(); ++i) {
        s.workers.push_back(std::make_unique<detail::worker_state>(s, s.rt.get_executor(i)));
    }
    s.port = s.listener->port();
    s.started = true;
    s.running_workers.store(s.workers.size(), std::memory_order_release);
    for (auto& w : s.workers) {
        w->accepting = true;
        spawn(w->ex, detail::sweep_loop(*w));
    }
    impl* self = &s;
    // The worker's connection count, not the listener's ticket, tracks connections for draining.
    s.listener->start_detached(
        [self](int fd, asio::io_context&, net::connection_ticket) { self->accept(fd); });
}

void server::impl::accept(int fd) {
    // Called by the listener on the accepting worker's thread.
    const executor* here = current_executor();
    detail::worker_state* w = nullptr;
    for (auto& candidate : workers) {
        if (here != nullptr && candidate->ex == *here) {
            w = candidate.get();
            break;
        }
    }
    if (w == nullptr || w->stopping) {
        ::close(fd);
        return;
    }
    if (w->connection_count >= options.max_connections_per_thread) {
        detail::refuse(fd, *w);
        return;
    }
    // The connection's coroutine is its own root: started here, it frees itself when the connection ends
    // (the worker's connection count, not the listener's, tracks it for draining).
    thread_date_cache().now(); // a new connection may answer at once (connection::respond_now())
    const detail::connection::serve_args args{fd, w};
    detail::connection::serve(args).handle().resume();
    return;
}

std::uint16_t server::port() const noexcept {
    return impl_->port;
}

void server::stop() {
    impl& s = *impl_;
    if (!s.started || s.stop_requested.exchange(true)) {
        return;
    }
    s.listener->stop_accepting();
    for (auto& w : s.workers) {
        detail::worker_state* ws = w.get();
        asio::post(ws->ex, [ws] { ws->begin_stop(); });
    }
    std::lock_guard lock(s.done_mutex);
    s.done_cv.notify_all();
}

bool server::wait() {
    impl& s = *impl_;
    if (!s.started) {
        return true;
    }
    std::unique_lock lock(s.done_mutex);
    s.done_cv.wait(lock, [&] { return s.stop_requested.load(std::memory_order_acquire); });
    const auto limit = std::chrono::steady_clock::now() + s.options.drain_timeout + std::chrono::seconds(2);
    bool done = s.done_cv.wait_until(lock, limit,
                                     [&] { return s.running_workers.load(std::memory_order_acquire) == 0; });
    if (done) {
        // The accept loops may still be finishing: wait for them too (connections are all gone).
        done = s.listener->drain(std::chrono::milliseconds(2000));
    }
    if (done) {
        s.started = false;
    }
    return done;
}

bool server::run(std::stop_token token) {
    start();
    {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait(lock, token, [] { return false; });
    }
    stop();
    return wait();
}

std::size_t server::connection_count() const noexcept {
    std::size_t n = 0;
    for (const auto& w : impl_->workers) {
        n += w->open_connections.load(std::memory_order_relaxed);
    }
    return n;
}

} // namespace corio::http
