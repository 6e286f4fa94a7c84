#include "corio/http/serializer.hpp"

#include <charconv>
#include <stdexcept>

#include "corio/http/detail/char_class.hpp"

namespace corio::http {

namespace {

void append_status_line(std::string& out, status s) {
    const unsigned code = to_int(s);
    char line[64] = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' '};
    line[9] = static_cast<char>('0' + code / 100 % 10);
    line[10] = static_cast<char>('0' + code / 10 % 10);
    line[11] = static_cast<char>('0' + code % 10);
    line[12] = ' ';
    const std::string_view reason = reason_phrase(s);
    std::size_t n = 13;
    for (const char c : reason) {
        line[n++] = c;
    }
    line[n++] = '\r';
    line[n++] = '\n';
    out.append(line, n);
}

void append_common(std::string& out, const response_head& head, std::string_view date) {
    append_status_line(out, head.status);
    out.append("Server: corio\r\nDate: ");
    out.append(date);
    out.append("\r\n");
    for (const header& h : head.headers) {
        if (h.name.empty()) {
            throw std::invalid_argument("corio::http: empty response field name");
        }
        for (const char c : h.name) {
            if (!detail::is(c, detail::tchar)) {
                throw std::invalid_argument("corio::http: invalid response field name");
            }
        }
        for (const char c : h.value) {
            if (!detail::is(c, detail::field_vchar)) {
                throw std::invalid_argument("corio::http: invalid response field value");
            }
        }
        out.append(h.name);
        out.append(": ");
        out.append(h.value);
        out.append("\r\n");
    }
}

void append_connection_and_end(std::string& out, connection_header c) {
    switch (c) {
    case connection_header::none:
        out.append("\r\n");
        break;
    case connection_header::close:
        out.append("Connection: close\r\n\r\n");
        break;
    case connection_header::keep_alive:
        out.append("Connection: keep-alive\r\n\r\n");
        break;
    }
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
    append_common(out, head, date);
    if (!status_forbids_body(head.status)) {
        char digits[24];
        const auto r = std::to_chars(digits, digits + sizeof digits, content_length);
        out.append("Content-Length: ");
        out.append(digits, static_cast<std::size_t>(r.ptr - digits));
        out.append("\r\n");
    }
    append_connection_and_end(out, head.connection);
}

void write_response(std::string& out, const response_head& head, std::string_view date, std::string_view body,
                    bool head_request) {
    write_head(out, head, date, body.size());
    if (!head_request && !status_forbids_body(head.status)) {
        out.append(body);
    }
}

void write_chunked_head(std::string& out, const response_head& head, std::string_view date) {
    append_common(out, head, date);
    if (!status_forbids_body(head.status)) {
        out.append("Transfer-Encoding: chunked\r\n");
    }
    append_connection_and_end(out, head.connection);
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
    out.append("0\r\n");
    for (const header& h : trailers) {
        if (h.name.empty()) {
            throw std::invalid_argument("corio::http: empty trailer field name");
        }
        for (const char c : h.name) {
            if (!detail::is(c, detail::tchar)) {
                throw std::invalid_argument("corio::http: invalid trailer field name");
            }
        }
        for (const char c : h.value) {
            if (!detail::is(c, detail::field_vchar)) {
                throw std::invalid_argument("corio::http: invalid trailer field value");
            }
        }
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
