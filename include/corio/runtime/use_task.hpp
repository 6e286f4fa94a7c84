#pragma once

// corio::use_task and corio::use_task_ec: completion tokens that make any Asio asynchronous operation
// awaitable inside a corio coroutine.
//
//   std::size_t n = co_await socket.async_read_some(asio::buffer(buf), corio::use_task);     // throws
//   auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), corio::use_task_ec);   // never throws
//
// Results, for an operation whose handler signature is void(Args...):
// - use_task: an error_code or exception_ptr first argument is thrown (std::system_error / rethrown) when set
//   and dropped otherwise; the remaining values give void, the single value, or a std::tuple of them.
// - use_task_ec: for void(error_code) an std::error_code; for void(error_code, V) a std::pair<error_code, V>;
//   for void(error_code, V...) a std::tuple<error_code, V...>. Signatures without an error_code behave as
//   with use_task.
//
// Guarantees:
// - The awaiting coroutine must run on a corio executor (a runtime worker, or inside an executor_scope); the
//   operation's handler is bound to that executor, so the coroutine resumes on its own thread.
// - No allocation beyond Asio's own per-operation state (which Asio recycles per thread): the operation's
//   state lives in the awaiting coroutine's frame and the handler holds a pointer to it.
// - Cancellation: when the coroutine's stop token (corio/stop.hpp) can stop, the operation gets an Asio
//   cancellation slot; a stop request (from any thread) emits terminal cancellation on the coroutine's
//   executor, so the pending operation completes promptly with asio::error::operation_aborted. When stop was
//   requested before the operation starts it completes with operation_aborted without being started
//   (use_task_ec starts and cancels it at once if its values cannot be default-constructed). Operations that
//   do not support per-operation cancellation (resolvers, post) run to completion.
// - The I/O object should belong to the awaiting coroutine's executor (corio is shared-nothing); the
//   cancellation is emitted on the coroutine's executor.

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>

#include <atomic>
#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <stop_token>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

#include "corio/detail/promise_base.hpp"
#include "corio/runtime/executor.hpp"

namespace corio {

/// Completion token: errors are thrown (std::system_error).
struct use_task_t {
    constexpr use_task_t() noexcept = default;
};
/// Completion token: the error_code is returned with the values instead of being thrown.
struct use_task_ec_t {
    constexpr use_task_ec_t() noexcept = default;
};

inline constexpr use_task_t use_task{};
inline constexpr use_task_ec_t use_task_ec{};

namespace detail {

[[noreturn]] void throw_system_error(const std::error_code& ec);

/// Bridges a std::stop_token to one pending Asio operation: cold path, used only when the token can stop.
/// All transitions except the stop request itself happen on the operation's executor thread.
class op_cancellation {
public:
    op_cancellation(const executor& ex, std::coroutine_handle<> waiter) noexcept : ex_(ex), waiter_(waiter) {}
    op_cancellation(const op_cancellation&) = delete;
    op_cancellation& operator=(const op_cancellation&) = delete;

    asio::cancellation_slot slot() noexcept { return signal_.slot(); }

    /// Starts forwarding stop requests on `token` to the operation.
    void arm(const std::stop_token& token);

    /// Cancels the just-started operation (call on the executor thread, right after starting it).
    void emit_now() { signal_.emit(asio::cancellation_type::terminal); }

    /// Called by the completion handler: true when the handler must resume the waiter itself (false when a
    /// posted cancellation is still in flight and will resume it).
    bool on_complete() noexcept {
        return state_.exchange(completed, std::memory_order_acq_rel) != cancel_posted;
    }

private:
    struct request {
        op_cancellation* self;
        void operator()() const noexcept;
    };
    void run_posted() noexcept;

    enum : unsigned char { pending, cancel_posted, cancel_emitted, completed };

    executor ex_;
    std::coroutine_handle<> waiter_;
    asio::cancellation_signal signal_;
    std::atomic<unsigned char> state_{pending};
    std::optional<std::stop_callback<request>> callback_;
};

template <class Awaiter>
struct use_task_handler;

/// void, the single value, or a tuple of the values.
template <class... Vs>
struct values_type {
    using type = std::tuple<Vs...>;
};
template <>
struct values_type<> {
    using type = void;
};
template <class V>
struct values_type<V> {
    using type = V;
};

// Signatures without an error first: the values.
template <bool ThrowErrors, class... Vs>
struct result_of_completion {
    using stored = std::tuple<std::decay_t<Vs>...>;
    static constexpr bool can_abort_unstarted = false;
    using type = typename values_type<std::decay_t<Vs>...>::type;
};

/// use_task_ec's result after the error_code: the code alone, a pair, or a tuple.
template <class... Vs>
struct ec_values_type {
    using type = std::tuple<std::error_code, Vs...>;
};
template <>
struct ec_values_type<> {
    using type = std::error_code;
};
template <class V>
struct ec_values_type<V> {
    using type = std::pair<std::error_code, V>;
};

// An error_code first.
template <bool ThrowErrors, class E, class... Vs>
    requires std::is_same_v<std::decay_t<E>, std::error_code>
struct result_of_completion<ThrowErrors, E, Vs...> {
    using stored = std::tuple<std::error_code, std::decay_t<Vs>...>;
    static constexpr bool can_abort_unstarted =
        ThrowErrors || (std::is_default_constructible_v<std::decay_t<Vs>> && ...);
    using type = typename std::conditional_t<ThrowErrors, values_type<std::decay_t<Vs>...>,
                                             ec_values_type<std::decay_t<Vs>...>>::type;
};

// An exception_ptr first: always rethrown.
template <bool ThrowErrors, class E, class... Vs>
    requires std::is_same_v<std::decay_t<E>, std::exception_ptr>
struct result_of_completion<ThrowErrors, E, Vs...> {
    using stored = std::tuple<std::exception_ptr, std::decay_t<Vs>...>;
    static constexpr bool can_abort_unstarted = false;
    using type = typename result_of_completion<true, Vs...>::type;
};

/// The awaitable an Asio initiating function returns for use_task / use_task_ec. It lives in the awaiting
/// coroutine's frame for the duration of the co_await.
template <bool ThrowErrors, class Initiation, class Signature, class... InitArgs>
class use_task_awaiter;

template <bool ThrowErrors, class Initiation, class R, class... Args, class... InitArgs>
class use_task_awaiter<ThrowErrors, Initiation, R(Args...), InitArgs...> {
    using shape = result_of_completion<ThrowErrors, Args...>;
    using stored = typename shape::stored;

public:
    using result_type = typename shape::type;

    template <class I, class... A>
    explicit use_task_awaiter(I&& init, A&&... args)
        : init_(std::forward<I>(init)), args_(std::forward<A>(args)...) {}
    // Moving is allowed only before the operation starts.
    use_task_awaiter(use_task_awaiter&& other) noexcept(std::is_nothrow_move_constructible_v<Initiation>)
        : init_(std::move(other.init_)), args_(std::move(other.args_)) {}
    use_task_awaiter(const use_task_awaiter&) = delete;
    use_task_awaiter& operator=(const use_task_awaiter&) = delete;
    use_task_awaiter& operator=(use_task_awaiter&&) = delete;

    bool await_ready() const noexcept { return false; }

    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiter) {
        const executor* ex = current_executor();
        assert(ex != nullptr &&
               "corio::use_task needs a corio executor (a runtime worker or an executor_scope)");
        ex_ = ex;
        waiter_ = waiter;
        if constexpr (std::is_base_of_v<promise_base, Promise>) {
            const std::stop_token* token = waiter.promise().stop_token_ptr();
            if (token != nullptr && token->stop_possible()) [[unlikely]] {
                return suspend_cancellable(*token);
            }
        }
        start();
        return true;
    }

    result_type await_resume() {
        if constexpr (shape::can_abort_unstarted) {
            if (!result_) [[unlikely]] {
                abort_unstarted();
            }
        }
        assert(result_.has_value());
        return take(*result_);
    }

    // Called by the handler on the executor thread.
    template <class... A>
    void complete(A&&... args) {
        result_.emplace(std::forward<A>(args)...);
        if (cancel_.has_value() && !cancel_->on_complete()) {
            return;
        }
        waiter_.resume();
    }

    const executor& get_executor() const noexcept { return *ex_; }
    asio::cancellation_slot slot() noexcept {
        return cancel_.has_value() ? cancel_->slot() : asio::cancellation_slot();
    }

private:
    void start() {
        std::apply(
            [this](auto&... args) {
                std::move(init_)(use_task_handler<use_task_awaiter>{this}, std::move(args)...);
            },
            args_);
    }

    bool suspend_cancellable(const std::stop_token& token) {
        if (token.stop_requested()) {
            if constexpr (shape::can_abort_unstarted) {
                return false; // await_resume reports operation_aborted
            } else {
                cancel_.emplace(*ex_, waiter_);
                start();
                cancel_->emit_now();
                return true;
            }
        }
        cancel_.emplace(*ex_, waiter_);
        cancel_->arm(token);
        start();
        return true;
    }

    void abort_unstarted() {
        if constexpr (ThrowErrors) {
            throw_system_error(asio::error::operation_aborted);
        } else {
            result_.emplace();
            std::get<0>(*result_) = asio::error::operation_aborted;
        }
    }

    static result_type take(stored& s) {
        constexpr std::size_t size = std::tuple_size_v<stored>;
        if constexpr (size > 0) {
            using first = std::tuple_element_t<0, stored>;
            if constexpr (std::is_same_v<first, std::exception_ptr>) {
                if (std::get<0>(s)) {
                    std::rethrow_exception(std::get<0>(s));
                }
                return take_values<1>(s, std::make_index_sequence<size - 1>{});
            } else if constexpr (std::is_same_v<first, std::error_code> && ThrowErrors) {
                if (std::get<0>(s)) [[unlikely]] {
                    throw_system_error(std::get<0>(s));
                }
                return take_values<1>(s, std::make_index_sequence<size - 1>{});
            } else {
                return take_values<0>(s, std::make_index_sequence<size>{});
            }
        }
    }

    template <std::size_t Offset, std::size_t... I>
    static result_type take_values(stored& s, std::index_sequence<I...>) {
        if constexpr (std::is_void_v<result_type>) {
            (void)s;
        } else {
            return result_type(std::move(std::get<Offset + I>(s))...);
        }
    }

    Initiation init_;
    std::tuple<InitArgs...> args_;
    const executor* ex_ = nullptr; // the executor_scope's, alive while the awaiting thread runs
    std::coroutine_handle<> waiter_;
    std::optional<stored> result_;
    std::optional<op_cancellation> cancel_;
};

/// The handler Asio completes: a pointer to the awaiter in the coroutine frame.
template <class Awaiter>
struct use_task_handler {
    Awaiter* self;

    template <class... A>
    void operator()(A&&... args) {
        self->complete(std::forward<A>(args)...);
    }

    using cancellation_slot_type = asio::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return self->slot(); }
};

template <bool ThrowErrors, class Signature>
struct use_task_result {
    template <class Initiation, class... InitArgs>
    static auto initiate(Initiation&& init, InitArgs&&... args) {
        return use_task_awaiter<ThrowErrors, std::decay_t<Initiation>, Signature, std::decay_t<InitArgs>...>(
            std::forward<Initiation>(init), std::forward<InitArgs>(args)...);
    }
};

} // namespace detail
} // namespace corio

namespace asio {

template <class R, class... Args>
class async_result<corio::use_task_t, R(Args...)> {
public:
    template <class Initiation, class... InitArgs>
    static auto initiate(Initiation&& init, corio::use_task_t, InitArgs&&... args) {
        return corio::detail::use_task_result<true, R(Args...)>::initiate(std::forward<Initiation>(init),
                                                                          std::forward<InitArgs>(args)...);
    }
};

template <class R, class... Args>
class async_result<corio::use_task_ec_t, R(Args...)> {
public:
    template <class Initiation, class... InitArgs>
    static auto initiate(Initiation&& init, corio::use_task_ec_t, InitArgs&&... args) {
        return corio::detail::use_task_result<false, R(Args...)>::initiate(std::forward<Initiation>(init),
                                                                           std::forward<InitArgs>(args)...);
    }
};

// The handler runs on the awaiting coroutine's executor. When the I/O object's executor is an
// any_io_executor (the default for sockets and timers) the executor is given in that type, so that Asio sees
// it is the I/O object's own and completes the handler directly, without extra work counting or dispatch.
template <class Awaiter, class Candidate>
struct associated_executor<corio::detail::use_task_handler<Awaiter>, Candidate> {
    using type =
        std::conditional_t<std::is_same_v<Candidate, any_io_executor>, any_io_executor, corio::executor>;
    static type get(const corio::detail::use_task_handler<Awaiter>& h,
                    const Candidate& = Candidate()) noexcept {
        return type(h.self->get_executor());
    }
};

} // namespace asio
