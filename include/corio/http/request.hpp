#pragma once

// A parsed HTTP/1.1 request head: views into the caller's buffer, no copies.

#include <cstdint>
#include <string_view>
#include <vector>

namespace corio::http {

/// One field line. Both views point into the buffer the parser was given; the value has no leading or
/// trailing whitespace (RFC 9110 §5.5).
struct header {
    std::string_view name;
    std::string_view value;
};

/// The methods corio knows by name. Any other token is a valid method too (RFC 9110 §9.1): it parses as
/// `verb::other` and the server answers 501 Not Implemented for methods it does not implement.
enum class verb : std::uint8_t { other, get, head, post, put, delete_, connect, options, trace, patch };

/// The verb for a method token (methods are case-sensitive: "get" is `other`).
verb verb_from_method(std::string_view method) noexcept;

/// ASCII case-insensitive equality, as field names and most field-value tokens need.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// How the request's body is framed (RFC 9112 §6.3).
enum class body_framing : std::uint8_t { none, content_length, chunked };

/// A request head. Filled by request_parser; the string views point into the buffer passed to the
/// parse() call that returned parse_event::head, and stay valid as long as the caller keeps those bytes
/// where they were. The vectors keep their capacity from one request to the next (no allocation in
/// steady state).
struct request {
    std::string_view method; ///< the method token, e.g. "GET"
    http::verb verb = http::verb::other;
    std::string_view target; ///< the request-target as sent (origin-, absolute-, authority- or asterisk-form)
    std::uint8_t version_major = 1;
    std::uint8_t version_minor = 1;
    std::vector<header> headers;  ///< in the order received, duplicates kept
    std::vector<header> trailers; ///< trailer fields of a chunked body, valid after message_complete
    std::string_view host;        ///< the Host field value (empty if absent or empty)
    body_framing framing = body_framing::none;
    std::uint64_t content_length = 0; ///< the Content-Length when framing == content_length
    /// The connection may be reused after the response: HTTP/1.1 unless "Connection: close", HTTP/1.0 only
    /// with "Connection: keep-alive"; always false for CONNECT and for upgrade requests (corio performs no
    /// upgrade and closes, since the client may already be sending the other protocol).
    bool keep_alive = true;
    /// "Expect: 100-continue" on an HTTP/1.1 request (ignored on HTTP/1.0, RFC 9110 §10.1.1).
    bool expect_continue = false;
    /// CONNECT, or "Upgrade" with a "Connection: upgrade" token on HTTP/1.1. The parser stops after such a
    /// message: the server answers it (501 for CONNECT, or the plain response ignoring Upgrade) and closes.
    bool upgrade = false;

    /// The first field with this name (case-insensitive), or nullptr.
    const header* find(std::string_view name) const noexcept;
    /// The value of the first field with this name, or an empty view.
    std::string_view value_of(std::string_view name) const noexcept {
        const header* h = find(name);
        return h ? h->value : std::string_view{};
    }
    bool has_body() const noexcept { return framing != body_framing::none; }
};

} // namespace corio::http
