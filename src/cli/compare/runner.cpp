#include "runner.hpp"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <thread>

#include "subprocess.hpp"

namespace corio::cli::compare {

namespace {

using namespace std::chrono_literals;

double to_us(double value, const std::string& unit) {
    if (unit == "us") {
        return value;
    }
    if (unit == "ms") {
        return value * 1e3;
    }
    if (unit == "s") {
        return value * 1e6;
    }
    return value;
}

/// The number after "key": in a flat JSON object, or NaN.
double json_number(const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\"");
    if (at == std::string::npos) {
        return std::nan("");
    }
    const auto colon = json.find(':', at);
    if (colon == std::string::npos) {
        return std::nan("");
    }
    return std::strtod(json.c_str() + colon + 1, nullptr);
}

double first_number(const std::string& json, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        const double v = json_number(json, k);
        if (!std::isnan(v)) {
            return v;
        }
    }
    return std::nan("");
}

std::vector<std::string> load_command(const experiment& e, const run_options& o, std::uint16_t port,
                                      std::string& tool) {
    const std::string duration = std::to_string(static_cast<int>(std::lround(o.duration_s)));
    const std::string conns = std::to_string(e.connections);
    if (e.workload == "http") {
        const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/plaintext";
        if (o.use_wrk && on_path("wrk")) {
            tool = "wrk";
            return {"wrk", "-t1", "-c" + conns, "-d" + duration + "s", "--latency", "--timeout", "10s", url};
        }
        tool = "corio load http";
        return {o.corio_path, "load",       "http",   "--url",     url, "--connections",
                conns,        "--duration", duration, "--threads", "1", "--json"};
    }
    tool = "corio load echo";
    return {o.corio_path,
            "load",
            "echo",
            "--host",
            "127.0.0.1",
            "--port",
            std::to_string(port),
            "--connections",
            conns,
            "--size",
            std::to_string(o.echo_size),
            "--duration",
            duration,
            "--threads",
            "1",
            "--json"};
}

} // namespace

load_figures parse_wrk(const std::string& out) {
    load_figures f;
    std::smatch m;
    static const std::regex rps(R"(Requests/sec:\s*([0-9.]+))");
    static const std::regex total(R"((\d+) requests in ([0-9.]+)(\w+))");
    static const std::regex p50(R"(\s50%\s+([0-9.]+)(us|ms|s))");
    static const std::regex p99(R"(\s99%\s+([0-9.]+)(us|ms|s))");
    static const std::regex sock(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))");
    static const std::regex non2xx(R"(Non-2xx or 3xx responses: (\d+))");
    if (!std::regex_search(out, m, rps)) {
        return f;
    }
    f.parsed = true;
    f.requests_per_s = std::stod(m[1]);
    if (std::regex_search(out, m, total)) {
        f.requests = std::stoull(m[1]);
    }
    if (std::regex_search(out, m, p50)) {
        f.p50_us = to_us(std::stod(m[1]), m[2]);
    }
    if (std::regex_search(out, m, p99)) {
        f.p99_us = to_us(std::stod(m[1]), m[2]);
    }
    if (std::regex_search(out, m, sock)) {
        // wrk counts a peer closing a keep-alive connection as a read error; connect/write/timeout are real.
        f.errors += std::stoull(m[1]) + std::stoull(m[2]) + std::stoull(m[3]) + std::stoull(m[4]);
    }
    if (std::regex_search(out, m, non2xx)) {
        f.errors += std::stoull(m[1]);
    }
    return f;
}

load_figures parse_corio_load_json(const std::string& json) {
    load_figures f;
    const double rps = first_number(json, {"requests_per_s", "round_trips_per_s", "rps"});
    if (std::isnan(rps)) {
        return f;
    }
    f.parsed = true;
    f.requests_per_s = rps;
    const double total = first_number(json, {"requests", "round_trips"});
    f.requests = std::isnan(total) ? 0 : static_cast<std::uint64_t>(total);
    const double p50 = first_number(json, {"p50_us", "latency_p50_us"});
    const double p99 = first_number(json, {"p99_us", "latency_p99_us"});
    const double errors = first_number(json, {"errors"});
    f.p50_us = std::isnan(p50) ? 0 : p50;
    f.p99_us = std::isnan(p99) ? 0 : p99;
    f.errors = std::isnan(errors) ? 0 : static_cast<std::uint64_t>(errors);
    return f;
}

measurement run_experiment(const experiment& e, const run_options& o) {
    measurement r;
    r.what = e;
    const std::string log = o.log_dir.empty() ? std::string{}
                                              : o.log_dir + "/" + e.workload + "-" + e.model + "-" +
                                                    std::to_string(e.connections) + ".log";
    subprocess server({o.corio_path, e.workload, "--host", "127.0.0.1", "--port", "0", "--threads", "1",
                       "--model", e.model},
                      o.server_cpu, log);
    const auto line = server.wait_for_line("listening on", 15s);
    if (!line) {
        r.status = "server did not start";
        return r;
    }
    const auto colon =
        line->rfind(':', line->find(" (") == std::string::npos ? line->size() : line->find(" ("));
    const auto port = static_cast<std::uint16_t>(std::strtoul(line->c_str() + colon + 1, nullptr, 10));

    tree_tracker tree(server.pid());
    tree.sample();
    const double cpu_before = tree.cpu_seconds();
    const std::uint64_t switches_before = tree.context_switches();

    subprocess load(load_command(e, o, port, r.load_tool), o.load_cpu);
    const auto start = std::chrono::steady_clock::now();
    const auto run_for = std::chrono::duration<double>(o.duration_s);
    bool memory_taken = false;
    std::string output;
    for (;;) {
        output += load.read_all(200ms);
        tree.sample();
        const auto elapsed = std::chrono::steady_clock::now() - start;
        if (!memory_taken && elapsed > run_for * 0.6) {
            r.memory = tree.memory();
            memory_taken = true;
        }
        if (auto status = load.wait(0ms)) {
            output += load.read_all(500ms);
            if (*status != 0) {
                r.status = r.load_tool + " exited with status " + std::to_string(*status);
            }
            break;
        }
        if (elapsed > run_for + 60s) {
            r.status = r.load_tool + " did not finish";
            break;
        }
    }
    std::this_thread::sleep_for(300ms); // let the server reap finished connection threads/processes
    tree.sample();
    // Threads and processes: the peak over the run (every 200 ms), not the count at the memory sample.
    r.memory.threads = tree.peak_threads();
    r.memory.processes = tree.peak_processes();
    const double cpu = tree.cpu_seconds() - cpu_before;
    const std::uint64_t switches = tree.context_switches() - switches_before;

    server.signal(SIGTERM);
    if (!server.wait(15s)) {
        server.signal(SIGKILL);
    }

    const load_figures f = r.load_tool == "wrk" ? parse_wrk(output) : parse_corio_load_json(output);
    if (!f.parsed) {
        if (r.status == "ok") {
            r.status = "no figures from " + r.load_tool;
        }
        return r;
    }
    r.requests_per_s = f.requests_per_s;
    r.requests = f.requests != 0 ? f.requests : static_cast<std::uint64_t>(f.requests_per_s * o.duration_s);
    r.p50_us = f.p50_us;
    r.p99_us = f.p99_us;
    r.errors = f.errors;
    if (r.requests > 0) {
        r.cpu_us_per_request = cpu * 1e6 / static_cast<double>(r.requests);
        r.context_switches_per_request = static_cast<double>(switches) / static_cast<double>(r.requests);
    }
    if (f.requests == 0 && r.status == "ok") {
        r.status = "no request completed";
    }
    r.ok = r.status == "ok" && r.requests > 0;
    if (r.ok && r.errors > 0) {
        r.status = std::to_string(r.errors) + " errors";
    }
    return r;
}

} // namespace corio::cli::compare
