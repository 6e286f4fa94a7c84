#include "corio/runtime/channel.hpp"

#include <doctest/doctest.h>

#include <asio/error.hpp>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "corio/task.hpp"
#include "sync_test_support.hpp"

namespace {

using corio_test::io_thread;

corio::task<void> produce_range(corio::channel<int>& ch, int first, int count,
                                std::atomic<int>& producers_left, std::latch& done) {
    for (int v = first; v < first + count; ++v) {
        const bool sent = co_await ch.send(v);
        REQUIRE(sent);
    }
    if (producers_left.fetch_sub(1) == 1) {
        ch.close(); // the last producer closes: consumers drain, then see the end
    }
    done.count_down();
}

corio::task<void> consume_all(corio::channel<int>& ch, std::vector<int>& received, std::latch& done) {
    for (;;) {
        std::optional<int> v = co_await ch.receive();
        if (!v) {
            break;
        }
        received.push_back(*v);
    }
    done.count_down();
}

corio::task<void> receive_one(corio::channel<int>& ch, std::vector<std::optional<int>>& results,
                              int& aborted) {
    try {
        std::optional<int> v = co_await ch.receive();
        results.push_back(v);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            ++aborted;
        }
    }
}

corio::task<void> send_one(corio::channel<int>& ch, int value, std::vector<bool>& results, int& aborted) {
    try {
        const bool sent = co_await ch.send(value);
        results.push_back(sent);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            ++aborted;
        }
    }
}

corio::task<void> receive_one_then_signal(corio::channel<int>& ch, std::atomic<int>& got,
                                          std::atomic<int>& aborted, std::latch& done) {
    try {
        std::optional<int> v = co_await ch.receive();
        got.store(v ? *v : -1);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) {
            aborted.fetch_add(1);
        }
    }
    done.count_down();
}

corio::task<void> send_move_only(corio::channel<std::unique_ptr<std::string>>& ch, std::string text) {
    const bool sent = co_await ch.send(std::make_unique<std::string>(std::move(text)));
    REQUIRE(sent);
}

corio::task<void> receive_move_only(corio::channel<std::unique_ptr<std::string>>& ch, std::string& out) {
    std::optional<std::unique_ptr<std::string>> v = co_await ch.receive();
    REQUIRE(v.has_value());
    out = **v;
}

} // namespace

TEST_SUITE("channel") {

    TEST_CASE("channel preserves order single producer") {
        constexpr int count = 10'000;
        corio::channel<int> ch(4);
        std::vector<int> received;
        std::atomic<int> producers_left{1};
        std::latch done(2);
        {
            io_thread worker;
            worker.spawn(consume_all(ch, received, done));
            worker.spawn(produce_range(ch, 0, count, producers_left, done));
            done.wait();
        }
        REQUIRE(received.size() == count);
        for (int i = 0; i < count; ++i) {
            REQUIRE(received[static_cast<std::size_t>(i)] == i);
        }
    }

    TEST_CASE("channel close wakes all waiters") {
        // Receivers wait on an empty channel, senders on a full one.
        corio::channel<int> empty(2);
        corio::channel<int> full(1);
        std::vector<std::optional<int>> received;
        std::vector<bool> sent;
        int aborted = 0;
        REQUIRE(full.try_receive() == std::nullopt);
        int seed = 99;
        REQUIRE(full.try_send(seed));
        for (int i = 0; i < 3; ++i) {
            corio_test::start_here(receive_one(empty, received, aborted));
            corio_test::start_here(send_one(full, i, sent, aborted));
        }
        CHECK(received.empty());
        CHECK(sent.empty());
        empty.close();
        full.close();
        CHECK(received == std::vector<std::optional<int>>{std::nullopt, std::nullopt, std::nullopt});
        CHECK(sent == std::vector<bool>{false, false, false});
        CHECK(aborted == 0);
        // The value buffered before close is still delivered, then the end.
        corio_test::start_here(receive_one(full, received, aborted));
        corio_test::start_here(receive_one(full, received, aborted));
        CHECK(received.size() == 5);
        CHECK(received[3] == 99);
        CHECK(received[4] == std::nullopt);
        // Sending after close fails at once.
        corio_test::start_here(send_one(full, 7, sent, aborted));
        CHECK(sent.size() == 4);
        CHECK(sent.back() == false);
    }

    TEST_CASE("a rendezvous channel hands each value from sender to receiver") {
        corio::channel<int> ch(0);
        std::vector<std::optional<int>> received;
        std::vector<bool> sent;
        int aborted = 0;
        corio_test::start_here(send_one(ch, 1, sent, aborted));
        CHECK(sent.empty()); // no receiver yet
        corio_test::start_here(receive_one(ch, received, aborted));
        CHECK(received == std::vector<std::optional<int>>{1});
        CHECK(sent == std::vector<bool>{true});
        corio_test::start_here(receive_one(ch, received, aborted));
        CHECK(received.size() == 1);
        corio_test::start_here(send_one(ch, 2, sent, aborted));
        CHECK(received == std::vector<std::optional<int>>{1, 2});
        CHECK(aborted == 0);
    }

    TEST_CASE("a channel carries move-only values") {
        corio::channel<std::unique_ptr<std::string>> ch(1);
        std::string out;
        corio_test::start_here(receive_move_only(ch, out));
        corio_test::start_here(send_move_only(ch, "hello"));
        CHECK(out == "hello");
    }

    TEST_CASE("cancelled channel waiter completes with operation_aborted and doesn't lose a wake-up meant "
              "for another "
              "waiter") {
        SUBCASE("receivers") {
            corio::channel<int> ch(1);
            std::vector<std::optional<int>> received;
            int aborted = 0;
            std::stop_source source;
            const std::stop_token token = source.get_token();
            corio_test::start_here(receive_one(ch, received, aborted), &token);
            corio_test::start_here(receive_one(ch, received, aborted));
            source.request_stop();
            CHECK(aborted == 1);
            int v = 5;
            REQUIRE(ch.try_send(v));
            CHECK(received == std::vector<std::optional<int>>{5});
        }
        SUBCASE("senders") {
            corio::channel<int> ch(1);
            std::vector<bool> sent;
            int aborted = 0;
            int first = 1;
            REQUIRE(ch.try_send(first));
            std::stop_source source;
            const std::stop_token token = source.get_token();
            corio_test::start_here(send_one(ch, 2, sent, aborted), &token);
            corio_test::start_here(send_one(ch, 3, sent, aborted));
            source.request_stop();
            CHECK(aborted == 1);
            CHECK(ch.try_receive() == 1);
            CHECK(sent == std::vector<bool>{true}); // the room went to the live sender
            CHECK(ch.try_receive() == 3);
            CHECK(ch.try_receive() == std::nullopt);
        }
    }
}

TEST_SUITE("channel" * doctest::test_suite("concurrent")) {

    TEST_CASE("MPMC channel delivers every value exactly once across 2 threads") {
        constexpr int producers_per_thread = 2;
        constexpr int consumers_per_thread = 2;
        constexpr int per_producer = 5000;
        corio::channel<int> ch(8);
        std::vector<std::vector<int>> received(2 * consumers_per_thread);
        std::atomic<int> producers_left{2 * producers_per_thread};
        std::latch done(2 * (producers_per_thread + consumers_per_thread));
        {
            io_thread a;
            io_thread b;
            for (int c = 0; c < consumers_per_thread; ++c) {
                a.spawn(consume_all(ch, received[static_cast<std::size_t>(2 * c)], done));
                b.spawn(consume_all(ch, received[static_cast<std::size_t>(2 * c + 1)], done));
            }
            for (int p = 0; p < producers_per_thread; ++p) {
                a.spawn(produce_range(ch, (2 * p) * per_producer, per_producer, producers_left, done));
                b.spawn(produce_range(ch, (2 * p + 1) * per_producer, per_producer, producers_left, done));
            }
            done.wait();
        }
        std::vector<int> all;
        for (const auto& r : received) {
            // Each producer's values reach any one consumer in the order they were sent.
            std::vector<int> last(2 * producers_per_thread, -1);
            for (int v : r) {
                auto& prev = last[static_cast<std::size_t>(v / per_producer)];
                REQUIRE(v > prev);
                prev = v;
            }
            all.insert(all.end(), r.begin(), r.end());
        }
        std::sort(all.begin(), all.end());
        REQUIRE(all.size() == static_cast<std::size_t>(2 * producers_per_thread * per_producer));
        for (std::size_t i = 0; i < all.size(); ++i) {
            REQUIRE(all[i] == static_cast<int>(i));
        }
    }

    TEST_CASE("a channel receiver racing a stop request and a send either gets the value or leaves it in the "
              "channel") {
        io_thread receiver_thread;
        int delivered = 0;
        int left_behind = 0;
        for (int round = 0; round < 300; ++round) {
            corio::channel<int> ch(1);
            std::stop_source source;
            const std::stop_token token = source.get_token();
            std::atomic<int> got{-2};
            std::atomic<int> aborted{0};
            std::latch done(1);
            receiver_thread.spawn(receive_one_then_signal(ch, got, aborted, done), &token);
            std::thread stopper([&source] { source.request_stop(); });
            int v = round;
            REQUIRE(ch.try_send(v));
            stopper.join();
            done.wait();
            if (aborted.load() == 1) {
                REQUIRE(ch.try_receive() == round); // not lost
                ++left_behind;
            } else {
                REQUIRE(got.load() == round);
                REQUIRE(ch.try_receive() == std::nullopt); // not duplicated
                ++delivered;
            }
        }
        MESSAGE("receiver got the value ", delivered, " times, was aborted ", left_behind, " times");
        CHECK(delivered + left_behind == 300);
    }
}
