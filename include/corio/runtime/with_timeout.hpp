#pragma once

// corio::with_timeout: bound how long a task may take.
//
//   std::size_t n = co_await corio::with_timeout(5s, read_some(socket, buf));

// Asio (through sleep.hpp) first: Asio configures itself from what is included before it, and every
// translation unit of corio must agree.
#include "corio/runtime/sleep.hpp"

#include <chrono>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "corio/task.hpp"
#include "corio/when_any.hpp"

namespace corio {

namespace detail {
[[noreturn]] void throw_timed_out();
} // namespace detail

/// Runs `t` (on the caller's executor, under a stop token linked to the caller's) for at most `timeout`.
/// When the time runs out first, stop is requested on `t`, with_timeout waits for `t` to finish (its frame is
/// destroyed before with_timeout completes) and throws.
/// @return t's result. @throws std::system_error with std::errc::timed_out on timeout; whatever `t` throws
/// when it finishes first (operation_aborted when the caller itself is stopped).
template <class T, class Rep, class Period>
task<T> with_timeout(std::chrono::duration<Rep, Period> timeout, task<T> t) {
    auto r = co_await when_any(std::move(t), sleep_for(timeout));
    if (r.index() == 1) {
        detail::throw_timed_out();
    }
    if constexpr (std::is_reference_v<T>) {
        T value = std::get<0>(r).get();
        co_return value;
    } else if constexpr (!std::is_void_v<T>) {
        co_return std::get<0>(std::move(r));
    }
}

} // namespace corio
