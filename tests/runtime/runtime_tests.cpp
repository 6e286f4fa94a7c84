#include "corio/runtime/runtime.hpp"

#include <doctest/doctest.h>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

corio::task<std::thread::id> thread_id_of_caller() {
    co_return std::this_thread::get_id();
}

corio::task<void> record_thread(std::promise<std::thread::id>* out) {
    out->set_value(std::this_thread::get_id());
    co_return;
}

corio::task<std::thread::id> worker_thread_id(corio::executor ex) {
    co_await corio::switch_to(ex);
    co_return std::this_thread::get_id();
}

corio::task<void> throw_runtime_error(std::promise<void>* started) {
    started->set_value();
    throw std::runtime_error("boom from a spawned task");
    co_return;
}

corio::task<int> add_one(int x) {
    co_return x + 1;
}

corio::task<long> many_synchronous_awaits(int n) {
    long sum = 0;
    for (int i = 0; i < n; ++i) {
        const int v = co_await add_one(i);
        sum += v;
    }
    co_return sum;
}

corio::task<bool> switch_to_each(corio::runtime* rt) {
    for (std::size_t i = 0; i < rt->size(); ++i) {
        const corio::executor target = rt->get_executor(i);
        co_await corio::switch_to(target);
        const corio::executor here = co_await corio::this_executor;
        if (here != target) {
            co_return false;
        }
    }
    co_return true;
}

corio::task<std::chrono::steady_clock::duration> timed_sleep(std::chrono::milliseconds d) {
    const auto start = std::chrono::steady_clock::now();
    co_await corio::sleep_for(d);
    co_return std::chrono::steady_clock::now() - start;
}

// Replaces spdlog's default logger with one that keeps the last messages, for the lifetime of this object.
class captured_log {
public:
    captured_log()
        : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16)),
          previous_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>("captured", sink_);
        logger->set_pattern("%l %v");
        spdlog::set_default_logger(logger);
    }
    ~captured_log() { spdlog::set_default_logger(previous_); }
    std::vector<std::string> lines() const { return sink_->last_formatted(); }

private:
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
    std::shared_ptr<spdlog::logger> previous_;
};

} // namespace

TEST_SUITE("runtime") {

    TEST_CASE("a runtime has the number of workers it was asked for") {
        corio::runtime rt(3);
        CHECK(rt.size() == 3);
        CHECK(rt.get_executor(0) != rt.get_executor(1));
    }

    TEST_CASE("block_on runs the task on worker 0 and returns its result") {
        corio::runtime rt(2);
        const auto expected = corio::sync_wait(worker_thread_id(rt.get_executor(0)));
        const auto ran_on = rt.block_on(thread_id_of_caller());
        CHECK(ran_on == expected);
        CHECK(ran_on != std::this_thread::get_id());
    }

    TEST_CASE("block_on rethrows the task's exception") {
        corio::runtime rt(1);
        std::promise<void> started;
        CHECK_THROWS_AS(rt.block_on(throw_runtime_error(&started)), std::runtime_error);
    }

    TEST_CASE("spawn runs a task on the given executor's thread" * doctest::test_suite("concurrent")) {
        corio::runtime rt(2);
        const auto worker1 = rt.block_on(worker_thread_id(rt.get_executor(1)));
        std::promise<std::thread::id> ran_on;
        corio::spawn(rt.get_executor(1), record_thread(&ran_on));
        CHECK(ran_on.get_future().get() == worker1);
    }

    TEST_CASE("switch_to resumes the caller on the target executor" * doctest::test_suite("concurrent")) {
        corio::runtime rt(3);
        CHECK(rt.block_on(switch_to_each(&rt)));
    }

    TEST_CASE("next_executor cycles through every worker") {
        corio::runtime rt(3);
        const auto a = rt.next_executor();
        const auto b = rt.next_executor();
        const auto c = rt.next_executor();
        const auto d = rt.next_executor();
        CHECK(a != b);
        CHECK(b != c);
        CHECK(a != c);
        CHECK(d == a);
    }

    TEST_CASE("an exception escaping a spawned task is logged, not lost" *
              doctest::test_suite("concurrent")) {
        captured_log log;
        {
            corio::runtime rt(1);
            std::promise<void> started;
            auto started_future = started.get_future();
            corio::spawn(rt.get_executor(0), throw_runtime_error(&started));
            started_future.get();
            // The log line is written right after the task body throws; a task queued behind it runs after.
            rt.block_on(add_one(0));
        }
        const auto lines = log.lines();
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find("error") == 0);
        CHECK(lines[0].find("boom from a spawned task") != std::string::npos);
    }

    TEST_CASE("a million synchronous co_awaits run inside a task on the runtime") {
        corio::runtime rt(1);
        const long n = 1'000'000;
        const long sum = rt.block_on(many_synchronous_awaits(static_cast<int>(n)));
        CHECK(sum == n * (n + 1) / 2);
    }

    TEST_CASE("sleep_for waits at least the requested time") {
        corio::runtime rt(1);
        const auto slept = rt.block_on(timed_sleep(20ms));
        CHECK(slept >= 20ms);
    }

    TEST_CASE("a task spawned but never started is destroyed with the runtime") {
        std::weak_ptr<int> witness;
        {
            corio::runtime rt(1);
            rt.stop();
            auto owned = std::make_shared<int>(7);
            witness = owned;
            corio::spawn(rt.get_executor(0), [](std::shared_ptr<int> p) -> corio::task<void> {
                (void)p;
                co_return;
            }(std::move(owned)));
            rt.join();
            CHECK_FALSE(witness.expired());
        }
        CHECK(witness.expired());
    }

    TEST_CASE("tasks spawned from many threads all run" * doctest::test_suite("concurrent")) {
        corio::runtime rt(2);
        std::atomic<int> ran{0};
        constexpr int per_thread = 500;
        auto count = [](std::atomic<int>* r) -> corio::task<void> {
            r->fetch_add(1, std::memory_order_relaxed);
            co_return;
        };
        std::vector<std::thread> spawners;
        for (int t = 0; t < 4; ++t) {
            spawners.emplace_back([&rt, &ran, count] {
                for (int i = 0; i < per_thread; ++i) {
                    corio::spawn(rt.next_executor(), count(&ran));
                }
            });
        }
        for (auto& t : spawners) {
            t.join();
        }
        while (ran.load() < 4 * per_thread) {
            std::this_thread::sleep_for(1ms);
        }
        CHECK(ran.load() == 4 * per_thread);
    }
}
