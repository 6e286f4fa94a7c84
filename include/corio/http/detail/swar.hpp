#pragma once

// Byte tests on eight bytes at once in a 64-bit word (SWAR), shared by the parser, the serializer's field
// checks and the target splitter.

#include <cstdint>

namespace corio::http::detail {

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

/// The high bit of each byte of `w` below `n` (n <= 0x80). A borrow can flag bytes above a flagged one,
/// never below it, so the lowest flagged byte is exact, and "any byte flagged" is exact too.
constexpr std::uint64_t bytes_below(std::uint64_t w, std::uint64_t n) noexcept {
    return (w - ones * n) & ~w & highs;
}

/// The high bit of each byte of `w` equal to `c`; exact for the lowest one and for "any", as above.
constexpr std::uint64_t bytes_equal(std::uint64_t w, std::uint64_t c) noexcept {
    const std::uint64_t x = w ^ (ones * c);
    return (x - ones) & ~x & highs;
}

} // namespace corio::http::detail
