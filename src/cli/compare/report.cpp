#include "report.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "subprocess.hpp"

namespace corio::cli::compare {

namespace {

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string mib(std::uint64_t bytes) {
    return fmt("%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string csv_escape(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

const std::vector<std::string> model_order = {"coroutine", "thread", "process"};

std::vector<std::string> workloads_of(const std::vector<measurement>& results) {
    std::vector<std::string> out;
    for (const auto& r : results) {
        if (std::find(out.begin(), out.end(), r.what.workload) == out.end()) {
            out.push_back(r.what.workload);
        }
    }
    return out;
}

/// Memory each extra connection costs a model: the PSS slope between its lowest and highest successful level.
double pss_per_connection(const std::vector<measurement>& results, const std::string& workload,
                          const std::string& model) {
    const measurement* lo = nullptr;
    const measurement* hi = nullptr;
    for (const auto& r : results) {
        if (r.what.workload != workload || r.what.model != model || !r.ok || r.memory.pss_bytes == 0) {
            continue;
        }
        if (lo == nullptr || r.what.connections < lo->what.connections) {
            lo = &r;
        }
        if (hi == nullptr || r.what.connections > hi->what.connections) {
            hi = &r;
        }
    }
    if (lo == nullptr || hi == nullptr || hi->what.connections == lo->what.connections) {
        return std::nan("");
    }
    return (static_cast<double>(hi->memory.pss_bytes) - static_cast<double>(lo->memory.pss_bytes)) /
           static_cast<double>(hi->what.connections - lo->what.connections);
}

void write_chart(const std::string& dir, const std::string& workload, const std::string& name,
                 const std::string& ylabel, const std::vector<measurement>& results,
                 double (*value)(const measurement&), std::vector<std::string>& charts) {
    const std::string data = dir + "/" + workload + "-" + name + ".dat";
    const std::string svg = workload + "-" + name + ".svg";
    std::set<std::size_t> levels;
    for (const auto& r : results) {
        if (r.what.workload == workload) {
            levels.insert(r.what.connections);
        }
    }
    {
        std::ofstream out(data);
        out << "# connections";
        for (const auto& m : model_order) {
            out << " " << m;
        }
        out << "\n";
        for (std::size_t c : levels) {
            out << c;
            for (const auto& m : model_order) {
                double v = std::nan("");
                for (const auto& r : results) {
                    if (r.what.workload == workload && r.what.model == m && r.what.connections == c && r.ok) {
                        v = value(r);
                    }
                }
                out << " " << (std::isnan(v) ? std::string("NaN") : fmt("%.6g", v));
            }
            out << "\n";
        }
    }
    std::ostringstream script;
    script << "set terminal svg size 720,420 dynamic font 'sans,12'\n"
           << "set output '" << dir << "/" << svg << "'\n"
           << "set title '" << workload << ": " << ylabel << " vs connections'\n"
           << "set xlabel 'concurrent connections'\nset ylabel '" << ylabel << "'\n"
           << "set logscale x\nset grid\nset key top left\nset datafile missing 'NaN'\n"
           << "plot '" << data << "' using 1:2 with linespoints lw 2 title 'coroutine', "
           << "'' using 1:3 with linespoints lw 2 title 'thread', "
           << "'' using 1:4 with linespoints lw 2 title 'process'\n";
    const std::string script_path = dir + "/" + workload + "-" + name + ".gp";
    std::ofstream(script_path) << script.str();
    const std::string cmd = "gnuplot '" + script_path + "' 2>/dev/null";
    if (std::system(cmd.c_str()) == 0) {
        charts.push_back(svg);
    }
}

} // namespace

std::string csv_header() {
    return "workload,model,connections,status,requests_per_s,p50_us,p99_us,cpu_us_per_request,rss_bytes,"
           "pss_bytes,threads,processes,context_switches_per_request,requests,errors,load_tool";
}

std::vector<std::string> write_report(const std::string& dir, const std::vector<measurement>& results,
                                      const report_context& context) {
    ::mkdir(dir.c_str(), 0755);
    {
        std::ofstream csv(dir + "/results.csv");
        if (!csv) {
            throw std::runtime_error("cannot write " + dir + "/results.csv");
        }
        csv << csv_header() << "\n";
        for (const auto& r : results) {
            csv << r.what.workload << "," << r.what.model << "," << r.what.connections << ","
                << csv_escape(r.status) << "," << fmt("%.1f", r.requests_per_s) << ","
                << fmt("%.1f", r.p50_us) << "," << fmt("%.1f", r.p99_us) << ","
                << fmt("%.3f", r.cpu_us_per_request) << "," << r.memory.rss_bytes << "," << r.memory.pss_bytes
                << "," << r.memory.threads << "," << r.memory.processes << ","
                << fmt("%.3f", r.context_switches_per_request) << "," << r.requests << "," << r.errors << ","
                << csv_escape(r.load_tool) << "\n";
        }
    }

    std::vector<std::string> charts;
    if (on_path("gnuplot")) {
        for (const auto& w : workloads_of(results)) {
            write_chart(
                dir, w, "throughput", "requests/s", results,
                [](const measurement& r) { return r.requests_per_s; }, charts);
            write_chart(
                dir, w, "memory", "server PSS (MiB)", results,
                [](const measurement& r) { return static_cast<double>(r.memory.pss_bytes) / 1048576.0; },
                charts);
            write_chart(
                dir, w, "p99", "p99 latency (ms)", results,
                [](const measurement& r) { return r.p99_us / 1000.0; }, charts);
        }
    }

    std::ofstream md(dir + "/report.md");
    md << "# corio compare: coroutines vs threads vs processes\n\n"
       << "- Machine: " << context.machine << "\n- Date: " << context.date << "\n- Command: `"
       << context.command
       << "`\n- Method: server pinned to CPU 0 (one worker thread for the coroutine model), load pinned to "
          "CPU 1, "
       << context.duration_s << " s per level. CPU is the server's utime+stime (all its threads and child "
       << "processes) per request; memory is sampled at 60 % of the run and summed over the server's "
       << "processes; threads and processes are the most seen at once (sampled every 200 ms); context "
          "switches are voluntary+involuntary over all its threads and processes.\n\n";
    for (const auto& w : workloads_of(results)) {
        md << "## " << w << (w == "http" ? " (GET /plaintext, keep-alive)" : " (64-byte round trips)")
           << "\n\n"
           << "| model | connections | requests/s | p50 (µs) | p99 (µs) | CPU µs/request | RSS (MiB) | PSS "
              "(MiB) "
              "| threads | processes | ctx switches/request | errors | status |\n"
           << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
        for (const auto& r : results) {
            if (r.what.workload != w) {
                continue;
            }
            md << "| " << r.what.model << " | " << r.what.connections << " | "
               << fmt("%.0f", r.requests_per_s) << " | " << fmt("%.0f", r.p50_us) << " | "
               << fmt("%.0f", r.p99_us) << " | " << fmt("%.2f", r.cpu_us_per_request) << " | "
               << mib(r.memory.rss_bytes) << " | " << mib(r.memory.pss_bytes) << " | " << r.memory.threads
               << " | " << r.memory.processes << " | " << fmt("%.2f", r.context_switches_per_request) << " | "
               << r.errors << " | " << r.status << " |\n";
        }
        md << "\n";
        const double c = pss_per_connection(results, w, "coroutine");
        const double t = pss_per_connection(results, w, "thread");
        const double p = pss_per_connection(results, w, "process");
        md << "Memory per extra connection (PSS slope between the lowest and highest level that succeeded): "
           << "coroutine " << (std::isnan(c) ? "n/a" : fmt("%.0f B", c)) << ", thread "
           << (std::isnan(t) ? "n/a" : fmt("%.0f B", t)) << ", process "
           << (std::isnan(p) ? "n/a" : fmt("%.0f B", p));
        if (!std::isnan(c) && c > 0) {
            if (!std::isnan(t)) {
                md << "; thread/coroutine " << fmt("%.1fx", t / c);
            }
            if (!std::isnan(p)) {
                md << ", process/coroutine " << fmt("%.1fx", p / c);
            }
        }
        md << ".\n\n";
        for (const auto& chart : charts) {
            if (chart.rfind(w + "-", 0) == 0) {
                md << "![" << chart << "](" << chart << ")\n";
            }
        }
        md << "\n";
    }
    return charts;
}

std::vector<std::string> validate_report(const std::string& dir, std::size_t expected_rows,
                                         const std::vector<std::string>& charts) {
    std::vector<std::string> problems;
    std::ifstream csv(dir + "/results.csv");
    std::string line;
    const std::string header = csv_header();
    if (!std::getline(csv, line) || line != header) {
        problems.push_back("results.csv: missing or wrong header");
    }
    const auto columns = static_cast<std::size_t>(std::count(header.begin(), header.end(), ',')) + 1;
    std::size_t rows = 0;
    while (std::getline(csv, line)) {
        ++rows;
        if (line.find('"') == std::string::npos &&
            static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1 != columns) {
            problems.push_back("results.csv row " + std::to_string(rows) + ": wrong column count");
        }
    }
    if (rows != expected_rows) {
        problems.push_back("results.csv: " + std::to_string(rows) + " rows, expected " +
                           std::to_string(expected_rows));
    }
    std::ifstream md(dir + "/report.md");
    std::size_t table_rows = 0;
    while (std::getline(md, line)) {
        if (line.rfind("| coroutine |", 0) == 0 || line.rfind("| thread |", 0) == 0 ||
            line.rfind("| process |", 0) == 0) {
            ++table_rows;
        }
    }
    if (table_rows != expected_rows) {
        problems.push_back("report.md: " + std::to_string(table_rows) + " table rows, expected " +
                           std::to_string(expected_rows));
    }
    for (const auto& chart : charts) {
        std::ifstream svg(dir + "/" + chart);
        std::string head((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
        if (head.find("<svg") == std::string::npos) {
            problems.push_back(chart + ": not an SVG");
        }
    }
    return problems;
}

} // namespace corio::cli::compare
