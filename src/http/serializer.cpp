#include "corio/http/serializer.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "corio/http/detail/char_class.hpp"
#include "corio/http/detail/swar.hpp"

namespace corio::http {

namespace {

// Field validation runs on every response, so it checks eight bytes at a time and looks at single bytes
// only when a word holds something suspicious.
/// True when some byte of `w` is below 0x20 or is 0x7f (DEL).
constexpr bool has_ctl(std::uint64_t w) noexcept {
    return (detail::bytes_below(w, 0x20) | detail::bytes_equal(w, 0x7f)) != 0;
}

bool valid_value_bytes(std::string_view v) noexcept {
    for (const char c : v) {
        if (!detail::is(c, detail::field_vchar)) {
            return false;
        }
    }
    return true;
}

bool valid_value(std::string_view v) noexcept {
    const std::size_t n = v.size();
    if (n < 8) {
        return valid_value_bytes(v);
    }
    std::uint64_t w;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::memcpy(&w, v.data() + i, 8);
        if (has_ctl(w)) {
            return valid_value_bytes(v); // HTAB is allowed: the byte loop decides
        }
    }
    if (i != n) {
        std::memcpy(&w, v.data() + n - 8, 8); // the last 8 bytes, overlapping the last word
        if (has_ctl(w)) {
            return valid_value_bytes(v);
        }
    }
    return true;
}

bool valid_name(std::string_view n) noexcept {
    if (n.empty()) {
        return false;
    }
    for (const char c : n) {
        if (!detail::is(c, detail::tchar)) {
            return false;
        }
    }
    return true;
}

void check_fields(std::span<const header> fields, const char* what_name, const char* what_value) {
    for (const header& h : fields) {
        if (!valid_name(h.name)) {
            throw std::invalid_argument(what_name);
        }
        if (!valid_value(h.value)) {
            throw std::invalid_argument(what_value);
        }
    }
}

constexpr std::string_view server_and_date = "Server: corio\r\nDate: ";
constexpr std::size_t date_length = 29; // an IMF-fixdate
constexpr std::string_view content_length_name = "Content-Length: ";
constexpr std::string_view content_type_name = "Content-Type: ";
constexpr std::string_view chunked_line = "Transfer-Encoding: chunked\r\n";

std::string_view connection_line(connection_header c) noexcept {
    switch (c) {
    case connection_header::close:
        return "Connection: close\r\n";
    case connection_header::keep_alive:
        return "Connection: keep-alive\r\n";
    case connection_header::none:
        break;
    }
    return {};
}

/// Copies the first and the last sizeof(Word) bytes of the n at `src` (sizeof(Word) <= n <= 2 sizeof(Word)):
/// together they cover all n.
template <class Word>
inline void copy_ends(char* p, const char* src, std::size_t n) noexcept {
    Word a;
    Word b;
    std::memcpy(&a, src, sizeof(Word));
    std::memcpy(&b, src + n - sizeof(Word), sizeof(Word));
    std::memcpy(p, &a, sizeof(Word));
    std::memcpy(p + n - sizeof(Word), &b, sizeof(Word));
}

/// Copies `s` to `p`: short pieces (most of a head: reason, type, digits, small bodies) with a few word
/// moves instead of a call to memcpy.
inline char* put(char* p, std::string_view s) noexcept {
    const std::size_t n = s.size();
    const char* src = s.data();
    if (n >= 8 && n <= 16) {
        copy_ends<std::uint64_t>(p, src, n);
    } else if (n >= 4 && n < 8) {
        copy_ends<std::uint32_t>(p, src, n);
    } else if (n > 0 && n < 4) {
        p[0] = src[0];
        p[n / 2] = src[n / 2];
        p[n - 1] = src[n - 1];
    } else if (n > 16) { // an empty view's data() may be null, which memcpy must not get
        std::memcpy(p, src, n);
    }
    return p + n;
}

/// What ends the head: a Content-Length (`length_digits` non-empty), chunked framing, or neither.
struct framing {
    std::string_view length_digits;
    bool chunked = false;
};

/// Appends the whole head (and `body`) in one pass: sizes everything first, grows `out` once and writes.
void append_message(std::string& out, const response_head& head, std::string_view date, framing f,
                    std::string_view body) {
    if (!head.headers.empty()) {
        check_fields(head.headers, "corio::http: invalid response field name",
                     "corio::http: invalid response field value");
    }
    if (!valid_value(head.content_type)) {
        throw std::invalid_argument("corio::http: invalid response field value");
    }
    const bool ok = head.status == http::status::ok;
    const unsigned code = to_int(head.status);
    const std::string_view reason = ok ? std::string_view("OK") : reason_phrase(head.status);
    const std::string_view connection = connection_line(head.connection);
    std::size_t size = 13 + reason.size() + 2 + server_and_date.size() + date.size() + 2;
    if (!head.content_type.empty()) {
        size += content_type_name.size() + head.content_type.size() + 2;
    }
    for (const header& h : head.headers) {
        size += h.name.size() + 2 + h.value.size() + 2;
    }
    if (!f.length_digits.empty()) {
        size += content_length_name.size() + f.length_digits.size() + 2;
    } else if (f.chunked) {
        size += chunked_line.size();
    }
    size += connection.size() + 2 + body.size();

    const std::size_t start = out.size();
    out.resize(start + size);
    char* p = out.data() + start;
    if (ok) {
        p = put(p, "HTTP/1.1 200 OK\r\n"); // the commonest line, in one constant-size copy
    } else {
        p = put(p, "HTTP/1.1 ");
        p[0] = static_cast<char>('0' + code / 100 % 10);
        p[1] = static_cast<char>('0' + code / 10 % 10);
        p[2] = static_cast<char>('0' + code % 10);
        p[3] = ' ';
        p = put(p + 4, reason);
        p = put(p, "\r\n");
    }
    p = put(p, server_and_date);
    if (date.size() == date_length) {
        std::memcpy(p, date.data(), date_length); // constant size: no call
        p += date_length;
    } else {
        p = put(p, date);
    }
    p = put(p, "\r\n");
    if (!head.content_type.empty()) {
        p = put(p, content_type_name);
        p = put(p, head.content_type);
        p = put(p, "\r\n");
    }
    for (const header& h : head.headers) {
        p = put(p, h.name);
        p = put(p, ": ");
        p = put(p, h.value);
        p = put(p, "\r\n");
    }
    if (!f.length_digits.empty()) {
        p = put(p, content_length_name);
        p = put(p, f.length_digits);
        p = put(p, "\r\n");
    } else if (f.chunked) {
        p = put(p, chunked_line);
    }
    p = put(p, connection);
    p = put(p, "\r\n");
    put(p, body);
}

/// A head with Content-Length (unless the status forbids content) and then `body`.
void append_sized(std::string& out, const response_head& head, std::string_view date, std::uint64_t length,
                  std::string_view body) {
    char digits[24];
    framing f;
    if (!status_forbids_body(head.status)) {
        const auto r = std::to_chars(digits, digits + sizeof digits, length);
        f.length_digits = {digits, static_cast<std::size_t>(r.ptr - digits)};
    }
    append_message(out, head, date, f, body);
}

} // namespace

connection_header connection_for(const request& req, bool server_closes) noexcept {
    if (server_closes || !req.keep_alive) {
        return connection_header::close;
    }
    return req.version_minor == 0 ? connection_header::keep_alive : connection_header::none;
}

void write_head(std::string& out, const response_head& head, std::string_view date,
                std::uint64_t content_length) {
    append_sized(out, head, date, content_length, {});
}

void write_response(std::string& out, const response_head& head, std::string_view date, std::string_view body,
                    bool head_request) {
    const bool send_body = !head_request && !status_forbids_body(head.status);
    append_sized(out, head, date, body.size(), send_body ? body : std::string_view{});
}

void write_chunked_head(std::string& out, const response_head& head, std::string_view date) {
    framing f;
    f.chunked = !status_forbids_body(head.status);
    append_message(out, head, date, f, {});
}

void write_chunk(std::string& out, std::string_view data) {
    if (data.empty()) {
        return;
    }
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, data.size(), 16);
    out.append(digits, static_cast<std::size_t>(r.ptr - digits));
    out.append("\r\n");
    out.append(data);
    out.append("\r\n");
}

void write_last_chunk(std::string& out, std::span<const header> trailers) {
    check_fields(trailers, "corio::http: invalid trailer field name",
                 "corio::http: invalid trailer field value");
    out.append("0\r\n");
    for (const header& h : trailers) {
        out.append(h.name);
        out.append(": ");
        out.append(h.value);
        out.append("\r\n");
    }
    out.append("\r\n");
}

void write_continue(std::string& out) {
    out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

} // namespace corio::http
