#pragma once

// corio::http::handler: a type-erased request handler, `task<response>(request_context&)`.
//
// Any copyable callable with that signature fits: a function, or a lambda. g++ 12 mishandles lambdas that are
// coroutines *and* capture: write handlers as free coroutine functions, or as capture-less coroutine lambdas,
// or as capturing lambdas that are not coroutines themselves and return a task from a free function.
// Calling a handler costs one indirect call (no std::function, no virtual dispatch).

#include <memory>
#include <type_traits>
#include <utility>

#include "corio/http/request_context.hpp"
#include "corio/http/response.hpp"
#include "corio/task.hpp"

namespace corio::http {

class handler {
public:
    handler() noexcept = default;

    template <class F>
        requires(!std::is_same_v<std::decay_t<F>, handler> &&
                 std::is_invocable_r_v<task<response>, std::decay_t<F>&, request_context&>)
    handler(F&& f) // NOLINT(google-explicit-constructor): handlers convert implicitly
        : state_(std::make_shared<std::decay_t<F>>(std::forward<F>(f))), call_(&invoke<std::decay_t<F>>) {}

    explicit operator bool() const noexcept { return call_ != nullptr; }

    /// Starts the handler (the returned task is lazy). Thread-safe if the callable's call operator is.
    task<response> operator()(request_context& ctx) const { return call_(state_.get(), ctx); }

private:
    template <class F>
    static task<response> invoke(void* f, request_context& ctx) {
        return (*static_cast<F*>(f))(ctx);
    }

    std::shared_ptr<void> state_;
    task<response> (*call_)(void*, request_context&) = nullptr;
};

} // namespace corio::http
