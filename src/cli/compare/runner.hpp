#pragma once

// One comparison run: start a server of one model pinned to one core, load it from the other core, and record
// what it cost the server.

#include <cstdint>
#include <string>
#include <vector>

#include "proc_stats.hpp"

namespace corio::cli::compare {

struct experiment {
    std::string workload; ///< "http" or "echo"
    std::string model;    ///< "coroutine", "thread" or "process"
    std::size_t connections = 0;
};

struct run_options {
    std::string corio_path; ///< this binary
    double duration_s = 5;
    int server_cpu = 0;
    int load_cpu = 1;
    std::size_t echo_size = 64;
    bool use_wrk = true; ///< for http: wrk when on PATH, else `corio load http`
    std::string log_dir; ///< server stderr goes to <log_dir>/<workload>-<model>-<c>.log
};

struct measurement {
    experiment what;
    bool ok = false;
    std::string status = "ok"; ///< "ok" or why the level failed
    double requests_per_s = 0;
    double p50_us = 0;
    double p99_us = 0;
    double cpu_us_per_request = 0;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    tree_memory memory;
    double context_switches_per_request = 0;
    std::string load_tool;
};

measurement run_experiment(const experiment& e, const run_options& o);

/// The load generator's numbers, parsed from its output.
struct load_figures {
    bool parsed = false;
    double requests_per_s = 0;
    double p50_us = 0;
    double p99_us = 0;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
};
load_figures parse_wrk(const std::string& output);
load_figures parse_corio_load_json(const std::string& json);

} // namespace corio::cli::compare
