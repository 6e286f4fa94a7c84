#include "corio/models/primitives.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "corio/sync_wait.hpp"
#include "corio/task.hpp"

namespace corio::models {

namespace {

using clock_type = std::chrono::steady_clock;

/// Runs `run` (which performs `iterations` operations) `repeats` times; returns the median ns per operation.
double median_ns_per_op(int repeats, std::size_t iterations, const std::function<void()>& run) {
    std::vector<double> samples;
    for (int r = 0; r < repeats; ++r) {
        const auto start = clock_type::now();
        run();
        const auto elapsed = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
        samples.push_back(elapsed / static_cast<double>(iterations));
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

// --- coroutines ---------------------------------------------------------------------------------------

task<std::size_t> identity(std::size_t i) {
    co_return i;
}

task<std::size_t> create_await_destroy(std::size_t n) {
    std::size_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t v = co_await identity(i);
        sum += v;
    }
    co_return sum;
}

/// A bare coroutine for the switch measurement: two of them hand control to each other.
struct switching_coroutine {
    struct promise_type {
        switching_coroutine get_return_object() {
            return {std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
    std::coroutine_handle<promise_type> handle;
};

struct transfer_to {
    std::coroutine_handle<>* self;
    std::coroutine_handle<>* peer;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> me) const noexcept {
        *self = me;
        return *peer;
    }
    void await_resume() const noexcept {}
};

switching_coroutine ping_pong(std::coroutine_handle<>* self, std::coroutine_handle<>* peer, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        co_await transfer_to{self, peer};
    }
}

void coroutine_switches(std::size_t round_trips) {
    std::coroutine_handle<> a_slot, b_slot;
    auto a = ping_pong(&a_slot, &b_slot, round_trips);
    auto b = ping_pong(&b_slot, &a_slot, round_trips + 1);
    a_slot = a.handle;
    b_slot = b.handle;
    a.handle.resume(); // returns when a finishes; b is left suspended
    a.handle.destroy();
    b.handle.destroy();
}

// --- threads ------------------------------------------------------------------------------------------

void thread_create_join(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        std::thread t([] {});
        t.join();
    }
}

void thread_switches(std::size_t round_trips) {
    std::atomic<int> turn{0};
    std::thread other([&] {
        for (std::size_t i = 0; i < round_trips; ++i) {
            turn.wait(0, std::memory_order_acquire);
            turn.store(0, std::memory_order_release);
            turn.notify_one();
        }
    });
    for (std::size_t i = 0; i < round_trips; ++i) {
        turn.store(1, std::memory_order_release);
        turn.notify_one();
        turn.wait(1, std::memory_order_acquire);
    }
    other.join();
}

// --- processes ----------------------------------------------------------------------------------------

void process_fork_exit_wait(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::_exit(0);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
}

void process_switches(std::size_t round_trips) {
    int to_child[2], to_parent[2];
    if (::pipe(to_child) != 0 || ::pipe(to_parent) != 0) {
        return;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(to_child[1]); // so that the parent closing its end is seen as EOF here
        ::close(to_parent[0]);
        char b;
        while (::read(to_child[0], &b, 1) == 1) {
            if (::write(to_parent[1], &b, 1) != 1) {
                break;
            }
        }
        ::_exit(0);
    }
    char b = 'x';
    for (std::size_t i = 0; i < round_trips; ++i) {
        if (::write(to_child[1], &b, 1) != 1 || ::read(to_parent[0], &b, 1) != 1) {
            break;
        }
    }
    ::close(to_child[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(to_child[0]);
    ::close(to_parent[0]);
    ::close(to_parent[1]);
}

// --- memory -------------------------------------------------------------------------------------------

long resident_bytes_of(pid_t pid) {
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

long pss_bytes_of(pid_t pid) {
    std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string key;
    long kib = 0;
    while (rollup >> key) {
        if (key == "Pss:") {
            rollup >> kib;
            return kib * 1024;
        }
        rollup.ignore(4096, '\n');
    }
    return 0;
}

std::size_t default_thread_stack_bytes() {
    pthread_attr_t attr;
    std::size_t size = 0;
    if (::pthread_getattr_default_np(&attr) == 0) {
        ::pthread_attr_getstacksize(&attr, &size);
        ::pthread_attr_destroy(&attr);
    }
    return size;
}

/// Resident bytes each extra blocked thread adds to this process.
double thread_resident_bytes(std::size_t sample) {
    std::atomic<bool> release{false};
    std::atomic<std::size_t> started{0};
    const long before = resident_bytes_of(::getpid());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < sample; ++i) {
        threads.emplace_back([&] {
            started.fetch_add(1);
            release.wait(false);
        });
    }
    while (started.load() < sample) {
        std::this_thread::yield();
    }
    const long after = resident_bytes_of(::getpid());
    release.store(true);
    release.notify_all();
    for (auto& t : threads) {
        t.join();
    }
    return static_cast<double>(after - before) / static_cast<double>(sample);
}

/// Proportional set size of a blocked child process, averaged over `sample` children.
double process_pss_bytes(std::size_t sample) {
    int gate[2];
    if (::pipe(gate) != 0) {
        return 0;
    }
    std::vector<pid_t> children;
    for (std::size_t i = 0; i < sample; ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(gate[1]);
            char b;
            [[maybe_unused]] auto n = ::read(gate[0], &b, 1);
            ::_exit(0);
        }
        children.push_back(pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    long total = 0;
    for (pid_t pid : children) {
        total += pss_bytes_of(pid);
    }
    ::close(gate[1]);
    ::close(gate[0]);
    for (pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    return static_cast<double>(total) / static_cast<double>(sample);
}

/// Pins the calling thread (and the threads and processes it then creates) to one CPU while alive, so that a
/// switch is a real context switch on that CPU, not a wake-up on another.
class pin_to_one_cpu {
public:
    pin_to_one_cpu() {
        have_ = ::sched_getaffinity(0, sizeof previous_, &previous_) == 0;
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (CPU_ISSET(cpu, &previous_)) {
                CPU_SET(cpu, &one);
                break;
            }
        }
        ::sched_setaffinity(0, sizeof one, &one);
    }
    pin_to_one_cpu(const pin_to_one_cpu&) = delete;
    pin_to_one_cpu& operator=(const pin_to_one_cpu&) = delete;
    ~pin_to_one_cpu() {
        if (have_) {
            ::sched_setaffinity(0, sizeof previous_, &previous_);
        }
    }

private:
    cpu_set_t previous_{};
    bool have_ = false;
};

} // namespace

std::vector<primitive_figure> measure_primitives(const primitive_options& o) {
    std::vector<primitive_figure> out;
    pin_to_one_cpu pinned;

    // Warm the frame cache so the steady state is measured.
    (void)sync_wait(create_await_destroy(1000));
    out.push_back({"coroutine", "create+run+destroy",
                   median_ns_per_op(o.repeats, o.coroutine_iterations,
                                    [&] { (void)sync_wait(create_await_destroy(o.coroutine_iterations)); }),
                   "ns", "corio::task, awaited and destroyed"});
    out.push_back(
        {"thread", "create+run+destroy",
         median_ns_per_op(o.repeats, o.thread_iterations, [&] { thread_create_join(o.thread_iterations); }),
         "ns", "std::thread create + join"});
    out.push_back({"process", "create+run+destroy",
                   median_ns_per_op(o.repeats, o.process_iterations,
                                    [&] { process_fork_exit_wait(o.process_iterations); }),
                   "ns", "fork + _exit + waitpid"});

    const std::size_t coroutine_trips = o.coroutine_iterations;
    out.push_back(
        {"coroutine", "switch",
         median_ns_per_op(o.repeats, 2 * coroutine_trips, [&] { coroutine_switches(coroutine_trips); }), "ns",
         "symmetric transfer between two coroutines"});
    out.push_back({"thread", "switch",
                   median_ns_per_op(o.repeats, 2 * o.switch_round_trips,
                                    [&] { thread_switches(o.switch_round_trips); }),
                   "ns", "futex ping-pong, both threads on one CPU"});
    out.push_back({"process", "switch",
                   median_ns_per_op(o.repeats, 2 * o.switch_round_trips,
                                    [&] { process_switches(o.switch_round_trips); }),
                   "ns", "pipe ping-pong, both processes on one CPU"});

    out.push_back({"coroutine", "memory per unit", static_cast<double>(o.connection_frame_bytes), "bytes",
                   o.connection_frame_bytes != 0
                       ? "the echo connection's coroutine frame (its size class in the frame allocator)"
                       : "connection frame size not given"});
    out.push_back({"thread", "memory per unit", thread_resident_bytes(o.memory_sample), "bytes",
                   "resident per blocked thread; reserves " +
                       std::to_string(default_thread_stack_bytes() >> 10) + " KiB of virtual stack"});
    out.push_back({"process", "memory per unit", process_pss_bytes(o.memory_sample), "bytes",
                   "PSS per blocked forked child"});
    return out;
}

std::string format_primitives(const std::vector<primitive_figure>& figures) {
    auto find = [&](const std::string& model, const std::string& metric) -> const primitive_figure* {
        for (const auto& f : figures) {
            if (f.model == model && f.metric == metric) {
                return &f;
            }
        }
        return nullptr;
    };
    std::ostringstream out;
    out << "| metric | coroutine | thread | process | thread / coroutine | process / coroutine |\n"
        << "|---|---:|---:|---:|---:|---:|\n";
    for (const char* metric : {"create+run+destroy", "switch", "memory per unit"}) {
        const auto* c = find("coroutine", metric);
        const auto* t = find("thread", metric);
        const auto* p = find("process", metric);
        if (c == nullptr || t == nullptr || p == nullptr) {
            continue;
        }
        char line[512];
        auto ratio = [&](const primitive_figure* x) {
            return c->value > 0 ? x->value / c->value : 0.0;
        };
        std::snprintf(line, sizeof line, "| %s (%s) | %.1f | %.1f | %.1f | %.0fx | %.0fx |\n", metric,
                      c->unit.c_str(), c->value, t->value, p->value, ratio(t), ratio(p));
        out << line;
    }
    out << "\n";
    for (const auto& f : figures) {
        out << "- " << f.model << ", " << f.metric << ": " << f.note << "\n";
    }
    return out.str();
}

} // namespace corio::models
