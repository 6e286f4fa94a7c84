#pragma once

// response_parser: a small, strict, sans-I/O HTTP/1.1 *response* parser for `corio load http`.
//
// It checks what a load generator must trust before counting a response: the status line, the header
// section and the framing of the body (Content-Length, chunked, none for 1xx/204/304 and responses to HEAD,
// or delimited by the end of the connection). It does not keep header values or the body: it only counts
// body bytes. No allocation.
//
// Contract (like corio::http::request_parser): parse() is given all bytes not yet consumed, starting where
// the previous call's `consumed` ended; the caller drops those bytes before the next call. Nothing of a head
// or of a chunk-size / trailer line is consumed until all of it has arrived, so the caller may compact its
// buffer between calls. Body bytes are consumed as they arrive. After `complete`, the next call starts the
// next response (pipelining). At end of input, call finish() once.
//
// Strictness: status line exactly "HTTP/1." DIGIT SP 3DIGIT SP reason CRLF; lines end with CRLF (a bare LF
// or CR is an error); field names are tokens followed directly by ':'; obs-fold is an error; field values
// hold no CTL other than HTAB; Content-Length is 1*DIGIT (differing duplicates, overflow or together with
// Transfer-Encoding: error); Transfer-Encoding must be exactly "chunked"; chunk sizes are 1*HEXDIG
// (extensions ignored); interim 1xx responses are rejected (a load generator never sends Expect).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corio::cli {

enum class response_event : std::uint8_t {
    need_more, ///< everything complete was consumed; call again with more bytes
    complete,  ///< one response is complete; status(), keep_alive(), body_bytes() describe it
    error,     ///< the bytes are not a valid response; error() says why; the parser stays in this state
};

struct response_parse_result {
    std::size_t consumed = 0;
    response_event event = response_event::need_more;
};

class response_parser {
public:
    /// A head larger than this is an error.
    static constexpr std::size_t max_head_bytes = 64 * 1024;

    /// The next response answers a HEAD request (it has no body whatever its fields say).
    void expect_head_response(bool head) noexcept { head_request_ = head; }

    /// Parses the next piece of the current response. `data` starts at the first unconsumed byte.
    response_parse_result parse(std::string_view data) noexcept;

    /// Call at end of input with the number of bytes still unconsumed: completes a response delimited by
    /// the end of the connection. @return complete for such a response, need_more when no response had
    /// begun (a clean end between responses), error otherwise (a response cut short).
    response_event finish(std::size_t unconsumed) noexcept;

    int status() const noexcept { return status_; }
    /// Whether the connection stays open after the completed response (HTTP/1.1 without "close",
    /// HTTP/1.0 with "keep-alive", and never after a body delimited by the end of the connection).
    bool keep_alive() const noexcept { return keep_alive_; }
    /// Body bytes of the completed response (chunked: the decoded data).
    std::uint64_t body_bytes() const noexcept { return body_bytes_; }
    /// Why parse() returned error (a static string).
    std::string_view error() const noexcept { return error_; }

    /// Forgets everything (for a new connection).
    void reset() noexcept { *this = response_parser{}; }

private:
    enum class state : std::uint8_t {
        start,
        length_body,
        chunk_size,
        chunk_data,
        chunk_crlf,
        trailers,
        until_close,
        failed
    };

    response_parse_result fail(std::size_t consumed, std::string_view why) noexcept;
    response_parse_result complete(std::size_t consumed) noexcept;
    bool parse_head(std::string_view head) noexcept;
    bool parse_field(std::string_view name, std::string_view value) noexcept;

    state state_ = state::start;
    bool head_request_ = false;
    bool keep_alive_ = true;
    int status_ = 0;
    std::uint64_t remaining_ = 0;
    std::uint64_t body_bytes_ = 0;
    std::string_view error_{};
    // Head fields.
    bool http10_ = false;
    bool content_length_seen_ = false;
    bool chunked_ = false;
    bool close_ = false;
    bool keep_alive_token_ = false;
    std::uint64_t content_length_ = 0;
};

} // namespace corio::cli
