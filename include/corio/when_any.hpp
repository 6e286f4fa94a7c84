#pragma once

// corio::when_any: await several tasks, keep the first to finish, cancel the others.
//
//   auto r = co_await corio::when_any(read_reply(), corio::sleep_for(1s));   // std::variant<Reply,
//   monostate> if (r.index() == 0) { use(std::get<0>(r)); } auto [index, value] = co_await
//   corio::when_any(std::move(tasks));      // when_any_result<T>
//
// Guarantees:
// - Lazy: nothing starts until the returned task is awaited. Then every child is started, in argument (or
//   range) order, each running until its first suspension.
// - The winner is the first child to finish, with a value or an exception. As soon as it finishes, stop is
//   requested on the other children (their stop token is a group token, also stopped when the awaiter's
//   token is stopped), and when_any waits for every child to finish before it completes: no child outlives
//   it. The awaiter resumes on the thread that finished the last child.
// - The result is the winner's: its index and value, or its exception rethrown. The losers' results and
//   exceptions (typically operation_aborted from the cancellation) are discarded.
// - Variadic form: std::variant<R0, R1, ...> whose index() is the winner's position (void -> std::monostate,
//   T& -> std::reference_wrapper<T>). Range form: when_any_result<T>{index, value} (for task<void>: the
//   index). The range must not be empty.
// Standard library only.

#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "corio/detail/promise_base.hpp"
#include "corio/task.hpp"

namespace corio {

/// The range form's result: which task won, and its value.
template <class T>
struct when_any_result {
    std::size_t index;
    T value;
};

namespace detail {

template <class T>
struct when_any_element {
    using type = T;
};
template <>
struct when_any_element<void> {
    using type = std::monostate;
};
template <class T>
struct when_any_element<T&> {
    using type = std::reference_wrapper<T>;
};

/// Shared by the children of one when_any: the countdown, the winner, the awaiter and the group's stop
/// source.
class when_any_state {
public:
    static constexpr std::size_t no_winner = std::numeric_limits<std::size_t>::max();

    explicit when_any_state(std::size_t children) noexcept : remaining_(children + 1) {}
    when_any_state(const when_any_state&) = delete;
    when_any_state& operator=(const when_any_state&) = delete;

    const std::stop_token* group_token() const noexcept { return &token_; }
    void request_stop() noexcept { stop_.request_stop(); }
    std::size_t winner() const noexcept { return winner_.load(std::memory_order_acquire); }

    /// Called by child `index` as it finishes: the first one wins and stops the others. Returns the coroutine
    /// to transfer to (the awaiter when this child was the last to finish after the awaiter suspended).
    std::coroutine_handle<> child_done(std::size_t index) noexcept {
        std::size_t none = no_winner;
        if (winner_.compare_exchange_strong(none, index, std::memory_order_acq_rel)) {
            stop_.request_stop();
        }
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            return awaiter_;
        }
        return std::noop_coroutine();
    }

    /// Records the awaiter, then drops its own count: false when every child already finished.
    bool suspend_awaiter(std::coroutine_handle<> awaiter) noexcept {
        awaiter_ = awaiter;
        return remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1;
    }

private:
    std::atomic<std::size_t> remaining_;
    std::atomic<std::size_t> winner_{no_winner};
    std::coroutine_handle<> awaiter_;
    std::stop_source stop_;
    std::stop_token token_ = stop_.get_token();
};

struct when_any_stop_forwarder {
    when_any_state* state;
    void operator()() const noexcept { state->request_stop(); }
};

/// Runs one child task to completion without taking its result (it stays in the task for the winner), then
/// reports to the state.
class when_any_runner {
public:
    class promise_type : public promise_base {
    public:
        template <class Task>
        promise_type(when_any_state& state, std::size_t index, Task&) noexcept
            : state_(&state), index_(index) {}

        when_any_runner get_return_object() noexcept {
            return when_any_runner{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        auto final_suspend() const noexcept {
            struct notify {
                bool await_ready() const noexcept { return false; }
                std::coroutine_handle<>
                await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
                    return self.promise().state_->child_done(self.promise().index_);
                }
                void await_resume() const noexcept {}
            };
            return notify{};
        }
        void unhandled_exception() const noexcept { std::terminate(); } // the body cannot throw
        void return_void() const noexcept {}

    private:
        when_any_state* state_;
        std::size_t index_;
    };

    explicit when_any_runner(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    when_any_runner(when_any_runner&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    when_any_runner(const when_any_runner&) = delete;
    when_any_runner& operator=(const when_any_runner&) = delete;
    when_any_runner& operator=(when_any_runner&&) = delete;
    ~when_any_runner() {
        if (handle_) {
            handle_.destroy();
        }
    }

    void start() { handle_.resume(); }

private:
    std::coroutine_handle<promise_type> handle_;
};

/// Runs a task under the group token and resumes the runner when it finishes, leaving the result in the task.
template <class T>
struct run_to_completion {
    task<T>& child;
    const std::stop_token* token;

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> runner) noexcept {
        auto& p = child.handle().promise();
        p.set_continuation(runner);
        p.set_stop_token(token);
        return child.handle();
    }
    void await_resume() const noexcept {}
};

template <class T>
when_any_runner make_when_any_runner(when_any_state& state, std::size_t /*index*/, task<T>& child) {
    co_await run_to_completion<T>{child, state.group_token()};
}

/// Starts every runner under a group token linked to the awaiter's, and suspends until all have finished.
template <class Runners>
struct when_any_awaiter {
    when_any_state& state;
    Runners& runners;
    std::optional<std::stop_callback<when_any_stop_forwarder>> link;

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> awaiter) {
        if constexpr (std::is_base_of_v<promise_base, Promise>) {
            const std::stop_token* outer = awaiter.promise().stop_token_ptr();
            if (outer != nullptr && outer->stop_possible()) {
                link.emplace(*outer, when_any_stop_forwarder{&state});
            }
        }
        for (when_any_runner& r : runners) {
            r.start();
        }
        return state.suspend_awaiter(awaiter);
    }
    void await_resume() noexcept { link.reset(); }
};

template <class Result, class T, std::size_t I>
Result take_when_any_element(task<T>& t) {
    if constexpr (std::is_void_v<T>) {
        t.handle().promise().take_result();
        return Result(std::in_place_index<I>);
    } else if constexpr (std::is_reference_v<T>) {
        T value = t.handle().promise().take_result();
        return Result(std::in_place_index<I>, std::ref(value));
    } else {
        return Result(std::in_place_index<I>, t.handle().promise().take_result());
    }
}

/// The winner's result (or exception) as a variant; `winner` < sizeof...(Ts).
template <class Result, std::size_t I, class... Ts>
Result take_when_any_winner(std::size_t winner, std::tuple<task<Ts>&...>& all) {
    if constexpr (I + 1 < sizeof...(Ts)) {
        if (winner != I) {
            return take_when_any_winner<Result, I + 1>(winner, all);
        }
    }
    using T = typename std::tuple_element_t<I, std::tuple<task<Ts>...>>::value_type;
    return take_when_any_element<Result, T, I>(std::get<I>(all));
}

template <class... Ts, std::size_t... Is>
task<std::variant<typename when_any_element<Ts>::type...>> when_any_tuple(std::index_sequence<Is...>,
                                                                          task<Ts>... tasks) {
    using result = std::variant<typename when_any_element<Ts>::type...>;
    when_any_state state(sizeof...(Ts));
    when_any_runner runners[sizeof...(Ts)] = {make_when_any_runner<Ts>(state, Is, tasks)...};
    co_await when_any_awaiter<when_any_runner[sizeof...(Ts)]>{state, runners, std::nullopt};
    std::tuple<task<Ts>&...> all(tasks...);
    result r = take_when_any_winner<result, 0>(state.winner(), all);
    co_return std::move(r);
}

template <class T>
task<when_any_result<typename when_any_element<T>::type>> when_any_vector(std::vector<task<T>> tasks) {
    if (tasks.empty()) {
        throw std::invalid_argument("corio::when_any: no tasks");
    }
    when_any_state state(tasks.size());
    std::vector<when_any_runner> runners;
    runners.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        runners.push_back(make_when_any_runner<T>(state, i, tasks[i]));
    }
    co_await when_any_awaiter<std::vector<when_any_runner>>{state, runners, std::nullopt};
    const std::size_t winner = state.winner();
    if constexpr (std::is_reference_v<T>) {
        T value = tasks[winner].handle().promise().take_result();
        co_return when_any_result<typename when_any_element<T>::type>{winner, std::ref(value)};
    } else {
        T value = tasks[winner].handle().promise().take_result();
        co_return when_any_result<T>{winner, std::move(value)};
    }
}

inline task<std::size_t> when_any_void_vector(std::vector<task<void>> tasks) {
    if (tasks.empty()) {
        throw std::invalid_argument("corio::when_any: no tasks");
    }
    when_any_state state(tasks.size());
    std::vector<when_any_runner> runners;
    runners.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        runners.push_back(make_when_any_runner<void>(state, i, tasks[i]));
    }
    co_await when_any_awaiter<std::vector<when_any_runner>>{state, runners, std::nullopt};
    const std::size_t winner = state.winner();
    tasks[winner].handle().promise().take_result();
    co_return winner;
}

} // namespace detail

/// Awaits the first of `tasks` to finish; see the top of this header for the guarantees.
/// @return a task producing std::variant<R...> holding the winner's value at the winner's index.
/// @throws (when awaited) the winner's exception, after all children finished.
template <class... Ts>
    requires(sizeof...(Ts) > 0)
task<std::variant<typename detail::when_any_element<Ts>::type...>> when_any(task<Ts>... tasks) {
    return detail::when_any_tuple<Ts...>(std::index_sequence_for<Ts...>{}, std::move(tasks)...);
}

/// Awaits the first task of a non-empty range to finish.
/// @return task<when_any_result<T>> (index and value; T& -> std::reference_wrapper<T>), or task<std::size_t>
/// (the index) for a range of task<void>.
/// @throws (when awaited) the winner's exception, after all children finished; std::invalid_argument for an
/// empty range.
template <class T>
auto when_any(std::vector<task<T>> tasks) {
    if constexpr (std::is_void_v<T>) {
        return detail::when_any_void_vector(std::move(tasks));
    } else {
        return detail::when_any_vector<T>(std::move(tasks));
    }
}

} // namespace corio
