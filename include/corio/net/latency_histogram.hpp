#pragma once

// corio::net::latency_histogram: a log-linear histogram of durations (HDR-like), for load generators.
//
// Values (nanoseconds) are counted in buckets of 32 per power of two, so a reported percentile is within
// ~3 % of the true value (and never above the maximum seen). Recording is a few instructions, never
// allocates and is not thread-safe: keep one histogram per thread and merge() them at the end.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace corio::net {

class latency_histogram {
public:
    static constexpr unsigned sub_bits = 5;
    static constexpr std::size_t sub_count = std::size_t{1} << sub_bits;
    static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

    void record(std::uint64_t ns) noexcept {
        ++counts_[index_of(ns)];
        ++count_;
        sum_ += ns;
        if (ns > max_) {
            max_ = ns;
        }
        if (ns < min_) {
            min_ = ns;
        }
    }

    void merge(const latency_histogram& other) noexcept {
        for (std::size_t i = 0; i < bucket_count; ++i) {
            counts_[i] += other.counts_[i];
        }
        count_ += other.count_;
        sum_ += other.sum_;
        max_ = other.max_ > max_ ? other.max_ : max_;
        min_ = other.min_ < min_ ? other.min_ : min_;
    }

    void reset() noexcept { *this = latency_histogram{}; }

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t max() const noexcept { return max_; }
    std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
    double mean() const noexcept {
        return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
    }

    /// The value at percentile `p` (0-100]: the upper bound of the bucket holding it, capped at max().
    std::uint64_t percentile(double p) const noexcept {
        if (count_ == 0) {
            return 0;
        }
        auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.999999);
        rank = rank == 0 ? 1 : (rank > count_ ? count_ : rank);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen >= rank) {
                const std::uint64_t upper = upper_bound_of(i);
                return upper < max_ ? upper : max_;
            }
        }
        return max_;
    }

    static std::size_t index_of(std::uint64_t v) noexcept {
        if (v < 2 * sub_count) {
            return static_cast<std::size_t>(v);
        }
        const unsigned magnitude = 63u - static_cast<unsigned>(std::countl_zero(v));
        const unsigned shift = magnitude - sub_bits;
        return static_cast<std::size_t>(shift) * sub_count + static_cast<std::size_t>(v >> shift);
    }

    /// The largest value that falls into bucket `i`.
    static std::uint64_t upper_bound_of(std::size_t i) noexcept {
        if (i < 2 * sub_count) {
            return i;
        }
        const std::size_t shift = i / sub_count - 1;
        const std::uint64_t s = i % sub_count + sub_count;
        return ((s + 1) << shift) - 1;
    }

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = ~std::uint64_t{0};
};

} // namespace corio::net
