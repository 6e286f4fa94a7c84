// The per-connection coroutine: read, parse, dispatch, serialize, write; timeouts via the worker's sweep.
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <coroutine>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "corio/http/date_cache.hpp"
#include "corio/http/serializer.hpp"
#include "corio/http/uri.hpp"
#include "corio/net/detail/syscalls.hpp"
#include "respond.hpp"
#include "server_internal.hpp"

namespace corio::http::detail {

namespace {

/// The peer's address as text, "-" when unknown.
std::string peer_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return "-";
    }
    char text[INET6_ADDRSTRLEN] = "-";
    if (ss.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, text, sizeof(text));
    } else if (ss.ss_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, text, sizeof(text));
    }
    return text;
}

constexpr std::size_t flush_threshold = 64 * 1024;
constexpr std::chrono::milliseconds linger_timeout{2000};
constexpr std::size_t linger_max_bytes = 1 << 20;

} // namespace

/// Awaits input on an idle (or half-way) connection: a smaller awaiter than wait_op, as it lives in every
/// idle connection's frame. Resumes with connection::finish_wait()'s verdict.
class input_wait {
public:
    explicit input_wait(connection& c) noexcept : connection_(c) {}
    bool await_ready() const noexcept {
        if (connection_.input_ == connection::input_state::event_pending) {
            connection_.input_ = connection::input_state::idle; // input arrived since the last read
            connection_.wait_failed_ = false;
            return true;
        }
        if (connection_.input_ == connection::input_state::hangup) {
            connection_.wait_failed_ = false; // the next read sees the end of stream (or the error)
            return true;
        }
        return false;
    }
    bool await_suspend(std::coroutine_handle<> h) {
        // input_ is idle: the socket was drained (a short read), so its next input raises an edge in the
        // input set.
        connection& c = connection_;
        if (!c.join_input_set()) {
            c.wait_failed_ = true;
            return false;
        }
        c.handle_ = h;
        c.input_ = connection::input_state::waiting;
        c.w_.arm_input_set();
        return true;
    }
    void await_resume() const noexcept {}

private:
    connection& connection_;
};

/// Awaits, inside on_readable() (whose handle occupies the connection's handle slot), the socket becoming
/// writable after a send met a full buffer, or readable again while lingering: through the worker's input
/// set, like input_wait, so no system call. Resumes with false when the wait failed (a sweep wake: timeout
/// or stop).
class socket_wait {
public:
    socket_wait(connection& c, connection::wait_kind kind) noexcept : connection_(c), kind_(kind) {}
    bool await_ready() const noexcept {
        if (kind_ != connection::wait_kind::read) {
            return false; // the send that met a full buffer just happened: only a later edge tells
        }
        connection& c = connection_;
        if (c.input_ == connection::input_state::event_pending) {
            c.input_ = connection::input_state::idle;
            return true;
        }
        return c.input_ == connection::input_state::hangup;
    }
    bool await_suspend(std::coroutine_handle<> h) {
        connection& c = connection_;
        if (!c.join_input_set() || (kind_ == connection::wait_kind::write && !c.watch_output(true))) {
            c.wait_failed_ = true;
            return false;
        }
        c.waiter_ = h;
        c.wait_kind_ = kind_;
        c.wait_failed_ = false;
        c.w_.arm_input_set();
        return true;
    }
    bool await_resume() const noexcept {
        if (kind_ == connection::wait_kind::write) {
            connection_.watch_output(false);
        }
        return !connection_.wait_failed_;
    }

private:
    connection& connection_;
    connection::wait_kind kind_;
};

/// Runs connection::on_readable() as serve()'s child without a task object in serve()'s frame (every byte
/// there is paid by each idle connection): the child's handle is kept in the connection's handle slot, which
/// is free while the connection is not waiting for input.
class readable_step {
public:
    explicit readable_step(connection& c) noexcept : connection_(c) {}
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> parent) {
        task<void> child = connection_.on_readable();
        const task<void>::handle_type h = child.release();
        h.promise().set_continuation(parent);
        corio::detail::inherit_stop_token(h.promise(), parent);
        connection_.handle_ = h;
        return h;
    }
    void await_resume() {
        const auto h =
            task<void>::handle_type::from_address(std::exchange(connection_.handle_, {}).address());
        struct destroy_at_exit {
            task<void>::handle_type h;
            ~destroy_at_exit() { h.destroy(); }
        } guard{h};
        h.promise().take_result(); // rethrows what on_readable() threw
    }

private:
    connection& connection_;
};

// ---------------------------------------------------------------------------------------------------------

connection::connection(int fd, worker_state& w) : fd_(fd), w_(w) {
    // The socket (non-blocking, from the listener) lives only in the worker's input set, not in Asio's
    // reactor: readable and writable edges both come from there. It joins the set when it first has to wait
    // (join_input_set()): a connection whose request is there at once and that closes after the answer
    // never needs to.
    on_event = &on_edge;
    link_before(w_.connections);
    ++w_.connection_count;
    w_.open_connections.fetch_add(1, std::memory_order_relaxed);
}

connection::~connection() {
    release();
    unlink();
    ::close(fd_); // also takes it out of the input set
    if (input_ != input_state::unregistered) {
        w_.input_set.forget();
    }
    --w_.connection_count;
    w_.open_connections.fetch_sub(1, std::memory_order_relaxed);
    w_.connection_closed();
}

void connection::wake(wake_reason why) noexcept {
    wake_ = why;
    // End the wait as failed, resumed from the event loop (not from inside the sweeper's walk over the
    // connections). The state change first: an input event arriving meanwhile no longer resumes it.
    if (input_ == input_state::waiting) {
        input_ = input_state::idle;
        wait_failed_ = true;
        try {
            asio::post(w_.ex, [h = handle_] { h.resume(); });
        } catch (...) {
            input_ = input_state::waiting; // no memory: the sweeper comes again
        }
        return;
    }
    if (wait_kind_ != wait_kind::none) {
        const wait_kind kind = std::exchange(wait_kind_, wait_kind::none);
        wait_failed_ = true;
        try {
            asio::post(w_.ex, [h = waiter_] { h.resume(); });
        } catch (...) {
            wait_kind_ = kind;
        }
    }
}

bool connection::join_input_set() noexcept {
    if (input_ != input_state::unregistered) {
        return true;
    }
    // Joining reports the readiness the socket already has: input that came since the last read is not lost.
    if (w_.input_set.add(fd_, *this, input_events)) {
        return false;
    }
    input_ = input_state::idle;
    return true;
}

// Output readiness is watched only while a write waits (a send met a full buffer), as in nginx: a socket
// that is also watched for output gets its write-space wake-ups reported, and the set costs more per request
// (measured: ~5% of the server's CPU per keep-alive request).
bool connection::watch_output(bool on) noexcept {
    return !w_.input_set.modify(fd_, *this, on ? input_events | EPOLLOUT : input_events);
}

void connection::on_edge(net::detail::edge_watch& self, std::uint32_t events) noexcept {
    static_cast<connection&>(self).on_input_event(events);
}

void connection::on_input_event(std::uint32_t events) noexcept {
    const input_state before = input_;
    if (before == input_state::unregistered) {
        return;
    }
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        input_ = input_state::hangup;
    } else if ((events & EPOLLIN) != 0 && before != input_state::hangup) {
        input_ = before == input_state::waiting ? input_state::idle : input_state::event_pending;
    }
    if (before == input_state::waiting) {
        if (input_ != input_state::waiting) {
            wait_failed_ = false;
            handle_.resume();
        }
        return;
    }
    bool ready = false;
    switch (wait_kind_) {
    case wait_kind::write:
        ready = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
        break;
    case wait_kind::read:
        if (input_ == input_state::event_pending) {
            input_ = input_state::idle;
            ready = true;
        } else {
            ready = input_ == input_state::hangup;
        }
        break;
    case wait_kind::none:
        break;
    }
    if (ready) {
        wait_kind_ = wait_kind::none;
        waiter_.resume();
    }
}

void connection::acquire() {
    ex_ = w_.acquire_exchange();
    ex_->ctx.set_writer(stream_writer(this));
    if (pending_ != nullptr) {
        std::memcpy(ex_->in.get(), pending_->data(), pending_->size());
        ex_->end = pending_->size();
        pending_.reset();
    }
}

void connection::release() noexcept {
    if (ex_ != nullptr) {
        w_.release_exchange(std::exchange(ex_, nullptr));
    }
}

void connection::save_pending() {
    exchange& x = *ex_;
    pending_ = std::make_unique<std::string>(x.in.get() + x.begin, x.end - x.begin);
}

void connection::preserve_body() {
    exchange& x = *ex_;
    if (!x.body_copied && !x.body_view.empty()) {
        x.body.assign(x.body_view);
        x.body_copied = true;
    }
    x.body_view = {};
}

// Makes space for a read at ex_->end. False when the buffer is full of bytes that must stay.
bool connection::make_room() noexcept {
    exchange& x = *ex_;
    const std::size_t floor = x.head_seen ? x.keep : 0;
    if (x.begin == x.end) {
        if (x.head_seen && !x.body_copied && !x.body_view.empty()) {
            preserve_body();
        }
        x.begin = x.end = floor;
    } else if (x.capacity - x.end < 4096 && x.begin > floor) {
        if (x.head_seen) {
            preserve_body();
        }
        std::memmove(x.in.get() + floor, x.in.get() + x.begin, x.end - x.begin);
        x.end -= x.begin - floor;
        x.begin = floor;
    }
    return x.end < x.capacity;
}

corio::detail::detached_task connection::serve(const serve_args& args) {
    // Only this frame lives while the connection is idle: reading and answering happen in on_readable(),
    // whose frame exists only while it runs. `args` is read before the first suspension only.
    connection c(args.fd, *args.worker);
    // The loop's state lives in `c` (its padding), not in locals: GCC gives every local a frame slot.
    for (;;) {
        if (!c.must_read_) {
            if (!c.prepare_wait()) {
                break;
            }
            co_await input_wait(c);
            if (!c.finish_wait()) {
                break;
            }
        }
        // Most of the time everything is done at once, without a frame: only what has to wait (a full socket
        // buffer, a handler that suspends, lingering) goes on in the on_readable() coroutine.
        if (!c.readable_now()) {
            co_await readable_step(c);
        }
        if (c.closing_) {
            break;
        }
    }
    c.release();
}

// Before waiting for input: gives back the exchange unless a request is half-way, sets the deadline the
// sweeper checks. False when the connection must close instead (stopping while idle).
bool connection::prepare_wait() {
    const server_options& o = w_.srv.options;
    if (ex_ != nullptr && !ex_->head_seen) {
        if (ex_->begin != ex_->end) {
            save_pending();
        }
        release();
    }
    switch (phase_) {
    case conn_phase::idle:
        if (w_.stopping) {
            return false;
        }
        deadline_ = w_.now + o.idle_timeout;
        break;
    case conn_phase::head:
        deadline_ = header_deadline_;
        break;
    default:
        deadline_ = w_.now + o.body_timeout;
        break;
    }
    wake_ = wake_reason::none;
    waiting_ = true;
    return true;
}

// After the wait: false when it ended in an error (a timeout, a sweep wake): the connection closes.
bool connection::finish_wait() noexcept {
    waiting_ = false;
    if (wait_failed_) {
        if (wake_ == wake_reason::timeout && (phase_ == conn_phase::head || phase_ == conn_phase::body)) {
            send_canned(http::status::request_timeout);
        }
        return false;
    }
    return true;
}

// One read, then every complete request answered and the responses written, as far as that goes without
// waiting. Returns false when something must wait: on_readable() then goes on from where this stopped (the
// state is in the exchange).
bool connection::readable_now() {
    const server_options& o = w_.srv.options;
    if (ex_ == nullptr) {
        acquire();
    }
    if (!make_room()) {
        send_canned(http::status::request_header_fields_too_large);
        closing_ = true;
        return true;
    }
    exchange& x = *ex_;
    const std::size_t space = x.capacity - x.end;
    const ssize_t n = net::detail::sys_recv(fd(), x.in.get() + x.end, space, 0);
    if (n > 0) {
        if (phase_ == conn_phase::idle) {
            phase_ = conn_phase::head;
            header_deadline_ = w_.now + o.header_timeout;
        }
        x.end += static_cast<std::size_t>(n);
        x.read_full = static_cast<std::size_t>(n) == space;
    } else if (n == 0) {
        closing_ = true; // the client closed (a partial request is dropped)
        return true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        must_read_ = false;
        return true;
    } else if (errno == EINTR) {
        must_read_ = true;
        return true;
    } else {
        closing_ = true;
        return true;
    }
    yielded_ = false;
    const input_step next = advance();
    x.pending = next;
    switch (next) {
    case input_step::need_more:
        if (!try_flush()) {
            return false;
        }
        must_read_ = x.read_full || yielded_;
        return true;
    case input_step::close:
        if (!try_flush()) {
            return false;
        }
        closing_ = true;
        return true;
    case input_step::close_linger:
    case input_step::wait:
        break;
    }
    return false;
}

// Goes on from where readable_now() stopped: what had to wait, then the rest of the input, the writes, and
// lingering before a close.
task<void> connection::on_readable() {
    input_step next = ex_->pending;
    if (next == input_step::wait) {
        next = co_await process();
    }
    if (next != input_step::need_more) {
        bool linger = next == input_step::close_linger;
        if (ex_ != nullptr && !try_flush()) {
            const bool flushed = co_await flush();
            if (!flushed) {
                linger = false;
            }
        }
        if (linger) {
            // Lingering happens here, not in serve(): its state then never weighs on idle connections.
            release();
            co_await linger_close();
        }
        closing_ = true;
        co_return;
    }
    if (!try_flush()) {
        const bool flushed = co_await flush();
        if (!flushed) {
            closing_ = true;
            co_return;
        }
    }
    must_read_ = ex_->read_full || yielded_;
}

// Does what advance() stopped for, then advances again, until more input is needed or the connection ends.
task<input_step> connection::process() {
    exchange& x = *ex_;
    for (;;) {
        switch (std::exchange(x.action, input_action::none)) {
        case input_action::none:
            break;
        case input_action::respond: {
            const bool keep = co_await respond_slow();
            const input_step s = after_response(keep);
            if (s != input_step::wait) {
                if (s != input_step::need_more) {
                    co_return s;
                }
                break;
            }
            continue; // after_response() asked for a flush
        }
        case input_action::respond_then_linger: {
            const bool keep = co_await respond_slow();
            (void)keep;
            co_return input_step::close_linger;
        }
        case input_action::flush: {
            const bool ok = co_await flush();
            if (!ok) {
                co_return input_step::close;
            }
            break;
        }
        }
        const input_step s = advance();
        if (s != input_step::wait) {
            co_return s;
        }
    }
}

// Parses what is buffered, answering every complete request that can be answered at once. Stops when more
// input is needed, when the connection must close, or at the first thing that must wait (input_step::wait,
// with exchange::action set).
input_step connection::advance() {
    exchange& x = *ex_;
    for (;;) {
        if (!x.head_seen && x.begin > x.capacity / 2) {
            // Nothing of a partial head is consumed yet: move it down so that a long head always fits.
            std::memmove(x.in.get(), x.in.get() + x.begin, x.end - x.begin);
            x.end -= x.begin;
            x.begin = 0;
        }
        const parse_result r = x.parser.parse({x.in.get() + x.begin, x.end - x.begin});
        x.begin += r.consumed;
        switch (r.event) {
        case parse_event::need_more:
            return input_step::need_more;
        case parse_event::head: {
            on_head();
            const http::request& req = x.parser.request();
            phase_ = conn_phase::body;
            if (x.match.outcome != route_outcome::handler && req.has_body() && req.expect_continue) {
                // The body is not wanted: answer now, without reading it, and close.
                x.close_after = true;
                x.discard_body = true;
                x.ctx.set_body({});
                x.action = input_action::respond_then_linger;
                return input_step::wait;
            }
            if (req.expect_continue && req.has_body() && x.begin == x.end) {
                write_continue(x.out);
                if (!try_flush()) {
                    x.action = input_action::flush;
                    return input_step::wait;
                }
            }
            break;
        }
        case parse_event::body:
            on_body(r.body);
            break;
        case parse_event::message_complete: {
            x.ctx.set_body(x.discard_body ? std::string_view{}
                                          : (x.body_copied ? std::string_view(x.body) : x.body_view));
            const int answered = respond_now();
            if (answered < 0) {
                x.action = input_action::respond;
                return input_step::wait;
            }
            const input_step s = after_response(answered != 0);
            if (s != input_step::need_more) {
                return s;
            }
            break;
        }
        case parse_event::error: {
            const parse_error& e = x.parser.error();
            // An invalid body of a HEAD request: the answer to a HEAD has no content (found by fuzzing).
            const bool head_request = x.head_seen && x.parser.request().verb == http::verb::head;
            serialize_rejection(x.out, e.status, w_.fields, head_request);
            if (w_.srv.options.access_log) {
                if (const std::shared_ptr<spdlog::logger> log = spdlog::get("access")) {
                    log->info("- \"<malformed request>\" {} ({})", to_int(e.status), e.reason);
                }
            }
            return input_step::close_linger;
        }
        case parse_event::closed:
            return input_step::close_linger;
        }
    }
}

// The bookkeeping after a response: need_more (go on parsing), close_linger (the response closes the
// connection), or wait with a flush to do (the output grew past the threshold and the socket is full).
input_step connection::after_response(bool keep) {
    exchange& x = *ex_;
    x.head_seen = false;
    x.keep = 0;
    x.body_view = {};
    x.body_copied = false;
    x.discard_body = false;
    clear_bounded(x.body, max_kept_body);
    if (!keep) {
        // Lingering keeps the close from resetting the connection under the response while input may still
        // come. A client that asked to close sends nothing after its request (RFC 9112, 9.6): when nothing of
        // it is left unread here, close at once, as nginx does (no half-close, no wait for its FIN).
        const bool client_closes = !x.parser.request().keep_alive;
        return client_closes && x.begin == x.end && !x.read_full ? input_step::close
                                                                 : input_step::close_linger;
    }
    if (x.begin == x.end) {
        phase_ = conn_phase::idle;
    } else {
        phase_ = conn_phase::head;
        header_deadline_ = w_.now + w_.srv.options.header_timeout;
    }
    if (x.out.size() >= flush_threshold && !try_flush()) {
        x.action = input_action::flush;
        return input_step::wait;
    }
    return input_step::need_more;
}

void connection::on_head() {
    exchange& x = *ex_;
    x.head_seen = true;
    x.keep = x.begin;
    x.body_view = {};
    x.body_copied = false;
    x.discard_body = false;
    x.close_after = false;
    route_request(w_.srv.routes, x.ctx, x.parser.request(), x.match);
    if (x.match.outcome == route_outcome::bad_request) {
        x.close_after = true;
    }
    if (x.match.outcome != route_outcome::handler) {
        x.discard_body = true;
    }
}

void connection::on_body(std::string_view piece) {
    exchange& x = *ex_;
    if (x.discard_body) {
        return;
    }
    if (!x.body_copied && x.body_view.empty()) {
        x.body_view = piece;
        return;
    }
    if (!x.body_copied) {
        x.body.assign(x.body_view);
        x.body_copied = true;
        x.body_view = {};
    }
    x.body.append(piece);
}

// Starts the handler of a complete request and, when it finishes at once with a response in memory, appends
// that response to the output: no coroutine frame besides the handler's own. Returns 1 (the connection
// stays open), 0 (it closes after this response) or -1: the rest is respond_slow()'s (the server's own
// answers, a handler that suspends or throws, files, streaming), with the started handler in exchange::call.
int connection::respond_now() {
    exchange& x = *ex_;
    phase_ = conn_phase::handler;
    x.ctx.stream().reset();
    if (x.match.outcome != route_outcome::handler) {
        return -1;
    }
    try {
        x.call = (*x.match.target)(x.ctx);
    } catch (...) {
        x.call_error = std::current_exception();
        return -1;
    }
    const task<response>::handle_type h = x.call.handle();
    h.resume();
    if (!h.done() || h.promise().has_exception() || x.ctx.stream().started()) {
        return -1;
    }
    response& r = h.promise().result();
    if (r.kind() == body_kind::file || r.kind() == body_kind::streamed) {
        return -1;
    }
    const http::request& req = x.parser.request();
    const bool head_request = req.verb == http::verb::head;
    const bool server_closes = w_.stopping || x.close_after;
    int keep = req.keep_alive && !server_closes ? 1 : 0;
    // The worker refreshes the Date once per round of its event loop (input set dispatch, accept, sweep), as
    // nginx does: no clock read per response.
    const std::string_view date = thread_date_cache().last();
    if (serialize(r, head_request, server_closes, date)) {
        if (w_.srv.options.access_log) {
            log_access(r, r.content_length());
        }
    } else {
        const response failure = internal_error_response();
        serialize(failure, head_request, true, date);
        keep = 0;
    }
    x.call = {};
    return keep;
}

namespace {

/// Awaits a task that was started already and has not finished.
template <class T>
struct started_task {
    task<T>& t;
    bool await_ready() const noexcept { return t.handle().done(); }
    void await_suspend(std::coroutine_handle<> waiter) noexcept {
        t.handle().promise().set_continuation(waiter);
    }
    void await_resume() const noexcept {}
};

} // namespace

// The general way to answer a complete request (see respond_now()). Returns whether the connection stays
// open.
task<bool> connection::respond_slow() {
    exchange& x = *ex_;
    const http::request& req = x.parser.request();
    const bool head_request = req.verb == http::verb::head;
    phase_ = conn_phase::handler;
    bool failed = false;
    task<response> call = std::move(x.call); // the handler's frame holds its response until the end
    response own;                            // the server's own answer, when it is not the handler's
    response* r = &own;
    if (x.match.outcome == route_outcome::handler) {
        try {
            if (const std::exception_ptr e = std::exchange(x.call_error, nullptr)) {
                std::rethrow_exception(e);
            }
            if (!call.handle().done()) {
                yielded_ = true;
                co_await started_task<response>{call};
            }
            r = &call.handle().promise().result();
        } catch (const std::exception& e) {
            spdlog::error("http handler for {} {} threw: {}", req.method, req.target, e.what());
            failed = true;
        } catch (...) {
            spdlog::error("http handler for {} {} threw a non-exception", req.method, req.target);
            failed = true;
        }
        if (failed) {
            if (x.ctx.stream().started()) {
                co_return false; // the head is out: the only way to signal failure is to cut the body
            }
            own = internal_error_response();
            r = &own;
        }
    } else {
        own = builtin_response(x.match);
    }
    const bool server_closes = w_.stopping || x.close_after || failed;
    if (x.ctx.stream().started() || r->kind() == body_kind::streamed) {
        if (!x.ctx.stream().started()) {
            own = response(); // streamed() without streaming: an empty 200 was meant
            r = &own;
        } else {
            if (!x.ctx.stream().ended()) {
                co_await stream_end();
            }
            if (w_.srv.options.access_log) {
                log_access(x.stream_head, 0);
            }
            co_return req.keep_alive && !server_closes;
        }
    }
    if (!serialize(*r, head_request, server_closes)) {
        own = internal_error_response();
        serialize(own, head_request, true);
        co_return false;
    }
    if (r->kind() == body_kind::file && !head_request && !status_forbids_body(r->status()) &&
        r->file_length() > 0) {
        if (!try_flush()) {
            const bool ok = co_await flush();
            if (!ok) {
                co_return false;
            }
        }
        const bool sent = co_await send_file(r->file_fd(), r->file_offset(), r->file_length());
        r->close_file();
        if (!sent) {
            co_return false;
        }
    }
    if (w_.srv.options.access_log) {
        log_access(*r, r->content_length());
    }
    r->close_file();
    co_return req.keep_alive && !server_closes;
}

// Appends the response head (and body when in memory). False if the response is invalid (bad field).
bool connection::serialize(const response& r, bool head_request, bool server_closes, std::string_view date) {
    return serialize_response(ex_->out, r, ex_->parser.request(), head_request, server_closes, w_.fields,
                              date);
}

bool connection::try_flush() noexcept {
    if (ex_ == nullptr) {
        return true;
    }
    std::string& out = ex_->out;
    std::size_t& out_start = ex_->out_start;
    while (out_start < out.size()) {
        const ssize_t n =
            net::detail::sys_send(fd(), out.data() + out_start, out.size() - out_start, MSG_NOSIGNAL);
        if (n >= 0) {
            out_start += static_cast<std::size_t>(n);
        } else if (errno != EINTR) {
            return false;
        }
    }
    out.clear();
    out_start = 0;
    return true;
}

task<bool> connection::flush() {
    for (;;) {
        if (try_flush()) {
            co_return true;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            co_return false;
        }
        const bool ready = co_await wait_writable();
        if (!ready) {
            co_return false;
        }
    }
}

task<bool> connection::wait_writable() {
    const conn_phase saved = phase_;
    phase_ = conn_phase::write;
    deadline_ = w_.now + w_.srv.options.write_timeout;
    wake_ = wake_reason::none;
    waiting_ = true;
    const bool ready = co_await socket_wait(*this, wait_kind::write);
    waiting_ = false;
    phase_ = saved;
    yielded_ = true;
    co_return ready;
}

task<bool> connection::send_file(int file, std::uint64_t offset, std::uint64_t length) {
    auto off = static_cast<off_t>(offset);
    while (length > 0) {
        const std::size_t chunk = length > (std::uint64_t{1} << 30) ? std::size_t{1} << 30 : length;
        const ssize_t n = ::sendfile(fd(), file, &off, chunk);
        if (n > 0) {
            length -= static_cast<std::uint64_t>(n);
        } else if (n == 0) {
            co_return false; // the file shrank
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            const bool ready = co_await wait_writable();
            if (!ready) {
                co_return false;
            }
        } else if (errno != EINTR) {
            co_return false;
        }
    }
    co_return true;
}

// After a response that closes the connection: half-close, then read and drop what the client still sends
// (bounded), so that closing does not reset the connection before the client has read the response.
task<void> connection::linger_close() {
    ::shutdown(fd(), SHUT_WR);
    phase_ = conn_phase::linger;
    deadline_ = w_.now + linger_timeout;
    std::size_t total = 0;
    for (;;) {
        const ssize_t n = ::recv(fd(), w_.scratch.get(), 16 * 1024, 0);
        if (n > 0) {
            total += static_cast<std::size_t>(n);
            if (total > linger_max_bytes) {
                co_return;
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            co_return;
        }
        if (errno == EINTR) {
            continue;
        }
        waiting_ = true;
        const bool ready = co_await socket_wait(*this, wait_kind::read);
        waiting_ = false;
        if (!ready) {
            co_return;
        }
    }
}

void connection::send_canned(http::status s) noexcept {
    try {
        w_.canned.clear();
        serialize_rejection(w_.canned, s, w_.fields);
        [[maybe_unused]] const ssize_t n =
            ::send(fd(), w_.canned.data(), w_.canned.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::shutdown(fd(), SHUT_WR);
    } catch (...) {
        // best effort
    }
}

void connection::log_access(const response& r, std::uint64_t bytes) {
    const std::shared_ptr<spdlog::logger> log = spdlog::get("access");
    if (!log) {
        return;
    }
    const http::request& req = ex_->parser.request();
    const std::string peer = peer_address(fd());
    const std::string_view referer = req.value_of("Referer");
    const std::string_view agent = req.value_of("User-Agent");
    log->info("{} \"{} {} HTTP/{}.{}\" {} {} \"{}\" \"{}\"", peer, req.method, req.target, req.version_major,
              req.version_minor, to_int(r.status()), bytes, referer.empty() ? "-" : referer,
              agent.empty() ? "-" : agent);
}

// ---------------------------------------------------------------------------------------------------------
// Streaming.

task<void> connection::stream_begin(const response& head) {
    exchange& x = *ex_;
    const http::request& req = x.parser.request();
    x.stream_head = response(head.status());
    x.stream_head.set_content_type(head.content_type());
    for (const response_field& f : head.headers()) {
        x.stream_head.add_header(f.name, f.value);
    }
    if (req.verb == http::verb::head) {
        x.mode = exchange::stream_mode::head_only;
    } else if (req.version_minor == 0) {
        x.mode =
            exchange::stream_mode::buffered; // HTTP/1.0 has no chunked coding: send with a length at end()
        x.stream_buffer.clear();
        co_return;
    } else {
        x.mode = exchange::stream_mode::chunked;
    }
    std::vector<header>& fields = w_.fields;
    fields.clear();
    if (!head.content_type().empty()) {
        fields.push_back({"Content-Type", head.content_type()});
    }
    for (const response_field& f : head.headers()) {
        fields.push_back({f.name, f.value});
    }
    write_chunked_head(x.out, response_head{head.status(), fields, connection_for(req, w_.stopping)},
                       thread_date_cache().now());
    const bool ok = co_await flush();
    if (!ok) {
        throw std::system_error(std::make_error_code(std::errc::connection_aborted), "stream head");
    }
}

task<void> connection::stream_write(std::string_view data) {
    exchange& x = *ex_;
    if (data.empty() || x.mode == exchange::stream_mode::head_only) {
        co_return;
    }
    if (x.mode == exchange::stream_mode::buffered) {
        x.stream_buffer.append(data);
        co_return;
    }
    write_chunk(x.out, data);
    const bool ok = co_await flush();
    if (!ok) {
        throw std::system_error(std::make_error_code(std::errc::connection_aborted), "stream write");
    }
}

task<void> connection::stream_end() {
    exchange& x = *ex_;
    switch (x.mode) {
    case exchange::stream_mode::head_only:
        co_return;
    case exchange::stream_mode::buffered: {
        std::vector<header>& fields = w_.fields;
        fields.clear();
        if (!x.stream_head.content_type().empty()) {
            fields.push_back({"Content-Type", x.stream_head.content_type()});
        }
        for (const response_field& f : x.stream_head.headers()) {
            fields.push_back({f.name, f.value});
        }
        write_response(
            x.out,
            response_head{x.stream_head.status(), fields, connection_for(x.parser.request(), w_.stopping)},
            thread_date_cache().now(), x.stream_buffer);
        std::string().swap(x.stream_buffer);
        break;
    }
    case exchange::stream_mode::chunked:
        write_last_chunk(x.out);
        break;
    }
    const bool ok = co_await flush();
    if (!ok) {
        throw std::system_error(std::make_error_code(std::errc::connection_aborted), "stream end");
    }
}

} // namespace corio::http::detail

namespace corio::http {

task<void> stream_writer::begin(const response& head) {
    if (connection_ == nullptr) {
        throw std::logic_error(
            "streamed responses need the coroutine server (not the thread/process models)");
    }
    started_ = true;
    return connection_->stream_begin(head);
}

task<void> stream_writer::write(std::string_view data) {
    return connection_->stream_write(data);
}

task<void> stream_writer::end() {
    ended_ = true;
    return connection_->stream_end();
}

} // namespace corio::http
