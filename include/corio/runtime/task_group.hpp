#pragma once

// corio::task_group: structured concurrency for a dynamic set of child tasks.
//
//   corio::task_group group(co_await corio::this_stop_token);
//   for (auto& c : connections) group.spawn(serve(c));
//   co_await group.join();   // always: also on error paths
//
// Guarantees:
// - spawn() starts a child on the caller's executor (or the one given), posted: it runs after spawn returns.
//   spawn is thread-safe (children, other threads) as long as join() has not completed yet.
// - Children run under the group's stop token. It is stopped by request_stop(), when a child throws (the
//   first exception), when the parent token given to the constructor is stopped, and when the token of the
//   coroutine awaiting join() is stopped.
// - `co_await group.join()` resumes, on the joiner's executor, once every child has finished, then rethrows
//   the first exception a child threw (if any). Children's results are discarded.
// - The group never outlives its children: destroying a group whose children are still running is a
//   programming error (asserted in debug builds). Await join() on every path, including after an exception.
// - A group is joined once; it may be reused after join() returns, but stays stopped if it was stopped.

#include <asio/post.hpp>

#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "corio/detail/promise_base.hpp"
#include "corio/runtime/executor.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/task.hpp"

namespace corio {

class task_group;

namespace detail {

/// A group child: frees its own frame when done and reports to the group (which may resume the joiner).
class group_child {
public:
    class promise_type : public promise_base {
    public:
        template <class Task>
        promise_type(task_group& group, Task&) noexcept;

        group_child get_return_object() noexcept {
            return group_child{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        struct final_awaiter {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) const noexcept;
            void await_resume() const noexcept {}
        };
        final_awaiter final_suspend() const noexcept { return {}; }
        void unhandled_exception() noexcept;
        void return_void() const noexcept {}

    private:
        friend class group_child;
        task_group* group_;
    };

    std::coroutine_handle<> handle() const noexcept { return handle_; }

private:
    explicit group_child(std::coroutine_handle<> h) noexcept : handle_(h) {}
    std::coroutine_handle<> handle_;
};

template <class T>
group_child run_in_group(task_group& /*group: see promise_type*/, task<T> t) {
    if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
    } else {
        [[maybe_unused]] T result = co_await std::move(t);
    }
}

} // namespace detail

class task_group {
public:
    /// A group whose children are also stopped when `parent` is stopped.
    explicit task_group(std::stop_token parent = {}) {
        if (parent.stop_possible()) {
            parent_link_.emplace(std::move(parent), forward_stop{&source_});
        }
    }
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    ~task_group() {
        assert(pending_.load(std::memory_order_acquire) == 1 &&
               "task_group destroyed with running children: co_await join() first");
    }

    /// Starts `child` on the calling thread's corio executor.
    template <class T>
    void spawn(task<T> child) {
        assert(current_executor() != nullptr && "task_group::spawn(task) needs a corio executor; pass one");
        spawn(*current_executor(), std::move(child));
    }

    /// Starts `child` on `ex`.
    template <class T>
    void spawn(const executor& ex, task<T> child) {
        detail::group_child c = detail::run_in_group(*this, std::move(child));
        pending_.fetch_add(1, std::memory_order_relaxed);
        try {
            asio::post(ex, detail::frame_starter{c.handle()});
        } catch (...) {
            pending_.fetch_sub(1, std::memory_order_relaxed);
            throw;
        }
    }

    /// Asks every child to stop (thread-safe).
    void request_stop() noexcept { source_.request_stop(); }

    /// The token the children run under.
    std::stop_token get_stop_token() const noexcept { return token_; }

    /// Children spawned and not yet finished.
    std::size_t running() const noexcept { return pending_.load(std::memory_order_acquire) - 1; }

    class join_awaiter {
    public:
        explicit join_awaiter(task_group& group) noexcept : group_(group) {}
        bool await_ready() const noexcept { return group_.pending_.load(std::memory_order_acquire) == 1; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> joiner) {
            if constexpr (std::is_base_of_v<detail::promise_base, Promise>) {
                const std::stop_token* token = joiner.promise().stop_token_ptr();
                if (token != nullptr && token->stop_possible()) {
                    group_.join_link_.emplace(*token, forward_stop{&group_.source_});
                }
            }
            group_.joiner_ = joiner;
            group_.joiner_executor_ = current_executor();
            return group_.pending_.fetch_sub(1, std::memory_order_acq_rel) != 1;
        }
        void await_resume() {
            group_.pending_.store(1, std::memory_order_relaxed);
            group_.join_link_.reset();
            group_.failed_.store(false, std::memory_order_relaxed);
            if (std::exception_ptr e = std::exchange(group_.error_, nullptr)) {
                std::rethrow_exception(e);
            }
        }

    private:
        task_group& group_;
    };

    /// `co_await group.join()`: waits for every child, then rethrows the first exception one threw.
    join_awaiter join() noexcept { return join_awaiter{*this}; }

private:
    friend class detail::group_child::promise_type;

    struct forward_stop {
        std::stop_source* source;
        void operator()() const noexcept { source->request_stop(); }
    };

    void record_exception(std::exception_ptr e) noexcept {
        if (!failed_.exchange(true, std::memory_order_acq_rel)) {
            error_ = std::move(e);
        }
        source_.request_stop();
    }

    // Called by a finished child (its frame already destroyed): the coroutine to transfer to.
    std::coroutine_handle<> child_done() noexcept {
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
            return std::noop_coroutine();
        }
        // Last child after join() suspended: resume the joiner on its own executor.
        const executor* here = current_executor();
        if (joiner_executor_ == nullptr || (here != nullptr && *here == *joiner_executor_)) {
            return joiner_;
        }
        asio::post(*joiner_executor_, [j = joiner_] { j.resume(); });
        return std::noop_coroutine();
    }

    std::stop_source source_;
    std::stop_token token_ = source_.get_token();
    // 1 + running children while not joined; join() drops the 1 and the last child to finish resumes it.
    std::atomic<std::size_t> pending_{1};
    std::atomic<bool> failed_{false};
    std::exception_ptr error_;
    std::coroutine_handle<> joiner_;
    const executor* joiner_executor_ = nullptr;
    std::optional<std::stop_callback<forward_stop>> parent_link_;
    std::optional<std::stop_callback<forward_stop>> join_link_;
};

namespace detail {

template <class Task>
group_child::promise_type::promise_type(task_group& group, Task&) noexcept : group_(&group) {
    set_stop_token(&group.token_);
}

inline void group_child::promise_type::unhandled_exception() noexcept {
    group_->record_exception(std::current_exception());
}

inline std::coroutine_handle<> group_child::promise_type::final_awaiter::await_suspend(
    std::coroutine_handle<promise_type> self) const noexcept {
    task_group* group = self.promise().group_;
    self.destroy();
    return group->child_done();
}

} // namespace detail

} // namespace corio
