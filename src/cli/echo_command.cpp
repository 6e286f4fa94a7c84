#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "commands.hpp"
#include "corio/models/blocking_server.hpp"
#include "corio/net/echo_server.hpp"
#include "signals.hpp"

namespace corio::cli {

namespace {

struct echo_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 7000;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    double idle_timeout_s = 0;
    std::string model = "coroutine";
};

void announce(const echo_options& o, std::uint16_t port) {
    std::printf("corio echo listening on %s:%u (model %s, threads %u)\n", o.host.c_str(), port,
                o.model.c_str(), o.threads);
    std::fflush(stdout);
}

int run_echo(const echo_options& o) {
    const auto model = models::parse_concurrency_model(o.model);
    std::stop_source& stop = install_stop_signals();
    models::blocking_server_options bo;
    bo.host = o.host;
    bo.port = o.port;
    bo.idle_timeout = std::chrono::milliseconds(static_cast<long>(o.idle_timeout_s * 1000));
    bo.on_listening = [&o](std::uint16_t port) {
        announce(o, port);
    };
    switch (model) {
    case models::concurrency_model::thread:
        return models::run_thread_per_connection(bo, models::serve_echo, stop.get_token());
    case models::concurrency_model::process:
        return models::run_process_per_connection(bo, models::serve_echo, stop.get_token());
    case models::concurrency_model::coroutine:
        break;
    }
    net::echo_server_options eo;
    eo.host = o.host;
    eo.port = o.port;
    eo.threads = o.threads;
    eo.idle_timeout = bo.idle_timeout;
    eo.drain_timeout = bo.drain_timeout;
    eo.on_listening = bo.on_listening;
    return net::run_echo_server(eo, stop.get_token());
}

} // namespace

void add_echo_command(CLI::App& app, int& exit_status) {
    auto options = std::make_shared<echo_options>();
    CLI::App* cmd = app.add_subcommand("echo", "Echo server: writes back every byte it receives");
    cmd->add_option("--host", options->host, "Address to listen on")->capture_default_str();
    cmd->add_option("-p,--port", options->port, "TCP port (0 picks a free one)")->capture_default_str();
    cmd->add_option("-t,--threads", options->threads, "Worker threads (coroutine model)")
        ->capture_default_str();
    cmd->add_option("--idle-timeout", options->idle_timeout_s,
                    "Close a connection silent this long (s, 0: never)")
        ->capture_default_str();
    cmd->add_option("--model", options->model, "coroutine | thread | process")
        ->check(CLI::IsMember({"coroutine", "thread", "process"}))
        ->capture_default_str();
    cmd->callback([options, &exit_status] { exit_status = run_echo(*options); });
}

} // namespace corio::cli
