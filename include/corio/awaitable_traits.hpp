#pragma once

// Traits for things that can be co_awaited: `corio::awaitable<A>` and `corio::await_result_t<A>`.

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <utility>

namespace corio {

namespace detail {

template <class T>
concept suspend_result =
    std::same_as<T, void> || std::same_as<T, bool> || std::convertible_to<T, std::coroutine_handle<>>;

template <class A>
concept direct_awaiter = requires(A& a, std::coroutine_handle<> h) {
    { a.await_ready() } -> std::convertible_to<bool>;
    { a.await_suspend(h) } -> suspend_result;
    a.await_resume();
};

template <class A>
concept has_member_co_await = requires(A&& a) { std::forward<A>(a).operator co_await(); };
template <class A>
concept has_free_co_await = requires(A&& a) { operator co_await(std::forward<A>(a)); };

template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (has_member_co_await<A>) {
        return std::forward<A>(a).operator co_await();
    } else if constexpr (has_free_co_await<A>) {
        return operator co_await(std::forward<A>(a));
    } else {
        return std::forward<A>(a);
    }
}

} // namespace detail

/// Anything a corio coroutine can co_await (without an await_transform).
template <class A>
concept awaitable = requires(A&& a) {
    { detail::get_awaiter(std::forward<A>(a)) };
} && detail::direct_awaiter<std::remove_reference_t<decltype(detail::get_awaiter(std::declval<A>()))>>;

/// The type a co_await on an A produces.
template <awaitable A>
using await_result_t =
    decltype(std::declval<decltype(detail::get_awaiter(std::declval<A>()))&>().await_resume());

} // namespace corio
