#include "corio/task.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "corio/stop.hpp"
#include "corio/sync_wait.hpp"

namespace {

corio::task<int> forty_two() {
    co_return 42;
}

corio::task<int> add_one(int x) {
    const int v = co_await forty_two();
    co_return v + x;
}

corio::task<void> record(std::vector<int>& log, int value) {
    log.push_back(value);
    co_return;
}

corio::task<int&> ref_to(int& x) {
    co_return x;
}

corio::task<std::unique_ptr<std::string>> move_only_result() {
    co_return std::make_unique<std::string>("moved");
}

corio::task<int> throws_logic_error() {
    throw std::logic_error("boom");
    co_return 0;
}

corio::task<int> one() {
    co_return 1;
}

corio::task<long> sum_of_synchronous_awaits(int count) {
    long sum = 0;
    for (int i = 0; i < count; ++i) {
        sum += co_await one();
    }
    co_return sum;
}

corio::task<int> recursive_depth(int depth) {
    if (depth == 0) {
        co_return 0;
    }
    const int below = co_await recursive_depth(depth - 1);
    co_return below + 1;
}

struct destruction_flag {
    bool* destroyed;
    explicit destruction_flag(bool* d) : destroyed(d) {}
    destruction_flag(destruction_flag&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~destruction_flag() {
        if (destroyed != nullptr) {
            *destroyed = true;
        }
    }
};

corio::task<void> holds_flag(destruction_flag flag, bool* body_ran) {
    *body_ran = true;
    (void)flag;
    co_return;
}

} // namespace

TEST_SUITE("task") {

    TEST_CASE("a task produces the value it co_returns") {
        CHECK(corio::sync_wait(add_one(1)) == 43);
    }

    TEST_CASE("a task does not start until it is awaited") {
        std::vector<int> log;
        auto t = record(log, 7);
        CHECK(log.empty());
        CHECK_FALSE(t.is_ready());
        corio::sync_wait(std::move(t));
        REQUIRE(log.size() == 1);
        CHECK(log[0] == 7);
    }

    TEST_CASE("destroying an un-awaited task destroys its frame without running the body") {
        bool destroyed = false;
        bool body_ran = false;
        {
            auto t = holds_flag(destruction_flag{&destroyed}, &body_ran);
            CHECK_FALSE(destroyed);
        }
        CHECK(destroyed);
        CHECK_FALSE(body_ran);
    }

    TEST_CASE("an exception escaping a task is rethrown to its awaiter") {
        CHECK_THROWS_WITH_AS(corio::sync_wait(throws_logic_error()), "boom", std::logic_error);
    }

    TEST_CASE("an exception propagates through a chain of awaiting tasks") {
        struct chain {
            static corio::task<int> outer() {
                const int v = co_await throws_logic_error();
                co_return v + 1;
            }
        };
        CHECK_THROWS_AS(corio::sync_wait(chain::outer()), std::logic_error);
    }

    TEST_CASE("task<T&> returns a reference to the caller's object") {
        int x = 5;
        int& r = corio::sync_wait(ref_to(x));
        CHECK(&r == &x);
    }

    TEST_CASE("task<T> can return a move-only type") {
        auto p = corio::sync_wait(move_only_result());
        REQUIRE(p != nullptr);
        CHECK(*p == "moved");
    }

    TEST_CASE("a task is move-only and the moved-from task is empty") {
        static_assert(!std::is_copy_constructible_v<corio::task<int>>);
        static_assert(std::is_nothrow_move_constructible_v<corio::task<int>>);
        auto a = forty_two();
        auto b = std::move(a);
        CHECK_FALSE(a.valid());
        CHECK(b.valid());
        CHECK(corio::sync_wait(std::move(b)) == 42);
    }

    TEST_CASE("a million synchronously completing co_awaits run in constant stack space") {
        CHECK(corio::sync_wait(sum_of_synchronous_awaits(1'000'000)) == 1'000'000);
    }

    TEST_CASE("a 100,000-deep recursive await chain completes without overflowing the stack") {
        CHECK(corio::sync_wait(recursive_depth(100'000)) == 100'000);
    }

    TEST_CASE("an awaited task inherits its awaiter's stop token") {
        struct probe {
            static corio::task<bool> child() {
                std::stop_token t = co_await corio::this_stop_token;
                co_return t.stop_requested();
            }
            static corio::task<bool> parent() {
                const bool r = co_await child();
                co_return r;
            }
        };
        std::stop_source source;
        CHECK_FALSE(corio::sync_wait(probe::parent(), source.get_token()));
        source.request_stop();
        CHECK(corio::sync_wait(probe::parent(), source.get_token()));
        CHECK_FALSE(corio::sync_wait(probe::parent()));
    }

} // TEST_SUITE

namespace {

corio::task<std::unique_ptr<std::string>> make_text(bool fail) {
    if (fail) {
        throw std::runtime_error("no text");
    }
    co_return std::make_unique<std::string>("text");
}

} // namespace

TEST_CASE("a finished task's result can be used in place, without moving it out of the promise") {
    auto ok = make_text(false);
    ok.handle().resume(); // runs to co_return: no suspension inside
    REQUIRE(ok.is_ready());
    CHECK_FALSE(ok.handle().promise().has_exception());
    std::unique_ptr<std::string>& in_place = ok.handle().promise().result();
    REQUIRE(in_place != nullptr);
    CHECK(*in_place == "text");
    const std::string* address = in_place.get();
    CHECK(ok.handle().promise().result().get() == address); // still there: result() does not move
    CHECK(ok.handle().promise().take_result().get() == address);

    auto failing = make_text(true);
    failing.handle().resume();
    REQUIRE(failing.is_ready());
    CHECK(failing.handle().promise().has_exception());
    CHECK_THROWS_AS(failing.handle().promise().result(), std::runtime_error);
}
