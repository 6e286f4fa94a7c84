// Fuzz target: whole server connections. The payload is the client side of one connection to a real
// corio::http::server (started once, in-process, on a one-worker runtime, 127.0.0.1 port 0, small limits
// and a temporary static root), written over loopback in the plan's pieces, then half-closed; the response
// bytes are read until the server closes (bounded: 10 s, else the server hung on a closed client).
//
// Flags (high bits of byte 0): bit 0 — pause ~1 ms between pieces, so that they arrive as separate reads.
//
// What must hold, with the sans-I/O parser run over the same bytes as the oracle (parse_run.hpp):
// - the response bytes are a sequence of well-formed HTTP/1.1 responses: status line "HTTP/1.1 NNN reason",
//   field lines "name: value", framing by Content-Length or chunked (no body for HEAD, 1xx, 204, 304), and
//   nothing after the last one;
// - an interim response is only ever 100 Continue; "Connection: close" only on the last response;
// - at most one final response per complete request, plus one for a request the parser rejects, whose
//   status is the parser's; and when the server did not announce a close, every complete request was
//   answered.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "corio/http/server.hpp"
#include "corio/http/static_files.hpp"
#include "corio/runtime/runtime.hpp"
#include "fuzz_support.hpp"
#include "parse_run.hpp"

namespace {

using namespace corio;

http::limits small_limits() {
    http::limits l;
    l.max_request_line = 512;
    l.max_header_bytes = 1024;
    l.max_header_count = 16;
    l.max_body_size = 4096;
    l.max_chunk_line = 64;
    return l;
}

task<http::response> plaintext(http::request_context&) {
    co_return http::response::static_text("Hello, World!", "text/plain");
}

task<http::response> echo(http::request_context& ctx) {
    co_return http::response::text(std::string(ctx.body()), "application/octet-stream");
}

// GET /stream/{n}: n (0..9) chunks of a streamed body.
task<http::response> stream(http::request_context& ctx) {
    const std::string_view n = ctx.param("n");
    const int count = n.size() == 1 && n[0] >= '0' && n[0] <= '9' ? n[0] - '0' : 0;
    http::stream_writer& out = ctx.stream();
    co_await out.begin(http::response().set_content_type("text/plain"));
    for (int i = 0; i < count; ++i) {
        co_await out.write(std::string(static_cast<std::size_t>(i) + 1, 'a'));
    }
    co_await out.end();
    co_return http::response::streamed();
}

task<http::response> fail(http::request_context&) {
    throw std::runtime_error("handler failure (expected by the fuzzer)");
    co_return http::response();
}

// A response with a field value taken from the request: must be refused (500) if it is not a valid value.
task<http::response> reflect(http::request_context& ctx) {
    http::response r = http::response::static_text("reflected", "text/plain");
    r.add_header("X-Reflected", ctx.query());
    co_return r;
}

std::string make_root() {
    char tmpl[] = "/tmp/corio-fuzz-www.XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    if (dir == nullptr) {
        std::abort();
    }
    const std::string root(dir);
    std::ofstream(root + "/index.html") << "<!doctype html><title>fuzz</title>";
    std::ofstream(root + "/a.txt") << std::string(3000, 'a');
    ::mkdir((root + "/sub").c_str(), 0755);
    std::ofstream(root + "/sub/index.html") << "sub";
    return root;
}

struct fixture {
    runtime rt{1};
    std::string root = make_root();
    std::unique_ptr<http::server> srv;

    fixture() {
        spdlog::set_level(spdlog::level::off); // handler failures are expected here
        http::router routes;
        routes.get("/plaintext", plaintext)
            .post("/echo", echo)
            .put("/echo", echo)
            .get("/stream/{n}", stream)
            .get("/fail", fail)
            .get("/reflect", reflect)
            .fallback(http::static_files(root));
        http::server_options o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.limits = small_limits();
        o.header_timeout = std::chrono::seconds(5);
        o.body_timeout = std::chrono::seconds(5);
        o.idle_timeout = std::chrono::seconds(5);
        o.write_timeout = std::chrono::seconds(5);
        o.drain_timeout = std::chrono::seconds(1);
        srv = std::make_unique<http::server>(rt, std::move(routes), o);
        srv->start();
    }
};

// Never destroyed: the server and its worker thread run until the process exits, so no teardown races
// libFuzzer's exit-time leak check (everything stays reachable from this pointer).
fixture& the_server() {
    static fixture* const f = new fixture;
    return *f;
}

// A non-blocking socket connected to 127.0.0.1:port. Tolerates EINTR (libFuzzer's timers) and a shortage
// of ephemeral ports (EADDRNOTAVAIL: waits and retries).
int connect_to(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0;; ++attempt) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        CORIO_FUZZ_CHECK(fd >= 0);
        int err = 0;
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            err = errno;
            if (err == EINPROGRESS || err == EINTR) {
                pollfd p{fd, POLLOUT, 0};
                int ready = 0;
                do {
                    ready = ::poll(&p, 1, 5000);
                } while (ready < 0 && errno == EINTR);
                CORIO_FUZZ_CHECK(ready == 1);
                socklen_t len = sizeof err;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            }
        }
        if (err == 0) {
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        ::close(fd);
        if (err != EADDRNOTAVAIL || attempt == 200) {
            std::fprintf(stderr, "connect: %s\n", std::strerror(err));
            CORIO_FUZZ_CHECK(err == 0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10)); // ephemeral ports are scarce
    }
}

struct exchange_result {
    std::string out;
    bool reset = false; // the server reset the connection: the last response may be cut short
};

// Writes `payload` in `pieces`, half-closes, reads until the server closes. Bounded in time.
exchange_result talk(std::uint16_t port, std::string_view payload, const std::vector<std::size_t>& pieces,
                     bool pause) {
    const int fd = connect_to(port);
    exchange_result res;
    std::size_t written = 0;
    std::size_t piece = 0;
    std::size_t piece_end = 0;
    bool write_open = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buf[16 * 1024];
    for (;;) {
        if (write_open && written == piece_end) {
            if (written == payload.size()) {
                ::shutdown(fd, SHUT_WR);
                write_open = false;
            } else {
                const std::size_t size = piece < pieces.size() ? pieces[piece] : payload.size() - written;
                ++piece;
                piece_end = std::min(payload.size(), written + size);
                if (pause && written > 0) {
                    std::this_thread::sleep_for(std::chrono::microseconds(1000));
                }
            }
        }
        pollfd p{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
        const int ready = ::poll(&p, 1, 100);
        CORIO_FUZZ_CHECK(std::chrono::steady_clock::now() < deadline); // the server must close
        if (ready <= 0) {
            continue;
        }
        if ((p.revents & POLLOUT) != 0 && write_open) {
            const ssize_t n = ::send(fd, payload.data() + written, piece_end - written, MSG_NOSIGNAL);
            if (n > 0) {
                written += static_cast<std::size_t>(n);
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                write_open = false; // the server closed: what is left is never read
            }
        }
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                res.out.append(buf, static_cast<std::size_t>(n));
                CORIO_FUZZ_CHECK(res.out.size() < (std::size_t{64} << 20));
            } else if (n == 0) {
                break;
            } else if (errno == ECONNRESET) {
                res.reset = true;
                break;
            } else {
                CORIO_FUZZ_CHECK(errno == EAGAIN || errno == EINTR);
            }
        }
    }
    // This side half-closed first, so it would sit in TIME_WAIT for a minute: at hundreds of connections per
    // second the ephemeral ports run out. The exchange is over; close with a reset instead.
    const linger abort_on_close{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    ::close(fd);
    return res;
}

bool is_tchar(char c) {
    return http::detail::is(c, http::detail::tchar);
}

struct response_view {
    unsigned status = 0;
    bool close = false;
    bool chunked = false;
    std::optional<std::uint64_t> length;
};

// Reads a response head at `pos`: nullopt if the bytes end first. Malformed heads fail the check.
std::optional<response_view> read_head(std::string_view out, std::size_t& pos) {
    const std::size_t end = out.find("\r\n\r\n", pos);
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view head = out.substr(pos, end + 2 - pos);
    pos = end + 4;
    response_view r;
    CORIO_FUZZ_CHECK(head.substr(0, 9) == "HTTP/1.1 ");
    CORIO_FUZZ_CHECK(head.size() >= 14);
    for (std::size_t i = 9; i < 12; ++i) {
        CORIO_FUZZ_CHECK(head[i] >= '0' && head[i] <= '9');
    }
    r.status = static_cast<unsigned>((head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0'));
    CORIO_FUZZ_CHECK(r.status >= 100 && r.status <= 599 && head[12] == ' ');
    std::size_t line_end = head.find("\r\n");
    for (const char c : head.substr(13, line_end - 13)) {
        CORIO_FUZZ_CHECK(c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f));
    }
    std::size_t at = line_end + 2;
    while (at < head.size()) {
        line_end = head.find("\r\n", at);
        const std::string_view line = head.substr(at, line_end - at);
        at = line_end + 2;
        const std::size_t colon = line.find(':');
        CORIO_FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
        const std::string_view name = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        for (const char c : name) {
            CORIO_FUZZ_CHECK(is_tchar(c));
        }
        CORIO_FUZZ_CHECK(!value.empty() && value.front() == ' ');
        value.remove_prefix(1);
        for (const char c : value) {
            CORIO_FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
        }
        if (http::iequals(name, "content-length")) {
            CORIO_FUZZ_CHECK(!r.length && !r.chunked);
            std::uint64_t n = 0;
            CORIO_FUZZ_CHECK(!value.empty() && value.size() < 20);
            for (const char c : value) {
                CORIO_FUZZ_CHECK(c >= '0' && c <= '9');
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            r.length = n;
        } else if (http::iequals(name, "transfer-encoding")) {
            CORIO_FUZZ_CHECK(value == "chunked" && !r.length);
            r.chunked = true;
        } else if (http::iequals(name, "connection")) {
            r.close = r.close || value == "close";
        }
    }
    return r;
}

// Skips a chunked body at `pos`; false if the bytes end first.
bool skip_chunked(std::string_view out, std::size_t& pos) {
    for (;;) {
        const std::size_t eol = out.find("\r\n", pos);
        if (eol == std::string_view::npos) {
            return false;
        }
        std::uint64_t size = 0;
        CORIO_FUZZ_CHECK(eol > pos && eol - pos <= 16);
        for (std::size_t i = pos; i < eol; ++i) {
            const char c = out[i];
            CORIO_FUZZ_CHECK(http::detail::is(c, http::detail::hex_digit));
            size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        pos = eol + 2;
        if (size == 0) {
            if (out.size() - pos < 2) {
                return false;
            }
            CORIO_FUZZ_CHECK(out.substr(pos, 2) == "\r\n"); // the server sends no trailers
            pos += 2;
            return true;
        }
        if (out.size() - pos < size + 2) {
            return false;
        }
        CORIO_FUZZ_CHECK(out.substr(pos + size, 2) == "\r\n");
        pos += size + 2;
    }
}

void check_responses(const exchange_result& res, const fuzz::run_record& expected) {
    const std::string_view out = res.out;
    std::size_t pos = 0;
    std::size_t finals = 0;
    bool closed = false;
    unsigned last_status = 0;
    while (pos < out.size()) {
        CORIO_FUZZ_CHECK(!closed); // nothing after a response announcing the close
        const std::optional<response_view> r = read_head(out, pos);
        if (!r) {
            CORIO_FUZZ_CHECK(res.reset); // cut short only by a reset
            return;
        }
        if (r->status < 200) {
            CORIO_FUZZ_CHECK(r->status == 100 && !r->length && !r->chunked);
            continue;
        }
        // The request this answers: a complete message, or the one still pending / rejected.
        http::verb verb = http::verb::other;
        if (finals < expected.messages.size()) {
            verb = expected.messages[finals].verb;
        } else if (expected.head_pending) {
            verb = expected.pending.verb;
        }
        const bool bodiless = verb == http::verb::head || r->status == 204 || r->status == 304;
        if (r->chunked) {
            CORIO_FUZZ_CHECK(!bodiless || verb == http::verb::head);
            if (!bodiless && !skip_chunked(out, pos)) {
                CORIO_FUZZ_CHECK(res.reset);
                return;
            }
        } else {
            CORIO_FUZZ_CHECK(r->length.has_value() || r->status == 204 || r->status == 304);
            const std::uint64_t length = bodiless ? 0 : r->length.value_or(0);
            if (out.size() - pos < length) {
                CORIO_FUZZ_CHECK(res.reset);
                return;
            }
            pos += static_cast<std::size_t>(length);
        }
        // The server also closes after a request that does not keep the connection (HTTP/1.0 without
        // keep-alive, where "Connection: close" is implied).
        closed = r->close || (finals < expected.messages.size() && !expected.messages[finals].keep_alive);
        ++finals;
        last_status = r->status;
    }
    const std::size_t complete = expected.messages.size();
    CORIO_FUZZ_CHECK(finals <= complete + 1);
    if (res.reset) {
        return;
    }
    if (finals == complete + 1 && expected.end == fuzz::run_end::error &&
        !(expected.head_pending && expected.pending.expect_continue)) {
        CORIO_FUZZ_CHECK(last_status == expected.status);
    }
    if (!closed) {
        // The server closed quietly (end of input): it had answered every complete request.
        CORIO_FUZZ_CHECK(finals >= complete);
        CORIO_FUZZ_CHECK(expected.end != fuzz::run_end::error);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fixture& f = the_server();
    const fuzz::split_plan plan = fuzz::read_plan(data, size);
    if (plan.payload.size() > 64 * 1024) {
        return -1;
    }
    http::parser_options options;
    options.limits = small_limits();
    const fuzz::run_record expected = fuzz::run_parser(plan.payload, {}, options);
    const exchange_result res = talk(f.srv->port(), plan.payload, plan.pieces, plan.flag(0));
    check_responses(res, expected);
    return 0;
}
