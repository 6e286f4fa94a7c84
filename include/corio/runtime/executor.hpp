#pragma once

// The executor corio tasks run on, and which one is running the caller.
//
// corio gives each worker thread its own asio::io_context (shared-nothing): a task stays on the thread that
// started it unless it asks to move (switch_to). Anything that suspends a task and resumes it later (timers,
// sockets, mutexes, channels) resumes it on the executor it was suspended on, never inline on another thread.

#include <asio/io_context.hpp>

namespace corio {

/// A worker thread's executor: cheap to copy, never allocates.
using executor = asio::io_context::executor_type;

namespace detail {
inline thread_local const executor* current_executor_ptr = nullptr;
} // namespace detail

/// The executor of the worker thread running the caller, or nullptr outside any worker thread.
inline const executor* current_executor() noexcept {
    return detail::current_executor_ptr;
}

/// Marks the calling thread as running `ex` for as long as this object lives (runtime workers use it; tests
/// that drive an io_context by hand may too).
class executor_scope {
public:
    explicit executor_scope(const executor& ex) noexcept : ex_(ex), previous_(detail::current_executor_ptr) {
        detail::current_executor_ptr = &ex_;
    }
    executor_scope(const executor_scope&) = delete;
    executor_scope& operator=(const executor_scope&) = delete;
    ~executor_scope() { detail::current_executor_ptr = previous_; }

private:
    executor ex_;
    const executor* previous_;
};

} // namespace corio
