#pragma once

// Where a corio coroutine runs: `co_await corio::this_executor` names the executor running the caller, and
// `co_await corio::switch_to(ex)` moves the caller onto another executor.

#include <asio/post.hpp>

#include <cassert>
#include <coroutine>

#include "corio/runtime/executor.hpp"

namespace corio {

struct this_executor_t {
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    executor await_resume() const noexcept {
        assert(current_executor() != nullptr &&
               "this_executor: the caller is not running on a corio executor");
        return *current_executor();
    }
};

/// `executor ex = co_await corio::this_executor;` gives the executor running the caller (it does not
/// suspend). The caller must run on a corio executor (a runtime worker or inside an executor_scope).
inline constexpr this_executor_t this_executor{};

/// Awaitable returned by switch_to.
class switch_to_awaiter {
public:
    explicit switch_to_awaiter(const executor& ex) noexcept : ex_(ex) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> self) const {
        asio::post(ex_, [self] { self.resume(); });
    }
    void await_resume() const noexcept {}

private:
    executor ex_;
};

/// `co_await corio::switch_to(ex)` suspends the caller and resumes it on `ex` (always through asio::post,
/// even when the caller already runs there, so it never overtakes work queued before it). If `ex` is stopped
/// before running it, the caller is never resumed.
inline switch_to_awaiter switch_to(const executor& ex) noexcept {
    return switch_to_awaiter{ex};
}

} // namespace corio
