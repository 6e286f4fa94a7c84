#pragma once

// Shared pieces of the fuzz targets: a check macro that aborts (libFuzzer and the replay driver both
// report an abort as a failure), the split-plan prefix most targets read from the front of their input,
// and a byte reader for targets that build structured values from the input.
//
// Input layout read by read_plan() (documented in tests/fuzz/README.md):
//   byte 0        low 4 bits: k, the number of piece-size bytes that follow (0..15)
//                 high 4 bits: flags, target-specific (flag_bit(0) .. flag_bit(3))
//   bytes 1..k    piece sizes: byte value + 1 (1..256); a last piece takes the rest
//   the rest      the payload (for the parser targets: the bytes of the connection)

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define CORIO_FUZZ_CHECK(cond)                                                                               \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);               \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)

namespace corio::fuzz {

/// How a target feeds its payload: fuzzer-chosen piece sizes plus four flag bits.
struct split_plan {
    unsigned flags = 0; ///< 4 bits
    std::vector<std::size_t> pieces;
    std::string_view payload;

    bool flag(unsigned bit) const noexcept { return ((flags >> bit) & 1U) != 0; }
};

inline split_plan read_plan(const std::uint8_t* data, std::size_t size) {
    split_plan plan;
    if (size == 0) {
        return plan;
    }
    const std::size_t k = data[0] & 0x0fU;
    plan.flags = data[0] >> 4U;
    std::size_t at = 1;
    for (; at <= k && at < size; ++at) {
        plan.pieces.push_back(std::size_t{data[at]} + 1);
    }
    plan.payload = std::string_view(reinterpret_cast<const char*>(data) + at, size - at);
    return plan;
}

/// Reads small integers and length-prefixed strings from the input, front to back; returns zeros and
/// empty strings once the input is exhausted (so every input is a valid program).
class byte_reader {
public:
    byte_reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

    std::uint8_t u8() noexcept { return at_ < size_ ? data_[at_++] : 0; }
    std::uint16_t u16() noexcept {
        const auto hi = static_cast<unsigned>(u8());
        return static_cast<std::uint16_t>((hi << 8U) | u8());
    }
    std::uint32_t u32() noexcept {
        const auto hi = static_cast<std::uint32_t>(u16());
        return (hi << 16U) | u16();
    }
    /// A string of up to `max_length` bytes, its length given by the next byte.
    std::string_view string(std::size_t max_length) noexcept {
        const std::size_t want = u8() % (max_length + 1);
        const std::size_t n = want < size_ - at_ ? want : size_ - at_;
        const std::string_view s(reinterpret_cast<const char*>(data_) + at_, n);
        at_ += n;
        return s;
    }
    bool empty() const noexcept { return at_ >= size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

/// True if `inner` lies entirely inside `outer` (an empty view anywhere inside or at the end counts).
inline bool points_into(std::string_view inner, std::string_view outer) noexcept {
    if (inner.empty()) {
        return true;
    }
    const auto lo = reinterpret_cast<std::uintptr_t>(outer.data());
    const auto p = reinterpret_cast<std::uintptr_t>(inner.data());
    return p >= lo && p + inner.size() <= lo + outer.size();
}

} // namespace corio::fuzz
