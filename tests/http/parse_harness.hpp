#pragma once

// Test helper: feeds input to a request_parser in pieces, the way a connection would (appending to a
// buffer and dropping consumed bytes, so the buffer's contents move between calls), and records everything
// it reports as owned strings.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "corio/http/parser.hpp"

namespace corio::http::test {

using field_list = std::vector<std::pair<std::string, std::string>>;

struct parsed_message {
    std::string method;
    std::string target;
    int major = 0;
    int minor = 0;
    field_list headers;
    field_list trailers;
    std::string body;
    bool chunked = false;
    bool keep_alive = false;
    bool upgrade = false;
    bool expect_continue = false;
    bool operator==(const parsed_message&) const = default;
};

enum class verdict { ok, incomplete, error, closed };

inline const char* to_string(verdict v) {
    switch (v) {
    case verdict::ok:
        return "ok";
    case verdict::incomplete:
        return "incomplete";
    case verdict::error:
        return "error";
    case verdict::closed:
        return "closed";
    }
    return "?";
}

struct head_seen {
    int minor = 0;
    bool has_host = false;
    bool operator==(const head_seen&) const = default;
};

struct outcome {
    verdict result = verdict::ok;
    unsigned status = 0; // for error
    std::string reason;  // for error
    std::vector<parsed_message> messages;
    std::vector<head_seen> heads; // one per head event
    std::string leftover;         // bytes left unparsed when the parser stopped (closed)
    bool operator==(const outcome&) const = default;
};

inline field_list copy_fields(const std::vector<header>& fields) {
    field_list out;
    for (const header& h : fields) {
        out.emplace_back(std::string(h.name), std::string(h.value));
    }
    return out;
}

/// Feeds `input` split into pieces of the given sizes (the last piece takes the rest).
inline outcome run_pieces(std::string_view input, const std::vector<std::size_t>& piece_sizes,
                          const parser_options& options = {}) {
    request_parser parser(options);
    outcome out;
    std::string buffer;
    parsed_message current;
    std::size_t fed = 0;
    std::size_t piece = 0;
    while (fed < input.size() || piece == 0) {
        const std::size_t size = piece < piece_sizes.size() ? std::min(piece_sizes[piece], input.size() - fed)
                                                            : input.size() - fed;
        ++piece;
        buffer.append(input.substr(fed, size));
        fed += size;
        for (;;) {
            const parse_result r = parser.parse(buffer);
            if (r.event == parse_event::need_more) {
                buffer.erase(0, r.consumed);
                break;
            }
            switch (r.event) {
            case parse_event::head: {
                const request& req = parser.request();
                current = {};
                current.method = std::string(req.method);
                current.target = std::string(req.target);
                current.major = req.version_major;
                current.minor = req.version_minor;
                current.headers = copy_fields(req.headers);
                current.chunked = req.framing == body_framing::chunked;
                current.keep_alive = req.keep_alive;
                current.upgrade = req.upgrade;
                current.expect_continue = req.expect_continue;
                out.heads.push_back({req.version_minor, req.find("host") != nullptr});
                break;
            }
            case parse_event::body:
                current.body.append(r.body);
                break;
            case parse_event::message_complete:
                current.trailers = copy_fields(parser.request().trailers);
                out.messages.push_back(std::move(current));
                current = {};
                break;
            case parse_event::error:
                out.result = verdict::error;
                out.status = to_int(parser.error().status);
                out.reason = std::string(parser.error().reason);
                return out;
            case parse_event::closed:
                out.result = verdict::closed;
                out.leftover = buffer.substr(r.consumed);
                out.leftover.append(input.substr(fed));
                return out;
            case parse_event::need_more:
                break;
            }
            buffer.erase(0, r.consumed);
        }
        if (input.empty()) {
            break;
        }
    }
    out.result = parser.in_message() ? verdict::incomplete : verdict::ok;
    return out;
}

inline outcome run_whole(std::string_view input, const parser_options& options = {}) {
    return run_pieces(input, {input.size()}, options);
}

inline outcome run_bytewise(std::string_view input, const parser_options& options = {}) {
    return run_pieces(input, std::vector<std::size_t>(input.size(), 1), options);
}

inline outcome run_split(std::string_view input, std::size_t at, const parser_options& options = {}) {
    return run_pieces(input, {at, input.size() - at}, options);
}

} // namespace corio::http::test
