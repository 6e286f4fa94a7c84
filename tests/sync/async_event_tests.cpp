#include "corio/runtime/async_event.hpp"

#include <doctest/doctest.h>

#include <asio/error.hpp>

#include <atomic>
#include <latch>
#include <stop_token>
#include <system_error>
#include <thread>

#include "corio/task.hpp"
#include "sync_test_support.hpp"

namespace {

using corio_test::io_thread;

corio::task<void> wait_and_count(corio::async_event& ev, std::atomic<int>& woken, std::atomic<int>& aborted) {
    try {
        co_await ev.wait();
        woken.fetch_add(1);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            aborted.fetch_add(1);
        }
    }
}

corio::task<void> wait_on_thread(corio::async_event& ev, std::thread::id expected,
                                 std::atomic<int>& right_thread, std::latch& done) {
    co_await ev.wait();
    if (std::this_thread::get_id() == expected) {
        right_thread.fetch_add(1);
    }
    done.count_down();
}

} // namespace

TEST_SUITE("async_event") {

    TEST_CASE("event wakes all waiters") {
        corio::async_event ev;
        std::atomic<int> woken{0};
        std::atomic<int> aborted{0};
        for (int i = 0; i < 5; ++i) {
            corio_test::start_here(wait_and_count(ev, woken, aborted));
        }
        CHECK(woken.load() == 0);
        ev.set();
        CHECK(woken.load() == 5);
        // While set, waits complete at once; after reset they suspend again.
        corio_test::start_here(wait_and_count(ev, woken, aborted));
        CHECK(woken.load() == 6);
        ev.reset();
        CHECK_FALSE(ev.is_set());
        corio_test::start_here(wait_and_count(ev, woken, aborted));
        CHECK(woken.load() == 6);
        ev.set();
        CHECK(woken.load() == 7);
        CHECK(aborted.load() == 0);
    }

    TEST_CASE("a cancelled event waiter completes with operation_aborted and the others are still woken") {
        corio::async_event ev;
        std::atomic<int> woken{0};
        std::atomic<int> aborted{0};
        std::stop_source source;
        const std::stop_token token = source.get_token();
        corio_test::start_here(wait_and_count(ev, woken, aborted));
        corio_test::start_here(wait_and_count(ev, woken, aborted), &token);
        corio_test::start_here(wait_and_count(ev, woken, aborted));
        source.request_stop();
        CHECK(aborted.load() == 1);
        CHECK(woken.load() == 0);
        ev.set();
        CHECK(woken.load() == 2);
        CHECK(aborted.load() == 1);
    }
}

TEST_SUITE("async_event" * doctest::test_suite("concurrent")) {

    TEST_CASE("event waiters on two threads are all woken, each on its own executor") {
        for (int round = 0; round < 50; ++round) {
            corio::async_event ev;
            std::atomic<int> right_thread{0};
            std::latch done(8);
            io_thread a;
            io_thread b;
            for (int i = 0; i < 4; ++i) {
                a.spawn(wait_on_thread(ev, a.id(), right_thread, done));
                b.spawn(wait_on_thread(ev, b.id(), right_thread, done));
            }
            std::thread setter([&ev] { ev.set(); });
            setter.join();
            done.wait();
            CHECK(right_thread.load() == 8);
        }
    }
}
