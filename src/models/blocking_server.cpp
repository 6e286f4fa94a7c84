#include "corio/models/blocking_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_set>

namespace corio::models {

std::string_view to_string(concurrency_model m) noexcept {
    switch (m) {
    case concurrency_model::coroutine:
        return "coroutine";
    case concurrency_model::thread:
        return "thread";
    case concurrency_model::process:
        return "process";
    }
    return "unknown";
}

concurrency_model parse_concurrency_model(std::string_view name) {
    for (auto m : {concurrency_model::coroutine, concurrency_model::thread, concurrency_model::process}) {
        if (name == to_string(m)) {
            return m;
        }
    }
    throw std::invalid_argument("unknown model '" + std::string(name) + "' (coroutine, thread or process)");
}

namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

/// A pipe that wakes the accept loop's poll() when stop is requested.
class wake_pipe {
public:
    wake_pipe() {
        if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
            throw_errno("pipe2");
        }
    }
    wake_pipe(const wake_pipe&) = delete;
    wake_pipe& operator=(const wake_pipe&) = delete;
    ~wake_pipe() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    int read_fd() const noexcept { return fds_[0]; }
    void notify() const noexcept {
        const char b = 1;
        [[maybe_unused]] auto n = ::write(fds_[1], &b, 1);
    }

private:
    int fds_[2];
};

class fd_guard {
public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

void configure_accepted(int fd, std::chrono::milliseconds idle_timeout) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (idle_timeout.count() > 0) {
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(idle_timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((idle_timeout.count() % 1000) * 1000);
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
}

enum class wait_result { readable, stopped, timeout };

/// Waits until the listener is readable, the wake pipe fires, or `timeout_ms` passes.
wait_result wait_for_connection(int listener, const wake_pipe& wake, int timeout_ms) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {wake.read_fd(), POLLIN, 0}};
    const int n = ::poll(fds, 2, timeout_ms);
    if (n <= 0) {
        return wait_result::timeout;
    }
    if (fds[1].revents != 0) {
        return wait_result::stopped;
    }
    return wait_result::readable;
}

/// accept4 with back-off on descriptor exhaustion. @return the fd, or -1 when there was nothing to accept.
int accept_connection(int listener) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
        return fd;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        spdlog::warn("accept: {} (backing off 100 ms)", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED && errno != EPROTO) {
        spdlog::error("accept: {}", std::strerror(errno));
    }
    return -1;
}

} // namespace

int open_listener(const std::string& host, std::uint16_t port, int backlog) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        throw std::system_error(EINVAL, std::generic_category(), "bad IPv4 address '" + host + "'");
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        throw_errno("socket");
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, backlog) != 0) {
        const int err = errno;
        ::close(fd);
        throw std::system_error(err, std::generic_category(),
                                "bind/listen " + host + ":" + std::to_string(port));
    }
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw_errno("getsockname");
    }
    return ntohs(addr.sin_port);
}

namespace {

/// The accepting side both blocking models share: the listener, a pipe that wakes it when stop is requested,
/// and accept with back-off. Announces the bound port through options.on_listening.
class acceptor {
public:
    acceptor(const blocking_server_options& options, std::stop_token stop);
    acceptor(const acceptor&) = delete;
    acceptor& operator=(const acceptor&) = delete;

    /// Waits up to `timeout_ms` for a connection. Returns the accepted descriptor, configured (TCP_NODELAY,
    /// idle timeout), or -1 when the wait timed out, stop was requested or nothing could be accepted.
    int next(int timeout_ms);

    /// In a forked child: closes the descriptors the child must not keep.
    void close_in_child() const noexcept {
        ::close(listener_.get());
        ::close(wake_.read_fd());
    }

private:
    fd_guard listener_;
    wake_pipe wake_;
    std::chrono::milliseconds idle_timeout_;
    struct notify_wake {
        const wake_pipe* pipe;
        void operator()() const noexcept { pipe->notify(); }
    };
    std::stop_callback<notify_wake> on_stop_; // last: gone before the pipe it notifies
};

acceptor::acceptor(const blocking_server_options& options, std::stop_token stop)
    : listener_(open_listener(options.host, options.port, options.backlog)),
      idle_timeout_(options.idle_timeout), on_stop_(std::move(stop), notify_wake{&wake_}) {
    if (options.on_listening) {
        options.on_listening(local_port(listener_.get()));
    }
}

int acceptor::next(int timeout_ms) {
    if (wait_for_connection(listener_.get(), wake_, timeout_ms) != wait_result::readable) {
        return -1;
    }
    const int fd = accept_connection(listener_.get());
    if (fd >= 0) {
        configure_accepted(fd, idle_timeout_);
    }
    return fd;
}

} // namespace

void serve_echo(int fd) {
    char buffer[16 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n == 0) {
            return;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        for (ssize_t sent = 0; sent < n;) {
            const ssize_t w = ::send(fd, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return;
            }
            sent += w;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// thread per connection

namespace {

struct connection_thread {
    int fd;
    std::thread thread;
    std::atomic<bool> done{false};
};

class thread_registry {
public:
    connection_thread& add(int fd) {
        std::lock_guard lock(mutex_);
        return connections_.emplace_back(fd);
    }

    /// Called by a connection thread when its handler returned: closes the fd exactly once.
    void finish(connection_thread& c) {
        std::lock_guard lock(mutex_);
        ::close(c.fd);
        c.fd = -1;
        c.done.store(true, std::memory_order_release);
    }

    /// Joins the threads that finished.
    void reap() {
        std::list<connection_thread> finished;
        {
            std::lock_guard lock(mutex_);
            for (auto it = connections_.begin(); it != connections_.end();) {
                auto next = std::next(it);
                if (it->done.load(std::memory_order_acquire)) {
                    finished.splice(finished.end(), connections_, it);
                }
                it = next;
            }
        }
        for (auto& c : finished) {
            c.thread.join();
        }
    }

    /// Shuts down `how` on every open connection.
    void shutdown_all(int how) {
        std::lock_guard lock(mutex_);
        for (auto& c : connections_) {
            if (c.fd >= 0) {
                ::shutdown(c.fd, how);
            }
        }
    }

    bool empty() {
        std::lock_guard lock(mutex_);
        return connections_.empty();
    }

private:
    std::mutex mutex_;
    std::list<connection_thread> connections_;
};

void drain_threads(thread_registry& threads, std::chrono::milliseconds drain_timeout) {
    threads.shutdown_all(SHUT_RD);
    const auto deadline = std::chrono::steady_clock::now() + drain_timeout;
    while (threads.reap(), !threads.empty()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            spdlog::warn("drain timeout: cutting the remaining connections");
            threads.shutdown_all(SHUT_RDWR);
            while (threads.reap(), !threads.empty()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace

int run_thread_per_connection(const blocking_server_options& options, const connection_handler& serve,
                              std::stop_token stop) {
    acceptor accepting(options, stop);
    thread_registry threads;
    while (!stop.stop_requested()) {
        const int fd = accepting.next(1000);
        threads.reap();
        if (fd < 0) {
            continue;
        }
        connection_thread& c = threads.add(fd);
        try {
            c.thread = std::thread([&serve, &threads, &c] {
                try {
                    serve(c.fd);
                } catch (const std::exception& e) {
                    spdlog::error("connection handler: {}", e.what());
                }
                threads.finish(c);
            });
        } catch (const std::system_error& e) {
            spdlog::error("cannot start a connection thread: {}", e.what());
            threads.finish(c);
        }
    }
    drain_threads(threads, options.drain_timeout);
    return 0;
}

// ---------------------------------------------------------------------------------------------------------
// process per connection

namespace {

int child_connection_fd = -1;

extern "C" void child_stop_reading(int) {
    // Async-signal-safe: the blocking read returns 0 and the handler finishes what it has.
    ::shutdown(child_connection_fd, SHUT_RD);
}

[[noreturn]] void run_child(int fd, const connection_handler& serve, const acceptor& accepting) {
    accepting.close_in_child();
    child_connection_fd = fd;
    struct sigaction sa{};
    sa.sa_handler = child_stop_reading;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGINT, SIG_IGN);
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_UNBLOCK, &all, nullptr);
    int status = 0;
    try {
        serve(fd);
    } catch (...) {
        status = 1;
    }
    ::close(fd);
    ::_exit(status);
}

void reap_children(std::unordered_set<pid_t>& children) {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        children.erase(pid);
    }
}

void drain_children(std::unordered_set<pid_t>& children, std::chrono::milliseconds drain_timeout) {
    for (pid_t pid : children) {
        ::kill(pid, SIGTERM);
    }
    const auto deadline = std::chrono::steady_clock::now() + drain_timeout;
    while (reap_children(children), !children.empty()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            spdlog::warn("drain timeout: killing {} connection processes", children.size());
            for (pid_t pid : children) {
                ::kill(pid, SIGKILL);
            }
            while (!children.empty()) {
                int status = 0;
                const pid_t pid = ::waitpid(-1, &status, 0);
                if (pid < 0) {
                    break;
                }
                children.erase(pid);
            }
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace

int run_process_per_connection(const blocking_server_options& options, const connection_handler& serve,
                               std::stop_token stop) {
    acceptor accepting(options, stop);
    std::unordered_set<pid_t> children;
    while (!stop.stop_requested()) {
        // While children run, wake up often enough that finished ones never linger as zombies for long.
        const int fd = accepting.next(children.empty() ? 1000 : 50);
        reap_children(children);
        if (fd < 0) {
            continue;
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            run_child(fd, serve, accepting);
        }
        ::close(fd);
        if (pid < 0) {
            spdlog::error("fork: {}", std::strerror(errno));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        children.insert(pid);
    }
    drain_children(children, options.drain_timeout);
    return 0;
}

} // namespace corio::models
