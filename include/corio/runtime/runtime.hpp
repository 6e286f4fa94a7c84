#pragma once

// corio::runtime: a fixed set of worker threads, each running its own asio::io_context (shared-nothing: a
// task stays on the worker that started it unless it switches).

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <cassert>
#include <cstddef>
#include <memory>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "corio/runtime/executor.hpp"
#include "corio/runtime/sleep.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/runtime/this_executor.hpp"
#include "corio/runtime/use_task.hpp"
#include "corio/sync_wait.hpp"
#include "corio/task.hpp"

namespace corio {

/// Owns `size()` worker threads. Worker i runs an asio::io_context (concurrency hint 1) and marks itself with
/// an executor_scope, so current_executor() / this_executor name it. Workers stay alive while idle until
/// stop() or join(); the destructor does both.
///
/// Tasks still suspended when the runtime stops are abandoned (their frames are not freed): stop them first
/// (stop tokens) and let them finish. Tasks spawned but not yet started are destroyed.
class runtime {
public:
    /// Starts `threads` workers (at least one; default: one per hardware thread).
    explicit runtime(std::size_t threads = default_threads());
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;
    ~runtime();

    /// Number of workers.
    std::size_t size() const noexcept { return workers_.size(); }

    /// Worker i's executor (i < size()).
    executor get_executor(std::size_t i) const noexcept {
        assert(i < workers_.size());
        return workers_[i]->context.get_executor();
    }

    /// The workers' executors in turn (round robin); thread-safe.
    executor next_executor() noexcept {
        return get_executor(next_.fetch_add(1, std::memory_order_relaxed) % workers_.size());
    }

    /// Makes every worker return as soon as possible (pending work is not run). Thread-safe, idempotent.
    void stop() noexcept;

    /// stop(), then waits for every worker thread to exit. Must not be called from a worker.
    void join();

    /// Runs `t` on worker 0 and blocks the calling thread (which must not be a worker) until it finishes.
    /// @return its result. @throws whatever it throws.
    template <class T>
    T block_on(task<T> t) {
        assert(!is_worker_thread() && "block_on called from a worker thread would deadlock");
        return sync_wait(run_on(get_executor(0), std::move(t)));
    }

    /// As block_on(t), with `t` running under `token` (which must outlive the call).
    template <class T>
    T block_on(task<T> t, const std::stop_token& token) {
        assert(!is_worker_thread() && "block_on called from a worker thread would deadlock");
        return sync_wait(run_on(get_executor(0), std::move(t)), token);
    }

    /// True when the calling thread is one of this runtime's workers.
    bool is_worker_thread() const noexcept;

    static std::size_t default_threads() noexcept {
        const unsigned n = std::thread::hardware_concurrency();
        return n == 0 ? 1 : n;
    }

private:
    struct worker {
        asio::io_context context{1};
        asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
        std::thread thread;
    };

    template <class T>
    static task<T> run_on(executor ex, task<T> t) {
        co_await switch_to(ex);
        if constexpr (std::is_void_v<T>) {
            co_await std::move(t);
        } else if constexpr (std::is_reference_v<T>) {
            T result = co_await std::move(t);
            co_return result;
        } else {
            T result = co_await std::move(t);
            co_return std::move(result);
        }
    }

    static void run_worker(worker& w) noexcept;

    std::vector<std::unique_ptr<worker>> workers_;
    std::atomic<std::size_t> next_{0};
};

} // namespace corio
