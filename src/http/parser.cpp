#include "corio/http/parser.hpp"

#include <algorithm>
#include <cstring>

#include "corio/http/detail/char_class.hpp"

namespace corio::http {

namespace {

using detail::char_class;
using detail::is;
using detail::is_ows;

constexpr std::string_view trim_ows(std::string_view v) noexcept {
    while (!v.empty() && is_ows(v.front())) {
        v.remove_prefix(1);
    }
    while (!v.empty() && is_ows(v.back())) {
        v.remove_suffix(1);
    }
    return v;
}

// Index of the first byte at or after `i` in [i, end) that is not of class `k` (end if none).
inline std::size_t skip_class(const char* s, std::size_t i, std::size_t end, char_class k) noexcept {
    while (i < end && is(s[i], k)) {
        ++i;
    }
    return i;
}

// Field values are the bulk of a head: check 8 bytes at a time for the bytes that stop a value
// (CTL other than HTAB, DEL), then fall back to the table for the block that holds one.
inline std::size_t skip_field_value(const char* s, std::size_t i, std::size_t end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    while (end - i >= 8) {
        std::uint64_t w;
        std::memcpy(&w, s + i, 8);
        // A byte < 0x20 or == 0x7f makes its high bit of `bad` set (no false negatives; the table decides).
        const std::uint64_t below_space = (w - ones * 0x20) & ~w;
        const std::uint64_t del = ((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f));
        if (((below_space | del) & highs) != 0) {
            break;
        }
        i += 8;
    }
    return skip_class(s, i, end, detail::field_vchar);
}

// Case-insensitive equality with a lower-case literal; inlined, so the letter test folds away.
template <std::size_t N>
inline bool iequals_literal(std::string_view a, const char (&lower)[N]) noexcept {
    if (a.size() != N - 1) {
        return false;
    }
    for (std::size_t i = 0; i < N - 1; ++i) {
        const char b = lower[i];
        const char c = (b >= 'a' && b <= 'z') ? static_cast<char>(a[i] | 0x20) : a[i];
        if (c != b) {
            return false;
        }
    }
    return true;
}

// Request-target bytes are VCHAR (0x21-0x7e): 8 at a time, the table for the block that ends the run.
inline std::size_t skip_target(const char* s, std::size_t i, std::size_t end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    while (end - i >= 8) {
        std::uint64_t w;
        std::memcpy(&w, s + i, 8);
        const std::uint64_t below = (w - ones * 0x21) & ~w;
        const std::uint64_t del = ((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f));
        if (((below | del | w) & highs) != 0) {
            break;
        }
        i += 8;
    }
    return skip_class(s, i, end, detail::target_char);
}

enum class special : std::uint8_t {
    other,
    host,
    content_length,
    transfer_encoding,
    connection,
    upgrade,
    expect
};

special classify(std::string_view name) noexcept {
    switch (name.size()) {
    case 4:
        return iequals_literal(name, "host") ? special::host : special::other;
    case 6:
        return iequals_literal(name, "expect") ? special::expect : special::other;
    case 7:
        return iequals_literal(name, "upgrade") ? special::upgrade : special::other;
    case 10:
        return iequals_literal(name, "connection") ? special::connection : special::other;
    case 14:
        return iequals_literal(name, "content-length") ? special::content_length : special::other;
    case 17:
        return iequals_literal(name, "transfer-encoding") ? special::transfer_encoding : special::other;
    default:
        return special::other;
    }
}

// Calls f(element) for each non-empty, OWS-trimmed element of a comma-separated list.
template <class F>
void for_each_element(std::string_view list, F&& f) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view element = trim_ows(list.substr(0, comma));
        if (!element.empty()) {
            f(element);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
}

} // namespace

request_parser::request_parser(const parser_options& options) : options_(options) {
    request_.headers.reserve(32);
    request_.trailers.reserve(4);
    fields_.reserve(32);
    begin_message();
}

bool request_parser::in_message() const noexcept {
    return state_ != state::start && state_ != state::closed && state_ != state::failed;
}

void request_parser::reset() noexcept {
    state_ = state::start;
    error_ = {};
    begin_message();
}

void request_parser::begin_section(bool is_head) noexcept {
    phase_ = is_head ? phase::method : phase::line_start;
    scan_ = 0;
    line_start_ = 0;
    colon_ = 0;
    fields_start_ = 0;
    fields_.clear();
}

void request_parser::begin_message() noexcept {
    begin_section(true);
    request_.method = {};
    request_.verb = verb::other;
    request_.target = {};
    request_.version_major = 1;
    request_.version_minor = 1;
    request_.headers.clear();
    request_.trailers.clear();
    request_.host = {};
    request_.framing = body_framing::none;
    request_.content_length = 0;
    request_.keep_alive = true;
    request_.expect_continue = false;
    request_.upgrade = false;
    method_length_ = target_offset_ = target_length_ = version_offset_ = 0;
    host_offset_ = host_length_ = host_count_ = 0;
    content_length_ = 0;
    content_length_seen_ = transfer_encoding_seen_ = chunked_seen_ = chunked_last_ = false;
    chunked_not_last_ = unknown_coding_ = false;
    connection_close_ = connection_keep_alive_ = connection_upgrade_ = false;
    upgrade_field_ = expect_continue_ = false;
    remaining_ = 0;
    body_total_ = 0;
    crlf_step_ = 0;
}

parse_result request_parser::fail(http::status status, std::string_view reason) noexcept {
    state_ = state::failed;
    error_ = {status, reason};
    return {0, parse_event::error, {}};
}

request_parser::section_status request_parser::section_error(http::status status,
                                                             std::string_view reason) noexcept {
    error_ = {status, reason};
    return section_status::failed;
}

parse_result request_parser::complete_message(std::size_t consumed) noexcept {
    state_ = request_.keep_alive ? state::start : state::closed;
    return {consumed, parse_event::message_complete, {}};
}

parse_result request_parser::parse(std::string_view data) {
    std::size_t pos = 0;
    const std::size_t n = data.size();
    for (;;) {
        switch (state_) {
        case state::start:
            while (n - pos >= 2 && data[pos] == '\r' && data[pos + 1] == '\n') {
                pos += 2;
            }
            if (pos == n || (n - pos == 1 && data[pos] == '\r')) {
                return {pos, parse_event::need_more, {}};
            }
            begin_message();
            state_ = state::head;
            continue;

        case state::head: {
            const std::string_view section = data.substr(pos);
            std::size_t length = 0;
            const section_status s = parse_section(section, true, length);
            if (s == section_status::incomplete) {
                return {pos, parse_event::need_more, {}};
            }
            if (s == section_status::failed || !finish_head(section)) {
                state_ = state::failed;
                return {0, parse_event::error, {}};
            }
            switch (request_.framing) {
            case body_framing::none:
                state_ = state::complete_pending;
                break;
            case body_framing::content_length:
                remaining_ = request_.content_length;
                state_ = state::body_length;
                break;
            case body_framing::chunked:
                state_ = state::chunk_size;
                break;
            }
            return {pos + length, parse_event::head, {}};
        }

        case state::body_length: {
            if (pos == n) {
                return {pos, parse_event::need_more, {}};
            }
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - pos));
            remaining_ -= take;
            if (remaining_ == 0) {
                state_ = state::complete_pending;
            }
            return {pos + take, parse_event::body, data.substr(pos, take)};
        }

        case state::chunk_size: {
            std::size_t length = 0;
            const section_status s = parse_chunk_line(data.substr(pos), length);
            if (s == section_status::incomplete) {
                return {pos, parse_event::need_more, {}};
            }
            if (s == section_status::failed) {
                state_ = state::failed;
                return {0, parse_event::error, {}};
            }
            pos += length;
            if (remaining_ == 0) {
                begin_section(false);
                state_ = state::trailers;
            } else {
                state_ = state::chunk_data;
            }
            continue;
        }

        case state::chunk_data: {
            if (pos == n) {
                return {pos, parse_event::need_more, {}};
            }
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - pos));
            remaining_ -= take;
            if (remaining_ == 0) {
                state_ = state::chunk_crlf;
                crlf_step_ = 0;
            }
            return {pos + take, parse_event::body, data.substr(pos, take)};
        }

        case state::chunk_crlf:
            while (crlf_step_ < 2) {
                if (pos == n) {
                    return {pos, parse_event::need_more, {}};
                }
                if (data[pos] != (crlf_step_ == 0 ? '\r' : '\n')) {
                    return fail(status::bad_request, "chunk data not followed by CRLF");
                }
                ++pos;
                ++crlf_step_;
            }
            state_ = state::chunk_size;
            continue;

        case state::trailers: {
            const std::string_view section = data.substr(pos);
            std::size_t length = 0;
            const section_status s = parse_section(section, false, length);
            if (s == section_status::incomplete) {
                return {pos, parse_event::need_more, {}};
            }
            if (s == section_status::failed) {
                state_ = state::failed;
                return {0, parse_event::error, {}};
            }
            for (const field_offsets& f : fields_) {
                request_.trailers.push_back({section.substr(f.name_offset, f.name_length),
                                             section.substr(f.value_offset, f.value_length)});
            }
            return complete_message(pos + length);
        }

        case state::complete_pending:
            return complete_message(pos);
        case state::closed:
            return {pos, parse_event::closed, {}};
        case state::failed:
            return {0, parse_event::error, {}};
        }
    }
}

// Scans a head (request line + fields) or a trailer section from where the previous call stopped. Bytes
// are judged strictly in order, and a limit counts as broken at the first byte beyond it, so the verdict
// does not depend on how the input was split.
request_parser::section_status request_parser::parse_section(std::string_view section, bool is_head,
                                                             std::size_t& section_length) {
    const char* s = section.data();
    const std::size_t m = section.size();
    const std::size_t max_line = options_.limits.max_request_line;
    const std::size_t max_fields = options_.limits.max_header_bytes;
    std::size_t i = scan_;
    // True if the field lines so far, through the byte before `end`, exceed the header size limit.
    const auto fields_over = [&](std::size_t end) {
        return end - fields_start_ > max_fields;
    };

    for (;;) {
        switch (phase_) {
        case phase::method: {
            i = skip_class(s, i, m, detail::tchar);
            if (i > max_line) {
                return section_error(status::uri_too_long, "request line too long");
            }
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (s[i] != ' ') {
                return section_error(status::bad_request, "invalid character in method");
            }
            if (i == 0) {
                return section_error(status::bad_request, "empty method");
            }
            method_length_ = static_cast<std::uint32_t>(i);
            ++i;
            target_offset_ = static_cast<std::uint32_t>(i);
            phase_ = phase::target;
            continue;
        }
        case phase::target: {
            i = skip_target(s, i, m);
            if (i > max_line) {
                return section_error(status::uri_too_long, "request line too long");
            }
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (i == target_offset_) {
                return section_error(status::bad_request, "empty request-target");
            }
            if (s[i] == '\r') {
                phase_ = phase::http09_lf;
                ++i;
                continue;
            }
            if (s[i] != ' ') {
                return section_error(status::bad_request, "invalid character in request-target");
            }
            target_length_ = static_cast<std::uint32_t>(i - target_offset_);
            ++i;
            version_offset_ = static_cast<std::uint32_t>(i);
            phase_ = phase::version;
            continue;
        }
        case phase::version: {
            // Exactly "HTTP/" DIGIT "." DIGIT, then CR.
            constexpr std::string_view pattern = "HTTP/0.0\r";
            if (i == version_offset_ && m - i >= 9 && i + 8 <= max_line &&
                std::memcmp(s + i, "HTTP/1.", 7) == 0 && (s[i + 7] == '1' || s[i + 7] == '0') &&
                s[i + 8] == '\r') {
                i += 8; // the common case, judged exactly as the loop below would
            }
            for (; i < m; ++i) {
                if (i > max_line) {
                    return section_error(status::uri_too_long, "request line too long");
                }
                const std::size_t k = i - version_offset_;
                const char c = s[i];
                const bool fits = (k == 5 || k == 7) ? (c >= '0' && c <= '9') : c == pattern[k];
                if (!fits) {
                    return section_error(status::bad_request, "invalid HTTP version");
                }
                if (k == 8) {
                    break;
                }
            }
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            request_.version_major = static_cast<std::uint8_t>(s[version_offset_ + 5] - '0');
            request_.version_minor = static_cast<std::uint8_t>(s[version_offset_ + 7] - '0');
            ++i;
            phase_ = phase::request_line_lf;
            continue;
        }
        case phase::request_line_lf:
        case phase::http09_lf: {
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (s[i] != '\n') {
                return section_error(status::bad_request, "CR not followed by LF");
            }
            if (phase_ == phase::http09_lf) {
                return section_error(status::http_version_not_supported, "HTTP/0.9 is not supported");
            }
            if (request_.version_major != 1) {
                return section_error(status::http_version_not_supported, "HTTP version not supported");
            }
            ++i;
            fields_start_ = i;
            line_start_ = i;
            phase_ = phase::line_start;
            continue;
        }
        case phase::line_start: {
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            const char c = s[i];
            if (c == '\r') {
                phase_ = phase::final_lf;
                ++i;
                continue;
            }
            if (fields_over(i + 1)) {
                return section_error(status::request_header_fields_too_large, "header section too large");
            }
            if (is_ows(c)) {
                return section_error(status::bad_request, (is_head && fields_.empty())
                                                              ? "whitespace-led line after the request line"
                                                              : "obsolete line folding");
            }
            if (fields_.size() >= options_.limits.max_header_count) {
                return section_error(status::request_header_fields_too_large, "too many header fields");
            }
            line_start_ = i;
            phase_ = phase::name;
            continue;
        }
        case phase::name: {
            i = skip_class(s, i, m, detail::tchar);
            if (fields_over(i == m ? i : i + 1)) {
                return section_error(status::request_header_fields_too_large, "header section too large");
            }
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (s[i] != ':') {
                return section_error(status::bad_request, is_ows(s[i]) ? "whitespace before colon"
                                                                       : "invalid character in field name");
            }
            if (i == line_start_) {
                return section_error(status::bad_request, "empty field name");
            }
            colon_ = i;
            ++i;
            phase_ = phase::value;
            continue;
        }
        case phase::value: {
            i = skip_field_value(s, i, m);
            if (fields_over(i == m ? i : i + 1)) {
                return section_error(status::request_header_fields_too_large, "header section too large");
            }
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (s[i] != '\r') {
                return section_error(status::bad_request, s[i] == '\n' ? "bare LF as line terminator"
                                                                       : "invalid character in field value");
            }
            ++i;
            phase_ = phase::value_lf;
            continue;
        }
        case phase::value_lf: {
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (fields_over(i + 1)) {
                return section_error(status::request_header_fields_too_large, "header section too large");
            }
            if (s[i] != '\n') {
                return section_error(status::bad_request, "CR not followed by LF");
            }
            if (!end_field_line(section, i - 1, is_head)) {
                return section_status::failed;
            }
            ++i;
            line_start_ = i;
            phase_ = phase::line_start;
            continue;
        }
        case phase::final_lf: {
            if (i == m) {
                scan_ = i;
                return section_status::incomplete;
            }
            if (s[i] != '\n') {
                return section_error(status::bad_request, "CR not followed by LF");
            }
            ++i;
            scan_ = i;
            section_length = i;
            return section_status::complete;
        }
        }
    }
}

// A complete field line [line_start_, line_end) with its colon at colon_.
bool request_parser::end_field_line(std::string_view section, std::size_t line_end, bool is_head) {
    const std::string_view name(section.data() + line_start_, colon_ - line_start_);
    const std::string_view raw(section.data() + colon_ + 1, line_end - colon_ - 1);
    const std::string_view value = trim_ows(raw);
    const auto value_offset = static_cast<std::size_t>(value.data() - section.data());
    fields_.push_back({static_cast<std::uint32_t>(line_start_), static_cast<std::uint32_t>(name.size()),
                       static_cast<std::uint32_t>(value_offset), static_cast<std::uint32_t>(value.size())});
    if (!is_head) {
        return true;
    }
    switch (classify(name)) {
    case special::other:
        return true;
    case special::host:
        ++host_count_;
        host_offset_ = static_cast<std::uint32_t>(value_offset);
        host_length_ = static_cast<std::uint32_t>(value.size());
        for (const char c : value) {
            if (!is(c, detail::host_char)) {
                error_ = {status::bad_request, "invalid Host"};
                return false;
            }
        }
        return true;
    case special::content_length:
        return parse_content_length(value);
    case special::transfer_encoding:
        return parse_transfer_encoding(value);
    case special::connection:
        parse_connection(value);
        return true;
    case special::upgrade:
        upgrade_field_ = true;
        return true;
    case special::expect:
        if (iequals_literal(value, "100-continue")) {
            expect_continue_ = true;
        }
        return true;
    }
    return true;
}

bool request_parser::parse_content_length(std::string_view value) {
    if (value.empty()) {
        error_ = {status::bad_request, "empty Content-Length"};
        return false;
    }
    std::uint64_t n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') {
            error_ = {status::bad_request, "invalid Content-Length"};
            return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (n > (UINT64_MAX - digit) / 10) {
            error_ = {status::bad_request, "Content-Length overflow"};
            return false;
        }
        n = n * 10 + digit;
    }
    if (content_length_seen_ && n != content_length_) {
        error_ = {status::bad_request, "conflicting Content-Length"};
        return false;
    }
    content_length_seen_ = true;
    content_length_ = n;
    return true;
}

bool request_parser::parse_transfer_encoding(std::string_view value) {
    transfer_encoding_seen_ = true;
    bool valid = true;
    for_each_element(value, [&](std::string_view element) {
        std::size_t k = 0;
        while (k < element.size() && is(element[k], detail::tchar)) {
            ++k;
        }
        const std::string_view coding = element.substr(0, k);
        const std::string_view rest = trim_ows(element.substr(k));
        if (coding.empty() || (!rest.empty() && rest.front() != ';')) {
            valid = false;
            return;
        }
        if (iequals_literal(coding, "chunked")) {
            if (!rest.empty() || chunked_seen_) {
                chunked_not_last_ = true; // "chunked" twice, or with parameters
            }
            chunked_seen_ = true;
            chunked_last_ = true;
        } else {
            if (chunked_last_) {
                chunked_not_last_ = true;
            }
            chunked_last_ = false;
            unknown_coding_ = true;
        }
    });
    if (!valid) {
        error_ = {status::bad_request, "invalid Transfer-Encoding"};
    }
    return valid;
}

void request_parser::parse_connection(std::string_view value) noexcept {
    for_each_element(value, [this](std::string_view option) {
        if (iequals_literal(option, "close")) {
            connection_close_ = true;
        } else if (iequals_literal(option, "keep-alive")) {
            connection_keep_alive_ = true;
        } else if (iequals_literal(option, "upgrade")) {
            connection_upgrade_ = true;
        }
    });
}

bool request_parser::finish_head(std::string_view section) {
    request_.method = section.substr(0, method_length_);
    request_.verb = verb_from_method(request_.method);
    request_.target = section.substr(target_offset_, target_length_);
    const bool http11 = request_.version_minor >= 1;

    if (transfer_encoding_seen_) {
        if (content_length_seen_) {
            error_ = {status::bad_request, "both Content-Length and Transfer-Encoding"};
            return false;
        }
        if (!http11) {
            error_ = {status::bad_request, "Transfer-Encoding in an HTTP/1.0 request"};
            return false;
        }
        if (chunked_not_last_) {
            error_ = {status::bad_request, "chunked is not the final transfer coding"};
            return false;
        }
        if (unknown_coding_) {
            error_ = {status::not_implemented, "unsupported transfer coding"};
            return false;
        }
        if (!chunked_last_) {
            error_ = {status::bad_request, "empty Transfer-Encoding"};
            return false;
        }
        request_.framing = body_framing::chunked;
    } else if (content_length_seen_) {
        if (content_length_ > options_.limits.max_body_size) {
            error_ = {status::content_too_large, "body too large"};
            return false;
        }
        request_.content_length = content_length_;
        request_.framing = content_length_ > 0 ? body_framing::content_length : body_framing::none;
    }
    if (host_count_ > 1) {
        error_ = {status::bad_request, "more than one Host"};
        return false;
    }
    if (host_count_ == 0 && http11 && options_.require_host) {
        error_ = {status::bad_request, "missing Host"};
        return false;
    }
    request_.host = section.substr(host_offset_, host_length_);

    request_.headers.resize(fields_.size());
    header* out = request_.headers.data();
    for (const field_offsets& f : fields_) {
        *out++ = {{section.data() + f.name_offset, f.name_length},
                  {section.data() + f.value_offset, f.value_length}};
    }
    request_.keep_alive = http11 ? !connection_close_ : (connection_keep_alive_ && !connection_close_);
    request_.expect_continue = http11 && expect_continue_;
    if (request_.verb == verb::connect) {
        // CONNECT has no content (RFC 9110 §9.3.6); what follows would be tunnel data.
        request_.upgrade = true;
        request_.framing = body_framing::none;
        request_.content_length = 0;
    } else if (http11 && upgrade_field_ && connection_upgrade_) {
        request_.upgrade = true;
    }
    if (request_.upgrade) {
        request_.keep_alive = false;
    }
    return true;
}

// A chunk-size line: 1*HEXDIG *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] ) CRLF.
// The line is not consumed until complete, so it is re-read from its start; max_chunk_line bounds that.
request_parser::section_status request_parser::parse_chunk_line(std::string_view data,
                                                                std::size_t& line_length) {
    const std::size_t cap = options_.limits.max_chunk_line;
    // The CR may sit at index `cap` at the latest, its LF right after.
    const bool truncated = data.size() > cap + 2;
    const std::string_view line = truncated ? data.substr(0, cap + 2) : data;
    const char* s = line.data();
    const std::size_t m = line.size();
    const auto incomplete = [&]() {
        return truncated ? section_error(status::bad_request, "chunk line too long")
                         : section_status::incomplete;
    };
    const auto invalid = [&]() {
        return section_error(status::bad_request, "invalid chunk line");
    };

    std::size_t i = 0;
    std::uint64_t size = 0;
    for (; i < m && is(s[i], detail::hex_digit); ++i) {
        if ((size >> 60) != 0) {
            return section_error(status::bad_request, "chunk size overflow");
        }
        const char c = s[i];
        const unsigned digit = c <= '9' ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10);
        size = (size << 4) | digit;
    }
    if (i == m) {
        return incomplete();
    }
    if (i == 0) {
        return invalid();
    }
    for (;;) {
        const std::size_t before_ws = i;
        while (i < m && is_ows(s[i])) {
            ++i;
        }
        if (i == m) {
            return incomplete();
        }
        if (s[i] == '\r') {
            if (i != before_ws) {
                return invalid(); // whitespace must lead to ";" or "="
            }
            break;
        }
        if (s[i] != ';') {
            return invalid();
        }
        ++i;
        while (i < m && is_ows(s[i])) {
            ++i;
        }
        const std::size_t name_start = i;
        i = skip_class(s, i, m, detail::tchar);
        if (i == m) {
            return incomplete();
        }
        if (i == name_start) {
            return invalid();
        }
        std::size_t j = i;
        while (j < m && is_ows(s[j])) {
            ++j;
        }
        if (j == m) {
            return incomplete();
        }
        if (s[j] != '=') {
            continue; // i stays before the whitespace: it must lead to ";"
        }
        i = j + 1;
        while (i < m && is_ows(s[i])) {
            ++i;
        }
        if (i == m) {
            return incomplete();
        }
        if (s[i] == '"') {
            ++i;
            for (;;) {
                if (i == m) {
                    return incomplete();
                }
                const char c = s[i];
                if (c == '"') {
                    ++i;
                    break;
                }
                if (c == '\\') {
                    if (++i == m) {
                        return incomplete();
                    }
                    if (!is(s[i], detail::field_vchar)) {
                        return invalid();
                    }
                } else if (!is(c, detail::qd_text)) {
                    return invalid();
                }
                ++i;
            }
        } else {
            const std::size_t value_start = i;
            i = skip_class(s, i, m, detail::tchar);
            if (i == m) {
                return incomplete();
            }
            if (i == value_start) {
                return invalid();
            }
        }
    }
    // s[i] is the CR
    if (i > cap) {
        return section_error(status::bad_request, "chunk line too long");
    }
    if (i + 1 == m) {
        return incomplete();
    }
    if (s[i + 1] != '\n') {
        return section_error(status::bad_request, "CR not followed by LF");
    }
    if (size > options_.limits.max_body_size - body_total_) {
        return section_error(status::content_too_large, "body too large");
    }
    body_total_ += size;
    remaining_ = size;
    line_length = i + 2;
    return section_status::complete;
}

} // namespace corio::http
