#include "corio/sync_wait.hpp"

#include <doctest/doctest.h>

#include <coroutine>
#include <thread>

#include "corio/task.hpp"

namespace {

// An awaitable that resumes its awaiter on a new thread.
struct resume_on_new_thread {
    std::thread* thread;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        *thread = std::thread([h] { h.resume(); });
    }
    void await_resume() const noexcept {}
};

corio::task<std::thread::id> hop(std::thread* t) {
    co_await resume_on_new_thread{t};
    co_return std::this_thread::get_id();
}

} // namespace

TEST_SUITE("sync_wait") {

    TEST_CASE("sync_wait blocks until a task that finished on another thread completes" *
              doctest::test_suite("concurrent")) {
        std::thread t;
        const auto finished_on = corio::sync_wait(hop(&t));
        t.join();
        CHECK(finished_on != std::this_thread::get_id());
    }

    TEST_CASE("sync_wait returns a plain awaitable's result") {
        struct ready {
            bool await_ready() const noexcept { return true; }
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            int await_resume() const noexcept { return 9; }
        };
        CHECK(corio::sync_wait(ready{}) == 9);
    }

} // TEST_SUITE
