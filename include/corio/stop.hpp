#pragma once

// Cooperative cancellation for corio coroutines. Every corio coroutine runs under a std::stop_token that it
// inherits from whoever awaits it; `co_await corio::this_stop_token` reads it. Operations that can wait (Asio
// operations through use_task, timers, channel and mutex waits) complete early with operation_aborted once
// their token is stopped.

#include <coroutine>
#include <stop_token>
#include <type_traits>

#include "corio/detail/promise_base.hpp"

namespace corio {

struct this_stop_token_t {
    struct awaiter {
        std::stop_token token;

        bool await_ready() const noexcept { return false; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> self) noexcept {
            static_assert(std::is_base_of_v<detail::promise_base, Promise>,
                          "co_await this_stop_token is only available in corio coroutines");
            token = self.promise().stop_token();
            return false; // carry on without suspending
        }
        std::stop_token await_resume() noexcept { return std::move(token); }
    };
    awaiter operator co_await() const noexcept { return {}; }
};

/// `std::stop_token t = co_await corio::this_stop_token;` gives the running coroutine's stop token.
inline constexpr this_stop_token_t this_stop_token{};

} // namespace corio
