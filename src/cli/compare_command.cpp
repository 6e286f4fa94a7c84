#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "compare/proc_stats.hpp"
#include "compare/report.hpp"
#include "compare/runner.hpp"
#include "corio/models/primitives.hpp"
#include "corio/net/echo_server.hpp"

namespace corio::cli {

namespace {

struct primitives_options {
    int repeats = 5;
    bool quick = false;
};

int run_primitives(const primitives_options& o) {
    models::primitive_options po;
    po.repeats = o.repeats;
    po.connection_frame_bytes = net::echo_connection_frame_size();
    if (o.quick) {
        po.coroutine_iterations = 100'000;
        po.thread_iterations = 300;
        po.process_iterations = 50;
        po.switch_round_trips = 2'000;
        po.memory_sample = 16;
    }
    const auto figures = models::measure_primitives(po);
    std::printf("%s", models::format_primitives(figures).c_str());
    return 0;
}

struct comparison_options {
    std::vector<std::string> workloads{"http", "echo"};
    std::vector<std::string> models{"coroutine", "thread", "process"};
    std::vector<std::size_t> connections{10, 100, 1000, 5000};
    double duration_s = 5;
    bool quick = false;
    bool no_wrk = false;
    std::string out = "compare-out";
};

std::string self_path() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("corio");
}

/// Connections the load generator and the server can each hold, with some room for everything else.
std::size_t connection_cap() {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    return lim.rlim_cur > 200 ? static_cast<std::size_t>(lim.rlim_cur) - 200 : 100;
}

/// How this process was invoked, from /proc/self/cmdline, with the program shortened to "corio".
std::string command_line() {
    std::ifstream in("/proc/self/cmdline");
    std::string arg;
    std::string line = "corio";
    bool first = true;
    while (std::getline(in, arg, '\0')) {
        if (!first) {
            line += " " + arg;
        }
        first = false;
    }
    return line;
}

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
    return buf;
}

int run_comparison(comparison_options o, const std::string& command_line) {
    if (o.quick) {
        o.connections = {10, 100, 500};
        o.duration_s = 2;
    }
    const std::size_t cap = connection_cap();
    compare::run_options ro;
    ro.corio_path = self_path();
    ro.duration_s = o.duration_s;
    ro.use_wrk = !o.no_wrk;
    ro.log_dir = o.out;
    std::vector<compare::experiment> plan;
    for (const auto& w : o.workloads) {
        for (std::size_t c : o.connections) {
            if (c > cap) {
                std::fprintf(stderr, "compare: %zu connections exceed the fd limit; capped at %zu\n", c, cap);
                c = cap;
            }
            for (const auto& m : o.models) {
                plan.push_back({w, m, c});
            }
        }
    }
    ::mkdir(o.out.c_str(), 0755);
    const bool tty = ::isatty(2) != 0;
    std::vector<compare::measurement> results;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto& e = plan[i];
        std::fprintf(stderr, "%s[%zu/%zu] %s %s c=%zu ...", tty ? "\r\033[K" : "", i + 1, plan.size(),
                     e.workload.c_str(), e.model.c_str(), e.connections);
        std::fflush(stderr);
        results.push_back(compare::run_experiment(e, ro));
        const auto& r = results.back();
        std::fprintf(stderr, " %.0f req/s, %.2f us CPU/req, p99 %.0f us, PSS %.1f MiB, %s%s",
                     r.requests_per_s, r.cpu_us_per_request, r.p99_us,
                     static_cast<double>(r.memory.pss_bytes) / 1048576.0, r.status.c_str(),
                     tty && i + 1 < plan.size() && r.ok ? "" : "\n");
    }
    if (tty) {
        std::fprintf(stderr, "\n");
    }
    compare::report_context ctx{compare::describe_machine(), command_line, now_utc(), o.duration_s};
    const auto charts = compare::write_report(o.out, results, ctx);
    const auto problems = compare::validate_report(o.out, results.size(), charts);
    for (const auto& p : problems) {
        std::fprintf(stderr, "compare: invalid output: %s\n", p.c_str());
    }
    std::printf("wrote %s/results.csv, %s/report.md and %zu charts\n", o.out.c_str(), o.out.c_str(),
                charts.size());
    return problems.empty() ? 0 : 1;
}

} // namespace

void add_compare_command(CLI::App& app, int& exit_status) {
    CLI::App* cmd = app.add_subcommand("compare", "Measure coroutines against threads and processes");
    cmd->require_subcommand(0, 1);
    auto copts = std::make_shared<comparison_options>();
    cmd->add_option("--workloads", copts->workloads, "http, echo")->delimiter(',')->capture_default_str();
    cmd->add_option("--models", copts->models, "coroutine, thread, process")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--connections", copts->connections, "Concurrency levels")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--duration", copts->duration_s, "Seconds per level")->capture_default_str();
    cmd->add_flag("--quick", copts->quick, "Levels 10,100,500 for 2 s each (under 3 minutes)");
    cmd->add_flag("--no-wrk", copts->no_wrk, "Load HTTP with corio load http even when wrk is installed");
    cmd->add_option("--out", copts->out, "Output directory")->capture_default_str();
    cmd->final_callback([cmd, copts, &exit_status] {
        if (cmd->get_subcommands().empty()) {
            exit_status = run_comparison(*copts, command_line());
        }
    });
    auto popts = std::make_shared<primitives_options>();
    CLI::App* prim = cmd->add_subcommand("primitives", "Create, switch and memory cost of each model's unit");
    prim->add_option("--repeats", popts->repeats, "Runs per figure (the median is printed)")
        ->capture_default_str();
    prim->add_flag("--quick", popts->quick, "Fewer iterations");
    prim->callback([popts, &exit_status] { exit_status = run_primitives(*popts); });
}

} // namespace corio::cli
