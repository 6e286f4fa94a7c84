#pragma once

// corio::http::response: what a handler returns. Status, header fields and a body that is one of: nothing,
// an owned string, a borrowed string (static storage), a file range (sent with sendfile), or "streamed" (the
// handler already sent a chunked body through request_context::stream()).
//
// Content-Length, Transfer-Encoding, Date, Server and Connection are added by the server; do not set them.
// A response is cheap to build for the common case: a Content-Type of up to 30 bytes and a body given as a
// static view or a short string allocate nothing.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "corio/http/status.hpp"

namespace corio::http {

/// Owns a file descriptor (closes it on destruction). Move-only.
class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.fd_, -1));
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
            close_descriptor(fd_); // out of line: the common case (nothing open) stays inline
        }
        fd_ = fd;
    }

private:
    static void close_descriptor(int fd) noexcept;
    int fd_ = -1;
};

/// A response header field with owned name and value.
struct response_field {
    std::string name;
    std::string value;
};

/// How a response carries its body.
enum class body_kind : std::uint8_t {
    empty,    ///< no body (Content-Length: 0 unless the status forbids content)
    owned,    ///< body() is an owned string
    borrowed, ///< body() views storage the caller keeps alive until the response is sent (e.g. a literal)
    file,     ///< file_fd() from file_offset() for file_length() bytes, sent with sendfile
    streamed, ///< the handler streamed the whole response through request_context::stream()
};

class response {
public:
    /// 200 OK with no body.
    response() noexcept = default;
    explicit response(http::status s) noexcept : status_(s) {}

    /// A response with an owned body.
    static response text(std::string body, std::string_view content_type = "text/plain; charset=utf-8",
                         http::status s = http::status::ok) {
        response r(s);
        r.set_body(std::move(body));
        r.set_content_type(content_type);
        return r;
    }
    /// A response with a body in storage that outlives the response (typically a string literal): no copy.
    static response static_text(std::string_view body, std::string_view content_type,
                                http::status s = http::status::ok) {
        response r(s);
        r.set_static_body(body);
        r.set_content_type(content_type);
        return r;
    }
    /// An application/json response with an owned body.
    static response json(std::string body, http::status s = http::status::ok) {
        return text(std::move(body), "application/json", s);
    }
    /// `length` bytes of the open file `fd` from `offset`, sent with sendfile.
    static response file(unique_fd fd, std::uint64_t offset, std::uint64_t length,
                         std::string_view content_type, http::status s = http::status::ok) {
        response r(s);
        r.set_file(std::move(fd), offset, length);
        r.set_content_type(content_type);
        return r;
    }
    /// What a handler returns after streaming its response through request_context::stream().
    static response streamed() noexcept {
        response r;
        r.kind_ = body_kind::streamed;
        return r;
    }

    http::status status() const noexcept { return status_; }
    response& set_status(http::status s) noexcept {
        status_ = s;
        return *this;
    }

    /// The Content-Type (empty: none is sent).
    std::string_view content_type() const noexcept {
        return type_length_ <= inline_type_capacity ? std::string_view(type_inline_, type_length_)
                                                    : long_type();
    }
    response& set_content_type(std::string_view value) {
        // 8-30 bytes (nearly every type) with overlapping word copies, inline; the rest out of line.
        const std::size_t n = value.size();
        if (n < 8 || n > inline_type_capacity) {
            return set_other_content_type(value);
        }
        const char* v = value.data();
        copy8(type_inline_, v);
        copy8(type_inline_ + n - 8, v + n - 8);
        if (n > 16) {
            copy8(type_inline_ + 8, v + 8);
            copy8(type_inline_ + n - 16, v + n - 16);
        }
        type_length_ = static_cast<std::uint8_t>(n);
        return *this;
    }

    /// Adds a header field (duplicates allowed). Names and values are validated when the response is sent (a
    /// CR or LF in a value makes the server answer 500 instead).
    response& add_header(std::string_view name, std::string_view value);
    /// The added header fields, in order.
    const std::vector<response_field>& headers() const noexcept;
    /// True when fields were added (headers() is not empty).
    bool has_headers() const noexcept { return extras_ != nullptr && !extras_->fields.empty(); }
    /// The first added field with this name (case-insensitive), or nullptr.
    const response_field* find_header(std::string_view name) const noexcept;

    body_kind kind() const noexcept { return kind_; }
    /// The body for owned / borrowed kinds (empty otherwise).
    std::string_view body() const noexcept {
        return kind_ == body_kind::owned ? std::string_view(owned_) : borrowed_;
    }
    response& set_body(std::string body) {
        owned_ = std::move(body);
        borrowed_ = {};
        kind_ = body_kind::owned;
        return *this;
    }
    response& set_static_body(std::string_view body) noexcept {
        owned_.clear();
        borrowed_ = body;
        kind_ = body_kind::borrowed;
        return *this;
    }
    response& set_file(unique_fd fd, std::uint64_t offset, std::uint64_t length) noexcept {
        file_ = std::move(fd);
        file_offset_ = offset;
        file_length_ = length;
        kind_ = body_kind::file;
        return *this;
    }
    int file_fd() const noexcept { return file_.get(); }
    std::uint64_t file_offset() const noexcept { return file_offset_; }
    std::uint64_t file_length() const noexcept { return file_length_; }
    /// Closes the file of a file body (the server calls it once the body is sent).
    void close_file() noexcept { file_.reset(); }

    /// The number of body bytes (Content-Length) for the non-streamed kinds.
    std::uint64_t content_length() const noexcept {
        return kind_ == body_kind::file ? file_length_ : body().size();
    }

private:
    // A response is built, moved into the handler's promise and destroyed on every request: it stays small
    // and cheap to move. What most responses lack (extra fields, a Content-Type longer than the inline
    // capacity) lives behind one pointer.
    struct extras {
        std::vector<response_field> fields;
        std::string long_type;
    };
    static constexpr std::size_t inline_type_capacity = 30;
    extras& more();
    response& set_other_content_type(std::string_view value);
    static void copy8(char* to, const char* from) noexcept { std::memcpy(to, from, 8); }
    std::string_view long_type() const noexcept;

    http::status status_ = http::status::ok;
    body_kind kind_ = body_kind::empty;
    std::uint8_t type_length_ = 0; // in type_inline_ when <= capacity, else in extras_->long_type
    char type_inline_[inline_type_capacity]{};
    std::unique_ptr<extras> extras_;
    std::string owned_;
    std::string_view borrowed_;
    unique_fd file_;
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_length_ = 0;
};

} // namespace corio::http
