#include "corio/models/blocking_http.hpp"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../http/respond.hpp"
#include "corio/http/response.hpp"
#include "corio/http/serializer.hpp"
#include "corio/sync_wait.hpp"

namespace corio::models {

namespace {

/// The input buffer: like the coroutine server's, room for the largest head the limits allow.
std::size_t input_capacity(const http::limits& l) {
    return std::max<std::size_t>(32 * 1024, l.max_request_line + 2 * l.max_header_bytes + 8 * 1024);
}

bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool send_file(int fd, int file, std::uint64_t offset, std::uint64_t length) {
    auto off = static_cast<off_t>(offset);
    while (length > 0) {
        const ssize_t n = ::sendfile(fd, file, &off, length);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return false;
        }
        length -= static_cast<std::uint64_t>(n);
    }
    return true;
}

/// Waits up to `timeout` for input. False on timeout.
bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    for (;;) {
        const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (n >= 0) {
            return n > 0;
        }
        if (errno != EINTR) {
            return true; // let the read report the error
        }
    }
}

/// After a response that ends the connection: stop sending, and drain what the client still sends for a
/// moment so that its unread bytes do not turn our close into a reset that destroys the response.
void linger_close(int fd, char* scratch, std::size_t scratch_size) {
    ::shutdown(fd, SHUT_WR);
    std::size_t total = 0;
    while (total < (1u << 20) && wait_readable(fd, std::chrono::milliseconds(2000))) {
        const ssize_t n = ::recv(fd, scratch, scratch_size, 0);
        if (n <= 0) {
            return;
        }
        total += static_cast<std::size_t>(n);
    }
}

} // namespace

void serve_http(int fd, const http::router& routes, const blocking_http_options& options) {
    const std::size_t buffer_size = input_capacity(options.parser.limits);
    auto buffer = std::make_unique<char[]>(buffer_size);
    char* buf = buffer.get();
    std::size_t begin = 0;    // first unconsumed byte
    std::size_t end = 0;      // end of input
    std::size_t head_end = 0; // while a body is read: the head's bytes before this stay in place
    bool in_body = false;
    http::request_parser parser(options.parser);
    http::request_context ctx;
    http::route_match match;
    std::string body;
    std::string out;
    std::vector<http::header> scratch;

    auto reject = [&](http::status s) {
        out.clear();
        // A HEAD request rejected after its head was parsed (an invalid body) gets no content.
        const bool head_request = in_body && parser.request().verb == http::verb::head;
        http::detail::serialize_rejection(out, s, scratch, head_request);
        send_all(fd, out.data(), out.size());
        linger_close(fd, buf, buffer_size);
    };

    for (;;) {
        const http::parse_result r = parser.parse({buf + begin, end - begin});
        begin += r.consumed;
        switch (r.event) {
        case http::parse_event::need_more: {
            // Keep the current head in place while its body arrives (the request's views point into it).
            const std::size_t base = in_body ? head_end : 0;
            if (begin > base) {
                std::memmove(buf + base, buf + begin, end - begin);
                end -= begin - base;
                begin = base;
            }
            const bool mid_request = in_body || end > begin;
            if (!wait_readable(fd, mid_request ? options.header_timeout : options.idle_timeout)) {
                if (mid_request) {
                    reject(http::status::request_timeout);
                }
                return;
            }
            const ssize_t n = ::recv(fd, buf + end, buffer_size - end, 0);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                return;
            }
            end += static_cast<std::size_t>(n);
            break;
        }
        case http::parse_event::head: {
            in_body = true;
            head_end = begin;
            body.clear();
            const http::request& req = parser.request();
            match = http::detail::route_request(routes, ctx, req);
            if (req.expect_continue && match.outcome == http::route_outcome::handler &&
                parser.body_remaining() > 0 && end == begin) {
                out.clear();
                http::write_continue(out);
                send_all(fd, out.data(), out.size());
            }
            break;
        }
        case http::parse_event::body:
            if (match.outcome == http::route_outcome::handler) {
                body.append(r.body);
            }
            break;
        case http::parse_event::message_complete: {
            in_body = false;
            const http::request& req = parser.request();
            const bool head_request = req.verb == http::verb::head;
            ctx.set_body(body);
            http::response resp;
            bool failed = false;
            if (match.outcome == http::route_outcome::handler) {
                try {
                    resp = sync_wait((*match.target)(ctx));
                    if (resp.kind() == http::body_kind::streamed) {
                        resp = http::response();
                    }
                } catch (const std::exception& e) {
                    spdlog::error("http handler for {} {} threw: {}", req.method, req.target, e.what());
                    failed = true;
                }
            } else {
                resp = http::detail::builtin_response(match);
            }
            if (failed) {
                resp = http::detail::internal_error_response();
            }
            bool server_closes = failed || match.outcome == http::route_outcome::bad_request;
            out.clear();
            if (!http::detail::serialize_response(out, resp, req, head_request, server_closes, scratch)) {
                resp = http::detail::internal_error_response();
                server_closes = true;
                http::detail::serialize_response(out, resp, req, head_request, true, scratch);
            }
            if (!send_all(fd, out.data(), out.size())) {
                return;
            }
            if (resp.kind() == http::body_kind::file && !head_request &&
                !http::status_forbids_body(resp.status()) && resp.file_length() > 0 &&
                !send_file(fd, resp.file_fd(), resp.file_offset(), resp.file_length())) {
                return;
            }
            resp.close_file();
            if (!req.keep_alive || server_closes) {
                linger_close(fd, buf, buffer_size);
                return;
            }
            break;
        }
        case http::parse_event::error:
            reject(parser.error().status);
            return;
        case http::parse_event::closed:
            linger_close(fd, buf, buffer_size);
            return;
        }
    }
}

} // namespace corio::models
