#pragma once

// Machinery shared by async_mutex, async_event and channel: a coroutine waiting in a primitive's FIFO queue,
// resumed on the executor it suspended on, and removed from the queue when its stop token is stopped.
//
// Every waiter's fate is decided under the primitive's std::mutex, exactly once: either a waker pops it from
// the queue (it completes normally) or its stop callback finds it still queued and removes it (it completes
// with operation_aborted). A waiter is never resumed while its primitive's mutex is held.

#include <asio/error.hpp>
#include <asio/post.hpp>

#include <coroutine>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <system_error>
#include <type_traits>

#include "corio/detail/promise_base.hpp"
#include "corio/runtime/executor.hpp"

namespace corio::detail {

class sync_waiter;

/// An intrusive FIFO list of waiters (not thread-safe: guarded by the owning primitive's mutex).
class sync_waiter_list {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    sync_waiter* front() const noexcept { return head_; }
    inline void push_back(sync_waiter* w) noexcept;
    inline sync_waiter* pop_front() noexcept;
    inline void remove(sync_waiter* w) noexcept;

private:
    sync_waiter* head_ = nullptr;
    sync_waiter* tail_ = nullptr;
};

class sync_waiter {
public:
    enum class status : std::uint8_t {
        idle,     // not in a queue yet
        queued,   // in its primitive's queue
        woken,    // popped by a waker: completes normally
        cancelled // stopped before a waker got to it: completes with operation_aborted
    };

    sync_waiter() noexcept = default;
    sync_waiter(const sync_waiter&) = delete;
    sync_waiter& operator=(const sync_waiter&) = delete;

    /// Resumes the waiter: posted to the executor it suspended on, or inline when it suspended outside any
    /// executor. Call without holding the primitive's mutex, after the last access to the waiter.
    void resume() {
        const std::coroutine_handle<> h = handle_;
        if (executor_) {
            asio::post(*executor_, resumer{h});
        } else {
            h.resume();
        }
    }

    bool cancelled() const noexcept { return status_ == status::cancelled; }

    /// Throws operation_aborted when the wait was cancelled.
    void throw_if_cancelled() const {
        if (status_ == status::cancelled) {
            throw std::system_error(asio::error::operation_aborted);
        }
    }

    /// The suspension protocol shared by the primitives. `try_complete()` is called with `guard` held and
    /// returns true when the operation can complete at once. Otherwise the waiter is queued on `queue`,
    /// cancellable through the stop token of `awaiting`'s promise (if it is a corio coroutine).
    /// @return whether the coroutine stays suspended (the await_suspend result).
    template <class Promise, class TryComplete>
    bool suspend(std::coroutine_handle<Promise> awaiting, std::mutex& guard, sync_waiter_list& queue,
                 TryComplete&& try_complete) {
        handle_ = awaiting;
        if (const executor* ex = current_executor()) {
            executor_.emplace(*ex);
        }
        const std::stop_token* token = nullptr;
        if constexpr (std::is_base_of_v<promise_base, Promise>) {
            token = awaiting.promise().stop_token_ptr();
        }
        std::unique_lock lock(guard);
        if (try_complete()) {
            return false;
        }
        if (token != nullptr && token->stop_possible()) {
            if (token->stop_requested()) {
                status_ = status::cancelled;
                return false;
            }
            // The callback must exist before the waiter is published: once queued, a waker on another thread
            // may resume the coroutine (and destroy this waiter) at any moment.
            guard_ = &guard;
            queue_ = &queue;
            lock.unlock();
            stop_callback_.emplace(*token, on_stop{this});
            lock.lock();
            if (status_ == status::cancelled) {
                return false;
            }
            if (try_complete()) {
                status_ = status::woken; // a later stop request must not touch this waiter
                return false;
            }
        }
        status_ = status::queued;
        queue.push_back(this);
        return true;
    }

    /// Marks a waiter popped by a waker (with the primitive's mutex held).
    void mark_woken() noexcept { status_ = status::woken; }

private:
    friend class sync_waiter_list;

    struct resumer {
        std::coroutine_handle<> h;
        void operator()() const { h.resume(); }
    };

    struct on_stop {
        sync_waiter* self;
        void operator()() const noexcept { self->cancel(); }
    };

    void cancel() noexcept {
        std::unique_lock lock(*guard_);
        if (status_ == status::queued) {
            queue_->remove(this);
            status_ = status::cancelled;
            lock.unlock();
            resume();
        } else if (status_ == status::idle) {
            // Stopped while suspend() is registering the callback: suspend() sees it and does not wait.
            status_ = status::cancelled;
        }
    }

    sync_waiter* prev_ = nullptr;
    sync_waiter* next_ = nullptr;
    std::coroutine_handle<> handle_;
    std::optional<executor> executor_;
    status status_ = status::idle;
    std::mutex* guard_ = nullptr;
    sync_waiter_list* queue_ = nullptr;
    // Last member: destroyed first, waiting for a callback running on another thread to return.
    std::optional<std::stop_callback<on_stop>> stop_callback_;
};

inline void sync_waiter_list::push_back(sync_waiter* w) noexcept {
    w->next_ = nullptr;
    w->prev_ = tail_;
    if (tail_ != nullptr) {
        tail_->next_ = w;
    } else {
        head_ = w;
    }
    tail_ = w;
}

inline sync_waiter* sync_waiter_list::pop_front() noexcept {
    sync_waiter* w = head_;
    if (w != nullptr) {
        remove(w);
    }
    return w;
}

inline void sync_waiter_list::remove(sync_waiter* w) noexcept {
    if (w->prev_ != nullptr) {
        w->prev_->next_ = w->next_;
    } else {
        head_ = w->next_;
    }
    if (w->next_ != nullptr) {
        w->next_->prev_ = w->prev_;
    } else {
        tail_ = w->prev_;
    }
    w->prev_ = nullptr;
    w->next_ = nullptr;
}

/// Resumes every waiter of `woken`, a local list of waiters already popped from their primitive's queue and
/// marked woken (call without holding the primitive's mutex).
inline void resume_all(sync_waiter_list& woken) {
    while (sync_waiter* w = woken.pop_front()) {
        w->resume();
    }
}

} // namespace corio::detail
