// Structured concurrency with corio::task_group: children run concurrently on the runtime's workers, join()
// waits for all of them, and the first failure cancels the siblings and comes out of join().

#include "corio/runtime/runtime.hpp" // Asio first: every translation unit must configure it the same way
#include "corio/runtime/task_group.hpp"

#include "corio/stop.hpp"
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <stop_token>
#include <system_error>

namespace {

using namespace std::chrono_literals;

corio::task<void> worker(int id, std::chrono::milliseconds work, std::atomic<int>* finished) {
    co_await corio::sleep_for(work);
    finished->fetch_add(1);
    std::printf("  child %d done after %lld ms\n", id, static_cast<long long>(work.count()));
}

corio::task<void> patient_worker(int id) {
    try {
        co_await corio::sleep_for(1h);
    } catch (const std::system_error&) {
        std::printf("  child %d cancelled\n", id);
        throw;
    }
}

corio::task<void> failing_worker() {
    co_await corio::sleep_for(20ms);
    throw std::runtime_error("child 99 failed");
}

corio::task<void> run(corio::runtime* rt) {
    std::printf("a group of five children on %zu workers:\n", rt->size());
    std::atomic<int> finished{0};
    {
        const std::stop_token stop = co_await corio::this_stop_token; // children stop when we are stopped
        corio::task_group group(stop);
        for (int i = 0; i < 5; ++i) {
            group.spawn(rt->next_executor(), worker(i, std::chrono::milliseconds(10 * (5 - i)), &finished));
        }
        co_await group.join();
    }
    std::printf("joined: %d children finished\n", finished.load());

    std::printf("a group where one child fails:\n");
    corio::task_group group;
    group.spawn(patient_worker(1));
    group.spawn(patient_worker(2));
    group.spawn(failing_worker());
    try {
        co_await group.join();
    } catch (const std::exception& e) {
        std::printf("join rethrew: %s\n", e.what());
    }
}

} // namespace

int main() {
    corio::runtime rt(2);
    rt.block_on(run(&rt));
    return 0;
}
