#pragma once

// corio::sync_wait(awaitable [, stop_token]): runs an awaitable from ordinary code and blocks the calling
// thread until it completes, returning its result or rethrowing its exception. The awaitable starts on the
// calling thread and may finish on any thread.

#include <atomic>
#include <cassert>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "corio/awaitable_traits.hpp"
#include "corio/detail/promise_base.hpp"

namespace corio {

namespace detail {

/// A one-shot flag a thread can block on.
class sync_wait_event {
public:
    void set() noexcept {
        done_.store(true, std::memory_order_release);
        done_.notify_one();
    }
    void wait() const noexcept {
        while (!done_.load(std::memory_order_acquire)) {
            done_.wait(false, std::memory_order_acquire);
        }
    }

private:
    std::atomic<bool> done_{false};
};

template <class R>
class sync_wait_task {
public:
    struct nothing {};
    // The result is held as a pointer when R is a reference, as an object otherwise.
    using stored = std::conditional_t<
        std::is_void_v<R>, nothing,
        std::conditional_t<std::is_reference_v<R>, std::add_pointer_t<R>, std::remove_cv_t<R>>>;

    class promise_type : public promise_base {
    public:
        sync_wait_task get_return_object() noexcept {
            return sync_wait_task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        auto final_suspend() const noexcept {
            struct signal {
                bool await_ready() const noexcept { return false; }
                void await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
                    self.promise().event_->set();
                }
                void await_resume() const noexcept {}
            };
            return signal{};
        }
        void unhandled_exception() noexcept { exception_ = std::current_exception(); }
        void return_void() noexcept {}
        // The runner hands its result over with co_yield and is never resumed after that.
        template <class U>
        auto yield_value(U&& value) {
            if constexpr (std::is_reference_v<R>) {
                result_.emplace(std::addressof(value));
            } else {
                result_.emplace(std::forward<U>(value));
            }
            return final_suspend();
        }

        void start(sync_wait_event& event) {
            event_ = &event;
            std::coroutine_handle<promise_type>::from_promise(*this).resume();
        }

        R take_result() {
            if (exception_) {
                std::rethrow_exception(exception_);
            }
            if constexpr (std::is_reference_v<R>) {
                return static_cast<R>(**result_);
            } else if constexpr (!std::is_void_v<R>) {
                return std::move(*result_);
            }
        }

    private:
        sync_wait_event* event_ = nullptr;
        std::exception_ptr exception_;
        std::optional<stored> result_;
    };

    explicit sync_wait_task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    sync_wait_task(sync_wait_task&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    sync_wait_task(const sync_wait_task&) = delete;
    sync_wait_task& operator=(const sync_wait_task&) = delete;
    ~sync_wait_task() {
        if (handle_) {
            handle_.destroy();
        }
    }
    promise_type& promise() noexcept { return handle_.promise(); }

private:
    std::coroutine_handle<promise_type> handle_;
};

template <class R, class A>
sync_wait_task<R> make_sync_wait_task(A&& awaitable) {
    if constexpr (std::is_void_v<R>) {
        co_await std::forward<A>(awaitable);
    } else {
        // Bound to a local first: g++ 12 may destroy a temporary inside a co_await expression twice.
        R result = co_await std::forward<A>(awaitable);
        co_yield static_cast<R&&>(result);
    }
}

} // namespace detail

/// Runs `a` on the calling thread until it suspends, then blocks until it completes.
/// @return what `co_await a` produces. @throws whatever `co_await a` throws.
template <awaitable A>
decltype(auto) sync_wait(A&& a) {
    using R = await_result_t<A>;
    detail::sync_wait_event event;
    auto runner = detail::make_sync_wait_task<R>(std::forward<A>(a));
    runner.promise().start(event);
    event.wait();
    return runner.promise().take_result();
}

/// As sync_wait(a), with `a` running under the stop token `token` (which must outlive the call).
template <awaitable A>
decltype(auto) sync_wait(A&& a, const std::stop_token& token) {
    using R = await_result_t<A>;
    detail::sync_wait_event event;
    auto runner = detail::make_sync_wait_task<R>(std::forward<A>(a));
    runner.promise().set_stop_token(&token);
    runner.promise().start(event);
    event.wait();
    return runner.promise().take_result();
}

} // namespace corio
