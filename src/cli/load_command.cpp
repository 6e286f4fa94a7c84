// `corio load <mode>`: closed-loop load generators written with corio. Modes: echo (more can be added as
// further subcommands of `load`, reporting through load_report.hpp).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "corio/net/echo_load.hpp"
#include "load_report.hpp"

namespace corio::cli {

namespace {

struct echo_load_cli {
    net::echo_load_options options;
    double duration_s = 10;
    double timeout_s = 10;
    bool json = false;
};

int run_load_echo(const echo_load_cli& cli) {
    net::echo_load_options o = cli.options;
    o.duration = std::chrono::milliseconds(static_cast<long>(cli.duration_s * 1000));
    o.io_timeout = std::chrono::milliseconds(static_cast<long>(cli.timeout_s * 1000));
    progress_printer progress;
    const bool live = !cli.json;
    const net::load_result r = net::run_echo_load(o, [&](const net::load_counters& c, double elapsed) {
        if (live) {
            progress.update(elapsed, c.round_trips, c.bytes, c.errors, c.connected, "round trips");
        }
    });
    progress.finish();
    load_report report;
    report.mode = "echo";
    report.target = o.host + ":" + std::to_string(o.port);
    report.unit = "round trips";
    report.connections = o.connections;
    report.connected = r.totals.connected;
    report.threads = o.threads;
    report.operations = r.totals.round_trips;
    report.bytes = r.totals.bytes;
    report.errors = r.totals.errors;
    report.seconds = r.seconds;
    report.latency = &r.latency;
    report.first_error = r.first_error;
    report.settings.emplace_back("size", std::to_string(o.message_size));
    report.json_extra.emplace_back("round_trips", std::to_string(r.totals.round_trips));
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.1f",
                  r.seconds > 0 ? static_cast<double>(r.totals.round_trips) / r.seconds : 0.0);
    report.json_extra.emplace_back("round_trips_per_s", rate);
    print_report(report, cli.json);
    return r.totals.errors == 0 && r.totals.round_trips > 0 ? 0 : 1;
}

} // namespace

void add_load_command(CLI::App& app, int& exit_status) {
    CLI::App* load = app.add_subcommand("load", "Closed-loop load generators (written with corio)");
    load->require_subcommand(1);

    auto echo = std::make_shared<echo_load_cli>();
    CLI::App* cmd =
        load->add_subcommand("echo", "Load an echo server: send, read the echo back, check it, repeat");
    cmd->add_option("--host", echo->options.host, "Server address")->capture_default_str();
    cmd->add_option("-p,--port", echo->options.port, "Server port")->capture_default_str();
    cmd->add_option("-c,--connections", echo->options.connections, "Concurrent connections")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("-s,--size", echo->options.message_size, "Bytes per message")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("-d,--duration", echo->duration_s, "Seconds to run")->capture_default_str();
    cmd->add_option("-t,--threads", echo->options.threads, "Worker threads")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--timeout", echo->timeout_s, "Seconds an echo may take before it counts as an error")
        ->capture_default_str();
    cmd->add_flag("--json", echo->json, "Print one JSON object instead of text");
    cmd->callback([echo, &exit_status] { exit_status = run_load_echo(*echo); });
}

} // namespace corio::cli
