#include "corio/net/detail/deadline_wheel.hpp"

#include <algorithm>

namespace corio::net::detail {

deadline_wheel::deadline_wheel(asio::io_context& context)
    : asio::execution_context::service(context), timer_(context) {}

deadline_wheel::~deadline_wheel() {
    // Entries still linked belong to objects that outlive the io_context's services (a bug in the caller,
    // but keep their destructors harmless).
    for (deadline_entry& head : heads_) {
        while (deadline_entry* e = head.next_) {
            head.next_ = e->next_;
            e->prev_ = e->next_ = nullptr;
            e->wheel_ = nullptr;
        }
    }
}

void deadline_wheel::shutdown() {
    shut_down_ = true;
    timer_.cancel();
}

void deadline_wheel::link(deadline_entry& e, std::uint64_t t) noexcept {
    if (!ticking_) {
        next_tick_ = now_ns() / tick_ns;
    }
    t = std::max(t, next_tick_);
    const std::uint64_t visit = t - next_tick_ < slot_count ? t : next_tick_ + (t - next_tick_) % slot_count;
    deadline_entry& head = heads_[visit % slot_count];
    e.prev_ = &head;
    e.next_ = head.next_;
    if (head.next_ != nullptr) {
        head.next_->prev_ = &e;
    }
    head.next_ = &e;
    e.wheel_ = this;
    e.bucket_tick_ = static_cast<std::uint32_t>(visit);
    ++linked_;
    start_ticking();
}

void deadline_wheel::start_ticking() noexcept {
    if (ticking_ || shut_down_) {
        return;
    }
    ticking_ = true;
    timer_.expires_after(tick);
    timer_.async_wait([this](const std::error_code& ec) {
        if (ec || shut_down_) {
            ticking_ = false;
            return;
        }
        on_tick();
    });
}

void deadline_wheel::on_tick() noexcept {
    const std::uint64_t now = now_ns();
    const std::uint64_t now_tick = now / tick_ns;
    // After a long stall, one pass over every bucket is enough.
    if (now_tick > next_tick_ + slot_count) {
        next_tick_ = now_tick - slot_count;
    }
    while (next_tick_ < now_tick) {
        deadline_entry& head = heads_[next_tick_ % slot_count];
        deadline_entry* chain = head.next_;
        head.next_ = nullptr;
        ++next_tick_;
        while (chain != nullptr) {
            deadline_entry& e = *chain;
            chain = e.next_;
            e.prev_ = e.next_ = nullptr;
            e.wheel_ = nullptr;
            --linked_;
            if (e.expiry_ == deadline_entry::never) {
                continue;
            }
            if (e.expiry_ <= now) {
                e.expiry_ = deadline_entry::never;
                e.expired_ = true;
                e.on_expire_(e.context_);
            } else {
                link(e, e.expiry_ / tick_ns);
            }
        }
    }
    ticking_ = false;
    if (linked_ != 0) {
        start_ticking();
    }
}

} // namespace corio::net::detail
