#include "corio/runtime/use_task.hpp"
#include "corio/runtime/with_timeout.hpp"

#include <asio/post.hpp>

namespace corio::detail {

void throw_system_error(const std::error_code& ec) {
    throw std::system_error(ec);
}

void op_cancellation::arm(const std::stop_token& token) {
    callback_.emplace(token, request{this});
}

// Runs on the thread that requested stop: only claims the cancellation and hands it to the executor.
void op_cancellation::request::operator()() const noexcept {
    unsigned char expected = pending;
    if (self->state_.compare_exchange_strong(expected, cancel_posted, std::memory_order_acq_rel)) {
        op_cancellation* s = self;
        asio::post(s->ex_, [s] { s->run_posted(); });
    }
}

// Runs on the executor thread. The waiter cannot have resumed while the state is cancel_posted, so `this` is
// alive here; whichever of this function and the completion handler runs last resumes the waiter.
void op_cancellation::run_posted() noexcept {
    if (state_.load(std::memory_order_acquire) != completed) {
        signal_.emit(asio::cancellation_type::terminal);
        if (state_.exchange(cancel_emitted, std::memory_order_acq_rel) != completed) {
            return; // the operation completes later and its handler resumes the waiter
        }
    }
    waiter_.resume();
}

} // namespace corio::detail

namespace corio::detail {

void throw_timed_out() {
    throw std::system_error(std::make_error_code(std::errc::timed_out), "corio::with_timeout");
}

} // namespace corio::detail
