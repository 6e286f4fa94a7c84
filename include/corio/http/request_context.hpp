#pragma once

// corio::http::request_context: what a handler gets. The parsed request (views into the connection's
// buffers, valid until the handler's task finishes), the decoded path parameters, the body, and a writer for
// streaming a chunked response.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "corio/http/request.hpp"
#include "corio/http/response.hpp"
#include "corio/task.hpp"

namespace corio::http {

namespace detail {
class connection;
} // namespace detail

/// One path parameter: `{name}` in the route pattern, the percent-decoded segment as value.
struct path_param {
    std::string_view name;
    std::string_view value;
};

/// Streams a response body with chunked transfer coding (or, to an HTTP/1.0 client, delimited by closing
/// the connection). Each write() sends its data before it completes (flow control: it waits while the
/// client does not read, up to the write timeout). For a HEAD request the head is sent and the data is
/// dropped. After streaming, the handler returns response::streamed().
/// @throws std::system_error from begin/write/end when the connection fails (the handler should let it
/// propagate: the server then closes the connection).
class stream_writer {
public:
    stream_writer() noexcept = default;
    explicit stream_writer(detail::connection* c) noexcept : connection_(c) {}

    /// Sends the status line and fields of `head` (its body is ignored). Call once, first.
    task<void> begin(const response& head);
    /// Sends `data` as one chunk (nothing for empty data).
    task<void> write(std::string_view data);
    /// Sends the last chunk. Called by the server if the handler returns without calling it.
    task<void> end();

    bool started() const noexcept { return started_; }
    bool ended() const noexcept { return ended_; }
    /// Resets the state for the next request (server use).
    void reset() noexcept {
        started_ = false;
        ended_ = false;
    }

private:
    detail::connection* connection_ = nullptr;
    bool started_ = false;
    bool ended_ = false;
};

/// The request as a handler sees it. Not thread-safe; valid while the handler runs.
class request_context {
public:
    request_context() = default;
    request_context(const request_context&) = delete;
    request_context& operator=(const request_context&) = delete;

    const http::request& request() const noexcept { return *request_; }
    std::string_view method() const noexcept { return request_->method; }
    http::verb verb() const noexcept { return request_->verb; }
    /// The request-target as sent.
    std::string_view target() const noexcept { return request_->target; }
    /// The path of the target, still percent-encoded (for absolute-form targets, without scheme and host).
    std::string_view path() const noexcept { return path_; }
    /// The query after '?', without it (empty if none).
    std::string_view query() const noexcept { return query_; }
    /// The first field with this name (case-insensitive), or empty.
    std::string_view header(std::string_view name) const noexcept { return request_->value_of(name); }
    /// The decoded value of path parameter `{name}`, or empty.
    std::string_view param(std::string_view name) const noexcept {
        for (const path_param& p : params_) {
            if (p.name == name) {
                return p.value;
            }
        }
        return {};
    }
    std::span<const path_param> params() const noexcept { return params_; }
    /// The whole request body (empty if none).
    std::string_view body() const noexcept { return body_; }
    /// True when a HEAD request is served by a GET handler (the server drops the body it returns).
    bool head_request() const noexcept { return request_->verb == http::verb::head; }
    /// The writer for a streamed response.
    stream_writer& stream() noexcept { return writer_; }

    // Set by the server (and by tests that call handlers directly).
    void set_request(const http::request* r, std::string_view path, std::string_view query) noexcept {
        request_ = r;
        path_ = path;
        query_ = query;
    }
    void set_body(std::string_view body) noexcept { body_ = body; }
    void set_writer(stream_writer w) noexcept { writer_ = w; }
    /// Clears the parameters, keeping capacity; `max_decoded` bounds the total decoded size (so that views
    /// into the decoding buffer stay valid).
    void clear_params(std::size_t max_decoded) {
        params_.clear();
        decoded_.clear();
        if (decoded_.capacity() < max_decoded) {
            decoded_.reserve(max_decoded);
        }
    }
    /// Appends a parameter whose value is decoded into storage owned by the context. Returns false when the
    /// value is not valid percent-encoding or decodes to a NUL byte.
    bool add_param(std::string_view name, std::string_view raw_value);

private:
    const http::request* request_ = nullptr;
    std::string_view path_;
    std::string_view query_;
    std::string_view body_;
    std::vector<path_param> params_;
    std::string decoded_;
    stream_writer writer_;
};

} // namespace corio::http
