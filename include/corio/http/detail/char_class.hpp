#pragma once

// Byte classes of RFC 9110/9112 as 256-entry lookup tables.

#include <array>
#include <cstdint>
#include <string_view>

namespace corio::http::detail {

enum char_class : std::uint8_t {
    tchar = 1,       // token character (RFC 9110 §5.6.2)
    field_vchar = 2, // field-content byte: VCHAR, obs-text, SP, HTAB
    target_char = 4, // request-target byte accepted by corio: VCHAR (0x21-0x7E)
    hex_digit = 8,   // HEXDIG, upper or lower case
    host_char = 16,  // uri-host / port / IP-literal bytes (RFC 3986)
    qd_text = 32,    // quoted-string content: qdtext (RFC 9110 §5.6.4)
};

constexpr std::array<std::uint8_t, 256> make_char_classes() {
    std::array<std::uint8_t, 256> t{};
    constexpr std::string_view token_specials = "!#$%&'*+-.^_`|~";
    constexpr std::string_view host_specials = "-._~%!$&'()*+,;=:[]";
    for (int c = 0; c < 256; ++c) {
        std::uint8_t v = 0;
        const bool digit = c >= '0' && c <= '9';
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (digit || alpha || token_specials.find(static_cast<char>(c)) != std::string_view::npos) {
            v |= tchar;
        }
        if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') {
            v |= field_vchar;
        }
        if (c >= 0x21 && c <= 0x7e) {
            v |= target_char;
        }
        if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            v |= hex_digit;
        }
        if (digit || alpha || host_specials.find(static_cast<char>(c)) != std::string_view::npos) {
            v |= host_char;
        }
        if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) ||
            c >= 0x80) {
            v |= qd_text;
        }
        t[static_cast<std::size_t>(c)] = v;
    }
    return t;
}

inline constexpr std::array<std::uint8_t, 256> char_classes = make_char_classes();

constexpr bool is(char c, char_class k) noexcept {
    return (char_classes[static_cast<unsigned char>(c)] & k) != 0;
}

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

} // namespace corio::http::detail
