// An application embedding corio's HTTP server with its own routes: a path parameter, JSON, a streamed body.
//
//   ./http_app [--port 8080]    serve until Ctrl-C
//   ./http_app --self-test      start on a free port, request each route, print OK and exit
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "corio/http/server.hpp"
#include "corio/runtime/sleep.hpp"

using corio::task;
using corio::http::request_context;
using corio::http::response;

namespace {

// GET /hello/{name}: a path parameter, decoded.
task<response> hello(request_context& ctx) {
    co_return response::text("Hello, " + std::string(ctx.param("name")) + "!\n");
}

// GET /api/time: JSON.
task<response> api_time(request_context&) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const long long seconds = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    co_return response::json("{\"unix_time\":" + std::to_string(seconds) + "}");
}

// GET /countdown/{n}: a streamed (chunked) body, one line every 10 ms.
task<response> countdown(request_context& ctx) {
    int n = std::atoi(std::string(ctx.param("n")).c_str());
    if (n < 0 || n > 100) {
        co_return response::text("n must be 0..100\n", "text/plain", corio::http::status::bad_request);
    }
    corio::http::stream_writer& out = ctx.stream();
    co_await out.begin(response().set_content_type("text/plain"));
    for (; n >= 0; --n) {
        co_await out.write(std::to_string(n) + (n == 0 ? " liftoff\n" : "\n"));
        co_await corio::sleep_for(std::chrono::milliseconds(10));
    }
    co_await out.end();
    co_return response::streamed();
}

// One blocking HTTP/1.1 request with Connection: close; returns the whole response.
std::string fetch(std::uint16_t port, std::string_view path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string result;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string req =
            "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            char buf[4096];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
                result.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    return result;
}

bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

} // namespace

int main(int argc, char** argv) {
    const bool self_test = argc > 1 && std::strcmp(argv[1], "--self-test") == 0;
    std::uint16_t port = 8080;
    if (argc > 2 && std::strcmp(argv[1], "--port") == 0) {
        port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    }

    // Block the stop signals before any thread starts, so that every thread inherits the mask and main's
    // sigwait() receives them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    corio::http::router routes;
    routes.get("/hello/{name}", hello).get("/api/time", api_time).get("/countdown/{n}", countdown);

    corio::runtime rt(2);
    corio::http::server_options options;
    options.host = "127.0.0.1";
    options.port = self_test ? 0 : port;
    corio::http::server server(rt, std::move(routes), options);
    server.start();

    if (self_test) {
        const std::string a = fetch(server.port(), "/hello/w%C3%B6rld");
        const std::string b = fetch(server.port(), "/api/time");
        const std::string c = fetch(server.port(), "/countdown/3");
        const std::string d = fetch(server.port(), "/nope");
        const bool ok = contains(a, "200 OK") && contains(a, "Hello, w\xC3\xB6rld!") &&
                        contains(b, "application/json") && contains(b, "\"unix_time\":") &&
                        contains(c, "Transfer-Encoding: chunked") && contains(c, "0 liftoff") &&
                        contains(d, "404 Not Found");
        server.stop();
        server.wait();
        std::puts(ok ? "OK" : "FAILED");
        return ok ? 0 : 1;
    }

    std::printf("http_app listening on 127.0.0.1:%u (Ctrl-C stops)\n", server.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
    return server.wait() ? 0 : 1;
}
