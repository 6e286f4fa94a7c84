#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace corio::cli::compare {

/// A child process started with its stdout on a pipe and, optionally, pinned to one CPU.
class subprocess {
public:
    /// Starts argv[0] (a path) with the given arguments. cpu < 0: not pinned. stderr goes to `stderr_path`
    /// (or /dev/null when empty). @throws std::system_error
    subprocess(const std::vector<std::string>& argv, int cpu, const std::string& stderr_path = {});
    subprocess(const subprocess&) = delete;
    subprocess& operator=(const subprocess&) = delete;
    ~subprocess(); ///< SIGKILLs and reaps the child if it is still running

    pid_t pid() const noexcept { return pid_; }

    /// Reads stdout lines until one contains `needle` or `timeout` passes; returns that line.
    std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds timeout);
    /// Reads all of stdout until EOF or `timeout`.
    std::string read_all(std::chrono::milliseconds timeout);
    /// Waits for exit up to `timeout`; the exit status, or nullopt if still running.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    void signal(int sig) const noexcept;

private:
    bool read_some(std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::string buffer_;
    std::optional<int> status_;
};

/// Whether an executable is on PATH.
bool on_path(const std::string& program);

} // namespace corio::cli::compare
