// Asio first (through the runtime): every translation unit must configure Asio the same way.
#include "corio/runtime/runtime.hpp"
#include "corio/when_any.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <thread>
#include <vector>

#include "corio/runtime/runtime.hpp"
#include "corio/runtime/with_timeout.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

corio::task<int> value_after(std::chrono::milliseconds d, int value) {
    co_await corio::sleep_for(d);
    co_return value;
}

// Sleeps for a minute unless stopped; counts the stops it observed, and is done before it returns.
corio::task<int> sleep_and_count_cancellation(std::atomic<int>* cancelled) {
    try {
        co_await corio::sleep_for(60s);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            cancelled->fetch_add(1);
        }
        throw;
    }
    co_return -1;
}

corio::task<int> throw_soon() {
    co_await corio::sleep_for(1ms);
    throw std::runtime_error("first to finish");
}

struct outcome {
    std::size_t index = 99;
    int value = 0;
    int cancelled_when_returned = 0;
};

corio::task<outcome> first_of_two() {
    std::atomic<int> cancelled{0};
    auto r = co_await corio::when_any(value_after(1ms, 42), sleep_and_count_cancellation(&cancelled));
    outcome out;
    out.index = r.index();
    out.value = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
    out.cancelled_when_returned = cancelled.load();
    co_return out;
}

corio::task<int> exception_from_winner(std::atomic<int>* cancelled) {
    auto r = co_await corio::when_any(throw_soon(), sleep_and_count_cancellation(cancelled));
    co_return static_cast<int>(r.index());
}

corio::task<outcome> first_of_range() {
    std::atomic<int> cancelled{0};
    std::vector<corio::task<int>> tasks;
    tasks.push_back(sleep_and_count_cancellation(&cancelled));
    tasks.push_back(value_after(1ms, 7));
    tasks.push_back(sleep_and_count_cancellation(&cancelled));
    auto r = co_await corio::when_any(std::move(tasks));
    co_return outcome{r.index, r.value, cancelled.load()};
}

corio::task<int> all_losers(std::atomic<int>* cancelled) {
    auto r = co_await corio::when_any(sleep_and_count_cancellation(cancelled),
                                      sleep_and_count_cancellation(cancelled));
    co_return static_cast<int>(r.index());
}

struct frame_witness {
    std::atomic<bool>* destroyed;
    ~frame_witness() { destroyed->store(true); }
};

corio::task<int> slow_with_witness(std::atomic<bool>* destroyed) {
    frame_witness w{destroyed};
    co_await corio::sleep_for(60s);
    co_return 1;
}

struct timeout_outcome {
    std::error_code code;
    bool inner_destroyed_before_throw = false;
};

corio::task<timeout_outcome> time_out_slow_task() {
    std::atomic<bool> destroyed{false};
    timeout_outcome out;
    try {
        (void)co_await corio::with_timeout(20ms, slow_with_witness(&destroyed));
    } catch (const std::system_error& e) {
        out.code = e.code();
        out.inner_destroyed_before_throw = destroyed.load();
    }
    co_return out;
}

corio::task<int> in_time() {
    const int v = co_await corio::with_timeout(60s, value_after(1ms, 5));
    co_return v;
}

corio::task<void> void_in_time() {
    co_await corio::with_timeout(60s, corio::sleep_for(1ms));
}

} // namespace

TEST_SUITE("when_any") {

    TEST_CASE("when_any returns the first task to finish and waits for the losers") {
        corio::runtime rt(1);
        const auto start = clock_type::now();
        const outcome out = rt.block_on(first_of_two());
        CHECK(out.index == 0);
        CHECK(out.value == 42);
        CHECK(out.cancelled_when_returned == 1);
        CHECK(clock_type::now() - start < 5s);
    }

    TEST_CASE("an exception from the first task to finish propagates through when_any") {
        corio::runtime rt(1);
        std::atomic<int> cancelled{0};
        CHECK_THROWS_AS(rt.block_on(exception_from_winner(&cancelled)), std::runtime_error);
        CHECK(cancelled.load() == 1);
    }

    TEST_CASE("when_any over a range returns the winner's index and value and cancels the rest") {
        corio::runtime rt(1);
        const outcome out = rt.block_on(first_of_range());
        CHECK(out.index == 1);
        CHECK(out.value == 7);
        CHECK(out.cancelled_when_returned == 2);
    }

    TEST_CASE("stopping the awaiter of when_any cancels every child" * doctest::test_suite("concurrent")) {
        corio::runtime rt(1);
        std::stop_source source;
        std::atomic<int> cancelled{0};
        std::jthread canceller([&source] {
            std::this_thread::sleep_for(30ms);
            source.request_stop();
        });
        const std::stop_token token = source.get_token();
        CHECK_THROWS_AS(rt.block_on(all_losers(&cancelled), token), std::system_error);
        CHECK(cancelled.load() == 2);
    }

    TEST_CASE("with_timeout throws timed_out and destroys the inner task's frame first") {
        corio::runtime rt(1);
        const auto start = clock_type::now();
        const timeout_outcome out = rt.block_on(time_out_slow_task());
        CHECK(out.code == std::errc::timed_out);
        CHECK(out.inner_destroyed_before_throw);
        CHECK(clock_type::now() - start < 5s);
    }

    TEST_CASE("with_timeout returns the value when the task finishes in time") {
        corio::runtime rt(1);
        CHECK(rt.block_on(in_time()) == 5);
        rt.block_on(void_in_time());
    }
}
