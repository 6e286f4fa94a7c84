#pragma once

// corio::http::static_files: a handler that serves files under a root directory.
//
//   router.fallback(corio::http::static_files("/srv/www"));
//
// What it does (GET and HEAD):
// - Path: percent-decoded, then split on '/'; empty segments are ignored. Rejected with 400: malformed
//   percent-encoding, a NUL byte (raw or %00), an encoded slash (%2F: a second way to spell a separator),
//   a backslash, a "." or ".." segment. Segments starting with '.' (".git", ".env") give 404.
// - Never outside the root: the path is resolved with realpath(3) (symlinks followed) and must lie in the
//   root's own real path; a symlink leading out of the root gives 404, like a missing file. The resolved
//   path is opened with O_NOFOLLOW. Only regular files are served (FIFOs, devices: 404). Unreadable: 403.
// - A directory: "/dir" redirects (301) to "/dir/"; "/dir/" serves "/dir/index.html" if it exists, else
//   404 (no listings).
// - Content-Type from the extension (mime.hpp); ETag "<inode>-<size>-<mtime ns>" (hex); Last-Modified;
//   Accept-Ranges: bytes.
// - If-None-Match (weak comparison, or "*") → 304; otherwise If-Modified-Since (IMF-fixdate) → 304 when the
//   file is not newer.
// - Range (GET only, RFC 9110 §14): one "bytes=" range ("a-b", "a-", "-n") → 206 with Content-Range;
//   unsatisfiable (starts at or past the end, or "-0") → 416 with "Content-Range: bytes */size". Several
//   ranges → 200 with the whole file (multipart/byteranges is not implemented; a server may ignore Range).
//   A syntactically invalid Range, or an If-Range that does not match the current ETag/Last-Modified, is
//   ignored (200). The body is sent with sendfile(2).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "corio/http/request_context.hpp"
#include "corio/http/response.hpp"
#include "corio/task.hpp"

namespace corio::http {

/// The outcome of checking a URL path before it touches the file system.
struct sanitized_path {
    http::status status = http::status::ok; ///< ok, or 400 / 404 to answer at once
    std::string relative;                   ///< decoded segments joined by '/', "" for the root
    bool trailing_slash = false;            ///< the URL path ends with '/'
};

/// Decodes and checks a (percent-encoded) URL path; see the file comment for the rules.
sanitized_path sanitize_path(std::string_view raw_path);

/// A parsed Range field against a representation of `size` bytes.
struct range_request {
    enum class kind : std::uint8_t { none, single, unsatisfiable } type = kind::none;
    std::uint64_t first = 0; ///< first byte (single)
    std::uint64_t last = 0;  ///< last byte, inclusive, clamped to size - 1 (single)
};

/// Parses a Range field value (RFC 9110 §14.1.2). Absent, invalid, non-"bytes" or multi-range values give
/// kind::none (serve the whole representation).
range_request parse_range(std::string_view value, std::uint64_t size) noexcept;

/// The strong entity tag for a file, with its quotes: "\"<ino>-<size>-<mtime_ns>\"" in hex.
std::string make_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns);

/// If-None-Match evaluation: true when `field` is "*" or lists an entity tag equal to `etag` under weak
/// comparison (W/ prefixes ignored, RFC 9110 §8.8.3.2).
bool none_match_hits(std::string_view field, std::string_view etag) noexcept;

/// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into Unix seconds; nullopt if malformed.
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

/// Serves the files under a root directory (see the file comment). Copyable; thread-safe.
class static_files {
public:
    /// @throws std::system_error if `root` does not exist; std::invalid_argument if it is not a directory.
    explicit static_files(const std::string& root);

    /// The root's real path.
    const std::string& root() const noexcept { return root_; }

    /// The response to `ctx` (completes without suspending).
    task<response> operator()(request_context& ctx) const;

    /// The same, synchronously.
    response serve(const request_context& ctx) const;

private:
    std::string root_;
};

} // namespace corio::http
