#pragma once

// corio::async_event: a manual-reset event for coroutines.
//
//   co_await ready.wait();   // suspends until someone calls ready.set()
//
// Guarantees:
// - Thread-safe: set, reset and wait may be called from any thread and executor.
// - set() wakes every coroutine waiting at that moment; until reset(), later waits complete at once. No
//   wake-up is lost: a wait that starts before set() returns is either woken by it or sees the event set.
// - A waiter resumes on the executor it suspended on (posted to it), or inline inside set() when it suspended
//   outside any executor.
// - A wait honours the awaiting coroutine's stop token: once stopped, the waiter leaves the queue and the
//   co_await throws std::system_error(operation_aborted), unless set() woke it first.
// - The event must outlive every coroutine waiting on it.

// Asio first: Asio configures itself (e.g. aligned allocation) from what is included before it, and every
// translation unit of corio must agree.
#include "corio/runtime/detail/sync_waiter.hpp"

#include <atomic>
#include <coroutine>
#include <mutex>

namespace corio {

class async_event {
public:
    explicit async_event(bool initially_set = false) noexcept : set_(initially_set) {}
    async_event(const async_event&) = delete;
    async_event& operator=(const async_event&) = delete;

    bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

    /// Sets the event and wakes every waiter.
    void set() {
        detail::sync_waiter_list woken;
        {
            std::lock_guard lock(guard_);
            set_.store(true, std::memory_order_release);
            while (detail::sync_waiter* w = waiters_.pop_front()) {
                w->mark_woken();
                woken.push_back(w);
            }
        }
        detail::resume_all(woken);
    }

    /// Clears the event: later waits suspend until the next set().
    void reset() noexcept {
        std::lock_guard lock(guard_);
        set_.store(false, std::memory_order_relaxed);
    }

    class wait_awaiter {
    public:
        explicit wait_awaiter(async_event& e) noexcept : event_(e) {}
        bool await_ready() const noexcept { return event_.is_set(); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> awaiting) {
            return waiter_.suspend(awaiting, event_.guard_, event_.waiters_,
                                   [this] { return event_.set_.load(std::memory_order_relaxed); });
        }
        void await_resume() const { waiter_.throw_if_cancelled(); }

    private:
        async_event& event_;
        detail::sync_waiter waiter_;
    };

    /// `co_await ev.wait()` completes once the event is set.
    /// @throws std::system_error(operation_aborted) when the wait is cancelled.
    wait_awaiter wait() noexcept { return wait_awaiter(*this); }

private:
    std::atomic<bool> set_;
    std::mutex guard_;
    detail::sync_waiter_list waiters_;
};

} // namespace corio
