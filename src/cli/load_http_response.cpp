#include "load_http_response.hpp"

#include <cstring>

namespace corio::cli {

namespace {

constexpr std::size_t max_line_bytes = 8 * 1024; // chunk-size and trailer lines
constexpr std::uint64_t max_chunk_size = std::uint64_t{1} << 60;

bool is_tchar(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) {
        return true;
    }
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

/// A field-value / reason-phrase byte: HTAB, SP, VCHAR or obs-text (no CTL, no DEL).
bool is_text(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view v) noexcept {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    return v;
}

/// The position of the first CRLF in `data` at or after `from`, or npos.
std::size_t find_crlf(std::string_view data, std::size_t from = 0) noexcept {
    for (;;) {
        const std::size_t lf = data.find('\n', from);
        if (lf == std::string_view::npos) {
            return lf;
        }
        if (lf == 0 || data[lf - 1] != '\r') {
            return lf; // a bare LF: the caller sees no CR before it and fails
        }
        return lf - 1;
    }
}

} // namespace

response_parse_result response_parser::fail(std::size_t consumed, std::string_view why) noexcept {
    state_ = state::failed;
    error_ = why;
    return {consumed, response_event::error};
}

response_parse_result response_parser::complete(std::size_t consumed) noexcept {
    state_ = state::start;
    return {consumed, response_event::complete};
}

bool response_parser::parse_field(std::string_view name, std::string_view value) noexcept {
    if (iequals(name, "content-length")) {
        if (value.empty()) {
            return false;
        }
        std::uint64_t n = 0;
        for (const char c : value) {
            if (!is_digit(c) || n > (~std::uint64_t{0} - 9) / 10) {
                return false;
            }
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (content_length_seen_ && n != content_length_) {
            return false;
        }
        content_length_seen_ = true;
        content_length_ = n;
    } else if (iequals(name, "transfer-encoding")) {
        if (chunked_ || !iequals(value, "chunked")) {
            return false;
        }
        chunked_ = true;
    } else if (iequals(name, "connection")) {
        while (!value.empty()) {
            const std::size_t comma = value.find(',');
            const std::string_view token = trim(value.substr(0, comma));
            close_ = close_ || iequals(token, "close");
            keep_alive_token_ = keep_alive_token_ || iequals(token, "keep-alive");
            value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        }
    }
    return true;
}

// `head` is the status line and the field lines, each with its CRLF, without the final empty line.
bool response_parser::parse_head(std::string_view head) noexcept {
    std::size_t eol = find_crlf(head);
    if (eol == std::string_view::npos || head[eol] != '\r') {
        error_ = "bare LF in the status line";
        return false;
    }
    const std::string_view line = head.substr(0, eol);
    // "HTTP/1.x 200 reason"
    if (line.size() < 13 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ' ||
        !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || line[12] != ' ') {
        error_ = "invalid status line";
        return false;
    }
    for (const char c : line.substr(13)) {
        if (!is_text(c)) {
            error_ = "invalid reason phrase";
            return false;
        }
    }
    http10_ = line[7] == '0';
    status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status_ < 100) {
        error_ = "invalid status code";
        return false;
    }
    std::size_t pos = eol + 2;
    while (pos < head.size()) {
        eol = find_crlf(head, pos);
        if (eol == std::string_view::npos || head[eol] != '\r') {
            error_ = "bare LF in a field line";
            return false;
        }
        const std::string_view field = head.substr(pos, eol - pos);
        pos = eol + 2;
        const std::size_t colon = field.find(':');
        if (colon == 0 || colon == std::string_view::npos) {
            error_ = field.empty() || field[0] == ' ' || field[0] == '\t' ? "obs-fold or empty field line"
                                                                          : "field line without a colon";
            return false;
        }
        const std::string_view name = field.substr(0, colon);
        for (const char c : name) {
            if (!is_tchar(c)) {
                error_ = "invalid field name";
                return false;
            }
        }
        const std::string_view value = trim(field.substr(colon + 1));
        for (const char c : value) {
            if (!is_text(c)) {
                error_ = "invalid field value";
                return false;
            }
        }
        if (!parse_field(name, value)) {
            error_ = "invalid framing field (Content-Length, Transfer-Encoding)";
            return false;
        }
    }
    if (chunked_ && content_length_seen_) {
        error_ = "both Content-Length and Transfer-Encoding";
        return false;
    }
    return true;
}

response_parse_result response_parser::parse(std::string_view data) noexcept {
    std::size_t used = 0;
    for (;;) {
        const std::string_view rest = data.substr(used);
        switch (state_) {
        case state::failed:
            return {used, response_event::error};
        case state::start: {
            if (rest.empty()) {
                return {used, response_event::need_more};
            }
            // A response must start with its status line: check the first bytes early.
            constexpr std::string_view prefix = "HTTP/1.";
            if (rest.substr(0, prefix.size()) !=
                prefix.substr(0, rest.size() < prefix.size() ? rest.size() : prefix.size())) {
                return fail(used, "not an HTTP/1.x response");
            }
            const std::size_t end = rest.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (rest.size() > max_head_bytes) {
                    return fail(used, "response head too large");
                }
                // A bare CR or LF that can never become part of a CRLF CRLF is caught when the head ends;
                // a sender that never ends it runs into the limit.
                return {used, response_event::need_more};
            }
            if (end + 4 > max_head_bytes) {
                return fail(used, "response head too large");
            }
            status_ = 0;
            body_bytes_ = 0;
            remaining_ = 0;
            http10_ = false;
            content_length_seen_ = false;
            chunked_ = false;
            close_ = false;
            keep_alive_token_ = false;
            content_length_ = 0;
            if (!parse_head(rest.substr(0, end + 2))) {
                return fail(used, error_);
            }
            used += end + 4;
            if (status_ < 200) {
                return fail(used, "interim (1xx) response");
            }
            keep_alive_ = http10_ ? keep_alive_token_ && !close_ : !close_;
            if (head_request_ || status_ == 204 || status_ == 304) {
                return complete(used);
            }
            if (chunked_) {
                state_ = state::chunk_size;
            } else if (content_length_seen_) {
                if (content_length_ == 0) {
                    return complete(used);
                }
                remaining_ = content_length_;
                state_ = state::length_body;
            } else {
                keep_alive_ = false;
                state_ = state::until_close;
            }
            break;
        }
        case state::length_body: {
            if (rest.empty()) {
                return {used, response_event::need_more};
            }
            const std::uint64_t take = rest.size() < remaining_ ? rest.size() : remaining_;
            used += static_cast<std::size_t>(take);
            remaining_ -= take;
            body_bytes_ += take;
            if (remaining_ == 0) {
                return complete(used);
            }
            return {used, response_event::need_more};
        }
        case state::until_close:
            body_bytes_ += rest.size();
            return {data.size(), response_event::need_more};
        case state::chunk_size: {
            const std::size_t eol = find_crlf(rest);
            if (eol == std::string_view::npos) {
                if (rest.size() > max_line_bytes) {
                    return fail(used, "chunk-size line too long");
                }
                return {used, response_event::need_more};
            }
            if (rest[eol] != '\r') {
                return fail(used, "bare LF in a chunk-size line");
            }
            const std::string_view line = rest.substr(0, eol);
            std::uint64_t size = 0;
            std::size_t i = 0;
            for (; i < line.size(); ++i) {
                const int h = hex_value(line[i]);
                if (h < 0) {
                    break;
                }
                if (size > max_chunk_size) {
                    return fail(used, "chunk size overflows");
                }
                size = size * 16 + static_cast<std::uint64_t>(h);
            }
            if (i == 0) {
                return fail(used, "invalid chunk size");
            }
            std::string_view ext = trim(line.substr(i));
            if (!ext.empty()) {
                if (ext.front() != ';') {
                    return fail(used, "invalid chunk size");
                }
                for (const char c : ext) {
                    if (!is_text(c)) {
                        return fail(used, "invalid chunk extension");
                    }
                }
            }
            used += eol + 2;
            if (size == 0) {
                state_ = state::trailers;
            } else {
                remaining_ = size;
                state_ = state::chunk_data;
            }
            break;
        }
        case state::chunk_data: {
            if (rest.empty()) {
                return {used, response_event::need_more};
            }
            const std::uint64_t take = rest.size() < remaining_ ? rest.size() : remaining_;
            used += static_cast<std::size_t>(take);
            remaining_ -= take;
            body_bytes_ += take;
            if (remaining_ == 0) {
                state_ = state::chunk_crlf;
            }
            break;
        }
        case state::chunk_crlf:
            if (rest.size() < 2) {
                if (!rest.empty() && rest[0] != '\r') {
                    return fail(used, "chunk data not followed by CRLF");
                }
                return {used, response_event::need_more};
            }
            if (rest[0] != '\r' || rest[1] != '\n') {
                return fail(used, "chunk data not followed by CRLF");
            }
            used += 2;
            state_ = state::chunk_size;
            break;
        case state::trailers: {
            const std::size_t eol = find_crlf(rest);
            if (eol == std::string_view::npos) {
                if (rest.size() > max_line_bytes) {
                    return fail(used, "trailer line too long");
                }
                return {used, response_event::need_more};
            }
            if (rest[eol] != '\r') {
                return fail(used, "bare LF in the trailer section");
            }
            const std::string_view line = rest.substr(0, eol);
            used += eol + 2;
            if (line.empty()) {
                return complete(used);
            }
            const std::size_t colon = line.find(':');
            if (colon == 0 || colon == std::string_view::npos) {
                return fail(used, "invalid trailer field");
            }
            for (const char c : line.substr(0, colon)) {
                if (!is_tchar(c)) {
                    return fail(used, "invalid trailer field");
                }
            }
            for (const char c : line.substr(colon + 1)) {
                if (!is_text(c)) {
                    return fail(used, "invalid trailer field");
                }
            }
            break;
        }
        }
    }
}

response_event response_parser::finish(std::size_t unconsumed) noexcept {
    switch (state_) {
    case state::start:
        if (unconsumed == 0) {
            return response_event::need_more;
        }
        state_ = state::failed;
        error_ = "the connection ended inside a response head";
        return response_event::error;
    case state::until_close:
        state_ = state::start;
        keep_alive_ = false;
        return response_event::complete;
    case state::failed:
        return response_event::error;
    default:
        state_ = state::failed;
        error_ = "the connection ended inside a response";
        return response_event::error;
    }
}

} // namespace corio::cli
