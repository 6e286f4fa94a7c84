// `corio http`: the HTTP/1.1 server with the built-in routes and the static site.
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>

#include "commands.hpp"
#include "corio/http/server.hpp"
#include "corio/http/static_files.hpp"
#include "corio/models/blocking_http.hpp"
#include "corio/models/blocking_server.hpp"
#include "corio/runtime/runtime.hpp"
#include "signals.hpp"

#ifndef CORIO_DEFAULT_WWW
#define CORIO_DEFAULT_WWW "examples/www"
#endif

namespace corio::cli {

namespace {

struct http_command_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::string root;
    double header_timeout_s = 10;
    double body_timeout_s = 60;
    double idle_timeout_s = 75;
    double write_timeout_s = 60;
    double drain_timeout_s = 10;
    std::size_t max_connections_per_thread = 10'000;
    std::uint64_t max_body = 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_headers = 100;
    std::size_t max_uri = 8 * 1024;
    bool access_log = false;
    std::string model = "coroutine";
};

std::chrono::milliseconds ms(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

task<http::response> plaintext(http::request_context&) {
    co_return http::response::static_text("Hello, World!", "text/plain");
}

task<http::response> json(http::request_context&) {
    co_return http::response::static_text(R"({"message":"Hello, World!"})", "application/json");
}

task<http::response> echo(http::request_context& ctx) {
    std::string_view type = ctx.header("Content-Type");
    co_return http::response::text(std::string(ctx.body()),
                                   type.empty() ? std::string_view("application/octet-stream") : type);
}

std::string default_root() {
    if (const char* env = std::getenv("CORIO_WWW"); env != nullptr && *env != '\0') {
        return env;
    }
    return CORIO_DEFAULT_WWW;
}

/// The thread- and process-per-connection servers: blocking sockets, the same routes and protocol code.
int run_blocking_http(const http_command_options& o, http::router routes, std::stop_source& stop) {
    const auto model = models::parse_concurrency_model(o.model);
    models::blocking_http_options ho;
    ho.parser.limits.max_body_size = o.max_body;
    ho.parser.limits.max_header_bytes = o.max_header_bytes;
    ho.parser.limits.max_header_count = o.max_headers;
    ho.parser.limits.max_request_line = o.max_uri;
    ho.header_timeout = ms(o.header_timeout_s);
    ho.idle_timeout = ms(o.idle_timeout_s);
    models::blocking_server_options bo;
    bo.host = o.host;
    bo.port = o.port;
    bo.drain_timeout = ms(o.drain_timeout_s);
    bo.on_listening = [&o](std::uint16_t port) {
        std::printf("corio http listening on %s:%u (model %s)\n", o.host.c_str(), port, o.model.c_str());
        std::fflush(stdout);
    };
    const models::connection_handler serve = [&routes, &ho](int fd) {
        models::serve_http(fd, routes, ho);
    };
    return model == models::concurrency_model::thread
               ? models::run_thread_per_connection(bo, serve, stop.get_token())
               : models::run_process_per_connection(bo, serve, stop.get_token());
}

int run_http(const http_command_options& o) {
    std::stop_source& stop = install_stop_signals();
    http::router routes;
    routes.get("/plaintext", plaintext).get("/json", json).post("/echo", echo);
    const std::string root = o.root.empty() ? default_root() : o.root;
    struct stat st{};
    if (::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        routes.fallback(http::static_files(root));
    } else {
        spdlog::warn("corio http: no static root ({} is not a directory); serving the built-in routes only",
                     root);
    }
    if (o.model != "coroutine") {
        return run_blocking_http(o, std::move(routes), stop);
    }
    http::server_options so;
    so.host = o.host;
    so.port = o.port;
    so.header_timeout = ms(o.header_timeout_s);
    so.body_timeout = ms(o.body_timeout_s);
    so.idle_timeout = ms(o.idle_timeout_s);
    so.write_timeout = ms(o.write_timeout_s);
    so.drain_timeout = ms(o.drain_timeout_s);
    so.max_connections_per_thread = o.max_connections_per_thread;
    so.limits.max_body_size = o.max_body;
    so.limits.max_header_bytes = o.max_header_bytes;
    so.limits.max_header_count = o.max_headers;
    so.limits.max_request_line = o.max_uri;
    so.access_log = o.access_log;

    runtime rt(o.threads);
    http::server srv(rt, std::move(routes), so);
    srv.start();
    std::printf("corio http listening on %s:%u (model coroutine, threads %u)\n", o.host.c_str(), srv.port(),
                o.threads);
    std::fflush(stdout);
    {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        const std::stop_token token = stop.get_token();
        cv.wait(lock, token, [] { return false; });
    }
    srv.stop();
    const bool clean = srv.wait();
    if (!clean) {
        spdlog::warn("corio http: drain timeout; exiting with requests still running");
        std::fflush(stdout);
        std::_Exit(0); // abandoned handlers must not run against a destroyed server
    }
    return 0;
}

void add_options(CLI::App* cmd, http_command_options& o) {
    cmd->add_option("--host", o.host, "Address to listen on")->capture_default_str();
    cmd->add_option("-p,--port", o.port, "TCP port (0 picks a free one)")->capture_default_str();
    cmd->add_option("-t,--threads", o.threads, "Worker threads")->capture_default_str();
    cmd->add_option("--root", o.root,
                    "Static files root (default: $CORIO_WWW, else the bundled examples/www)");
    cmd->add_option("--header-timeout", o.header_timeout_s, "Seconds to receive a request head (408)")
        ->capture_default_str();
    cmd->add_option("--body-timeout", o.body_timeout_s, "Seconds between two reads of a body (408)")
        ->capture_default_str();
    cmd->add_option("--idle-timeout", o.idle_timeout_s, "Seconds a keep-alive connection may idle")
        ->capture_default_str();
    cmd->add_option("--write-timeout", o.write_timeout_s, "Seconds a write may make no progress")
        ->capture_default_str();
    cmd->add_option("--drain-timeout", o.drain_timeout_s, "Seconds to finish requests after SIGTERM/SIGINT")
        ->capture_default_str();
    cmd->add_option("--max-connections-per-thread", o.max_connections_per_thread,
                    "Connections per thread beyond which new ones get 503")
        ->capture_default_str();
    cmd->add_option("--max-body", o.max_body, "Largest request body in bytes (413)")->capture_default_str();
    cmd->add_option("--max-header-bytes", o.max_header_bytes, "Largest header section in bytes (431)")
        ->capture_default_str();
    cmd->add_option("--max-headers", o.max_headers, "Most header fields (431)")->capture_default_str();
    cmd->add_option("--max-uri", o.max_uri, "Longest request line in bytes (414)")->capture_default_str();
    cmd->add_flag("--access-log", o.access_log, "Log every request to stdout");
    cmd->add_option("--model", o.model,
                    "coroutine | thread (a thread per connection) | process (fork per connection)")
        ->check(CLI::IsMember({"coroutine", "thread", "process"}))
        ->capture_default_str();
}

} // namespace

void add_http_command(CLI::App& app, int& exit_status) {
    auto options = std::make_shared<http_command_options>();
    CLI::App* cmd =
        app.add_subcommand("http", "HTTP/1.1 server: /plaintext, /json, POST /echo and static files");
    add_options(cmd, *options);
    cmd->callback([options, &exit_status] { exit_status = run_http(*options); });
}

int run_default_http() {
    return run_http(http_command_options{});
}

} // namespace corio::cli
