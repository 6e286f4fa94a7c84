// The HTTP server in-process over real sockets on 127.0.0.1 (blocking clients on the test thread).
#include "corio/http/server.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "corio/runtime/sleep.hpp"

using namespace corio::http;
using namespace std::chrono_literals;

namespace {

corio::task<response> hello(request_context&) {
    co_return response::static_text("Hello, World!", "text/plain");
}

corio::task<response> user(request_context& ctx) {
    co_return response::json("{\"id\":\"" + std::string(ctx.param("id")) + "\"}");
}

corio::task<response> echo(request_context& ctx) {
    co_return response::text(std::string(ctx.body()), "application/octet-stream");
}

corio::task<response> slow(request_context&) {
    co_await corio::sleep_for(300ms);
    co_return response::static_text("slow", "text/plain");
}

corio::task<response> numbers(request_context& ctx) {
    stream_writer& w = ctx.stream();
    co_await w.begin(response().set_content_type("text/plain"));
    for (int i = 0; i < 3; ++i) {
        co_await w.write(std::to_string(i) + "\n");
    }
    co_await w.end();
    co_return response::streamed();
}

/// 8 MiB of a position-dependent pattern: far more than the socket buffers hold, so the server's writes wait.
std::string big_body() {
    std::string body(8 << 20, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) {
        body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    }
    return body;
}

corio::task<response> big(request_context&) {
    co_return response::text(big_body(), "application/octet-stream");
}

corio::task<response> big_stream(request_context& ctx) {
    const std::string body = big_body();
    stream_writer& w = ctx.stream();
    co_await w.begin(response().set_content_type("application/octet-stream"));
    for (std::size_t at = 0; at < body.size(); at += 256 * 1024) {
        co_await w.write(std::string_view(body).substr(at, 256 * 1024));
    }
    co_await w.end();
    co_return response::streamed();
}

corio::task<response> broken(request_context&) {
    throw std::runtime_error("handler failure");
    co_return response();
}

router test_routes() {
    router r;
    r.get("/hello", hello).get("/users/{id}", user).post("/echo", echo).get("/slow", slow);
    r.get("/numbers", numbers).get("/broken", broken).get("/big", big).get("/big-stream", big_stream);
    return r;
}

/// A blocking client socket with a receive timeout, so that a failing test cannot hang.
class client {
public:
    explicit client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        REQUIRE(fd_ >= 0);
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client() { ::close(fd_); }

    void send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            REQUIRE(n > 0);
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    /// Reads one response (Content-Length, chunked, or no body); returns head + decoded body. Empty at EOF.
    std::string read_response() {
        std::size_t head_end;
        while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                return {};
            }
        }
        std::string head = buf_.substr(0, head_end + 4);
        buf_.erase(0, head_end + 4);
        std::string body;
        const std::size_t cl = head.find("Content-Length: ");
        const bool no_body = head.find(" 304 ") != std::string::npos ||
                             head.find(" 204 ") != std::string::npos ||
                             head.find(" 100 ") != std::string::npos || head_only_;
        if (no_body) {
            return head;
        }
        if (cl != std::string::npos) {
            const std::size_t n = std::stoul(head.substr(cl + 16));
            while (buf_.size() < n) {
                REQUIRE(fill());
            }
            body = buf_.substr(0, n);
            buf_.erase(0, n);
        } else if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
            for (;;) {
                std::size_t line_end;
                while ((line_end = buf_.find("\r\n")) == std::string::npos) {
                    REQUIRE(fill());
                }
                const std::size_t size = std::stoul(buf_.substr(0, line_end), nullptr, 16);
                while (buf_.size() < line_end + 2 + size + 2) {
                    REQUIRE(fill());
                }
                body.append(buf_, line_end + 2, size);
                buf_.erase(0, line_end + 2 + size + 2);
                if (size == 0) {
                    break;
                }
            }
        }
        return head + body;
    }

    /// True when the server closed the connection (EOF) with nothing more to read.
    bool closed_by_server() { return buf_.empty() && !fill(); }

    void expect_head_only(bool v) { head_only_ = v; }

private:
    bool fill() {
        char tmp[4096];
        const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            return false;
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    int fd_;
    std::string buf_;
    bool head_only_ = false;
};

struct running_server {
    corio::runtime rt{2};
    server srv;
    explicit running_server(server_options o = {}) : srv(rt, test_routes(), with_local(std::move(o))) {
        srv.start();
    }
    static server_options with_local(server_options o) {
        o.host = "127.0.0.1";
        o.port = 0;
        return o;
    }
};

} // namespace

TEST_CASE("pipelined requests on one connection are answered in order" * doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    c.send("GET /users/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
           "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde"
           "GET /users/2 HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string r1 = c.read_response();
    const std::string r2 = c.read_response();
    const std::string r3 = c.read_response();
    const std::string r4 = c.read_response();
    CHECK(r1.find("{\"id\":\"1\"}") != std::string::npos);
    CHECK(r2.find("Hello, World!") != std::string::npos);
    CHECK(r3.find("\r\n\r\nabcde") != std::string::npos);
    CHECK(r4.find("{\"id\":\"2\"}") != std::string::npos);
    CHECK(r2.find("Date: ") != std::string::npos);
    CHECK(r2.find("Server: corio") != std::string::npos);
}

TEST_CASE("answers that wait (a suspending handler, streaming, a 404, a throw) keep their order among "
          "immediate ones in one pipelined burst" *
          doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /numbers HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /users/7 HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /broken HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string expected[][2] = {
        {"HTTP/1.1 200 OK", "\r\n\r\nHello, World!"}, {"HTTP/1.1 200 OK", "\r\n\r\nslow"},
        {"HTTP/1.1 200 OK", "\r\n\r\nHello, World!"}, {"HTTP/1.1 200 OK", "\r\n\r\n0\n1\n2\n"},
        {"HTTP/1.1 200 OK", "{\"id\":\"7\"}"},        {"HTTP/1.1 404 ", "Not Found"},
        {"HTTP/1.1 200 OK", "\r\n\r\nslow"},          {"HTTP/1.1 200 OK", "\r\n\r\nHello, World!"},
        {"HTTP/1.1 500 ", "Connection: close"},
    };
    for (const auto& e : expected) {
        CAPTURE(e[1]);
        const std::string r = c.read_response();
        CHECK(r.find(e[0]) == 0);
        CHECK(r.find(e[1]) != std::string::npos);
    }
    // A handler that throws ends the connection after its 500: the request behind it is not answered, and
    // the end of stream comes at once (not the client's 10 s receive timeout).
    const auto before = std::chrono::steady_clock::now();
    CHECK(c.read_response().empty());
    CHECK(std::chrono::steady_clock::now() - before < 5s);
}

TEST_CASE("a request split into single bytes is answered like a whole one" *
          doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    const std::string req =
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    for (char ch : req) {
        c.send(std::string_view(&ch, 1));
        std::this_thread::sleep_for(1ms);
    }
    const std::string r = c.read_response();
    CHECK(r.find("HTTP/1.1 200 OK") == 0);
    CHECK(r.find("\r\n\r\nabc") != std::string::npos);
}

TEST_CASE("a streaming handler's writes arrive as a chunked body; HEAD gets only the head" *
          doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    c.send("GET /numbers HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string r = c.read_response();
    CHECK(r.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(r.find("\r\n\r\n0\n1\n2\n") != std::string::npos);
    c.send("HEAD /numbers HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    c.expect_head_only(true);
    const std::string h = c.read_response();
    c.expect_head_only(false);
    CHECK(h.find("HTTP/1.1 200 OK") == 0);
    const std::string next = c.read_response();
    CHECK(next.find("HTTP/1.1 200 OK") == 0);
    CHECK(next.find("Hello, World!") != std::string::npos);
}

TEST_CASE("a malformed request is answered with its status and nothing after it is processed" *
          doctest::test_suite("concurrent")) {
    running_server s;
    struct row {
        std::string_view request;
        std::string_view status;
    };
    const row table[] = {
        {"GET / HTTP/1.1\r\nHost a\r\n\r\n", "400"},
        {"GET / HTTP/1.1\r\n\r\n", "400"},
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "505"},
        {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "501"},
        {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "400"},
        {"GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", "400"},
    };
    for (const row& r : table) {
        CAPTURE(r.request);
        client c(s.srv.port());
        c.send(std::string(r.request) + "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        const std::string resp = c.read_response();
        CHECK(resp.substr(9, 3) == r.status);
        CHECK(resp.find("Connection: close") != std::string::npos);
        CHECK(c.closed_by_server());
    }
}

TEST_CASE("a client that asks to close is answered and released at once; a close the server decides lingers" *
          doctest::test_suite("concurrent")) {
    running_server s;
    const auto count_becomes = [&s](std::size_t n, std::chrono::milliseconds within) {
        const auto limit = std::chrono::steady_clock::now() + within;
        while (s.srv.connection_count() != n && std::chrono::steady_clock::now() < limit) {
            std::this_thread::sleep_for(5ms);
        }
        return s.srv.connection_count() == n;
    };
    {
        // The client asked to close and sent nothing more: nothing to wait for (RFC 9112, 9.6). The server
        // closes without waiting for the client's end of stream, which this client never sends.
        client c(s.srv.port());
        c.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        const std::string r = c.read_response();
        CHECK(r.find("HTTP/1.1 200") == 0);
        CHECK(r.find("Connection: close") != std::string::npos);
        CHECK(c.closed_by_server());
        CHECK(count_becomes(0, 1000ms)); // lingering would hold it for 2 s
    }
    {
        // The server closes after a bad request while more input is buffered: it half-closes and keeps
        // reading until the client is done, so that the close cannot reset the connection under its answer.
        client c(s.srv.port());
        c.send("GET / HTTP/1.1\r\nHost a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(c.read_response().find("HTTP/1.1 400") == 0);
        CHECK(c.closed_by_server());
        std::this_thread::sleep_for(200ms);
        CHECK(s.srv.connection_count() == 1); // still lingering: the client has not closed its side
    }
    CHECK(count_becomes(0, 5000ms)); // the client closed: the lingering connection ends too
}

TEST_CASE("a handler that throws gives 500 and the server carries on" * doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    c.send("GET /broken HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(c.read_response().find("HTTP/1.1 500") == 0);
    client d(s.srv.port());
    d.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(d.read_response().find("HTTP/1.1 200") == 0);
}

TEST_CASE("Expect: 100-continue gets 100 only when the request is routed" *
          doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    CHECK(c.read_response().find("HTTP/1.1 100 Continue") == 0);
    c.send("xyz");
    CHECK(c.read_response().find("\r\n\r\nxyz") != std::string::npos);

    client d(s.srv.port());
    d.send("POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    const std::string r = d.read_response();
    CHECK(r.find("HTTP/1.1 404") == 0);
    CHECK(r.find("Connection: close") != std::string::npos);
}

TEST_CASE("a slow request head gets 408 and an idle connection is closed quietly" *
          doctest::test_suite("concurrent")) {
    server_options o;
    o.header_timeout = 200ms;
    o.idle_timeout = 200ms;
    running_server s(o);
    client slow(s.srv.port());
    slow.send("GET /hello HTTP/1.1\r\nHo");
    const std::string r = slow.read_response();
    CHECK(r.find("HTTP/1.1 408") == 0);
    CHECK(slow.closed_by_server());

    client idle(s.srv.port());
    idle.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(idle.read_response().find("HTTP/1.1 200") == 0);
    CHECK(idle.closed_by_server());
}

TEST_CASE("connections beyond the per-thread limit get 503" * doctest::test_suite("concurrent")) {
    server_options o;
    o.max_connections_per_thread = 1;
    running_server s(o);
    // Two workers, limit one each: with three connections at least one is refused.
    client a(s.srv.port());
    client b(s.srv.port());
    client c(s.srv.port());
    int refused = 0;
    int served = 0;
    for (client* cl : {&a, &b, &c}) {
        cl->send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        const std::string r = cl->read_response();
        refused += r.find("HTTP/1.1 503") == 0 ? 1 : 0;
        served += r.find("HTTP/1.1 200") == 0 ? 1 : 0;
    }
    CHECK(refused >= 1);
    CHECK(served >= 1);
    CHECK(refused + served == 3);
}

TEST_CASE("stop closes idle connections, finishes requests in flight and wait returns" *
          doctest::test_suite("concurrent")) {
    running_server s;
    client idle(s.srv.port());
    idle.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(idle.read_response().find("HTTP/1.1 200") == 0);
    client busy(s.srv.port());
    busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
    std::this_thread::sleep_for(50ms); // let the request reach its handler
    s.srv.stop();
    const std::string r = busy.read_response();
    CHECK(r.find("HTTP/1.1 200") == 0);
    CHECK(r.find("\r\n\r\nslow") != std::string::npos);
    CHECK(r.find("Connection: close") != std::string::npos);
    CHECK(idle.closed_by_server());
    CHECK(s.srv.wait());
    CHECK(s.srv.connection_count() == 0);
}

TEST_CASE("responses larger than the socket buffers reach a client that starts reading late" *
          doctest::test_suite("concurrent")) {
    // The server's sends meet a full buffer and wait for the socket to drain, then carry on.
    running_server s;
    const std::string expected = big_body();
    for (const char* target : {"/big", "/big-stream"}) {
        CAPTURE(target);
        client c(s.srv.port());
        c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
        std::this_thread::sleep_for(300ms);
        const std::string r = c.read_response();
        REQUIRE(r.size() > expected.size());
        CHECK(r.starts_with("HTTP/1.1 200 OK\r\n"));
        CHECK(r.substr(r.size() - expected.size()) == expected);
        c.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"); // the connection is still good
        CHECK(c.read_response().ends_with("Hello, World!"));
    }
}

TEST_CASE("a flood of pipelined requests sent before reading anything is answered in full and in order" *
          doctest::test_suite("concurrent")) {
    running_server s;
    client c(s.srv.port());
    constexpr int count = 3000; // ~400 KB of responses: more than the socket buffers hold
    std::string requests;
    for (int i = 0; i < count; ++i) {
        requests += "GET /users/" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }
    std::thread sender([&c, &requests] { c.send(requests); });
    std::this_thread::sleep_for(200ms);
    int in_order = 0;
    for (int i = 0; i < count; ++i) {
        const std::string r = c.read_response();
        if (r.ends_with("{\"id\":\"" + std::to_string(i) + "\"}")) {
            ++in_order;
        }
    }
    sender.join();
    CHECK(in_order == count);
}
