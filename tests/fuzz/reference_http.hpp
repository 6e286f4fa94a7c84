#pragma once

// Small reference decoders the fuzz targets compare corio against. Written from the RFC 9112 grammar,
// independently of src/http (no shared tables or code), byte by byte and without any eye on speed.
//
// decode_chunked() judges a chunked body (RFC 9112 §7.1) as a *prefix*: `invalid` as soon as a byte
// makes the input impossible to complete, `incomplete` when it ran out of bytes. Where RFC 9112 leaves a
// choice it follows corio's documented strictness (parser.hpp): no whitespace between chunk-size and CRLF
// unless it leads to ";", extensions parsed and ignored, trailer fields parsed like header fields with
// obs-fold rejected, and corio's limits: a chunk line whose CR lies beyond `max_line` bytes (or that has
// no CR within max_line + 2 bytes) is invalid; chunk sizes adding up to more than `max_body` are
// `too_large` once their line is complete; more than `max_trailers` trailer fields are `too_many_fields`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corio::fuzz::reference {

using field_list = std::vector<std::pair<std::string, std::string>>;

inline bool is_tchar(unsigned char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
inline bool is_hexdig(unsigned char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline unsigned hex_value(unsigned char c) noexcept {
    if (c <= '9') {
        return c - '0';
    }
    return (c >= 'a' ? c - 'a' : c - 'A') + 10U;
}
inline bool is_ws(unsigned char c) noexcept {
    return c == ' ' || c == '\t';
}
/// field-vchar / SP / HTAB / obs-text: what may appear in a field value (RFC 9110 §5.5).
inline bool is_field_byte(unsigned char c) noexcept {
    return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}
inline bool is_qdtext(unsigned char c) noexcept {
    return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c != 0x7f);
}
inline std::string_view trim(std::string_view v) noexcept {
    while (!v.empty() && is_ws(static_cast<unsigned char>(v.front()))) {
        v.remove_prefix(1);
    }
    while (!v.empty() && is_ws(static_cast<unsigned char>(v.back()))) {
        v.remove_suffix(1);
    }
    return v;
}
inline bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<unsigned char>(a[i]);
        auto y = static_cast<unsigned char>(b[i]);
        x = (x >= 'A' && x <= 'Z') ? x + 32 : x;
        y = (y >= 'A' && y <= 'Z') ? y + 32 : y;
        if (x != y) {
            return false;
        }
    }
    return true;
}

enum class verdict : std::uint8_t { ok, incomplete, invalid, too_large, too_many_fields };

struct chunked_limits {
    std::uint64_t max_body = UINT64_MAX;
    std::size_t max_line = SIZE_MAX / 4;
    std::size_t max_trailers = SIZE_MAX;
};

struct chunked_result {
    verdict result = verdict::incomplete;
    std::string body;         ///< the data decoded so far (all of it for ok)
    field_list trailers;      ///< values trimmed; complete only for ok
    std::size_t consumed = 0; ///< for ok: bytes of the chunked body, trailer section included
};

namespace detail {

// One chunk line starting at `start`. Byte access goes through get(): it knows the line cap.
class chunk_line {
public:
    static constexpr int end_of_input = -1;
    static constexpr int too_long = -2;

    chunk_line(std::string_view in, std::size_t start, std::size_t max_line) noexcept
        : in_(in), start_(start), max_line_(max_line) {}

    int get(std::size_t k) const noexcept {
        const std::size_t avail = in_.size() - start_;
        if (k >= max_line_ + 2) {
            return avail > max_line_ + 2 ? too_long : end_of_input;
        }
        return k < avail ? static_cast<unsigned char>(in_[start_ + k]) : end_of_input;
    }

    // Parses the line; on ok sets `size` and `length` (CRLF included).
    verdict parse(std::uint64_t& size, std::size_t& length) const noexcept {
        std::size_t k = 0;
        size = 0;
        int c = get(k);
        for (; c >= 0 && is_hexdig(static_cast<unsigned char>(c)); c = get(++k)) {
            if (size > (UINT64_MAX >> 4)) {
                return verdict::invalid; // chunk-size overflow
            }
            size = size * 16 + hex_value(static_cast<unsigned char>(c));
        }
        if (c < 0) {
            return fail(c);
        }
        if (k == 0) {
            return verdict::invalid;
        }
        for (;;) {
            std::size_t j = k;
            while ((c = get(j)) >= 0 && is_ws(static_cast<unsigned char>(c))) {
                ++j;
            }
            if (c < 0) {
                return fail(c);
            }
            if (c == '\r') {
                if (j != k) {
                    return verdict::invalid; // BWS may only precede ";" or "="
                }
                break;
            }
            if (c != ';') {
                return verdict::invalid;
            }
            ++j;
            while ((c = get(j)) >= 0 && is_ws(static_cast<unsigned char>(c))) {
                ++j;
            }
            const std::size_t name_start = j;
            while ((c = get(j)) >= 0 && is_tchar(static_cast<unsigned char>(c))) {
                ++j;
            }
            if (c < 0) {
                return fail(c);
            }
            if (j == name_start) {
                return verdict::invalid;
            }
            k = j; // after the ext-name
            while ((c = get(j)) >= 0 && is_ws(static_cast<unsigned char>(c))) {
                ++j;
            }
            if (c < 0) {
                return fail(c);
            }
            if (c != '=') {
                continue; // back to k: whitespace there must lead to ";"
            }
            ++j;
            while ((c = get(j)) >= 0 && is_ws(static_cast<unsigned char>(c))) {
                ++j;
            }
            if (c < 0) {
                return fail(c);
            }
            if (c == '"') {
                for (++j;;) {
                    c = get(j);
                    if (c < 0) {
                        return fail(c);
                    }
                    if (c == '"') {
                        ++j;
                        break;
                    }
                    if (c == '\\') {
                        c = get(++j);
                        if (c < 0) {
                            return fail(c);
                        }
                        if (!is_field_byte(static_cast<unsigned char>(c))) {
                            return verdict::invalid;
                        }
                    } else if (!is_qdtext(static_cast<unsigned char>(c))) {
                        return verdict::invalid;
                    }
                    ++j;
                }
            } else {
                const std::size_t value_start = j;
                while ((c = get(j)) >= 0 && is_tchar(static_cast<unsigned char>(c))) {
                    ++j;
                }
                if (c < 0) {
                    return fail(c);
                }
                if (j == value_start) {
                    return verdict::invalid;
                }
            }
            k = j;
        }
        // The CR is at k.
        if (k > max_line_) {
            return verdict::invalid;
        }
        c = get(k + 1);
        if (c < 0) {
            return fail(c);
        }
        if (c != '\n') {
            return verdict::invalid;
        }
        length = k + 2;
        return verdict::ok;
    }

private:
    static verdict fail(int c) noexcept { return c == too_long ? verdict::invalid : verdict::incomplete; }

    std::string_view in_;
    std::size_t start_;
    std::size_t max_line_;
};

// Field lines up to and including the empty line, from `pos`. Sets `pos` after the section on ok.
inline verdict parse_fields(std::string_view in, std::size_t& pos, std::size_t max_fields, field_list& out) {
    const std::size_t n = in.size();
    for (;;) {
        if (pos == n) {
            return verdict::incomplete;
        }
        auto c = static_cast<unsigned char>(in[pos]);
        if (c == '\r') {
            if (pos + 1 == n) {
                return verdict::incomplete;
            }
            if (in[pos + 1] != '\n') {
                return verdict::invalid;
            }
            pos += 2;
            return verdict::ok;
        }
        if (is_ws(c)) {
            return verdict::invalid; // obs-fold
        }
        if (out.size() >= max_fields) {
            return verdict::too_many_fields;
        }
        std::size_t i = pos;
        while (i < n && is_tchar(static_cast<unsigned char>(in[i]))) {
            ++i;
        }
        if (i == n) {
            return verdict::incomplete;
        }
        if (in[i] != ':' || i == pos) {
            return verdict::invalid;
        }
        const std::string_view name = in.substr(pos, i - pos);
        const std::size_t value_start = ++i;
        while (i < n && is_field_byte(static_cast<unsigned char>(in[i]))) {
            ++i;
        }
        if (i == n) {
            return verdict::incomplete;
        }
        if (in[i] != '\r') {
            return verdict::invalid;
        }
        if (i + 1 == n) {
            return verdict::incomplete;
        }
        if (in[i + 1] != '\n') {
            return verdict::invalid;
        }
        out.emplace_back(std::string(name), std::string(trim(in.substr(value_start, i - value_start))));
        pos = i + 2;
    }
}

} // namespace detail

/// Decodes the chunked body at the start of `in` (bytes after it are ignored).
inline chunked_result decode_chunked(std::string_view in, const chunked_limits& limits = {}) {
    chunked_result r;
    std::size_t pos = 0;
    std::uint64_t total = 0;
    for (;;) {
        std::uint64_t size = 0;
        std::size_t length = 0;
        const verdict line = detail::chunk_line(in, pos, limits.max_line).parse(size, length);
        if (line != verdict::ok) {
            r.result = line;
            return r;
        }
        if (size > limits.max_body - total) {
            r.result = verdict::too_large;
            return r;
        }
        total += size;
        pos += length;
        if (size == 0) {
            break;
        }
        const std::size_t avail = in.size() - pos;
        if (avail < size) {
            r.body.append(in.substr(pos));
            r.result = verdict::incomplete;
            return r;
        }
        r.body.append(in.substr(pos, static_cast<std::size_t>(size)));
        pos += static_cast<std::size_t>(size);
        for (const char expected : {'\r', '\n'}) {
            if (pos == in.size()) {
                r.result = verdict::incomplete;
                return r;
            }
            if (in[pos] != expected) {
                r.result = verdict::invalid;
                return r;
            }
            ++pos;
        }
    }
    r.result = detail::parse_fields(in, pos, limits.max_trailers, r.trailers);
    if (r.result == verdict::ok) {
        r.consumed = pos;
    } else {
        r.trailers.clear();
    }
    return r;
}

/// One response as a client reads it.
struct response {
    unsigned code = 0;
    std::string reason;
    field_list fields; ///< values trimmed
    std::string body;
    field_list trailers;
};

/// Reads one response from the front of `in`; false if it is malformed or incomplete. A response to
/// HEAD (`no_body`) has no body whatever its fields say; otherwise the body is framed by
/// Transfer-Encoding: chunked or Content-Length (exactly one of them), or absent for 1xx, 204 and 304.
/// Sets `consumed` to the response's length.
inline bool read_response(std::string_view in, bool no_body, response& out, std::size_t& consumed) {
    out = {};
    constexpr std::string_view version = "HTTP/1.1 ";
    if (in.substr(0, version.size()) != version || in.size() < version.size() + 4) {
        return false;
    }
    std::size_t pos = version.size();
    for (std::size_t i = 0; i < 3; ++i) {
        const char c = in[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        out.code = out.code * 10 + static_cast<unsigned>(c - '0');
    }
    pos += 3;
    if (in[pos] != ' ') {
        return false;
    }
    ++pos;
    const std::size_t reason_start = pos;
    while (pos < in.size() && is_field_byte(static_cast<unsigned char>(in[pos]))) {
        ++pos;
    }
    if (in.substr(pos, 2) != "\r\n") {
        return false;
    }
    out.reason = std::string(in.substr(reason_start, pos - reason_start));
    pos += 2;
    if (detail::parse_fields(in, pos, SIZE_MAX, out.fields) != verdict::ok) {
        return false;
    }
    const std::string* content_length = nullptr;
    const std::string* transfer_encoding = nullptr;
    for (const auto& [name, value] : out.fields) {
        if (iequal(name, "content-length")) {
            if (content_length != nullptr) {
                return false;
            }
            content_length = &value;
        } else if (iequal(name, "transfer-encoding")) {
            if (transfer_encoding != nullptr) {
                return false;
            }
            transfer_encoding = &value;
        }
    }
    const bool bodiless = out.code < 200 || out.code == 204 || out.code == 304;
    if (bodiless && (content_length != nullptr || transfer_encoding != nullptr)) {
        return false;
    }
    if (content_length != nullptr && transfer_encoding != nullptr) {
        return false;
    }
    if (no_body || bodiless) {
        consumed = pos;
        return true;
    }
    if (transfer_encoding != nullptr) {
        if (!iequal(*transfer_encoding, "chunked")) {
            return false;
        }
        chunked_result c = decode_chunked(in.substr(pos));
        if (c.result != verdict::ok) {
            return false;
        }
        out.body = std::move(c.body);
        out.trailers = std::move(c.trailers);
        consumed = pos + c.consumed;
        return true;
    }
    if (content_length == nullptr || content_length->empty() || content_length->size() > 18) {
        return false;
    }
    std::size_t length = 0;
    for (const char c : *content_length) {
        if (c < '0' || c > '9') {
            return false;
        }
        length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    if (in.size() - pos < length) {
        return false;
    }
    out.body = std::string(in.substr(pos, length));
    consumed = pos + length;
    return true;
}

} // namespace corio::fuzz::reference
