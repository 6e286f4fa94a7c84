#pragma once

// Response serialization (sans-I/O): appends status line, fields and framing to a caller-owned buffer.
//
// Every function *appends* to a std::string the caller reuses: responses to pipelined requests are written
// one after the other into the same buffer and go out in one write. No allocation once the buffer has
// grown to its working size.
//
// Every response head carries `Server: corio` and the given Date value (take it from
// thread_date_cache().now(), see date_cache.hpp). Content-Length is computed here; statuses without content
// (1xx, 204, 304) get neither Content-Length nor a body (RFC 9110 §8.6, §6.4.1).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "corio/http/request.hpp"
#include "corio/http/status.hpp"

namespace corio::http {

/// What the response says about the connection.
enum class connection_header : std::uint8_t {
    none,       ///< nothing: HTTP/1.1 keeps the connection by default
    close,      ///< "Connection: close": the server closes after this response
    keep_alive, ///< "Connection: keep-alive": an HTTP/1.0 client asked to keep the connection
};

/// The Connection field a response to `req` needs; `server_closes` is true when the server decided to close
/// (error, shutdown, connection limit) even though the client would keep the connection.
connection_header connection_for(const request& req, bool server_closes = false) noexcept;

/// A response's status and fields. Content-Length, Transfer-Encoding, Server, Date and Connection are added
/// by the writer functions and must not be among `headers`.
struct response_head {
    http::status status = http::status::ok;
    std::span<const header> headers{};
    connection_header connection = connection_header::none;
    /// Written as the first field ("Content-Type: ...") when not empty; the same as passing it in `headers`,
    /// minus building a field list for the commonest one.
    std::string_view content_type{};
};

/// Appends the head of a response whose body of `content_length` bytes the caller sends itself (e.g. with
/// sendfile), or of a response to HEAD. @throws std::invalid_argument if a field name is not a token or a
/// value holds CR, LF or another CTL (response splitting).
void write_head(std::string& out, const response_head& head, std::string_view date,
                std::uint64_t content_length);

/// Appends a complete response with `body`. For a HEAD request (`head_request`) the body is left out but
/// Content-Length still gives its size (RFC 9110 §9.3.2). @throws std::invalid_argument as write_head.
void write_response(std::string& out, const response_head& head, std::string_view date, std::string_view body,
                    bool head_request = false);

/// Appends the head of a response with a chunked body ("Transfer-Encoding: chunked"). Follow it with
/// write_chunk() calls and one write_last_chunk(). @throws std::invalid_argument as write_head.
void write_chunked_head(std::string& out, const response_head& head, std::string_view date);

/// Appends one chunk (size line, data, CRLF). Empty data appends nothing (an empty chunk would end the body).
void write_chunk(std::string& out, std::string_view data);

/// Appends the last chunk and the trailer section. @throws std::invalid_argument for invalid trailers.
void write_last_chunk(std::string& out, std::span<const header> trailers = {});

/// Appends "HTTP/1.1 100 Continue" (the interim response to Expect: 100-continue).
void write_continue(std::string& out);

} // namespace corio::http
