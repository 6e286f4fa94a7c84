#pragma once

// request_parser: a sans-I/O, incremental, strict HTTP/1.1 request parser (RFC 9112).
//
// Bytes in, events out; no sockets, no timers, no allocation per request in steady state. The caller owns
// the buffer. Each call to parse() is given *all bytes not yet consumed*, starting where the previous call's
// `consumed` ended, and returns one event plus how many bytes it consumed; the caller drops those bytes
// (or advances past them) before the next call. Input split at any byte gives the same events.
//
// Zero-copy and buffer moves: the parser consumes nothing of a head (request line + header section) or of
// a trailer section until all of it has arrived; meanwhile it only remembers offsets. The caller may
// therefore compact, grow or reallocate its buffer between calls. When the head is complete the parser
// turns the offsets into string_views into the data of *that* call (event head): they stay valid as long
// as the caller keeps those bytes in place, e.g. until the response is sent. Body pieces (event body) are
// views into the data of the call that returned them.
//
// Typical loop (server):
//
//     for (;;) {
//         auto r = parser.parse({buf.data() + begin, end - begin});
//         begin += r.consumed;
//         switch (r.event) {
//         case parse_event::need_more: /* compact if you like, read more */ break;
//         case parse_event::head:      /* parser.request() ready; 100-continue? */ break;
//         case parse_event::body:      /* r.body is the next piece of the body */ break;
//         case parse_event::message_complete: /* respond; keep_alive decides what next */ break;
//         case parse_event::error:     /* answer parser.error().status, then close */ break;
//         case parse_event::closed:    /* the last message ended the connection: close */ break;
//         }
//     }
//
// Strictness, where RFC 9112 leaves a choice (all rejections close the connection):
// - A bare LF as a line terminator is rejected (400), like llhttp's strict mode: accepting it (§2.2 MAY) is
//   what request-smuggling chains exploit when a front end disagrees. A bare CR anywhere is rejected (400).
// - obs-fold (a field line starting with SP/HTAB) is rejected with 400 (§5.2 allows reject or replace);
//   so is a whitespace-led line right after the request line (§2.2).
// - Whitespace between field name and colon: 400 (§5.1 MUST). Field values are trimmed of leading and
//   trailing SP/HTAB (RFC 9110 §5.5). CTL bytes other than HTAB in a value: 400.
// - Any token is a valid method (RFC 9110 §9.1); unknown ones parse as verb::other, the server answers 501.
// - The request-target may hold any visible ASCII byte (0x21-0x7E); anything else is 400. Its form and
//   percent-encoding are checked by the server's router, not here.
// - Version: exactly "HTTP/" DIGIT "." DIGIT, else 400. Major version other than 1: 505. HTTP/1.x with
//   x >= 1 is processed as HTTP/1.1 (RFC 9110 §2.5). A request line without version (HTTP/0.9): 505.
// - Content-Length: 1*DIGIT, leading zeros allowed; empty, non-digit or overflowing: 400; duplicates with
//   differing values: 400 (identical duplicates are accepted, RFC 9110 §8.6); with Transfer-Encoding: 400.
// - Transfer-Encoding: chunked must be the final coding and appear once (else 400); any other coding is not
//   implemented (501); Transfer-Encoding in an HTTP/1.0 request: 400 (RFC 9112 §6.1).
// - HTTP/1.1 without Host, or any request with more than one Host or an invalid Host value: 400 (§3.2).
// - Chunked bodies: chunk-size is 1*HEXDIG without trailing whitespace; extensions are parsed
//   (name[=token|quoted-string]) and ignored; overflow of the size: 400. Trailers are parsed like header
//   fields into request::trailers.
// - Leading empty lines (CRLF) before a request line are skipped (RFC 9112 §2.2).
// - Limits (see limits.hpp): 414 for a long request line, 431 for too many or too large header fields,
//   413 when Content-Length or the chunk sizes exceed the body limit (detected before reading the body).
// - After a message that does not keep the connection alive (Connection: close, HTTP/1.0 without
//   keep-alive, CONNECT, an upgrade request) the parser stops: later bytes are never parsed and parse()
//   returns `closed`. corio performs no protocol upgrade (it answers CONNECT with 501 and ignores Upgrade,
//   RFC 9110 §7.8 allows both) and closes after the response.
// - Lines are judged when their LF arrives; some errors are seen earlier (a field line starting with
//   whitespace or ':', a CR not followed by LF, a limit exceeded) so a client cannot hold a slot with an
//   already-invalid line.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "corio/http/limits.hpp"
#include "corio/http/request.hpp"
#include "corio/http/status.hpp"

namespace corio::http {

/// What a parse() call found.
enum class parse_event : std::uint8_t {
    need_more,        ///< all complete input was used; call again with more bytes
    head,             ///< request() holds a complete head; a body (if any) follows
    body,             ///< parse_result::body is the next piece of the body (never empty)
    message_complete, ///< the request (body and trailers included) is complete
    error,            ///< the request is invalid; error() says how to answer; the parser stays in this state
    closed,           ///< the previous message ended the connection; nothing more is parsed
};

/// The result of one parse() call.
struct parse_result {
    std::size_t consumed = 0; ///< bytes of the input the caller must drop before the next call
    parse_event event = parse_event::need_more;
    std::string_view body{}; ///< event body: a view into the input
};

/// Why a request was rejected: the status to answer with and a short reason (a static string).
struct parse_error {
    http::status status = http::status::bad_request;
    std::string_view reason{};
};

/// Parser configuration.
struct parser_options {
    http::limits limits{};
    /// RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host. Only tests that replay
    /// vectors written for parsers that do not check it turn this off.
    bool require_host = true;
};

/// Parses a stream of requests on one connection. Not thread-safe; cheap to reset and reuse.
class request_parser {
public:
    request_parser() : request_parser(parser_options{}) {}
    explicit request_parser(const parser_options& options);

    /// Parses as much of `data` as yields the next event. `data` must start with the first byte not yet
    /// consumed. See the file comment for the contract.
    parse_result parse(std::string_view data);

    /// The current request's head; valid from event head until the next head (views: see file comment).
    const http::request& request() const noexcept { return request_; }
    /// Set when parse() returned error.
    const parse_error& error() const noexcept { return error_; }
    /// True once a request has begun (a byte other than leading CRLFs arrived) until it completes. A
    /// connection that reaches end of input with this false ended cleanly between requests.
    bool in_message() const noexcept;
    /// Bytes of body still expected for a Content-Length body (0 otherwise).
    std::uint64_t body_remaining() const noexcept { return remaining_; }
    const parser_options& options() const noexcept { return options_; }

    /// Forgets everything (for a new connection); keeps the reserved capacity. request() holds nothing valid
    /// until the next head.
    void reset() noexcept;

private:
    enum class state : std::uint8_t {
        start,
        head,
        body_length,
        chunk_size,
        chunk_data,
        chunk_crlf,
        trailers,
        complete_pending,
        closed,
        failed
    };
    // Where the section scanner stands inside the current line.
    enum class phase : std::uint8_t {
        method,
        target,
        version,
        request_line_lf,
        http09_lf,
        line_start,
        name,
        value,
        value_lf,
        final_lf
    };
    enum class section_status : std::uint8_t { incomplete, complete, failed };

    // Offsets of one field line relative to the start of its section.
    struct field_offsets {
        std::uint32_t name_offset;
        std::uint32_t name_length;
        std::uint32_t value_offset;
        std::uint32_t value_length;
    };

    parse_result parse_head(std::string_view data);
    parse_result advance(std::string_view data);
    void enter_body() noexcept;
    section_status parse_section(std::string_view section, bool is_head, std::size_t& section_length);
    // The header fields the parser acts on.
    enum class special : std::uint8_t {
        other,
        host,
        content_length,
        transfer_encoding,
        connection,
        upgrade,
        expect
    };

    static special classify(std::string_view name) noexcept;
    std::size_t scan_request_line(const char* s, std::size_t m) noexcept;
    section_status scan_field_lines(const char* s, std::size_t& i, std::size_t m, bool is_head,
                                    std::size_t& section_length);
    bool add_field(const char* s, std::size_t start, std::size_t colon, std::size_t end, bool is_head);
    bool special_field(special kind, const char* s, std::size_t value_offset, std::size_t end);
    bool parse_content_length(std::string_view value);
    bool parse_transfer_encoding(std::string_view value);
    void parse_connection(std::string_view value) noexcept;
    bool finish_head(std::string_view section);
    section_status parse_chunk_line(std::string_view data, std::size_t& line_length);
    void begin_section(bool is_head) noexcept;
    void begin_message() noexcept;
    parse_result complete_message(std::size_t consumed) noexcept;
    parse_result fail(http::status status, std::string_view reason) noexcept;
    section_status section_error(http::status status, std::string_view reason) noexcept;

    parser_options options_;
    http::request request_;
    parse_error error_;
    std::vector<field_offsets> fields_;
    state state_ = state::start;

    // Section scanning (head or trailers); offsets relative to the section start.
    phase phase_ = phase::method;
    std::size_t scan_ = 0;         // next byte to examine
    std::size_t line_start_ = 0;   // first byte of the current line
    std::size_t colon_ = 0;        // the current field line's colon
    std::size_t fields_start_ = 0; // first byte after the request line (0 for trailers)
    std::uint32_t method_length_ = 0;
    std::uint32_t target_offset_ = 0;
    std::uint32_t target_length_ = 0;
    std::uint32_t version_offset_ = 0;

    // What the header fields said so far.
    std::uint32_t host_offset_ = 0;
    std::uint32_t host_length_ = 0;
    std::uint32_t host_count_ = 0;
    std::uint64_t content_length_ = 0;
    bool content_length_seen_ = false;
    bool transfer_encoding_seen_ = false;
    bool chunked_seen_ = false;
    bool chunked_last_ = false;     // the last coding seen so far is chunked
    bool chunked_not_last_ = false; // chunked appeared followed by another coding
    bool unknown_coding_ = false;   // a coding other than chunked
    bool connection_close_ = false; // "close" token
    bool connection_keep_alive_ = false;
    bool connection_upgrade_ = false;
    bool upgrade_field_ = false;
    bool expect_continue_ = false;

    // Body.
    std::uint64_t remaining_ = 0;
    std::uint64_t body_total_ = 0;
    std::uint8_t crlf_step_ = 0;
};

} // namespace corio::http
