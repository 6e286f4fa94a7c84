#pragma once

// Size limits the request parser enforces, with defaults close to nginx's and h2o's.

#include <cstddef>
#include <cstdint>

namespace corio::http {

/// Limits on one request. Exceeding one makes the parser fail with the status given per field; the
/// connection must then be closed. All sizes are in bytes.
struct limits {
    /// Request line without its CRLF (method, target, version). Over it: 414 URI Too Long.
    std::size_t max_request_line = 8 * 1024;
    /// Header section after the request line, CRLFs included (and, separately, the trailer section).
    /// Over it: 431 Request Header Fields Too Large.
    std::size_t max_header_bytes = 16 * 1024;
    /// Number of header field lines (and, separately, trailer field lines). Over it: 431.
    std::size_t max_header_count = 100;
    /// Body size, Content-Length or the sum of the chunk sizes. Over it: 413 Content Too Large.
    std::uint64_t max_body_size = 1024 * 1024;
    /// A chunk-size line with its extensions, CRLF excluded. Over it: 400 Bad Request.
    std::size_t max_chunk_line = 1024;
};

} // namespace corio::http
