#pragma once

// corio::net::detail::deadline_wheel: cheap per-operation timeouts for sockets.
//
// One wheel per io_context (an Asio service), used only from that io_context's thread. A deadline_entry is an
// intrusive node (no allocation): arming it stores an expiry time and, when needed, links it into a hashed
// wheel bucket (O(1)); re-arming an entry that is already linked into an earlier bucket only stores the new
// expiry (it is moved lazily when its bucket comes up). One steady_timer per wheel ticks every `tick` while
// entries are linked and stops ticking when none are. An expired entry is unlinked and its callback runs on
// the wheel's thread; it fires at most ~2 ticks late and never early.

// Asio first: Asio configures itself from what is included before it, and every translation unit of corio
// must agree.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace corio::net::detail {

class deadline_wheel;

/// A node of the wheel: embed it in the object whose operations time out (e.g. a stream).
class deadline_entry {
public:
    using callback = void (*)(void* context) noexcept;

    deadline_entry() noexcept = default;
    deadline_entry(const deadline_entry&) = delete;
    deadline_entry& operator=(const deadline_entry&) = delete;
    ~deadline_entry() { unlink(); }

    /// True when the last armed deadline expired (cleared by arm()).
    bool expired() const noexcept { return expired_; }
    bool armed() const noexcept { return expiry_ != never; }

private:
    friend class deadline_wheel;
    static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

    inline void unlink() noexcept;

    deadline_entry* prev_ = nullptr; // the bucket's head node when first
    deadline_entry* next_ = nullptr;
    deadline_wheel* wheel_ = nullptr; // set while linked
    std::uint64_t expiry_ = never;    // ns on the wheel's clock
    callback on_expire_ = nullptr;
    void* context_ = nullptr;
    std::uint32_t bucket_tick_ = 0; // the (truncated) tick of the bucket it is linked into
    bool expired_ = false;
};

class deadline_wheel final : public asio::execution_context::service {
public:
    using key_type = deadline_wheel;
    static inline asio::execution_context::id id;

    static constexpr std::chrono::milliseconds tick{10};
    static constexpr std::size_t slot_count = 512; // one revolution: 5.12 s

    explicit deadline_wheel(asio::io_context& context);
    deadline_wheel(const deadline_wheel&) = delete;
    deadline_wheel& operator=(const deadline_wheel&) = delete;
    ~deadline_wheel() override;

    /// The wheel of `context` (created on first use; takes a lock: call once per connection, not per op).
    static deadline_wheel& of(asio::io_context& context) {
        return asio::use_service<deadline_wheel>(context);
    }

    /// Arms `e` to call `on_expire(context)` after `timeout` (> 0) unless disarmed or re-armed first.
    void arm(deadline_entry& e, std::chrono::nanoseconds timeout, deadline_entry::callback on_expire,
             void* context) noexcept {
        e.expired_ = false;
        e.on_expire_ = on_expire;
        e.context_ = context;
        const std::uint64_t expiry = now_ns() + static_cast<std::uint64_t>(timeout.count());
        e.expiry_ = expiry;
        const std::uint64_t t = expiry / tick_ns;
        if (e.prev_ != nullptr && static_cast<std::uint32_t>(t - e.bucket_tick_) < (1u << 31)) {
            return; // still linked into an earlier bucket: it moves when that bucket comes up
        }
        e.unlink();
        link(e, t);
    }

    /// Disarms `e` (it stays linked until its bucket comes up or it is destroyed: cheap to re-arm).
    static void disarm(deadline_entry& e) noexcept { e.expiry_ = deadline_entry::never; }

    /// Entries linked into the wheel (armed or lazily disarmed).
    std::size_t linked() const noexcept { return linked_; }

    /// The clock the wheel uses (CLOCK_MONOTONIC_COARSE, in ns).
    static std::uint64_t now_ns() noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
               static_cast<std::uint64_t>(ts.tv_nsec);
    }

private:
    static constexpr std::uint64_t tick_ns =
        static_cast<std::uint64_t>(std::chrono::nanoseconds(tick).count());

    friend class deadline_entry;

    void shutdown() override;
    void link(deadline_entry& e, std::uint64_t t) noexcept;
    void start_ticking() noexcept;
    void on_tick() noexcept;

    asio::steady_timer timer_;
    deadline_entry heads_[slot_count];
    std::uint64_t next_tick_ = 0; // the next bucket tick to process
    std::size_t linked_ = 0;
    bool ticking_ = false;
    bool shut_down_ = false;
};

inline void deadline_entry::unlink() noexcept {
    if (prev_ != nullptr) {
        prev_->next_ = next_;
        if (next_ != nullptr) {
            next_->prev_ = prev_;
        }
        prev_ = next_ = nullptr;
        --wheel_->linked_;
        wheel_ = nullptr;
    }
}

} // namespace corio::net::detail
