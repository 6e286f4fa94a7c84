// Replaces the global operator new to count allocations, so it is built without sanitizers only (they
// bring their own operator new).
#include "corio/detail/frame_allocator.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "corio/sync_wait.hpp"
#include "corio/task.hpp"

namespace {
std::atomic<long> global_news{0};
}

void* operator new(std::size_t size) {
    global_news.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

corio::task<int> leaf(int x) {
    co_return x * 2;
}

corio::task<int> parent_of_leaves(int n) {
    int sum = 0;
    for (int i = 0; i < n; ++i) {
        sum += co_await leaf(i);
    }
    co_return sum;
}

} // namespace

TEST_SUITE("frame_allocator") {

    TEST_CASE("creating, awaiting and destroying tasks in a steady state allocates nothing") {
        // The first round fills the per-thread cache for each frame size used; later rounds must reuse it.
        long allocations_in_later_rounds = 0;
        for (int round = 0; round < 1000; ++round) {
            const long before = global_news.load();
            auto t = parent_of_leaves(10);
            auto u = leaf(round);
            const int sum = corio::sync_wait(std::move(t));
            REQUIRE(sum == 90);
            if (round > 0) {
                allocations_in_later_rounds += global_news.load() - before;
            }
        }
        CHECK(allocations_in_later_rounds == 0);
    }

    TEST_CASE("the allocation counter sees a plain heap allocation") {
        const long before = global_news.load();
        auto* p = new int(3);
        CHECK(global_news.load() - before == 1);
        delete p;
    }

} // TEST_SUITE
