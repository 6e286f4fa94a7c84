#include "corio/net/detail/edge_set.hpp"

#include <asio/post.hpp>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

namespace corio::net::detail {

// edge_set -------------------------------------------------------------------------------------------------

edge_set::edge_set(asio::io_context& context) : asio::execution_context::service(context), watch_(context) {
    fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd_ < 0) {
        throw std::system_error(errno, std::system_category(), "corio: epoll_create1");
    }
    std::error_code ec;
    watch_.assign(fd_, ec);
    if (ec) {
        ::close(fd_);
        fd_ = -1;
        throw std::system_error(ec, "corio: watching an epoll set");
    }
}

edge_set::~edge_set() = default; // watch_ closes the set if shutdown() did not

void edge_set::shutdown() {
    shut_down_ = true;
    std::error_code ignored;
    watch_.close(ignored); // its pending wait is abandoned with the io_context's other handlers
    fd_ = -1;
}

std::error_code edge_set::control(int op, int fd, edge_watch& watch, std::uint32_t events) noexcept {
    epoll_event ev{};
    ev.events = events | EPOLLET;
    ev.data.ptr = &watch;
    if (::epoll_ctl(fd_, op, fd, &ev) != 0) {
        return {errno, std::system_category()};
    }
    return {};
}

std::error_code edge_set::add(int fd, edge_watch& watch, std::uint32_t events) noexcept {
    const std::error_code ec = control(EPOLL_CTL_ADD, fd, watch, events);
    if (!ec) {
        ++registered_;
    }
    return ec;
}

void edge_set::forget() noexcept {
    if (registered_ == 0 || --registered_ != 0 || !armed_ || dispatching_) {
        return; // a dispatch re-arms only while sockets are registered
    }
    // The last socket is gone: drop the pending wait, so that it keeps no io_context running.
    ++generation_;
    armed_ = false;
    std::error_code ignored;
    watch_.cancel(ignored);
}

std::error_code edge_set::modify(int fd, edge_watch& watch, std::uint32_t events) noexcept {
    return control(EPOLL_CTL_MOD, fd, watch, events);
}

void edge_set::add_round_hook(void (*hook)() noexcept) {
    if (std::find(round_hooks_.begin(), round_hooks_.end(), hook) == round_hooks_.end()) {
        round_hooks_.push_back(hook);
    }
}

bool edge_set::arm_slow() noexcept {
    if (shut_down_) {
        return false;
    }
    try {
        // Asio re-arms the set's descriptor for this wait (epoll_ctl MOD), which also re-reads its readiness:
        // events left over from the last batch are reported at once. One such call per batch, not per socket.
        const std::uint32_t generation = generation_;
        watch_.async_wait(asio::posix::descriptor_base::wait_read,
                          [this, generation](const std::error_code& ec) { on_ready(generation, ec); });
    } catch (...) {
        return false;
    }
    armed_ = true;
    return true;
}

void edge_set::on_ready(std::uint32_t generation, const std::error_code& ec) noexcept {
    if (generation != generation_ || shut_down_) {
        return; // cancelled by forget(): a newer wait (if any) is pending
    }
    if (ec) {
        armed_ = false;
        return;
    }
    // armed_ stays set meanwhile: waits begun by the callbacks need no arming of their own.
    dispatching_ = true;
    dispatch();
    dispatching_ = false;
    armed_ = false;
    if (registered_ > 0 && !arm()) {
        spdlog::error("corio: cannot watch an epoll set any more; its sockets stop getting input");
    }
}

void edge_set::dispatch() noexcept {
    // Under load, sockets become ready while a batch is served: take the next batch straight from the set
    // (one system call) rather than through Asio's reactor (its wait, then re-arming: two more). Bounded, so
    // that timers, posted work and accepts get their turn at least every max_rounds batches.
    constexpr int max_rounds = 16;
    constexpr int batch = 256;
    epoll_event events[batch];
    for (void (*hook)() noexcept : round_hooks_) {
        hook();
    }
    for (int round = 0; round < max_rounds && fd_ >= 0; ++round) {
        const int n = ::epoll_wait(fd_, events, batch, 0);
        for (int i = 0; i < n; ++i) {
            // A callback may close its own socket (destroying its watch) but no other: the rest of the batch
            // stays valid, and a closed socket has left the set before the next round.
            auto* watch = static_cast<edge_watch*>(events[i].data.ptr);
            watch->on_event(*watch, events[i].events);
        }
        if (n <= 0) {
            break;
        }
    }
}

// edge_socket ----------------------------------------------------------------------------------------------

edge_socket::edge_socket(int fd, asio::io_context& context) noexcept : fd_(fd), context_(&context) {
    on_event = &on_event_fn;
    try {
        set_ = &edge_set::of(context);
        wheel_ = &deadline_wheel::of(context);
    } catch (const std::system_error& e) {
        error_ = e.code();
        return;
    } catch (...) {
        error_ = std::make_error_code(std::errc::not_enough_memory);
        return;
    }
    error_ = set_->add(fd_, *this, input_events);
}

edge_socket::~edge_socket() {
    if (fd_ >= 0) {
        ::close(fd_); // also takes it out of the set
    }
    if (set_ != nullptr && !error_) {
        set_->forget();
    }
}

void edge_socket::on_event_fn(edge_watch& self, std::uint32_t events) noexcept {
    auto& s = static_cast<edge_socket&>(self);
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        s.readable_ = true;
    }
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        s.hangup_ = true;
    }
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
        s.writable_ = true;
    }
    bool* edge = nullptr;
    if (s.waiting_ == side::read) {
        edge = &s.readable_;
    } else if (s.waiting_ == side::write) {
        edge = &s.writable_;
    }
    if (edge != nullptr && *edge) {
        *edge = false;
        s.waiting_ = side::none;
        s.failed_ = false;
        s.waiter_.resume();
    }
}

void edge_socket::on_timeout(void* self) noexcept {
    auto& s = *static_cast<edge_socket*>(self);
    if (s.waiting_ == side::none) {
        return;
    }
    s.waiting_ = side::none;
    s.failed_ = true;
    s.timed_out_ = true;
    s.waiter_.resume(); // from the wheel's tick: the wheel has unlinked this entry already
}

bool edge_socket::begin_wait(std::coroutine_handle<> waiter, side which,
                             std::chrono::nanoseconds timeout) noexcept {
    failed_ = true; // until an edge ends the wait
    if (error_) {
        return false;
    }
    if (which == side::write) {
        writable_ = false; // the send that met a full buffer just happened: only a later edge tells
        if (set_->modify(fd_, *this, input_events | EPOLLOUT)) {
            return false;
        }
    }
    if (!set_->arm()) {
        return false;
    }
    waiter_ = waiter;
    waiting_ = which;
    if (timeout.count() > 0) {
        wheel_->arm(deadline_, timeout, &on_timeout, this);
    }
    return true;
}

bool edge_socket::end_wait(side which, std::chrono::nanoseconds timeout) noexcept {
    if (timeout.count() > 0) {
        deadline_wheel::disarm(deadline_);
    }
    if (which == side::write && !error_) {
        [[maybe_unused]] const std::error_code ignored = set_->modify(fd_, *this, input_events);
    }
    return !failed_;
}

bool edge_socket::yield_awaiter::await_suspend(std::coroutine_handle<> self) const noexcept {
    try {
        asio::post(context_, [self] { self.resume(); });
        return true;
    } catch (...) {
        return false;
    }
}

} // namespace corio::net::detail
