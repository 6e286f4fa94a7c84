#include "proc_stats.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace corio::cli::compare {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<pid_t> list_numeric(const std::string& dir) {
    std::vector<pid_t> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            char* end = nullptr;
            const long v = std::strtol(e->d_name, &end, 10);
            if (end != e->d_name && *end == '\0') {
                out.push_back(static_cast<pid_t>(v));
            }
        }
        ::closedir(d);
    }
    return out;
}

/// utime, stime, cutime, cstime (clock ticks) from /proc/<pid>/stat; false if the process is gone.
bool read_cpu_ticks(pid_t pid, std::uint64_t ticks[4]) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) {
        return false;
    }
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string skip;
    // Fields after the command: state(3) ... utime is field 14, so skip 11 fields (3..13).
    for (int i = 3; i <= 13; ++i) {
        fields >> skip;
    }
    fields >> ticks[0] >> ticks[1] >> ticks[2] >> ticks[3];
    return static_cast<bool>(fields);
}

std::uint64_t read_switches(const std::string& status_path) {
    std::ifstream in(status_path);
    std::string line;
    std::uint64_t total = 0;
    while (std::getline(in, line)) {
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
            line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) {
            total += std::stoull(line.substr(line.find(':') + 1));
        }
    }
    return total;
}

std::uint64_t read_kib_field(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    std::string word;
    while (in >> word) {
        if (word == key) {
            std::uint64_t kib = 0;
            in >> kib;
            return kib * 1024;
        }
    }
    return 0;
}

double ticks_to_seconds(std::uint64_t ticks) {
    return static_cast<double>(ticks) / ::sysconf(_SC_CLK_TCK);
}

} // namespace

std::vector<pid_t> tree_tracker::processes() const {
    std::vector<pid_t> out{root_};
    for (pid_t tid : list_numeric("/proc/" + std::to_string(root_) + "/task")) {
        std::istringstream children(
            read_file("/proc/" + std::to_string(root_) + "/task/" + std::to_string(tid) + "/children"));
        pid_t child;
        while (children >> child) {
            out.push_back(child);
        }
    }
    return out;
}

void tree_tracker::sample() {
    std::size_t threads = 0;
    const std::vector<pid_t> live = processes();
    for (pid_t pid : live) {
        const std::string base = "/proc/" + std::to_string(pid);
        const auto tasks = list_numeric(base + "/task");
        threads += tasks.size();
        for (pid_t tid : tasks) {
            const std::uint64_t s = read_switches(base + "/task/" + std::to_string(tid) + "/status");
            if (s != 0) {
                switches_by_task_[tid] = s;
            }
        }
        if (pid != root_) {
            std::uint64_t t[4] = {};
            if (read_cpu_ticks(pid, t)) {
                cpu_by_child_[pid] = ticks_to_seconds(t[0] + t[1]);
            }
        }
    }
    peak_threads_ = std::max(peak_threads_, threads);
    peak_processes_ = std::max(peak_processes_, live.size());
}

double tree_tracker::cpu_seconds() {
    std::uint64_t t[4] = {};
    if (!read_cpu_ticks(root_, t)) {
        return 0;
    }
    // Children already reaped are in cutime/cstime; their last samples must not count twice.
    const auto live = processes();
    double children_alive = 0;
    for (pid_t pid : live) {
        if (pid == root_) {
            continue;
        }
        std::uint64_t c[4] = {};
        if (read_cpu_ticks(pid, c)) {
            children_alive += ticks_to_seconds(c[0] + c[1]);
        }
    }
    return ticks_to_seconds(t[0] + t[1] + t[2] + t[3]) + children_alive;
}

std::uint64_t tree_tracker::context_switches() const {
    std::uint64_t total = 0;
    for (const auto& [tid, s] : switches_by_task_) {
        total += s;
    }
    return total;
}

tree_memory tree_tracker::memory() const {
    tree_memory m;
    for (pid_t pid : processes()) {
        const std::string base = "/proc/" + std::to_string(pid);
        m.rss_bytes += read_kib_field(base + "/status", "VmRSS:");
        m.pss_bytes += read_kib_field(base + "/smaps_rollup", "Pss:");
        m.threads += list_numeric(base + "/task").size();
        ++m.processes;
    }
    return m;
}

std::string describe_machine() {
    std::string cpu = "unknown CPU";
    std::ifstream info("/proc/cpuinfo");
    std::string line;
    while (std::getline(info, line)) {
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    }
    const std::uint64_t mem = read_kib_field("/proc/meminfo", "MemTotal:");
    utsname u{};
    ::uname(&u);
    std::ostringstream out;
    out << cpu << ", " << std::thread::hardware_concurrency() << " cores, " << (mem >> 30) << " GiB, Linux "
        << u.release;
    return out.str();
}

} // namespace corio::cli::compare
