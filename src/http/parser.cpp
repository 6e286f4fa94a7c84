#include "corio/http/parser.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "corio/http/detail/char_class.hpp"
#include "corio/http/detail/swar.hpp"

// The hot helpers are inlined into parse_head (the common path) as well as used by the state machine.
#if defined(__GNUC__)
#define CORIO_HTTP_INLINE [[gnu::always_inline]] inline
#else
#define CORIO_HTTP_INLINE inline
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#define CORIO_HTTP_SSE2 1
#endif

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

using detail::bytes_below;
using detail::bytes_equal;
using detail::highs;
using detail::ones;

// Eight bytes with the first one in the lowest position, so the lowest flagged byte is the first in memory.
inline std::uint64_t load8(const char* s) noexcept {
    std::uint64_t w;
    std::memcpy(&w, s, 8);
    if constexpr (std::endian::native == std::endian::big) {
        w = __builtin_bswap64(w);
    }
    return w;
}

inline std::size_t first_flagged(std::uint64_t flags) noexcept {
    return static_cast<std::size_t>(std::countr_zero(flags)) / 8;
}

#ifdef CORIO_HTTP_SSE2
// 16 bytes at a time where SSE2 is there (every x86-64): each helper returns a bit per byte that passes.
inline __m128i load16(const char* s) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
}

inline unsigned bits(__m128i passes) noexcept {
    return static_cast<unsigned>(_mm_movemask_epi8(passes));
}

// Bytes in [lo, lo + span] (unsigned).
inline __m128i in_range16(__m128i x, char lo, char span) noexcept {
    const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(span)), t);
}

// Field-value bytes other than HTAB: not below 0x20 (unsigned), not DEL.
inline unsigned value_bytes16(__m128i x) noexcept {
    const __m128i from_space = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x20)), x);
    return bits(_mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)), from_space));
}

// Letters ('A'-'Z' folded onto 'a'-'z' by OR 0x20) and '-': what field names are nearly always made of.
inline __m128i letters_dash16(__m128i x) noexcept {
    const __m128i letter = in_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 25);
    return _mm_or_si128(letter, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
}
#endif

// Field values are the bulk of a head: 8 bytes at a time, stopping exactly at the first CTL or DEL; HTAB is
// the one such byte a value may hold, so the scan goes on after it. The table handles the last few bytes.
inline std::size_t skip_field_value(const char* s, std::size_t i, std::size_t end) noexcept {
#ifdef CORIO_HTTP_SSE2
    while (end - i >= 16) {
        const unsigned stop = ~value_bytes16(load16(s + i)) & 0xffffU;
        if (stop == 0) {
            i += 16;
            continue;
        }
        i += static_cast<std::size_t>(std::countr_zero(stop));
        if (s[i] != '\t') {
            return i;
        }
        ++i;
    }
#endif
    while (end - i >= 8) {
        const std::uint64_t w = load8(s + i);
        const std::uint64_t stop = bytes_below(w, 0x20) | bytes_equal(w, 0x7f);
        if (stop == 0) {
            i += 8;
            continue;
        }
        i += first_flagged(stop);
        if (s[i] != '\t') {
            return i;
        }
        ++i;
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

// Whether the N - 1 bytes at `s`, all tchar, spell the lower-case literal (letters and '-') in any case.
// Among tchars, OR 0x20 maps only 'A'-'Z' to 'a'-'z' and leaves '-' alone, so whole words compare at once.
template <std::size_t N>
inline bool name_equals(const char* s, const char (&lower)[N]) noexcept {
    constexpr std::size_t n = N - 1;
    static_assert(n >= 4);
    const auto word = [](const char* p) {
        if constexpr (n >= 8) {
            return load8(p) | (ones * 0x20);
        } else {
            std::uint32_t w;
            std::memcpy(&w, p, 4);
            return w | 0x20202020U;
        }
    };
    constexpr std::size_t step = n >= 8 ? 8 : 4;
    std::size_t k = 0;
    for (; k + step <= n; k += step) {
        if (word(s + k) != word(lower + k)) {
            return false;
        }
    }
    return k == n || word(s + n - step) == word(lower + n - step);
}

// The high bit of each byte of `w` in [lo, hi] (lo, hi < 0x80), exact for every byte: unlike the two above,
// these masks are negated, so a false positive would let a bad byte through.
constexpr std::uint64_t bytes_in(std::uint64_t w, std::uint64_t lo, std::uint64_t hi) noexcept {
    const std::uint64_t low7 = w & ~highs; // no carry between bytes below
    const std::uint64_t at_least_lo = low7 + ones * (0x80 - lo);
    const std::uint64_t above_hi = low7 + ones * (0x7f - hi);
    return at_least_lo & ~above_hi & ~w & highs;
}

constexpr std::uint64_t bytes_are(std::uint64_t w, std::uint64_t c) noexcept {
    return bytes_in(w, c, c);
}

// ASCII letters; OR 0x20 maps exactly 'A'-'Z' onto 'a'-'z' and keeps the high bit.
constexpr std::uint64_t letters(std::uint64_t w) noexcept {
    return bytes_in(w | (ones * 0x20), 'a', 'z');
}

// Index of the first non-tchar byte at or after `i`. Names are nearly always letters and '-': 8 such bytes
// at a time, then the table from the first other byte on (usually the colon, which ends the name).
inline std::size_t skip_name(const char* s, std::size_t i, std::size_t end) noexcept {
#ifdef CORIO_HTTP_SSE2
    while (end - i >= 16) {
        const unsigned other = ~bits(letters_dash16(load16(s + i))) & 0xffffU;
        if (other != 0) {
            return skip_class(s, i + static_cast<std::size_t>(std::countr_zero(other)), end, detail::tchar);
        }
        i += 16;
    }
#endif
    while (end - i >= 8) {
        const std::uint64_t w = load8(s + i);
        const std::uint64_t other = ~(letters(w) | bytes_are(w, '-')) & highs;
        if (other != 0) {
            i += first_flagged(other);
            break;
        }
        i += 8;
    }
    return skip_class(s, i, end, detail::tchar);
}

// Whether every byte of s[begin, end) is a host_char. Host names and addresses are letters, digits, '.',
// ':' and '-': with SSE2 those pass 16 at a time, in blocks that end at `end` and may reach back before
// `begin` (the bytes from s[0] on are all there) with those bytes masked off. The table decides otherwise.
inline bool valid_host(const char* s, std::size_t begin, std::size_t end) noexcept {
#ifdef CORIO_HTTP_SSE2
    if (end >= 16) {
        const auto common = [s](std::size_t from) {
            const __m128i x = load16(s + from);
            return bits(_mm_or_si128(_mm_or_si128(letters_dash16(x), in_range16(x, '0', ':' - '0')),
                                     _mm_cmpeq_epi8(x, _mm_set1_epi8('.'))));
        };
        std::size_t stop = end;
        while (stop - begin > 16 && common(stop - 16) == 0xffffU) {
            stop -= 16;
        }
        if (stop - begin <= 16) {
            // The last (often only) block: the 16 bytes before `stop`, of which the last stop - begin count.
            const std::size_t from = stop >= 16 ? stop - 16 : 0;
            const unsigned wanted = ((0xffffU << (16 - (stop - begin))) & 0xffffU) >> (16 - (stop - from));
            if ((common(from) & wanted) == wanted) {
                return true;
            }
        }
    }
#endif
    const auto cls = [s](std::size_t k) {
        return detail::char_classes[static_cast<unsigned char>(s[k])];
    };
    std::size_t k = begin;
    // The classes of 4 bytes ANDed, one branch per 4 (which also keeps compilers from vectorizing this).
    for (; end - k >= 4; k += 4) {
        if ((cls(k) & cls(k + 1) & cls(k + 2) & cls(k + 3) & detail::host_char) == 0) {
            return false;
        }
    }
    for (; k < end; ++k) {
        if ((cls(k) & detail::host_char) == 0) {
            return false;
        }
    }
    return true;
}

// Request-target bytes are VCHAR (0x21-0x7e): 8 at a time up to the exact first other byte, the table for
// the last few.
inline std::size_t skip_target(const char* s, std::size_t i, std::size_t end) noexcept {
#ifdef CORIO_HTTP_SSE2
    while (end - i >= 16) {
        const __m128i x = load16(s + i);
        // Signed compare: bytes >= 0x80 are negative, so this is 0x21-0x7f; then DEL out.
        const __m128i vchar =
            _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)), _mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)));
        const unsigned stop = ~bits(vchar) & 0xffffU;
        if (stop != 0) {
            return i + static_cast<std::size_t>(std::countr_zero(stop));
        }
        i += 16;
    }
#endif
    while (end - i >= 8) {
        const std::uint64_t w = load8(s + i);
        const std::uint64_t stop = bytes_below(w, 0x21) | bytes_equal(w, 0x7f) | (w & highs);
        if (stop != 0) {
            return i + first_flagged(stop);
        }
        i += 8;
    }
    return skip_class(s, i, end, detail::target_char);
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
    // Between two messages nothing of a message is held: the next byte begins one (begin_message()).
    const bool between = state_ == state::start;
    state_ = state::start;
    error_ = {};
    if (!between) {
        begin_message();
    }
}

// Only what is read before it is written needs a reset: line_start_, colon_ and the request line offsets
// are always set by the scanner before use.
void request_parser::begin_section(bool is_head) noexcept {
    phase_ = is_head ? phase::method : phase::line_start;
    scan_ = 0;
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
    // The two events of most requests get their own short paths: a head that arrives whole, and the end of
    // a request without body.
    if (state_ == state::complete_pending) {
        return complete_message(0);
    }
    if (state_ == state::start) {
        if (data.empty()) {
            return {0, parse_event::need_more, {}};
        }
        if (data[0] != '\r') {
            return parse_head(data);
        }
    }
    return advance(data);
}

// A request starting at data[0]. The request line and the field lines are taken whole while they are
// complete and well-formed, as the state machine would take them; at the first line that is not, the
// machine (advance) goes on from that line's start, so split or unusual input gives the same results.
parse_result request_parser::parse_head(std::string_view data) {
    begin_message();
    state_ = state::head;
    const char* s = data.data();
    const std::size_t m = data.size();
    std::size_t i = scan_request_line(s, m);
    if (i == 0) {
        return advance(data);
    }
    std::size_t length = 0;
    const section_status status = scan_field_lines(s, i, m, true, length);
    if (status == section_status::incomplete) {
        scan_ = i;
        return advance(data);
    }
    if (status == section_status::failed || !finish_head(data)) {
        state_ = state::failed;
        return {0, parse_event::error, {}};
    }
    enter_body();
    return {length, parse_event::head, {}};
}

// After a complete head: the state that reads the body its framing announces.
void request_parser::enter_body() noexcept {
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
}

parse_result request_parser::advance(std::string_view data) {
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
            enter_body();
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
            if (i == 0) {
                const std::size_t next = scan_request_line(s, m);
                if (next != 0) {
                    i = next;
                    continue;
                }
            }
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
            const section_status fast = scan_field_lines(s, i, m, is_head, section_length);
            if (fast != section_status::incomplete) {
                return fast;
            }
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
            if (!add_field(s, line_start_, colon_, i - 1, is_head)) {
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

// The request line at the start of the head, if it is complete and of the usual shape; returns the index
// after its LF, or 0 to leave it to the byte-wise scanner (which also produces every error). When this
// succeeds the scanner would have accepted the same line with the same results.
CORIO_HTTP_INLINE std::size_t request_parser::scan_request_line(const char* s, std::size_t m) noexcept {
    std::size_t i = 0;
    if (m >= 4 && std::memcmp(s, "GET ", 4) == 0) {
        i = 3;
    } else {
        while (i < m && is(s[i], detail::tchar)) {
            ++i;
        }
        if (i == 0 || i == m || s[i] != ' ') {
            return 0;
        }
    }
    const std::size_t target = i + 1;
    const std::size_t target_end = skip_target(s, target, m);
    if (target_end == target || target_end == m || s[target_end] != ' ') {
        return 0;
    }
    // "HTTP/1." DIGIT CR LF, the CR within the request line limit.
    const std::size_t v = target_end + 1;
    if (m - v < 10 || v + 8 > options_.limits.max_request_line) {
        return 0;
    }
    std::uint64_t version;
    std::memcpy(&version, s + v, 8);
    std::uint64_t expected;
    std::memcpy(&expected, "HTTP/1.0", 8);
    // Equal but for the minor digit's low 4 bits ('0'-'9' are 0x30-0x39; 0x3a-0x3f are ruled out below).
    constexpr std::uint64_t digit_low_bits =
        std::endian::native == std::endian::little ? 0x0fULL << 56 : 0x0fULL;
    if (((version ^ expected) & ~digit_low_bits) != 0 || s[v + 7] > '9' || s[v + 8] != '\r' ||
        s[v + 9] != '\n') {
        return 0;
    }
    method_length_ = static_cast<std::uint32_t>(i);
    target_offset_ = static_cast<std::uint32_t>(target);
    target_length_ = static_cast<std::uint32_t>(target_end - target);
    version_offset_ = static_cast<std::uint32_t>(v);
    request_.version_major = 1;
    request_.version_minor = static_cast<std::uint8_t>(s[v + 7] - '0');
    fields_start_ = v + 10;
    phase_ = phase::line_start;
    return v + 10;
}

// Whole, well-formed field lines within the limits from `i` on, one step each, and the empty line that ends
// the section. Stops (incomplete, `i` at a line start) at anything else: a line not all here, an error, a
// limit; the byte-wise scanner then judges that line exactly as if this function did not exist.
CORIO_HTTP_INLINE request_parser::section_status
request_parser::scan_field_lines(const char* s, std::size_t& i, std::size_t m, bool is_head,
                                 std::size_t& section_length) {
    const std::size_t max_count = options_.limits.max_header_count;
    // A line ending (with its CRLF) after this offset breaks the header size limit.
    const std::size_t max_end = fields_start_ + options_.limits.max_header_bytes;
    std::size_t at = i;
    for (;;) {
        if (m - at < 2) {
            break;
        }
        if (s[at] == '\r') {
            if (s[at + 1] == '\n') {
                i = at + 2;
                scan_ = i;
                section_length = i;
                return section_status::complete;
            }
            break;
        }
        if (fields_.size() >= max_count) {
            break;
        }
        const std::size_t colon = skip_name(s, at, m);
        if (colon == at || colon == m || s[colon] != ':') {
            break;
        }
        const std::size_t cr = skip_field_value(s, colon + 1, m);
        if (m - cr < 2 || s[cr] != '\r' || s[cr + 1] != '\n' || cr + 2 > max_end) {
            break;
        }
        if (!add_field(s, at, colon, cr, is_head)) {
            return section_status::failed;
        }
        at = cr + 2;
    }
    i = at;
    return section_status::incomplete;
}

// `name` is a field name, so tchar only (name_equals relies on it). Comparing lengths first keeps the cost
// of an ordinary field to one switch.
inline request_parser::special request_parser::classify(std::string_view name) noexcept {
    const char* s = name.data();
    switch (name.size()) {
    case 4:
        return name_equals(s, "host") ? special::host : special::other;
    case 6:
        return name_equals(s, "expect") ? special::expect : special::other;
    case 7:
        return name_equals(s, "upgrade") ? special::upgrade : special::other;
    case 10:
        return name_equals(s, "connection") ? special::connection : special::other;
    case 14:
        return name_equals(s, "content-length") ? special::content_length : special::other;
    case 17:
        return name_equals(s, "transfer-encoding") ? special::transfer_encoding : special::other;
    default:
        return special::other;
    }
}

// A complete field line [start, end) with its colon at `colon`.
inline bool request_parser::add_field(const char* s, std::size_t start, std::size_t colon, std::size_t end,
                                      bool is_head) {
    std::size_t value_offset = colon + 1;
    while (value_offset < end && is_ows(s[value_offset])) {
        ++value_offset;
    }
    while (end > value_offset && is_ows(s[end - 1])) {
        --end;
    }
    fields_.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(colon - start),
                       static_cast<std::uint32_t>(value_offset),
                       static_cast<std::uint32_t>(end - value_offset)});
    if (!is_head) {
        return true;
    }
    const special kind = classify({s + start, colon - start});
    return kind == special::other || special_field(kind, s, value_offset, end);
}

// A header field the parser itself acts on, its value [value_offset, end).
bool request_parser::special_field(special kind, const char* s, std::size_t value_offset, std::size_t end) {
    const std::string_view value(s + value_offset, end - value_offset);
    switch (kind) {
    case special::other:
        return true;
    case special::host:
        ++host_count_;
        host_offset_ = static_cast<std::uint32_t>(value_offset);
        host_length_ = static_cast<std::uint32_t>(value.size());
        if (!valid_host(s, value_offset, end)) {
            error_ = {status::bad_request, "invalid Host"};
            return false;
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

CORIO_HTTP_INLINE bool request_parser::finish_head(std::string_view section) {
    const char* s = section.data(); // the offsets are all within the section
    request_.method = {s, method_length_};
    // GET is by far the most common method: spare the general lookup.
    request_.verb = method_length_ == 3 && s[0] == 'G' && s[1] == 'E' && s[2] == 'T'
                        ? verb::get
                        : verb_from_method(request_.method);
    request_.target = {s + target_offset_, target_length_};
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
    request_.host = {s + host_offset_, host_length_};

    // headers is empty here (begin_message) with capacity reserved: no value-initialization to overwrite.
    for (const field_offsets& f : fields_) {
        request_.headers.push_back(
            {{s + f.name_offset, f.name_length}, {s + f.value_offset, f.value_length}});
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
