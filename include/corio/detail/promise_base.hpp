#pragma once

#include <coroutine>
#include <cstddef>
#include <stop_token>
#include <type_traits>

#include "corio/detail/frame_allocator.hpp"

namespace corio::detail {

/// What every corio coroutine promise carries: the coroutine to resume when it finishes, and the stop token
/// it was started under. The token is borrowed from whoever awaits or runs the coroutine (it outlives the
/// coroutine by construction), so propagating it costs one pointer copy and no reference counting.
class promise_base {
public:
    /// The stop token this coroutine runs under; a token that can never stop if none was given.
    std::stop_token stop_token() const noexcept { return stop_ != nullptr ? *stop_ : std::stop_token{}; }
    const std::stop_token* stop_token_ptr() const noexcept { return stop_; }
    void set_stop_token(const std::stop_token* token) noexcept { stop_ = token; }

    void set_continuation(std::coroutine_handle<> continuation) noexcept { continuation_ = continuation; }
    std::coroutine_handle<> continuation() const noexcept { return continuation_; }

    /// Frames come from the per-thread recycling allocator.
    static void* operator new(std::size_t size) { return frame_allocator::allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { frame_allocator::deallocate(p, size); }

private:
    std::coroutine_handle<> continuation_ = std::noop_coroutine();
    const std::stop_token* stop_ = nullptr;
};

/// Copies the stop token of `awaiting` (when it is a corio coroutine) into `child`.
template <class AwaitingPromise>
void inherit_stop_token(promise_base& child, std::coroutine_handle<AwaitingPromise> awaiting) noexcept {
    if constexpr (std::is_base_of_v<promise_base, AwaitingPromise>) {
        child.set_stop_token(awaiting.promise().stop_token_ptr());
    }
}

} // namespace corio::detail
