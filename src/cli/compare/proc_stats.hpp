#pragma once

// What the kernel knows about a server's process tree, read from /proc: CPU time, memory, threads, processes
// and context switches, summed over the server process, its threads and its child processes.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace corio::cli::compare {

struct tree_memory {
    std::uint64_t rss_bytes = 0; ///< resident set, summed (shared pages counted once per process)
    std::uint64_t pss_bytes = 0; ///< proportional set: shared pages divided among their sharers
    std::size_t threads = 0;
    std::size_t processes = 0;
};

/// Follows a server process tree over time. Threads and child processes come and go (a thread or a child per
/// connection), so counters are remembered per task id at every sample and summed at the end.
class tree_tracker {
public:
    explicit tree_tracker(pid_t root) noexcept : root_(root) {}

    /// Records the current counters of every live task in the tree.
    void sample();

    /// CPU seconds (user+system) of the tree: the root's own (all its threads), its reaped children's, and
    /// the last seen values of children still alive or not yet reaped.
    double cpu_seconds();

    /// Voluntary + involuntary context switches over every task seen so far.
    std::uint64_t context_switches() const;

    /// Memory of the tree now (reads smaps_rollup of every process: call it sparingly).
    tree_memory memory() const;

    /// The root and its live child processes.
    std::vector<pid_t> processes() const;

    /// The most threads and processes seen alive at once in any sample so far (a count taken at one instant
    /// can fall between a load generator's connections).
    std::size_t peak_threads() const noexcept { return peak_threads_; }
    std::size_t peak_processes() const noexcept { return peak_processes_; }

private:
    pid_t root_;
    std::map<pid_t, std::uint64_t> switches_by_task_;
    std::map<pid_t, double> cpu_by_child_;
    std::size_t peak_threads_ = 0;
    std::size_t peak_processes_ = 0;
};

/// "<cpu model>, <n> cores, <memory> GiB, Linux <release>".
std::string describe_machine();

} // namespace corio::cli::compare
