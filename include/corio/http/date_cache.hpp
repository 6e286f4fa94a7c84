#pragma once

// The HTTP Date field value, formatted at most once per second.

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace corio::http {

/// Formats `unix_seconds` as an IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
/// (always 29 characters) into `out`.
void format_http_date(std::int64_t unix_seconds, std::array<char, 29>& out) noexcept;

/// Caches the Date value of the current second. One per thread (see thread_date_cache()); not thread-safe.
/// The clock is injectable so tests can drive it.
class date_cache {
public:
    using clock_function = std::chrono::system_clock::time_point (*)() noexcept;

    /// Reads the system clock.
    static std::chrono::system_clock::time_point system_now() noexcept {
        return std::chrono::system_clock::now();
    }

    explicit date_cache(clock_function clock = &system_now) noexcept : clock_(clock) {}

    /// The Date value for the clock's current time. The text is reformatted only when the second changes;
    /// the view stays valid until the next call that reformats it.
    std::string_view now() noexcept { return at(clock_()); }
    /// The Date value for `t`, reformatted only if `t` falls in another second than the cached one.
    std::string_view at(std::chrono::system_clock::time_point t) noexcept;
    /// The Date value of the last now() or at() call, without reading the clock (an event loop refreshes the
    /// cache once per round, as nginx does, and its handlers take this). Reads the clock on first use.
    std::string_view last() noexcept {
        if (second_ == INT64_MIN) {
            return now();
        }
        return {text_.data(), text_.size()};
    }
    /// How many times the text was formatted (for tests and statistics).
    std::uint64_t refreshes() const noexcept { return refreshes_; }

private:
    clock_function clock_;
    std::int64_t second_ = INT64_MIN;
    std::uint64_t refreshes_ = 0;
    std::array<char, 29> text_{};
};

/// The calling thread's date cache, on the system clock.
date_cache& thread_date_cache() noexcept;

} // namespace corio::http
