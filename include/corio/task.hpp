#pragma once

// corio::task<T>: a lazy coroutine that produces a T (or void, or a T&).
//
// Guarantees:
// - A task does not start until it is awaited (or handed to sync_wait, when_all, spawn, ...).
// - When it finishes it resumes its awaiter by symmetric transfer, so chains of synchronously completing
//   awaits run in constant stack space.
// - An exception that escapes the task's body is rethrown from the co_await that awaits it.
// - A task owns its frame: it is move-only, and destroying a task that was never awaited destroys its frame
//   (and the locals in it) without running the body.
// - The awaiter's stop token (see corio/stop.hpp) is passed on to the awaited task.
// - A task is awaited at most once.

#include <cassert>
#include <coroutine>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "corio/detail/promise_base.hpp"

namespace corio {

template <class T = void>
class task;

namespace detail {

template <class T>
class task_promise;

/// Resumes the awaiting coroutine when a task finishes.
struct task_final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> finished) noexcept {
        return finished.promise().continuation();
    }
    void await_resume() const noexcept {}
};

class task_promise_common : public promise_base {
public:
    std::suspend_always initial_suspend() const noexcept { return {}; }
    task_final_awaiter final_suspend() const noexcept { return {}; }
};

template <class T>
class task_promise final : public task_promise_common {
public:
    task_promise() noexcept {}
    task_promise(const task_promise&) = delete;
    task_promise& operator=(const task_promise&) = delete;
    ~task_promise() {
        if (state_ == state::value) {
            value_.~T();
        } else if (state_ == state::exception) {
            exception_.~exception_ptr();
        }
    }

    task<T> get_return_object() noexcept;

    void unhandled_exception() noexcept {
        ::new (static_cast<void*>(std::addressof(exception_))) std::exception_ptr(std::current_exception());
        state_ = state::exception;
    }

    template <class U = T>
        requires std::is_constructible_v<T, U&&>
    void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<U>(value));
        state_ = state::value;
    }

    T take_result() {
        if (state_ == state::exception) {
            std::rethrow_exception(exception_);
        }
        assert(state_ == state::value && "task finished without a result");
        return std::move(value_);
    }

    /// True when the body ended with an exception (take_result() / result() rethrow it).
    bool has_exception() const noexcept { return state_ == state::exception; }
    /// The result in place, without moving it out (rethrows the body's exception). It lives until the frame
    /// is destroyed.
    T& result() {
        if (state_ == state::exception) {
            std::rethrow_exception(exception_);
        }
        assert(state_ == state::value && "task finished without a result");
        return value_;
    }

private:
    enum class state : unsigned char { empty, value, exception };
    union {
        T value_;
        std::exception_ptr exception_;
    };
    state state_ = state::empty;
};

template <class T>
class task_promise<T&> final : public task_promise_common {
public:
    task<T&> get_return_object() noexcept;
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    void return_value(T& value) noexcept { value_ = std::addressof(value); }
    T& take_result() {
        if (exception_) {
            std::rethrow_exception(exception_);
        }
        assert(value_ != nullptr && "task finished without a result");
        return *value_;
    }

private:
    T* value_ = nullptr;
    std::exception_ptr exception_;
};

template <>
class task_promise<void> final : public task_promise_common {
public:
    task<void> get_return_object() noexcept;
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    void return_void() const noexcept {}
    void take_result() {
        if (exception_) {
            std::rethrow_exception(exception_);
        }
    }

private:
    std::exception_ptr exception_;
};

} // namespace detail

template <class T>
class [[nodiscard]] task {
public:
    using promise_type = detail::task_promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    task() noexcept = default;
    explicit task(handle_type handle) noexcept : handle_(handle) {}
    task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { destroy(); }

    /// True when this task holds a coroutine.
    bool valid() const noexcept { return static_cast<bool>(handle_); }
    explicit operator bool() const noexcept { return valid(); }

    /// True when the coroutine has run to completion (its result or exception is ready).
    bool is_ready() const noexcept { return !handle_ || handle_.done(); }

    struct awaiter {
        handle_type handle;

        bool await_ready() const noexcept { return false; }
        template <class AwaitingPromise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<AwaitingPromise> awaiting) noexcept {
            promise_type& p = handle.promise();
            p.set_continuation(awaiting);
            detail::inherit_stop_token(p, awaiting);
            return handle;
        }
        T await_resume() { return handle.promise().take_result(); }
    };

    /// Starts the task and resumes the awaiter with its result once it finishes.
    awaiter operator co_await() && noexcept {
        assert(handle_ && "awaiting an empty task");
        return awaiter{handle_};
    }
    awaiter operator co_await() & noexcept {
        assert(handle_ && "awaiting an empty task");
        return awaiter{handle_};
    }

    /// The coroutine handle, still owned by this task (for combinators and runtimes).
    handle_type handle() const noexcept { return handle_; }

    /// Gives up ownership of the coroutine frame.
    handle_type release() noexcept { return std::exchange(handle_, {}); }

private:
    void destroy() noexcept {
        if (handle_) {
            handle_.destroy();
        }
    }

    handle_type handle_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
template <class T>
task<T&> task_promise<T&>::get_return_object() noexcept {
    return task<T&>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>{std::coroutine_handle<task_promise>::from_promise(*this)};
}

} // namespace detail

} // namespace corio
