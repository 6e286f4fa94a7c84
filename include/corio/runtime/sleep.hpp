#pragma once

// corio::sleep_for / corio::sleep_until: suspend the calling coroutine on a steady timer.

#include <asio/steady_timer.hpp>

#include <chrono>

#include "corio/runtime/executor.hpp"
#include "corio/runtime/use_task.hpp"
#include "corio/task.hpp"

namespace corio {

/// Resumes the caller, on its own executor, once `deadline` has passed.
/// @throws std::system_error with asio::error::operation_aborted when the caller's stop token is stopped
/// first (promptly, also from another thread). The caller must run on a corio executor.
inline task<void> sleep_until(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer timer(asio::any_io_executor(*current_executor()), deadline);
    co_await timer.async_wait(use_task);
}

/// Resumes the caller, on its own executor, once `duration` has passed (measured from when it is awaited).
/// @throws std::system_error with asio::error::operation_aborted when the caller's stop token is stopped
/// first.
inline task<void> sleep_for(std::chrono::steady_clock::duration duration) {
    asio::steady_timer timer(asio::any_io_executor(*current_executor()), duration);
    co_await timer.async_wait(use_task);
}

/// As above, for any duration type (rounded up to the clock's resolution).
template <class Rep, class Period>
task<void> sleep_for(std::chrono::duration<Rep, Period> duration) {
    return sleep_for(std::chrono::ceil<std::chrono::steady_clock::duration>(duration));
}

} // namespace corio
