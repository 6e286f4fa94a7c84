// `corio load <mode>`: closed-loop load generators written with corio. Modes: echo, http (more can be added
// as further subcommands of `load`, reporting through load_report.hpp).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "corio/net/echo_load.hpp"
#include "load_http.hpp"
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

struct http_load_cli {
    http_load_options options;
    std::string url;
    double duration_s = 10;
    double timeout_s = 10;
    bool json = false;
};

std::string rate_json(std::uint64_t count, double seconds) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.1f", seconds > 0 ? static_cast<double>(count) / seconds : 0.0);
    return rate;
}

int run_load_http(const http_load_cli& cli) {
    http_load_options o = cli.options;
    if (const std::string error = parse_http_url(cli.url, o); !error.empty()) {
        spdlog::error("corio load http: {}: {}", cli.url, error);
        return 2;
    }
    if (o.method.empty() ||
        o.method.find_first_not_of("!#$%&'*+-.^_`|~0123456789"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
            std::string::npos) {
        spdlog::error("corio load http: invalid method '{}'", o.method);
        return 2;
    }
    o.duration = std::chrono::milliseconds(static_cast<long>(cli.duration_s * 1000));
    o.io_timeout = std::chrono::milliseconds(static_cast<long>(cli.timeout_s * 1000));
    progress_printer progress;
    const bool live = !cli.json;
    const http_load_result r = run_http_load(o, [&](const http_load_counters& c, double elapsed) {
        if (live) {
            progress.update(elapsed, c.requests, c.bytes, c.errors(), c.connected, "requests");
        }
    });
    progress.finish();
    const http_load_counters& t = r.totals;
    load_report report;
    report.mode = "http";
    report.target = cli.url;
    report.unit = "requests";
    report.connections = o.connections;
    report.connected = t.connected;
    report.threads = o.threads;
    report.operations = t.requests;
    report.bytes = t.bytes;
    report.errors = t.errors();
    report.seconds = r.seconds;
    report.latency = &r.latency;
    report.first_error = r.first_error;
    report.settings.emplace_back("method", json_string(o.method));
    report.settings.emplace_back("pipeline", std::to_string(o.pipeline));
    report.settings.emplace_back("body_size", std::to_string(o.body_size));
    report.json_extra.emplace_back("requests", std::to_string(t.requests));
    report.json_extra.emplace_back("requests_per_s", rate_json(t.requests, r.seconds));
    report.json_extra.emplace_back("reconnects", std::to_string(t.reconnects));
    const std::pair<const char*, std::uint64_t> kinds[] = {
        {"connect", t.connect_errors}, {"read", t.read_errors},     {"write", t.write_errors},
        {"timeout", t.timeout_errors}, {"status", t.status_errors}, {"parse", t.parse_errors}};
    std::string by_kind;
    for (const auto& [kind, count] : kinds) {
        report.json_extra.emplace_back(std::string("errors_") + kind, std::to_string(count));
        by_kind += std::string(by_kind.empty() ? "" : ", ") + kind + " " + std::to_string(count);
    }
    report.text_extra.emplace_back("error kinds", by_kind);
    report.text_extra.emplace_back("reconnects", std::to_string(t.reconnects));
    print_report(report, cli.json);
    return t.errors() == 0 && t.requests > 0 ? 0 : 1;
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

    auto http = std::make_shared<http_load_cli>();
    CLI::App* hcmd = load->add_subcommand(
        "http",
        "Load an HTTP/1.1 server: keep-alive connections, optionally pipelined; every response checked");
    hcmd->add_option("-u,--url", http->url, "http://host[:port]/path")->required();
    hcmd->add_option("-c,--connections", http->options.connections, "Concurrent connections")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    hcmd->add_option("-d,--duration", http->duration_s, "Seconds to run")->capture_default_str();
    hcmd->add_option("-t,--threads", http->options.threads, "Worker threads")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    hcmd->add_option("--pipeline", http->options.pipeline, "Requests written at once per connection")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    hcmd->add_option("-m,--method", http->options.method, "Request method")->capture_default_str();
    hcmd->add_option("--body-size", http->options.body_size, "Request body bytes (Content-Length)")
        ->capture_default_str();
    hcmd->add_option("--timeout", http->timeout_s, "Seconds a response may take before it counts as an error")
        ->capture_default_str();
    hcmd->add_flag("--json", http->json, "Print one JSON object instead of text");
    hcmd->callback([http, &exit_status] { exit_status = run_load_http(*http); });
}

} // namespace corio::cli
