#pragma once

// Helpers for the sync primitive tests: an io_context driven by its own thread (marked with an
// executor_scope, as runtime workers are), and a way to start a task there, detached.

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <coroutine>
#include <exception>
#include <stop_token>
#include <thread>
#include <utility>

#include "corio/detail/promise_base.hpp"
#include "corio/runtime/executor.hpp"
#include "corio/task.hpp"

namespace corio_test {

/// A coroutine that owns itself once started and frees its frame when it finishes.
class detached {
public:
    struct promise_type : corio::detail::promise_base {
        detached get_return_object() noexcept {
            return detached{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        [[noreturn]] void unhandled_exception() const noexcept { std::terminate(); }
    };

    explicit detached(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    detached(detached&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    detached& operator=(detached&&) = delete;
    ~detached() {
        if (handle_) {
            handle_.destroy();
        }
    }

    /// Runs the coroutine under `token` (which must outlive it) until its first suspension.
    void start(const std::stop_token* token = nullptr) {
        handle_.promise().set_stop_token(token);
        std::exchange(handle_, {}).resume();
    }

private:
    std::coroutine_handle<promise_type> handle_;
};

inline detached make_detached(corio::task<void> t) {
    co_await std::move(t);
}

/// Starts `t` right here, on the calling thread, detached.
inline void start_here(corio::task<void> t, const std::stop_token* token = nullptr) {
    make_detached(std::move(t)).start(token);
}

/// An io_context run by a thread of its own, which is marked as running its executor.
class io_thread {
public:
    io_thread() : thread_([this] { run(); }) {}
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;
    ~io_thread() {
        work_.reset();
        thread_.join();
    }

    corio::executor executor() noexcept { return context_.get_executor(); }
    std::thread::id id() const noexcept { return thread_.get_id(); }

    /// Starts `t` on this thread, detached, under `token` (which must outlive it).
    void spawn(corio::task<void> t, const std::stop_token* token = nullptr) {
        asio::post(context_, [d = make_detached(std::move(t)), token]() mutable { d.start(token); });
    }

private:
    void run() {
        corio::executor_scope scope(context_.get_executor());
        context_.run();
    }

    asio::io_context context_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(context_);
    std::thread thread_;
};

/// `co_await yield_now{}` lets the other handlers queued on the current executor run first.
struct yield_now {
    bool await_ready() const noexcept { return corio::current_executor() == nullptr; }
    void await_suspend(std::coroutine_handle<> h) const {
        asio::post(*corio::current_executor(), [h] { h.resume(); });
    }
    void await_resume() const noexcept {}
};

} // namespace corio_test
