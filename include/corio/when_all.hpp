#pragma once

// corio::when_all: await several tasks at once.
//
//   auto [a, b] = co_await corio::when_all(fetch_a(), fetch_b());        // task<std::tuple<A, B>>
//   std::vector<int> all = co_await corio::when_all(std::move(tasks));  // task<std::vector<int>>
//
// Guarantees:
// - Lazy: nothing starts until the returned task is awaited. Then every child is started, in argument (or
//   range) order, each running until its first suspension; the awaiter resumes once the last child has
//   finished, on the thread that finished it (children may finish on different threads).
// - Results come back in argument/range order, whatever order the children finish in. In the tuple form a
//   task<void> child yields std::monostate and a task<T&> child yields T&; the range form over task<void>
//   returns task<void>, over task<T&> returns std::vector<std::reference_wrapper<T>>.
// - Children run under a stop token of their own, stopped when the awaiter's token is stopped or as soon as
//   one child throws (so that siblings blocked in a cancellable wait give up early).
// - If any child throws, the exception thrown first (in time) is rethrown, but only after every child has
//   finished; the other children's results and exceptions are discarded.
// - Zero children: completes at once with an empty tuple / vector.
// Standard library only.

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "corio/detail/promise_base.hpp"
#include "corio/stop.hpp"
#include "corio/task.hpp"

namespace corio {

namespace detail {

/// What a task<T> child contributes to the tuple form of when_all.
template <class T>
struct when_all_element {
    using type = T;
};
template <>
struct when_all_element<void> {
    using type = std::monostate;
};

/// Where a child's result waits until every child has finished.
template <class T>
struct when_all_slot {
    std::optional<T> value;
    void set(T&& v) { value.emplace(std::move(v)); }
    T take() { return std::move(*value); }
};
template <class T>
struct when_all_slot<T&> {
    T* value = nullptr;
    void set(T& v) noexcept { value = std::addressof(v); }
    T& take() const noexcept { return *value; }
};
template <>
struct when_all_slot<void> {
    std::monostate take() const noexcept { return {}; }
};

/// Shared by the children of one when_all: the countdown, the awaiter, the group's stop source and the first
/// exception.
class when_all_state {
public:
    explicit when_all_state(std::size_t children) noexcept : remaining_(children + 1) {}
    when_all_state(const when_all_state&) = delete;
    when_all_state& operator=(const when_all_state&) = delete;

    const std::stop_token* group_token() const noexcept { return &token_; }
    void request_stop() noexcept { stop_.request_stop(); }

    /// Records `e` if it is the first exception of the group, and asks the siblings to stop.
    void record_exception(std::exception_ptr e) noexcept {
        if (!failed_.exchange(true, std::memory_order_acq_rel)) {
            exception_ = std::move(e);
        }
        stop_.request_stop();
    }

    /// Called by each child as it finishes: the coroutine to transfer to (the awaiter when this child was the
    /// last one to finish after the awaiter suspended).
    std::coroutine_handle<> child_done() noexcept {
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            return awaiter_;
        }
        return std::noop_coroutine();
    }

    /// Rethrows the first exception a child threw, if any (call after all children finished).
    void rethrow_if_failed() const {
        if (exception_) {
            std::rethrow_exception(exception_);
        }
    }

    /// Starts the children (through `start`) and suspends `awaiter` until they have all finished.
    template <class Start>
    struct run_awaiter {
        when_all_state& state;
        Start start;

        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> awaiter) {
            state.awaiter_ = awaiter;
            start();
            // Drop the awaiter's own count: if every child already finished, carry on without suspending.
            return state.remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1;
        }
        void await_resume() const noexcept {}
    };

private:
    std::atomic<std::size_t> remaining_;
    std::coroutine_handle<> awaiter_;
    std::stop_source stop_;
    std::stop_token token_ = stop_.get_token();
    std::atomic<bool> failed_{false};
    std::exception_ptr exception_;
};

/// Forwards a stop request from the awaiter's token to the group.
struct when_all_stop_forwarder {
    when_all_state* state;
    void operator()() const noexcept { state->request_stop(); }
};

/// A child of when_all: awaits one task, stores its result in its slot, then counts itself done.
class when_all_child {
public:
    class promise_type : public promise_base {
    public:
        when_all_child get_return_object() noexcept {
            return when_all_child{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        auto final_suspend() const noexcept {
            struct notify {
                bool await_ready() const noexcept { return false; }
                std::coroutine_handle<>
                await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
                    return self.promise().state_->child_done();
                }
                void await_resume() const noexcept {}
            };
            return notify{};
        }
        void unhandled_exception() noexcept { state_->record_exception(std::current_exception()); }
        void return_void() const noexcept {}

        void start(when_all_state& state) {
            state_ = &state;
            set_stop_token(state.group_token());
            std::coroutine_handle<promise_type>::from_promise(*this).resume();
        }

    private:
        when_all_state* state_ = nullptr;
    };

    when_all_child() noexcept = default;
    explicit when_all_child(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    when_all_child(when_all_child&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    when_all_child& operator=(when_all_child&& o) noexcept {
        if (this != &o) {
            if (handle_) {
                handle_.destroy();
            }
            handle_ = std::exchange(o.handle_, {});
        }
        return *this;
    }
    ~when_all_child() {
        if (handle_) {
            handle_.destroy();
        }
    }

    void start(when_all_state& state) { handle_.promise().start(state); }

private:
    std::coroutine_handle<promise_type> handle_;
};

template <class T>
when_all_child make_when_all_child(task<T> t, when_all_slot<T>& slot) {
    if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
        (void)slot;
    } else if constexpr (std::is_reference_v<T>) {
        T result = co_await std::move(t);
        slot.set(result);
    } else {
        // Bound to a local first: g++ 12 may mishandle a co_await inside a larger expression.
        T result = co_await std::move(t);
        slot.set(std::move(result));
    }
}

/// Runs `children` (already created) to completion under a group stop token linked to the awaiter's.
template <class StartAll>
task<void> when_all_run(when_all_state& state, StartAll start_all) {
    const std::stop_token outer = co_await this_stop_token;
    std::stop_callback<when_all_stop_forwarder> link(outer, when_all_stop_forwarder{&state});
    co_await when_all_state::run_awaiter<StartAll>{state, std::move(start_all)};
    state.rethrow_if_failed();
}

inline task<std::tuple<>> when_all_none() {
    co_return std::tuple<>{};
}

template <class... Ts, std::size_t... Is>
task<std::tuple<typename when_all_element<Ts>::type...>> when_all_tuple(std::index_sequence<Is...>,
                                                                        task<Ts>... tasks) {
    std::tuple<when_all_slot<Ts>...> slots;
    when_all_state state(sizeof...(Ts));
    when_all_child children[sizeof...(Ts)] = {
        make_when_all_child<Ts>(std::move(tasks), std::get<Is>(slots))...};
    struct start_all {
        when_all_child* children;
        when_all_state* state;
        void operator()() const {
            for (std::size_t i = 0; i < sizeof...(Ts); ++i) {
                children[i].start(*state);
            }
        }
    };
    co_await when_all_run(state, start_all{children, &state});
    co_return std::tuple<typename when_all_element<Ts>::type...>(std::get<Is>(slots).take()...);
}

template <class T>
task<std::vector<T>> when_all_vector(std::vector<task<T>> tasks) {
    std::vector<when_all_slot<T>> slots(tasks.size());
    when_all_state state(tasks.size());
    std::vector<when_all_child> children;
    children.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        children.push_back(make_when_all_child<T>(std::move(tasks[i]), slots[i]));
    }
    struct start_all {
        std::vector<when_all_child>* children;
        when_all_state* state;
        void operator()() const {
            for (when_all_child& c : *children) {
                c.start(*state);
            }
        }
    };
    co_await when_all_run(state, start_all{&children, &state});
    children.clear();
    std::vector<T> results;
    results.reserve(slots.size());
    for (when_all_slot<T>& slot : slots) {
        results.push_back(slot.take());
    }
    co_return results;
}

template <class T>
task<std::vector<std::reference_wrapper<T>>> when_all_reference_vector(std::vector<task<T&>> tasks) {
    std::vector<when_all_slot<T&>> slots(tasks.size());
    when_all_state state(tasks.size());
    std::vector<when_all_child> children;
    children.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        children.push_back(make_when_all_child<T&>(std::move(tasks[i]), slots[i]));
    }
    struct start_all {
        std::vector<when_all_child>* children;
        when_all_state* state;
        void operator()() const {
            for (when_all_child& c : *children) {
                c.start(*state);
            }
        }
    };
    co_await when_all_run(state, start_all{&children, &state});
    std::vector<std::reference_wrapper<T>> results;
    results.reserve(slots.size());
    for (when_all_slot<T&>& slot : slots) {
        results.emplace_back(slot.take());
    }
    co_return results;
}

inline task<void> when_all_void_vector(std::vector<task<void>> tasks) {
    when_all_state state(tasks.size());
    std::vector<when_all_slot<void>> slots(tasks.size());
    std::vector<when_all_child> children;
    children.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        children.push_back(make_when_all_child<void>(std::move(tasks[i]), slots[i]));
    }
    struct start_all {
        std::vector<when_all_child>* children;
        when_all_state* state;
        void operator()() const {
            for (when_all_child& c : *children) {
                c.start(*state);
            }
        }
    };
    co_await when_all_run(state, start_all{&children, &state});
}

} // namespace detail

/// Awaits every task; see the top of this header for the guarantees.
/// @return a task producing the results as a tuple, in argument order (void -> std::monostate, T& -> T&).
/// @throws (when awaited) the first exception a child threw, after all children finished.
template <class... Ts>
task<std::tuple<typename detail::when_all_element<Ts>::type...>> when_all(task<Ts>... tasks) {
    if constexpr (sizeof...(Ts) == 0) {
        return detail::when_all_none();
    } else {
        return detail::when_all_tuple<Ts...>(std::index_sequence_for<Ts...>{}, std::move(tasks)...);
    }
}

/// Awaits every task of the range; results come back in range order.
/// @return task<std::vector<T>>; task<void> for a range of task<void>; std::reference_wrapper<T> elements for
/// a range of task<T&>.
/// @throws (when awaited) the first exception a child threw, after all children finished.
template <class T>
auto when_all(std::vector<task<T>> tasks) {
    if constexpr (std::is_void_v<T>) {
        return detail::when_all_void_vector(std::move(tasks));
    } else if constexpr (std::is_reference_v<T>) {
        return detail::when_all_reference_vector<std::remove_reference_t<T>>(std::move(tasks));
    } else {
        return detail::when_all_vector<T>(std::move(tasks));
    }
}

} // namespace corio
