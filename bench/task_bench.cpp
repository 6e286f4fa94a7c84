// Microbenchmarks of the coroutine core and the sync primitives, with threads for contrast.
//
// Every benchmark reports `allocs/iter`: global operator new calls per iteration, counted by the replaced
// operator new in counting_new.cpp (the frame allocator should make task create+await+destroy
// allocation-free).

#include <benchmark/benchmark.h>

#include <asio/io_context.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "corio/runtime/async_mutex.hpp"
#include "corio/runtime/channel.hpp"
#include "corio/runtime/executor.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/sync_wait.hpp"
#include "corio/task.hpp"
#include "corio/when_all.hpp"

#include "counting_new.hpp"

namespace {

/// Counts the global allocations made between construction and report().
class allocation_counter {
public:
    allocation_counter() : start_(corio_bench::global_allocations()) {}
    void report(benchmark::State& state) const {
        const long count = corio_bench::global_allocations() - start_;
        state.counters["allocs/iter"] =
            benchmark::Counter(static_cast<double>(count), benchmark::Counter::kAvgIterations);
    }

private:
    long start_;
};

// --- task create + await + destroy -------------------------------------------------------------------------

corio::task<int> leaf(int x) {
    co_return x + 1;
}

corio::task<void> await_leaves(benchmark::State& state) {
    int x = 0;
    for (auto _ : state) {
        const int v = co_await leaf(x);
        x = v;
        benchmark::DoNotOptimize(x);
    }
}

void task_create_await_destroy(benchmark::State& state) {
    corio::sync_wait(leaf(0)); // warm the frame cache
    allocation_counter allocs;
    corio::sync_wait(await_leaves(state));
    allocs.report(state);
}
BENCHMARK(task_create_await_destroy);

// --- when_all over 1,000 tasks ---------------------------------------------------------------------------

void when_all_1000(benchmark::State& state) {
    constexpr int count = 1000;
    allocation_counter allocs;
    for (auto _ : state) {
        std::vector<corio::task<int>> tasks;
        tasks.reserve(count);
        for (int i = 0; i < count; ++i) {
            tasks.push_back(leaf(i));
        }
        std::vector<int> results = corio::sync_wait(corio::when_all(std::move(tasks)));
        benchmark::DoNotOptimize(results.data());
    }
    allocs.report(state);
    state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(when_all_1000);

// --- channel ping-pong between two tasks on one thread ---------------------------------------------------

corio::task<void> pong_side(corio::channel<int>& ping, corio::channel<int>& pong) {
    for (;;) {
        std::optional<int> v = co_await ping.receive();
        if (!v) {
            break;
        }
        const bool sent = co_await pong.send(*v + 1);
        if (!sent) {
            break;
        }
    }
}

corio::task<void> ping_side(benchmark::State& state, corio::channel<int>& ping, corio::channel<int>& pong) {
    int x = 0;
    for (auto _ : state) {
        const bool sent = co_await ping.send(x);
        benchmark::DoNotOptimize(sent);
        std::optional<int> v = co_await pong.receive();
        x = *v;
    }
    ping.close();
    pong.close();
}

corio::task<void> ping_pong(benchmark::State& state, corio::channel<int>& ping, corio::channel<int>& pong) {
    co_await corio::when_all(ping_side(state, ping, pong), pong_side(ping, pong));
}

/// Resumptions go through the io_context queue (asio::post), as on a runtime worker.
void channel_ping_pong_io_context(benchmark::State& state) {
    asio::io_context context(1);
    corio::executor_scope scope(context.get_executor());
    corio::channel<int> ping(1);
    corio::channel<int> pong(1);
    allocation_counter allocs;
    corio::spawn(context.get_executor(), ping_pong(state, ping, pong));
    context.run(); // returns once both sides have finished
    allocs.report(state);
}
BENCHMARK(channel_ping_pong_io_context);

/// Resumptions run inline (no executor on this thread).
void channel_ping_pong_inline(benchmark::State& state) {
    corio::channel<int> ping(1);
    corio::channel<int> pong(1);
    allocation_counter allocs;
    corio::sync_wait(ping_pong(state, ping, pong));
    allocs.report(state);
}
BENCHMARK(channel_ping_pong_inline);

// --- async_mutex uncontended ------------------------------------------------------------------------------

corio::task<void> lock_unlock(benchmark::State& state, corio::async_mutex& m) {
    for (auto _ : state) {
        co_await m.lock();
        m.unlock();
    }
}

void async_mutex_uncontended(benchmark::State& state) {
    corio::async_mutex m;
    allocation_counter allocs;
    corio::sync_wait(lock_unlock(state, m));
    allocs.report(state);
}
BENCHMARK(async_mutex_uncontended);

// --- threads, for contrast ---------------------------------------------------------------------------------

void thread_create_join(benchmark::State& state) {
    allocation_counter allocs;
    for (auto _ : state) {
        std::thread t([] {});
        t.join();
    }
    allocs.report(state);
}
BENCHMARK(thread_create_join)->UseRealTime();

/// One round trip between two threads blocking on atomics (futex wait/notify).
void thread_ping_pong(benchmark::State& state) {
    std::atomic<int> turn{0}; // 1: the other thread's turn, 0: ours, -1: stop
    std::thread other([&turn] {
        for (;;) {
            turn.wait(0, std::memory_order_acquire);
            if (turn.load(std::memory_order_acquire) == -1) {
                return;
            }
            turn.store(0, std::memory_order_release);
            turn.notify_one();
        }
    });
    for (auto _ : state) {
        turn.store(1, std::memory_order_release);
        turn.notify_one();
        turn.wait(1, std::memory_order_acquire);
    }
    turn.store(-1, std::memory_order_release);
    turn.notify_one();
    other.join();
}
BENCHMARK(thread_ping_pong)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
