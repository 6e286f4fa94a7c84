#include "corio/runtime/task_group.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <thread>

#include "corio/runtime/runtime.hpp"
#include "corio/stop.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

corio::task<void> sleep_then_count(std::chrono::milliseconds d, std::atomic<int>* done) {
    co_await corio::sleep_for(d);
    done->fetch_add(1);
}

corio::task<int> join_counts(int children) {
    std::atomic<int> done{0};
    corio::task_group group;
    for (int i = 0; i < children; ++i) {
        group.spawn(sleep_then_count(std::chrono::milliseconds(i % 5), &done));
    }
    co_await group.join();
    co_return done.load();
}

corio::task<void> sleep_and_count_cancellation(std::atomic<int>* cancelled) {
    try {
        co_await corio::sleep_for(60s);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            cancelled->fetch_add(1);
        }
        throw;
    }
}

corio::task<void> throw_after(std::chrono::milliseconds d) {
    co_await corio::sleep_for(d);
    throw std::runtime_error("child failed");
}

corio::task<void> one_child_throws(std::atomic<int>* cancelled) {
    corio::task_group group;
    for (int i = 0; i < 3; ++i) {
        group.spawn(sleep_and_count_cancellation(cancelled));
    }
    group.spawn(throw_after(10ms));
    co_await group.join();
}

corio::task<void> parent_with_children(std::atomic<int>* cancelled) {
    const std::stop_token parent = co_await corio::this_stop_token;
    corio::task_group group(parent);
    group.spawn(sleep_and_count_cancellation(cancelled));
    group.spawn(sleep_and_count_cancellation(cancelled));
    co_await group.join();
}

corio::task<void> parent_joins_children(std::atomic<int>* cancelled) {
    corio::task_group group; // linked to the parent's token only through join()
    group.spawn(sleep_and_count_cancellation(cancelled));
    co_await group.join();
}

corio::task<void> spawn_grandchildren(corio::task_group* group, corio::runtime* rt, std::atomic<int>* done) {
    for (int i = 0; i < 20; ++i) {
        group->spawn(rt->next_executor(), sleep_then_count(0ms, done));
    }
    co_return;
}

corio::task<int> children_on_many_threads(corio::runtime* rt) {
    std::atomic<int> done{0};
    corio::task_group group;
    for (int i = 0; i < 10; ++i) {
        group.spawn(rt->next_executor(), spawn_grandchildren(&group, rt, &done));
    }
    co_await group.join();
    co_return done.load();
}

} // namespace

TEST_SUITE("task_group") {

    TEST_CASE("task_group join waits for every child") {
        corio::runtime rt(1);
        CHECK(rt.block_on(join_counts(50)) == 50);
    }

    TEST_CASE("join on a group without children completes at once") {
        corio::runtime rt(1);
        CHECK(rt.block_on(join_counts(0)) == 0);
    }

    TEST_CASE("a child's exception cancels its siblings and is rethrown from join") {
        corio::runtime rt(1);
        std::atomic<int> cancelled{0};
        const auto start = clock_type::now();
        CHECK_THROWS_WITH_AS(rt.block_on(one_child_throws(&cancelled)), "child failed", std::runtime_error);
        CHECK(cancelled.load() == 3);
        CHECK(clock_type::now() - start < 5s);
    }

    TEST_CASE("a parent's cancellation reaches group children" * doctest::test_suite("concurrent")) {
        corio::runtime rt(1);
        for (int variant = 0; variant < 2; ++variant) {
            std::stop_source source;
            std::atomic<int> cancelled{0};
            std::jthread canceller([&source] {
                std::this_thread::sleep_for(30ms);
                source.request_stop();
            });
            const std::stop_token token = source.get_token();
            const auto start = clock_type::now();
            if (variant == 0) {
                CHECK_THROWS_AS(rt.block_on(parent_with_children(&cancelled), token), std::system_error);
                CHECK(cancelled.load() == 2);
            } else {
                CHECK_THROWS_AS(rt.block_on(parent_joins_children(&cancelled), token), std::system_error);
                CHECK(cancelled.load() == 1);
            }
            CHECK(clock_type::now() - start < 5s);
        }
    }

    TEST_CASE("children spawned from other threads are all joined" * doctest::test_suite("concurrent")) {
        corio::runtime rt(3);
        CHECK(rt.block_on(children_on_many_threads(&rt)) == 200);
    }
}
