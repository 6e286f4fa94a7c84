#pragma once

// Request-target helpers for the server side: splitting a target into path and query, percent-decoding.

#include <optional>
#include <string>
#include <string_view>

namespace corio::http {

/// The parts of a request-target the router needs. Views into the target.
struct target_parts {
    std::string_view path;  ///< starts with '/' (or is "*" for the asterisk-form)
    std::string_view query; ///< after '?', without it
};

/// Splits an origin-form ("/p?q"), absolute-form ("http://host/p?q", RFC 9112 §3.2.2: a server must accept
/// it; an empty path becomes "/") or asterisk-form ("*") target. Authority-form and anything else give
/// nullopt (answer 400). A fragment ('#') is not allowed in a request-target: nullopt.
std::optional<target_parts> split_target(std::string_view target) noexcept;

/// How percent_decode ended.
enum class decode_result : unsigned char {
    ok,
    malformed,     ///< '%' not followed by two hex digits
    nul,           ///< decodes to a NUL byte
    encoded_slash, ///< "%2F" or "%2f" (only reported when asked)
};

/// Appends the percent-decoding of `in` to `out` ('+' is left as is: it means space only in forms).
decode_result percent_decode(std::string_view in, std::string& out, bool reject_encoded_slash = false);

} // namespace corio::http
