#pragma once

// Drives a request_parser over a byte stream delivered in pieces, the way a connection does, checks the
// parse() contract on every call, and records what the parser reported as owned values so that two runs
// over the same stream (whole, split) can be compared.
//
// Each piece is appended to the unconsumed bytes in a *new, exactly sized* heap buffer and the old one is
// freed: a view the parser kept into an old buffer, or a read past the end of the data, is an ASan error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "corio/http/detail/char_class.hpp"
#include "corio/http/parser.hpp"
#include "fuzz_support.hpp"

namespace corio::fuzz {

using field_list = std::vector<std::pair<std::string, std::string>>;

struct message_record {
    std::string method;
    std::string target;
    unsigned major = 0;
    unsigned minor = 0;
    http::verb verb = http::verb::other;
    field_list headers;
    field_list trailers;
    std::string host;
    http::body_framing framing = http::body_framing::none;
    std::uint64_t content_length = 0;
    bool keep_alive = false;
    bool upgrade = false;
    bool expect_continue = false;
    std::string body;
    std::size_t head_end = 0;    ///< stream offset just after the head
    std::size_t message_end = 0; ///< stream offset just after the message (0 while incomplete)
    bool operator==(const message_record&) const = default;
};

enum class run_end : std::uint8_t { need_more, error, closed };

struct run_record {
    std::vector<message_record> messages; ///< completed messages, in order
    bool head_pending = false;            ///< a head arrived but its message did not complete
    message_record pending;               ///< that message so far
    std::string events;                   ///< H head, B body (runs merged), C complete, E error, X closed
    run_end end = run_end::need_more;
    unsigned status = 0;      ///< for error
    std::string reason;       ///< for error
    std::size_t consumed = 0; ///< stream bytes consumed in total (0 after an error)
    bool in_message = false;
    std::uint64_t body_remaining = 0;
    bool operator==(const run_record&) const = default;
};

namespace detail {

inline field_list copy_fields(const std::vector<http::header>& fields) {
    field_list out;
    out.reserve(fields.size());
    for (const http::header& h : fields) {
        out.emplace_back(std::string(h.name), std::string(h.value));
    }
    return out;
}

inline bool all_of_class(std::string_view s, http::detail::char_class k) noexcept {
    for (const char c : s) {
        if (!http::detail::is(c, k)) {
            return false;
        }
    }
    return true;
}

// A field as the parser must deliver it: a non-empty token name; a value of field bytes without leading
// or trailing whitespace; both inside the data of the call.
inline void check_field(const http::header& h, std::string_view data) {
    CORIO_FUZZ_CHECK(points_into(h.name, data));
    CORIO_FUZZ_CHECK(points_into(h.value, data));
    CORIO_FUZZ_CHECK(!h.name.empty());
    CORIO_FUZZ_CHECK(all_of_class(h.name, http::detail::tchar));
    CORIO_FUZZ_CHECK(all_of_class(h.value, http::detail::field_vchar));
    CORIO_FUZZ_CHECK(h.value.empty() ||
                     (!http::detail::is_ows(h.value.front()) && !http::detail::is_ows(h.value.back())));
}

inline void check_head(const http::request& req, const http::parser_options& options, std::string_view data,
                       std::size_t consumed) {
    const http::limits& lim = options.limits;
    CORIO_FUZZ_CHECK(consumed > 0);
    CORIO_FUZZ_CHECK(points_into(req.method, data) && points_into(req.target, data));
    CORIO_FUZZ_CHECK(!req.method.empty() && all_of_class(req.method, http::detail::tchar));
    CORIO_FUZZ_CHECK(!req.target.empty() && all_of_class(req.target, http::detail::target_char));
    CORIO_FUZZ_CHECK(req.verb == http::verb_from_method(req.method));
    CORIO_FUZZ_CHECK(req.version_major == 1 && req.version_minor <= 9);
    // "METHOD SP target SP HTTP/1.x" within the request-line limit.
    const std::size_t line = req.method.size() + 1 + req.target.size() + 1 + 8;
    CORIO_FUZZ_CHECK(line <= lim.max_request_line);
    CORIO_FUZZ_CHECK(req.target.data() == req.method.data() + req.method.size() + 1);
    // The head ends at `consumed`: request line, CRLF, field lines, CRLF.
    const auto head_start = static_cast<std::size_t>(req.method.data() - data.data());
    CORIO_FUZZ_CHECK(head_start + line + 4 <= consumed);
    const std::size_t field_bytes = consumed - head_start - line - 2 - 2;
    CORIO_FUZZ_CHECK(field_bytes <= lim.max_header_bytes);
    CORIO_FUZZ_CHECK(data.substr(consumed - 2, 2) == "\r\n");
    CORIO_FUZZ_CHECK(req.headers.size() <= lim.max_header_count);
    std::size_t host_count = 0;
    for (const http::header& h : req.headers) {
        check_field(h, data);
        CORIO_FUZZ_CHECK(h.name.data() >= req.target.data() + req.target.size());
        CORIO_FUZZ_CHECK(h.value.data() + h.value.size() <= data.data() + consumed);
        if (http::iequals(h.name, "host")) {
            ++host_count;
        }
    }
    CORIO_FUZZ_CHECK(host_count <= 1);
    CORIO_FUZZ_CHECK(req.host == req.value_of("host"));
    CORIO_FUZZ_CHECK(points_into(req.host, data));
    CORIO_FUZZ_CHECK(host_count == 1 || req.version_minor == 0 || !options.require_host);
    CORIO_FUZZ_CHECK(req.trailers.empty());
    switch (req.framing) {
    case http::body_framing::none:
        break;
    case http::body_framing::content_length:
        CORIO_FUZZ_CHECK(req.content_length > 0 && req.content_length <= lim.max_body_size);
        CORIO_FUZZ_CHECK(req.find("transfer-encoding") == nullptr);
        break;
    case http::body_framing::chunked:
        CORIO_FUZZ_CHECK(req.version_minor >= 1);
        CORIO_FUZZ_CHECK(req.find("content-length") == nullptr);
        break;
    }
    if (req.upgrade) {
        CORIO_FUZZ_CHECK(!req.keep_alive);
    }
    if (req.verb == http::verb::connect) {
        CORIO_FUZZ_CHECK(req.upgrade && req.framing == http::body_framing::none);
    }
    if (req.version_minor == 0) {
        CORIO_FUZZ_CHECK(!req.expect_continue && req.framing != http::body_framing::chunked);
    }
}

inline void note_event(std::string& events, char e) {
    if (e == 'B' && !events.empty() && events.back() == 'B') {
        return;
    }
    events.push_back(e);
}

} // namespace detail

/// Feeds `input` in pieces of the given sizes (a last piece takes the rest; empty `pieces` = whole).
/// A non-empty `prime` is parsed first (results ignored) and the parser reset(): a reset parser must behave
/// as a new one.
inline run_record run_parser(std::string_view input, const std::vector<std::size_t>& pieces,
                             const http::parser_options& options, std::string_view prime = {}) {
    http::request_parser parser(options);
    if (!prime.empty()) {
        const std::string copy(prime);
        std::string_view rest = copy;
        for (std::size_t i = 0; i < 4 * copy.size() + 16; ++i) {
            const http::parse_result r = parser.parse(rest);
            rest.remove_prefix(r.consumed);
            if (r.event == http::parse_event::need_more || r.event == http::parse_event::error ||
                r.event == http::parse_event::closed) {
                break;
            }
        }
        parser.reset();
    }
    run_record rec;
    std::unique_ptr<char[]> buffer;
    std::size_t begin = 0;     // first unconsumed byte in buffer
    std::size_t end = 0;       // bytes in buffer
    std::size_t fed = 0;       // stream bytes delivered so far
    std::size_t stream_at = 0; // stream offset of buffer[begin]
    std::size_t piece = 0;
    std::size_t calls = 0;
    std::uint64_t body_in_message = 0;
    const std::size_t max_calls = 4 * input.size() + 4 * pieces.size() + 16;

    // Hands the parser one fresh copy of the unconsumed bytes plus the next piece.
    const auto deliver = [&](std::size_t size) {
        const std::size_t keep = end - begin;
        auto next = std::make_unique<char[]>(keep + size);
        if (keep > 0) {
            std::memcpy(next.get(), buffer.get() + begin, keep);
        }
        if (size > 0) {
            std::memcpy(next.get() + keep, input.data() + fed, size);
        }
        buffer = std::move(next);
        begin = 0;
        end = keep + size;
        fed += size;
    };

    bool first = true;
    while (first || fed < input.size()) {
        first = false;
        const std::size_t size =
            piece < pieces.size() ? std::min(pieces[piece], input.size() - fed) : input.size() - fed;
        ++piece;
        deliver(size);
        for (;;) {
            CORIO_FUZZ_CHECK(++calls <= max_calls); // every call makes progress
            const std::string_view data(buffer.get() + begin, end - begin);
            const http::parse_result r = parser.parse(data);
            CORIO_FUZZ_CHECK(r.consumed <= data.size());
            const http::limits& lim = options.limits;
            switch (r.event) {
            case http::parse_event::need_more:
                CORIO_FUZZ_CHECK(r.body.empty());
                break;
            case http::parse_event::head: {
                const http::request& req = parser.request();
                detail::check_head(req, options, data, r.consumed);
                CORIO_FUZZ_CHECK(!rec.head_pending);
                // Nothing is parsed after a message that ends the connection.
                CORIO_FUZZ_CHECK(rec.messages.empty() || rec.messages.back().keep_alive);
                message_record& m = rec.pending;
                m = {};
                m.method = std::string(req.method);
                m.target = std::string(req.target);
                m.major = req.version_major;
                m.minor = req.version_minor;
                m.verb = req.verb;
                m.headers = detail::copy_fields(req.headers);
                m.host = std::string(req.host);
                m.framing = req.framing;
                m.content_length = req.content_length;
                m.keep_alive = req.keep_alive;
                m.upgrade = req.upgrade;
                m.expect_continue = req.expect_continue;
                m.head_end = stream_at + r.consumed;
                rec.head_pending = true;
                body_in_message = 0;
                detail::note_event(rec.events, 'H');
                CORIO_FUZZ_CHECK(parser.in_message());
                break;
            }
            case http::parse_event::body:
                CORIO_FUZZ_CHECK(rec.head_pending && rec.pending.framing != http::body_framing::none);
                CORIO_FUZZ_CHECK(!r.body.empty() && points_into(r.body, data));
                CORIO_FUZZ_CHECK(r.body.data() + r.body.size() == data.data() + r.consumed);
                body_in_message += r.body.size();
                CORIO_FUZZ_CHECK(body_in_message <= lim.max_body_size);
                if (rec.pending.framing == http::body_framing::content_length) {
                    CORIO_FUZZ_CHECK(body_in_message <= rec.pending.content_length);
                    CORIO_FUZZ_CHECK(parser.body_remaining() == rec.pending.content_length - body_in_message);
                }
                rec.pending.body.append(r.body);
                detail::note_event(rec.events, 'B');
                break;
            case http::parse_event::message_complete: {
                CORIO_FUZZ_CHECK(rec.head_pending);
                const http::request& req = parser.request();
                if (rec.pending.framing == http::body_framing::content_length) {
                    CORIO_FUZZ_CHECK(body_in_message == rec.pending.content_length);
                }
                if (rec.pending.framing == http::body_framing::chunked) {
                    CORIO_FUZZ_CHECK(req.trailers.size() <= lim.max_header_count);
                    for (const http::header& h : req.trailers) {
                        detail::check_field(h, data);
                        CORIO_FUZZ_CHECK(h.value.data() + h.value.size() <= data.data() + r.consumed);
                    }
                } else {
                    CORIO_FUZZ_CHECK(req.trailers.empty());
                    CORIO_FUZZ_CHECK(rec.pending.body.size() == rec.pending.content_length);
                }
                rec.pending.trailers = detail::copy_fields(req.trailers);
                rec.pending.message_end = stream_at + r.consumed;
                rec.messages.push_back(std::move(rec.pending));
                rec.pending = {};
                rec.head_pending = false;
                detail::note_event(rec.events, 'C');
                CORIO_FUZZ_CHECK(!parser.in_message());
                break;
            }
            case http::parse_event::error: {
                CORIO_FUZZ_CHECK(r.consumed == 0);
                const unsigned s = http::to_int(parser.error().status);
                CORIO_FUZZ_CHECK(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
                CORIO_FUZZ_CHECK(!parser.error().reason.empty());
                // The parser stays failed.
                const http::parse_result again = parser.parse(data);
                CORIO_FUZZ_CHECK(again.event == http::parse_event::error && again.consumed == 0);
                rec.end = run_end::error;
                rec.status = s;
                rec.reason = std::string(parser.error().reason);
                detail::note_event(rec.events, 'E');
                break;
            }
            case http::parse_event::closed: {
                CORIO_FUZZ_CHECK(r.consumed == 0);
                CORIO_FUZZ_CHECK(!rec.messages.empty() && !rec.messages.back().keep_alive);
                CORIO_FUZZ_CHECK(!parser.in_message());
                const http::parse_result again = parser.parse(data);
                CORIO_FUZZ_CHECK(again.event == http::parse_event::closed && again.consumed == 0);
                rec.end = run_end::closed;
                detail::note_event(rec.events, 'X');
                break;
            }
            }
            begin += r.consumed;
            stream_at += r.consumed;
            if (r.event == http::parse_event::error || r.event == http::parse_event::closed) {
                // After an error the connection is done: how much of the bad message was consumed (it
                // depends on where the input was split) is of no use to anybody, so it is not recorded.
                rec.consumed = r.event == http::parse_event::closed ? stream_at : 0;
                rec.in_message = parser.in_message();
                return rec;
            }
            if (r.event == http::parse_event::need_more) {
                break;
            }
        }
    }
    rec.end = run_end::need_more;
    rec.consumed = stream_at;
    rec.in_message = parser.in_message();
    rec.body_remaining = parser.body_remaining();
    return rec;
}

/// Piece sizes of one byte each: the strictest split.
inline std::vector<std::size_t> bytewise(std::size_t n) {
    return std::vector<std::size_t>(n, 1);
}

} // namespace corio::fuzz
