#pragma once

// corio::channel<T>: a bounded multi-producer, multi-consumer queue between coroutines.
//
//   corio::channel<int> ch(16);
//   bool sent = co_await ch.send(42);                 // false once the channel is closed
//   std::optional<int> v = co_await ch.receive();     // std::nullopt once closed and drained
//
// Guarantees:
// - Thread-safe: any number of coroutines on any threads/executors may send and receive.
// - Bounded: holds at most `capacity` values; send() suspends while it is full, receive() while it is empty.
//   Capacity 0 is a rendezvous channel: each send() waits for a receive() to take its value.
// - FIFO: values come out in the order their sends completed; waiting senders and receivers are served in the
//   order they started waiting. Every value sent successfully is received exactly once or, if nobody receives
//   it, destroyed with the channel.
// - close() wakes every waiting sender and receiver. Senders (waiting or later) get false and their value is
//   dropped; receivers first drain the values still buffered, then get std::nullopt.
// - A waiter resumes on the executor it suspended on (posted to it), or inline inside the call that woke it
//   when it suspended outside any executor.
// - Waits honour the awaiting coroutine's stop token: once stopped, a waiting send() or receive() leaves the
//   queue and throws std::system_error(operation_aborted), having sent or received nothing; if a peer served
//   it first, it completes normally instead (exactly one of the two happens, so no value is lost).
// - The channel must outlive every coroutine waiting on it.

// Asio first: Asio configures itself (e.g. aligned allocation) from what is included before it, and every
// translation unit of corio must agree.
#include "corio/runtime/detail/sync_waiter.hpp"

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace corio {

template <class T>
class channel {
    static_assert(std::is_move_constructible_v<T> && !std::is_reference_v<T>,
                  "channel<T> needs a move-constructible object type");

    struct sender_node : detail::sync_waiter {
        T* value = nullptr;
        bool delivered = false;
    };
    struct receiver_node : detail::sync_waiter {
        std::optional<T> value;
    };

public:
    /// A channel buffering up to `capacity` values (0: rendezvous).
    explicit channel(std::size_t capacity) : buffer_(capacity), capacity_(capacity) {}
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;
    ~channel() { assert(senders_.empty() && receivers_.empty() && "channel destroyed with waiters"); }

    std::size_t capacity() const noexcept { return capacity_; }

    bool is_closed() const {
        std::lock_guard lock(guard_);
        return closed_;
    }

    class send_awaiter {
    public:
        send_awaiter(channel& ch, T&& value) : channel_(ch), value_(std::move(value)) {}
        bool await_ready() const noexcept { return false; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> awaiting) {
            detail::sync_waiter* wake = nullptr;
            node_.value = &value_;
            const bool suspended = node_.suspend(awaiting, channel_.guard_, channel_.senders_, [this, &wake] {
                return channel_.try_send_locked(value_, node_.delivered, wake);
            });
            if (wake != nullptr) {
                wake->resume();
            }
            return suspended;
        }
        /// @return true when the value went into the channel, false when the channel was closed.
        bool await_resume() const {
            node_.throw_if_cancelled();
            return node_.delivered;
        }

    private:
        channel& channel_;
        T value_;
        sender_node node_;
    };

    class receive_awaiter {
    public:
        explicit receive_awaiter(channel& ch) noexcept : channel_(ch) {}
        bool await_ready() const noexcept { return false; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> awaiting) {
            detail::sync_waiter* wake = nullptr;
            const bool suspended =
                node_.suspend(awaiting, channel_.guard_, channel_.receivers_,
                              [this, &wake] { return channel_.try_receive_locked(node_.value, wake); });
            if (wake != nullptr) {
                wake->resume();
            }
            return suspended;
        }
        /// @return the next value, or std::nullopt when the channel is closed and empty.
        std::optional<T> await_resume() {
            node_.throw_if_cancelled();
            return std::move(node_.value);
        }

    private:
        channel& channel_;
        receiver_node node_;
    };

    /// `bool sent = co_await ch.send(v)`: waits for room (or a receiver), then hands `v` over.
    /// @return (from the co_await) false when the channel is closed. @throws
    /// std::system_error(operation_aborted) when the wait is cancelled.
    send_awaiter send(T value) { return send_awaiter(*this, std::move(value)); }

    /// `std::optional<T> v = co_await ch.receive()`: waits for a value.
    /// @return (from the co_await) std::nullopt once the channel is closed and drained.
    /// @throws std::system_error(operation_aborted) when the wait is cancelled.
    receive_awaiter receive() noexcept { return receive_awaiter(*this); }

    /// Sends without waiting. @return false (leaving `value` untouched) when full or closed.
    bool try_send(T& value) {
        detail::sync_waiter* wake = nullptr;
        bool delivered = false;
        {
            std::lock_guard lock(guard_);
            if (closed_ || !try_send_locked(value, delivered, wake)) {
                return false;
            }
        }
        if (wake != nullptr) {
            wake->resume();
        }
        return delivered;
    }

    /// Receives without waiting. @return std::nullopt when no value is available.
    std::optional<T> try_receive() {
        detail::sync_waiter* wake = nullptr;
        std::optional<T> out;
        {
            std::lock_guard lock(guard_);
            if (!try_receive_locked(out, wake)) {
                return std::nullopt;
            }
        }
        if (wake != nullptr) {
            wake->resume();
        }
        return out;
    }

    /// Closes the channel and wakes every waiting sender (they get false) and receiver (they get
    /// std::nullopt, the buffer being empty when receivers wait). Idempotent.
    void close() {
        detail::sync_waiter_list woken;
        {
            std::lock_guard lock(guard_);
            if (closed_) {
                return;
            }
            closed_ = true;
            while (detail::sync_waiter* w = senders_.pop_front()) {
                static_cast<sender_node*>(w)->delivered = false;
                w->mark_woken();
                woken.push_back(w);
            }
            while (detail::sync_waiter* w = receivers_.pop_front()) {
                w->mark_woken();
                woken.push_back(w);
            }
        }
        detail::resume_all(woken);
    }

private:
    // All *_locked functions run with guard_ held; `wake` receives a peer to resume after unlocking.

    /// @return true when the send completed (delivered, or refused because closed).
    bool try_send_locked(T& value, bool& delivered, detail::sync_waiter*& wake) {
        if (closed_) {
            delivered = false;
            return true;
        }
        if (detail::sync_waiter* w = receivers_.pop_front()) {
            // Receivers only wait on an empty buffer: hand the value straight over.
            static_cast<receiver_node*>(w)->value.emplace(std::move(value));
            w->mark_woken();
            wake = w;
            delivered = true;
            return true;
        }
        if (size_ < capacity_) {
            push(std::move(value));
            delivered = true;
            return true;
        }
        return false;
    }

    /// @return true when the receive completed (`out` holds a value, or is empty because closed).
    bool try_receive_locked(std::optional<T>& out, detail::sync_waiter*& wake) {
        if (size_ > 0) {
            out.emplace(pop());
            if (detail::sync_waiter* w = senders_.pop_front()) {
                auto* sender = static_cast<sender_node*>(w);
                push(std::move(*sender->value));
                sender->delivered = true;
                w->mark_woken();
                wake = w;
            }
            return true;
        }
        if (detail::sync_waiter* w = senders_.pop_front()) {
            // Rendezvous (capacity 0): take the value from the waiting sender.
            auto* sender = static_cast<sender_node*>(w);
            out.emplace(std::move(*sender->value));
            sender->delivered = true;
            w->mark_woken();
            wake = w;
            return true;
        }
        if (closed_) {
            out.reset();
            return true;
        }
        return false;
    }

    void push(T&& value) {
        std::size_t tail = head_ + size_;
        if (tail >= capacity_) {
            tail -= capacity_;
        }
        buffer_[tail].emplace(std::move(value));
        ++size_;
    }

    T pop() {
        T value = std::move(*buffer_[head_]);
        buffer_[head_].reset();
        if (++head_ == capacity_) {
            head_ = 0;
        }
        --size_;
        return value;
    }

    mutable std::mutex guard_;
    std::vector<std::optional<T>> buffer_;
    std::size_t capacity_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    bool closed_ = false;
    detail::sync_waiter_list senders_;
    detail::sync_waiter_list receivers_;
};

} // namespace corio
