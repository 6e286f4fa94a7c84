#include "corio/runtime/async_mutex.hpp"

#include <doctest/doctest.h>

#include <asio/error.hpp>

#include <atomic>
#include <latch>
#include <stop_token>
#include <system_error>
#include <thread>
#include <vector>

#include "corio/sync_wait.hpp"
#include "corio/task.hpp"
#include "sync_test_support.hpp"

namespace {

using corio_test::io_thread;

corio::task<void> increment_many(corio::async_mutex& m, long& counter, std::atomic<int>& inside,
                                 std::atomic<int>& overlaps, int times, std::latch& done) {
    for (int i = 0; i < times; ++i) {
        corio::async_mutex_lock guard = co_await m.scoped_lock();
        if (inside.fetch_add(1) != 0) {
            overlaps.fetch_add(1);
        }
        const long before = counter;
        if (i % 8 == 0) {
            co_await corio_test::yield_now{}; // hold the lock across a suspension now and then
        }
        counter = before + 1;
        inside.fetch_sub(1);
    }
    done.count_down();
}

corio::task<void> lock_and_record(corio::async_mutex& m, std::vector<int>& order, int id) {
    co_await m.lock();
    order.push_back(id);
    m.unlock();
}

corio::task<void> lock_record_signal(corio::async_mutex& m, std::vector<int>& order, int id,
                                     std::latch& done) {
    {
        corio::async_mutex_lock guard = co_await m.scoped_lock();
        order.push_back(id); // guarded by m
    }
    done.count_down();
}

enum class outcome { none, locked, aborted };

corio::task<void> lock_or_abort(corio::async_mutex& m, outcome& result,
                                std::thread::id* resumed_on = nullptr) {
    try {
        corio::async_mutex_lock guard = co_await m.scoped_lock();
        result = outcome::locked;
    } catch (const std::system_error& e) {
        result = e.code() == asio::error::operation_aborted ? outcome::aborted : outcome::none;
    }
    if (resumed_on != nullptr) {
        *resumed_on = std::this_thread::get_id();
    }
}

corio::task<void> lock_or_abort_then_signal(corio::async_mutex& m, std::atomic<int>& result,
                                            std::latch& done) {
    try {
        corio::async_mutex_lock guard = co_await m.scoped_lock();
        result.store(1);
    } catch (const std::system_error& e) {
        result.store(e.code() == asio::error::operation_aborted ? 2 : 3);
    }
    done.count_down();
}

} // namespace

TEST_SUITE("async_mutex") {

    TEST_CASE("an uncontended async_mutex locks without suspending and unlocks") {
        corio::async_mutex m;
        outcome result = outcome::none;
        corio_test::start_here(lock_or_abort(m, result));
        CHECK(result == outcome::locked);
        CHECK(m.try_lock()); // the guard released it
        CHECK_FALSE(m.try_lock());
        m.unlock();
    }

    TEST_CASE("mutex is FIFO") {
        corio::async_mutex m;
        REQUIRE(m.try_lock());
        std::vector<int> order;
        for (int id = 0; id < 10; ++id) {
            corio_test::start_here(lock_and_record(m, order, id));
        }
        CHECK(order.empty()); // all queued behind the holder
        m.unlock();
        CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        CHECK(m.try_lock());
        m.unlock();
    }

    TEST_CASE("cancelled mutex waiter completes with operation_aborted and doesn't lose a wake-up meant for "
              "another "
              "waiter") {
        corio::async_mutex m;
        REQUIRE(m.try_lock());
        std::stop_source cancel_first;
        const std::stop_token token = cancel_first.get_token();
        outcome first = outcome::none;
        outcome second = outcome::none;
        corio_test::start_here(lock_or_abort(m, first), &token);
        corio_test::start_here(lock_or_abort(m, second));
        cancel_first.request_stop();
        CHECK(first == outcome::aborted);
        CHECK(second == outcome::none);
        m.unlock(); // must reach the second waiter, not the cancelled one
        CHECK(second == outcome::locked);
        CHECK(m.try_lock());
        m.unlock();
    }

    TEST_CASE("a lock attempt under an already stopped token is aborted") {
        corio::async_mutex m;
        REQUIRE(m.try_lock());
        std::stop_source source;
        source.request_stop();
        const std::stop_token token = source.get_token();
        outcome result = outcome::none;
        corio_test::start_here(lock_or_abort(m, result), &token);
        CHECK(result == outcome::aborted);
        m.unlock();
        CHECK(m.try_lock());
        m.unlock();
    }

    TEST_CASE("a mutex waiter resumes on the executor it suspended on") {
        corio::async_mutex m;
        REQUIRE(m.try_lock());
        outcome result = outcome::none;
        std::thread::id resumed_on;
        {
            io_thread worker;
            std::latch queued(1);
            worker.spawn(lock_or_abort(m, result, &resumed_on));
            // Wait until the waiter is queued: the worker runs the spawn, then this no-op after it.
            asio::post(worker.executor(), [&queued] { queued.count_down(); });
            queued.wait();
            m.unlock(); // from the test thread: the waiter must still resume on the worker
            std::latch finished(1);
            asio::post(worker.executor(), [&finished] { finished.count_down(); });
            finished.wait();
            CHECK(resumed_on == worker.id());
        }
        CHECK(result == outcome::locked);
    }
}

TEST_SUITE("async_mutex" * doctest::test_suite("concurrent")) {

    TEST_CASE("mutex provides mutual exclusion for 2 threads x N increments") {
        constexpr int coroutines_per_thread = 4;
        constexpr int increments = 2000;
        corio::async_mutex m;
        long counter = 0;
        std::atomic<int> inside{0};
        std::atomic<int> overlaps{0};
        std::latch done(2 * coroutines_per_thread);
        {
            io_thread a;
            io_thread b;
            for (int i = 0; i < coroutines_per_thread; ++i) {
                a.spawn(increment_many(m, counter, inside, overlaps, increments, done));
                b.spawn(increment_many(m, counter, inside, overlaps, increments, done));
            }
            done.wait();
        }
        CHECK(overlaps.load() == 0);
        CHECK(counter == 2L * coroutines_per_thread * increments);
        CHECK(m.try_lock());
        m.unlock();
    }

    TEST_CASE("mutex is FIFO for waiters queued from two threads") {
        constexpr int waiters = 20;
        corio::async_mutex m;
        REQUIRE(m.try_lock());
        std::vector<int> order;
        std::latch done(waiters);
        {
            io_thread a;
            io_thread b;
            for (int id = 0; id < waiters; ++id) {
                io_thread& t = id % 2 == 0 ? a : b;
                t.spawn(lock_record_signal(m, order, id, done));
                // Once this marker has run on the same thread, waiter `id` is queued: the queue order is 0,
                // 1, ...
                std::latch queued(1);
                asio::post(t.executor(), [&queued] { queued.count_down(); });
                queued.wait();
            }
            m.unlock();
            done.wait();
        }
        std::vector<int> expected;
        for (int id = 0; id < waiters; ++id) {
            expected.push_back(id);
        }
        CHECK(order == expected);
        CHECK(m.try_lock());
        m.unlock();
    }

    TEST_CASE(
        "a mutex waiter racing a stop request and an unlock either gets the lock or is aborted, never both") {
        int locked = 0;
        int aborted = 0;
        io_thread waiter_thread;
        for (int round = 0; round < 300; ++round) {
            corio::async_mutex m;
            REQUIRE(m.try_lock());
            std::stop_source source;
            const std::stop_token token = source.get_token();
            std::atomic<int> result{0};
            std::latch done(1);
            waiter_thread.spawn(lock_or_abort_then_signal(m, result, done), &token);
            std::thread stopper([&source] { source.request_stop(); });
            m.unlock();
            stopper.join();
            done.wait();
            REQUIRE((result.load() == 1 || result.load() == 2));
            (result.load() == 1 ? locked : aborted) += 1;
            // Either way the mutex ends up free: no ownership leaked, no wake-up lost.
            REQUIRE(m.try_lock());
            m.unlock();
        }
        MESSAGE("waiter got the lock ", locked, " times, was aborted ", aborted, " times");
        CHECK(locked + aborted == 300);
    }
}
