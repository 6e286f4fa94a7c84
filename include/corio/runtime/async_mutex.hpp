#pragma once

// corio::async_mutex: a mutual-exclusion lock for coroutines. Waiting suspends the coroutine, never the
// thread.
//
//   {
//       corio::async_mutex_lock guard = co_await m.scoped_lock();
//       ... // critical section
//   } // unlocked here
//
// Guarantees:
// - Thread-safe: lock and unlock may be called from any thread and executor.
// - FIFO: unlock() hands the mutex straight to the longest-waiting coroutine; a newcomer cannot barge ahead
// of
//   queued waiters. No wake-up is lost.
// - A waiter resumes on the executor it suspended on (posted to it), or inline inside unlock() when it
//   suspended outside any executor (see corio/runtime/executor.hpp).
// - A waiting lock() honours the awaiting coroutine's stop token: once stopped, the waiter leaves the queue
//   and the co_await throws std::system_error(operation_aborted) without owning the mutex. If the mutex was
//   handed to it first, the co_await succeeds instead (exactly one of the two happens).
// - The mutex must outlive every coroutine waiting on it, and must be unlocked when destroyed.

// Asio first: Asio configures itself (e.g. aligned allocation) from what is included before it, and every
// translation unit of corio must agree.
#include "corio/runtime/detail/sync_waiter.hpp"

#include <atomic>
#include <cassert>
#include <coroutine>
#include <mutex>
#include <utility>

namespace corio {

class async_mutex;

/// Owns a locked async_mutex and unlocks it when destroyed. Move-only.
class [[nodiscard]] async_mutex_lock {
public:
    async_mutex_lock() noexcept = default;
    /// Adopts `m`, which the caller has locked.
    explicit async_mutex_lock(async_mutex& m) noexcept : mutex_(&m) {}
    async_mutex_lock(async_mutex_lock&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
    async_mutex_lock& operator=(async_mutex_lock&& other) noexcept {
        if (this != &other) {
            unlock();
            mutex_ = std::exchange(other.mutex_, nullptr);
        }
        return *this;
    }
    async_mutex_lock(const async_mutex_lock&) = delete;
    async_mutex_lock& operator=(const async_mutex_lock&) = delete;
    ~async_mutex_lock() { unlock(); }

    bool owns_lock() const noexcept { return mutex_ != nullptr; }
    /// Unlocks now (no-op when it owns nothing).
    inline void unlock();

private:
    async_mutex* mutex_ = nullptr;
};

class async_mutex {
public:
    async_mutex() noexcept = default;
    async_mutex(const async_mutex&) = delete;
    async_mutex& operator=(const async_mutex&) = delete;
    ~async_mutex() {
        assert(!locked_.load(std::memory_order_relaxed) && "async_mutex destroyed while locked");
    }

    /// Locks without waiting. @return whether the caller now owns the mutex.
    bool try_lock() noexcept {
        bool expected = false;
        return locked_.compare_exchange_strong(expected, true, std::memory_order_acquire,
                                               std::memory_order_relaxed);
    }

    class lock_awaiter {
    public:
        explicit lock_awaiter(async_mutex& m) noexcept : mutex_(m) {}
        bool await_ready() noexcept { return mutex_.try_lock(); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> awaiting) {
            return waiter_.suspend(awaiting, mutex_.guard_, mutex_.waiters_,
                                   [this] { return mutex_.try_lock(); });
        }
        void await_resume() const { waiter_.throw_if_cancelled(); }

    protected:
        async_mutex& mutex_;
        detail::sync_waiter waiter_;
    };

    class scoped_lock_awaiter : public lock_awaiter {
    public:
        using lock_awaiter::lock_awaiter;
        async_mutex_lock await_resume() const {
            waiter_.throw_if_cancelled();
            return async_mutex_lock(mutex_);
        }
    };

    /// `co_await m.lock()` suspends until the caller owns the mutex; release it with unlock().
    /// @throws std::system_error(operation_aborted) when the wait is cancelled.
    lock_awaiter lock() noexcept { return lock_awaiter(*this); }

    /// `co_await m.scoped_lock()` suspends until the caller owns the mutex and returns a guard releasing it.
    /// @throws std::system_error(operation_aborted) when the wait is cancelled.
    scoped_lock_awaiter scoped_lock() noexcept { return scoped_lock_awaiter(*this); }

    /// Releases the mutex, handing it to the first waiter if there is one.
    void unlock() {
        std::unique_lock lock(guard_);
        detail::sync_waiter* next = waiters_.pop_front();
        if (next == nullptr) {
            locked_.store(false, std::memory_order_release);
            return;
        }
        next->mark_woken(); // ownership passes to it: locked_ stays true
        lock.unlock();
        next->resume();
    }

private:
    std::atomic<bool> locked_{false};
    std::mutex guard_;
    detail::sync_waiter_list waiters_;
};

inline void async_mutex_lock::unlock() {
    if (mutex_ != nullptr) {
        std::exchange(mutex_, nullptr)->unlock();
    }
}

} // namespace corio
