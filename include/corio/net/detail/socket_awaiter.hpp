#pragma once

// The awaitable behind every corio::net::stream operation: one Asio socket operation awaited by a corio
// coroutine, with an optional deadline from the io_context's deadline_wheel.
//
// - Fast path (no deadline, the coroutine's stop token cannot stop): no cancellation slot, no allocation
//   beyond Asio's per-operation state (from an exact-size per-thread cache: op_allocator.hpp); the result
//   is stored in this awaiter (in the coroutine frame).
// - With a deadline: the handler gets the side's cancellation slot; on expiry the wheel emits terminal
//   cancellation and the result is std::errc::timed_out.
// - With a stop token that can stop: stop requests reach the operation through corio's op_cancellation bridge
//   (cold path, heap-allocated), and complete it with operation_aborted.
// The coroutine resumes on the socket's io_context thread (where it must have started the operation).

// Asio first (through use_task.hpp): every translation unit of corio must see the same Asio configuration.
#include "corio/runtime/use_task.hpp"

#include <asio/cancellation_signal.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <stop_token>
#include <system_error>
#include <type_traits>

#include "corio/detail/promise_base.hpp"
#include "corio/net/detail/deadline_wheel.hpp"
#include "corio/runtime/detail/op_allocator.hpp"
#include "corio/runtime/executor.hpp"

namespace corio::net {

/// The outcome of a non-throwing stream operation: an error (std::errc::timed_out on timeout,
/// asio::error::operation_aborted when stopped, asio::error::eof at end of stream) and the bytes moved.
struct io_result {
    std::error_code error;
    std::size_t bytes = 0;
};

namespace detail {

/// The deadline state of one direction (read or write) of a stream.
struct stream_side {
    deadline_entry deadline;
    asio::cancellation_signal signal;
};

/// Where an operation's deadline lives.
struct deadline_binding {
    deadline_wheel* wheel;
    stream_side* side;
};

struct wait_op {
    asio::ip::tcp::socket* socket;
    asio::socket_base::wait_type what;
    template <class Handler>
    void start(Handler h) const {
        socket->async_wait(what, std::move(h));
    }
};

struct read_some_op {
    asio::ip::tcp::socket* socket;
    char* data;
    std::size_t size;
    template <class Handler>
    void start(Handler h) const {
        socket->async_read_some(asio::buffer(data, size), std::move(h));
    }
};

template <class Op>
class socket_awaiter {
public:
    socket_awaiter(Op op, deadline_binding deadline, std::chrono::nanoseconds timeout) noexcept
        : op_(op), deadline_(deadline), timeout_(timeout) {}
    socket_awaiter(const socket_awaiter&) = delete;
    socket_awaiter& operator=(const socket_awaiter&) = delete;

    bool await_ready() const noexcept { return false; }

    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiter) {
        waiter_ = waiter;
        if constexpr (std::is_base_of_v<corio::detail::promise_base, Promise>) {
            const std::stop_token* token = waiter.promise().stop_token_ptr();
            if (token != nullptr && token->stop_possible()) [[unlikely]] {
                return suspend_cancellable(*token);
            }
        }
        if (timeout_.count() > 0) {
            deadline_.wheel->arm(deadline_.side->deadline, timeout_, &on_deadline, this);
        }
        op_.start(handler{this});
        return true;
    }

    io_result await_resume() noexcept {
        if (timeout_.count() > 0) {
            deadline_wheel::disarm(deadline_.side->deadline);
            if (result_.error == asio::error::operation_aborted && deadline_.side->deadline.expired()) {
                result_.error = std::make_error_code(std::errc::timed_out);
            }
        }
        return result_;
    }

private:
    struct handler {
        socket_awaiter* self;
        void operator()(const std::error_code& ec) const { self->complete(ec, 0); }
        void operator()(const std::error_code& ec, std::size_t n) const { self->complete(ec, n); }
        using cancellation_slot_type = asio::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return self->slot(); }
        // Exact-size operation state: an idle connection's pending wait holds only its own few bytes.
        using allocator_type = corio::detail::op_allocator<void>;
        allocator_type get_allocator() const noexcept { return {}; }
    };

    asio::cancellation_slot slot() noexcept {
        if (stop_) [[unlikely]] {
            return stop_->slot();
        }
        return timeout_.count() > 0 ? deadline_.side->signal.slot() : asio::cancellation_slot();
    }

    bool suspend_cancellable(const std::stop_token& token) {
        if (token.stop_requested()) {
            result_.error = asio::error::operation_aborted;
            return false;
        }
        stop_ = std::make_unique<corio::detail::op_cancellation>(*current_executor(), waiter_);
        stop_->arm(token);
        if (timeout_.count() > 0) {
            deadline_.wheel->arm(deadline_.side->deadline, timeout_, &on_deadline, this);
        }
        op_.start(handler{this});
        return true;
    }

    static void on_deadline(void* context) noexcept {
        auto* self = static_cast<socket_awaiter*>(context);
        if (self->stop_) {
            self->stop_->emit_now();
        } else {
            self->deadline_.side->signal.emit(asio::cancellation_type::terminal);
        }
    }

    void complete(const std::error_code& ec, std::size_t n) {
        result_.error = ec;
        result_.bytes = n;
        if (stop_ && !stop_->on_complete()) {
            return; // a posted stop request resumes the waiter
        }
        waiter_.resume();
    }

    Op op_;
    deadline_binding deadline_;
    std::chrono::nanoseconds timeout_;
    std::coroutine_handle<> waiter_;
    io_result result_;
    std::unique_ptr<corio::detail::op_cancellation> stop_;
};

} // namespace detail
} // namespace corio::net
