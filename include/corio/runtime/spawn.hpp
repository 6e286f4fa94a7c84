#pragma once

// corio::spawn: starts a task that nobody awaits ("detached").

#include <asio/post.hpp>

#include <coroutine>
#include <exception>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "corio/detail/promise_base.hpp"
#include "corio/runtime/executor.hpp"
#include "corio/task.hpp"

namespace corio {

namespace detail {

/// Logs an exception that escaped a detached task (spdlog, error level, with its what()).
void log_escaped_exception(std::exception_ptr error) noexcept;

/// A coroutine that frees its own frame when it finishes and logs an exception escaping its body.
class detached_task {
public:
    class promise_type : public promise_base {
    public:
        promise_type() noexcept = default;
        // Runs under the stop token passed as the coroutine's first parameter (its copy in the frame).
        template <class... Rest>
        explicit promise_type(std::stop_token& token, Rest&...) noexcept {
            if (token.stop_possible()) {
                set_stop_token(&token);
            }
        }
        detached_task get_return_object() noexcept {
            return detached_task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept { log_escaped_exception(std::current_exception()); }
    };

    std::coroutine_handle<> handle() const noexcept { return handle_; }

private:
    explicit detached_task(std::coroutine_handle<> h) noexcept : handle_(h) {}
    std::coroutine_handle<> handle_;
};

/// Posted to start a coroutine; destroys the (not yet started) frame if the executor drops it unrun.
class frame_starter {
public:
    explicit frame_starter(std::coroutine_handle<> h) noexcept : handle_(h) {}
    frame_starter(frame_starter&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    frame_starter(const frame_starter&) = delete;
    frame_starter& operator=(const frame_starter&) = delete;
    frame_starter& operator=(frame_starter&&) = delete;
    ~frame_starter() {
        if (handle_) {
            handle_.destroy();
        }
    }
    void operator()() { std::exchange(handle_, {}).resume(); }

private:
    std::coroutine_handle<> handle_;
};

template <class T>
detached_task run_detached(std::stop_token /*token: see promise_type*/, task<T> t) {
    if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
    } else {
        [[maybe_unused]] T result = co_await std::move(t);
    }
}

} // namespace detail

/// Starts `t` on `ex` (posted: spawn returns before it runs) and lets it run to completion unobserved.
/// Its result is discarded; an exception escaping it is logged with spdlog at error level, never lost and
/// never terminating the program. The task's frame is freed when it finishes (or, if `ex` is shut down
/// before starting it, when the executor drops it). The task runs under `token` (default: never stops).
/// Thread-safe: may be called from any thread.
template <class T>
void spawn(const executor& ex, task<T> t, std::stop_token token = {}) {
    detail::detached_task d = detail::run_detached(std::move(token), std::move(t));
    asio::post(ex, detail::frame_starter{d.handle()});
}

} // namespace corio
