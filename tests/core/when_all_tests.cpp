#include "corio/when_all.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "corio/stop.hpp"
#include "corio/sync_wait.hpp"
#include "corio/task.hpp"

namespace {

/// A thread that resumes the coroutines handed to it, in order (a stand-in for an executor, without Asio).
class resume_thread {
public:
    resume_thread() : thread_([this] { run(); }) {}
    resume_thread(const resume_thread&) = delete;
    resume_thread& operator=(const resume_thread&) = delete;
    ~resume_thread() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }

    void post(std::coroutine_handle<> h) {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(h);
        }
        cv_.notify_one();
    }

    std::thread::id id() const noexcept { return thread_.get_id(); }

    /// `co_await hop.to()` continues on this thread.
    auto to() noexcept {
        struct awaiter {
            resume_thread* self;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> h) { self->post(h); }
            void await_resume() const noexcept {}
        };
        return awaiter{this};
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;
            }
            auto h = queue_.front();
            queue_.pop_front();
            lock.unlock();
            h.resume();
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::coroutine_handle<>> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

/// Suspends until the coroutine's stop token is stopped (resumed inline by the stop request).
struct wait_for_stop {
    struct resume_on_stop {
        std::coroutine_handle<> h;
        void operator()() const noexcept { h.resume(); }
    };
    std::optional<std::stop_callback<resume_on_stop>> callback;
    std::stop_token token;

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        token = h.promise().stop_token();
        if (token.stop_requested() || !token.stop_possible()) {
            return false;
        }
        // If the token stops while the callback is being registered, the callback runs right here.
        callback.emplace(token, resume_on_stop{h});
        return true;
    }
    bool await_resume() const noexcept { return token.stop_requested(); }
};

corio::task<int> value(int v) {
    co_return v;
}

corio::task<std::string> text(std::string s) {
    co_return s;
}

corio::task<void> nothing(int* counter) {
    ++*counter;
    co_return;
}

corio::task<int&> reference_to(int& x) {
    co_return x;
}

corio::task<int> value_after_hop(resume_thread& thread, int v) {
    co_await thread.to();
    co_return v;
}

corio::task<int> throws_after_hop(resume_thread& thread, std::atomic<int>& finished, std::string message) {
    co_await thread.to();
    finished.fetch_add(1);
    throw std::runtime_error(message);
}

corio::task<int> finishes_after_hops(resume_thread& thread, std::atomic<int>& finished, int hops) {
    for (int i = 0; i < hops; ++i) {
        co_await thread.to();
    }
    finished.fetch_add(1);
    co_return hops;
}

corio::task<int> throws_now(std::string message) {
    throw std::runtime_error(message);
    co_return 0;
}

corio::task<bool> waits_for_stop(bool* started) {
    *started = true;
    const bool stopped = co_await wait_for_stop{};
    co_return stopped;
}

corio::task<bool> request_stop_after_hop(resume_thread& thread, std::stop_source& source) {
    co_await thread.to();
    source.request_stop();
    co_return true;
}

corio::task<std::tuple<int, std::string, std::monostate>> three_kinds(int* counter) {
    auto results = co_await corio::when_all(value(7), text("seven"), nothing(counter));
    co_return results;
}

corio::task<int> sum_of(std::vector<corio::task<int>> tasks) {
    std::vector<int> results = co_await corio::when_all(std::move(tasks));
    int sum = 0;
    for (int r : results) {
        sum += r;
    }
    co_return sum;
}

} // namespace

TEST_SUITE("when_all") {

    TEST_CASE("when_all returns results in argument order") {
        int counter = 0;
        auto [i, s, v] = corio::sync_wait(three_kinds(&counter));
        CHECK(i == 7);
        CHECK(s == "seven");
        CHECK(v == std::monostate{});
        CHECK(counter == 1);

        std::vector<corio::task<int>> tasks;
        for (int k = 0; k < 5; ++k) {
            tasks.push_back(value(k * 10));
        }
        const std::vector<int> results = corio::sync_wait(corio::when_all(std::move(tasks)));
        CHECK(results == std::vector<int>{0, 10, 20, 30, 40});
    }

    TEST_CASE("when_all returns results in argument order when children finish in another order") {
        resume_thread worker;
        std::atomic<int> finished{0};
        // The first child hops three times, the second once: the second finishes first.
        auto [slow, fast] = corio::sync_wait(corio::when_all(finishes_after_hops(worker, finished, 3),
                                                             finishes_after_hops(worker, finished, 1)));
        CHECK(slow == 3);
        CHECK(fast == 1);
        CHECK(finished.load() == 2);
    }

    TEST_CASE("when_all does not start its children until it is awaited") {
        int counter = 0;
        {
            auto all = corio::when_all(nothing(&counter), nothing(&counter));
            CHECK(counter == 0);
        }
        CHECK(counter == 0);
    }

    TEST_CASE("when_all passes references through") {
        int x = 1;
        auto [r] = corio::sync_wait(corio::when_all(reference_to(x)));
        CHECK(&r == &x);

        std::vector<corio::task<int&>> tasks;
        tasks.push_back(reference_to(x));
        auto refs = corio::sync_wait(corio::when_all(std::move(tasks)));
        REQUIRE(refs.size() == 1);
        CHECK(&refs[0].get() == &x);
    }

    TEST_CASE("when_all over task<void> runs every child") {
        int counter = 0;
        std::vector<corio::task<void>> tasks;
        for (int k = 0; k < 3; ++k) {
            tasks.push_back(nothing(&counter));
        }
        corio::sync_wait(corio::when_all(std::move(tasks)));
        CHECK(counter == 3);
    }

    TEST_CASE("when_all waits for all children before rethrowing the first exception") {
        resume_thread worker;
        std::atomic<int> finished{0};
        std::vector<corio::task<int>> tasks;
        tasks.push_back(throws_now("first"));
        tasks.push_back(finishes_after_hops(worker, finished, 5));
        tasks.push_back(throws_after_hop(worker, finished, "second"));
        tasks.push_back(finishes_after_hops(worker, finished, 2));
        std::string what;
        try {
            (void)corio::sync_wait(corio::when_all(std::move(tasks)));
        } catch (const std::runtime_error& e) {
            what = e.what();
        }
        CHECK(what == "first");
        CHECK(finished.load() == 3); // every child that hopped finished before the exception came out
    }

    TEST_CASE("when_all over an empty range") {
        CHECK(corio::sync_wait(corio::when_all(std::vector<corio::task<int>>{})).empty());
        corio::sync_wait(corio::when_all(std::vector<corio::task<void>>{}));
        const std::tuple<> none = corio::sync_wait(corio::when_all());
        (void)none;
    }

    TEST_CASE("when_all over 10,000 tasks") {
        constexpr int count = 10'000;
        std::vector<corio::task<int>> tasks;
        tasks.reserve(count);
        long expected = 0;
        for (int k = 0; k < count; ++k) {
            tasks.push_back(value(k));
            expected += k;
        }
        const std::vector<int> results = corio::sync_wait(corio::when_all(std::move(tasks)));
        REQUIRE(results.size() == count);
        long sum = 0;
        for (int k = 0; k < count; ++k) {
            CHECK_EQ(results[static_cast<std::size_t>(k)], k);
            sum += results[static_cast<std::size_t>(k)];
        }
        CHECK(sum == expected);
    }

    TEST_CASE("when_all cancels siblings when one child throws") {
        bool started = false;
        std::string what;
        try {
            (void)corio::sync_wait(corio::when_all(waits_for_stop(&started), throws_now("boom")));
        } catch (const std::runtime_error& e) {
            what = e.what();
        }
        CHECK(started);
        CHECK(what == "boom");
    }

    TEST_CASE("when_all forwards the awaiter's stop request to its children") {
        std::stop_source source;
        bool started = false;
        resume_thread worker;
        // Stop is requested while the first child waits; the second child hops to a thread that requests it.
        const auto token = source.get_token();
        auto [stopped, requested] = corio::sync_wait(
            corio::when_all(waits_for_stop(&started), request_stop_after_hop(worker, source)), token);
        CHECK(started);
        CHECK(stopped);
        CHECK(requested);
    }
}

TEST_SUITE("when_all" * doctest::test_suite("concurrent")) {

    TEST_CASE("when_all resumes its awaiter once children finishing on two threads are all done") {
        resume_thread a;
        resume_thread b;
        for (int round = 0; round < 20; ++round) {
            std::vector<corio::task<int>> tasks;
            long expected = 0;
            for (int k = 0; k < 500; ++k) {
                tasks.push_back(value_after_hop(k % 2 == 0 ? a : b, k));
                expected += k;
            }
            const int sum = corio::sync_wait(sum_of(std::move(tasks)));
            REQUIRE(sum == expected);
        }
    }
}
