// Asio first: every translation unit must configure Asio the same way.
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "corio/runtime/runtime.hpp"
#include "corio/stop.hpp"
#include "loopback.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Sets *reading just before it starts a read that no data will ever complete.
corio::task<std::error_code> read_until_cancelled(std::atomic<bool>* reading) {
    test::socket_pair pair = co_await test::make_socket_pair();
    std::array<char, 16> buf{};
    reading->store(true);
    auto [ec, n] = co_await pair.server.async_read_some(asio::buffer(buf), corio::use_task_ec);
    (void)n;
    co_return ec;
}

corio::task<void> sleep_long() {
    co_await corio::sleep_for(60s);
}

// A connected pair made with blocking calls, for tests that drive the sockets from block_on.
test::socket_pair blocking_socket_pair(const corio::executor& ex) {
    asio::ip::tcp::acceptor acceptor(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::ip::tcp::socket client(ex);
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server = acceptor.accept();
    return test::socket_pair{std::move(client), std::move(server)};
}

corio::task<std::pair<std::error_code, std::string>> read_once(asio::ip::tcp::socket* s) {
    std::array<char, 16> buf{};
    auto [ec, n] = co_await s->async_read_some(asio::buffer(buf), corio::use_task_ec);
    co_return std::pair<std::error_code, std::string>(ec, std::string(buf.data(), n));
}

corio::task<std::error_code> accept_with_stop_already_requested() {
    const corio::executor ex = co_await corio::this_executor;
    asio::ip::tcp::acceptor acceptor(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto [ec, socket] = co_await acceptor.async_accept(corio::use_task_ec);
    (void)socket;
    co_return ec;
}

corio::task<bool> token_is_stopped() {
    const std::stop_token t = co_await corio::this_stop_token;
    co_return t.stop_requested();
}

} // namespace

TEST_SUITE("cancellation") {

    TEST_CASE("cancelling a task blocked in async_read_some completes it promptly with operation_aborted" *
              doctest::test_suite("concurrent")) {
        corio::runtime rt(1);
        std::stop_source source;
        std::atomic<bool> reading{false};
        std::jthread canceller([&source, &reading] {
            while (!reading.load()) {
                std::this_thread::sleep_for(1ms);
            }
            std::this_thread::sleep_for(20ms);
            source.request_stop();
        });
        const auto start = clock_type::now();
        const std::stop_token token = source.get_token();
        const std::error_code ec = rt.block_on(read_until_cancelled(&reading), token);
        CHECK(ec == asio::error::operation_aborted);
        CHECK(clock_type::now() - start < 5s);
    }

    TEST_CASE("cancelling a pending sleep_for completes it promptly with operation_aborted" *
              doctest::test_suite("concurrent")) {
        corio::runtime rt(1);
        std::stop_source source;
        std::jthread canceller([&source] {
            std::this_thread::sleep_for(50ms);
            source.request_stop();
        });
        const auto start = clock_type::now();
        const std::stop_token token = source.get_token();
        try {
            rt.block_on(sleep_long(), token);
            FAIL("the sleep was not cancelled");
        } catch (const std::system_error& e) {
            CHECK(e.code() == asio::error::operation_aborted);
        }
        CHECK(clock_type::now() - start < 5s);
    }

    TEST_CASE(
        "an operation whose stop was requested before it starts completes with operation_aborted unstarted") {
        corio::runtime rt(1);
        std::stop_source source;
        source.request_stop();
        const std::stop_token token = source.get_token();
        test::socket_pair pair = blocking_socket_pair(rt.get_executor(0));
        asio::write(pair.client, asio::buffer(std::string("data")));
        std::this_thread::sleep_for(10ms);
        const auto first = rt.block_on(read_once(&pair.server), token);
        CHECK(first.first == asio::error::operation_aborted);
        // The data is still there: the cancelled read never ran.
        const auto second = rt.block_on(read_once(&pair.server));
        CHECK_FALSE(second.first);
        CHECK(second.second == "data");
        pair.client.close();
        pair.server.close();
    }

    TEST_CASE("use_task_ec with a non-default-constructible value is cancelled when stop came first") {
        corio::runtime rt(1);
        std::stop_source source;
        source.request_stop();
        const std::stop_token token = source.get_token();
        CHECK(rt.block_on(accept_with_stop_already_requested(), token) == asio::error::operation_aborted);
    }

    TEST_CASE("this_stop_token gives the token the task runs under") {
        corio::runtime rt(1);
        std::stop_source source;
        const std::stop_token token = source.get_token();
        CHECK_FALSE(rt.block_on(token_is_stopped(), token));
        source.request_stop();
        CHECK(rt.block_on(token_is_stopped(), token));
    }

    TEST_CASE("a spawned task runs under the stop token given to spawn" * doctest::test_suite("concurrent")) {
        corio::runtime rt(1);
        std::stop_source source;
        std::promise<std::error_code> result;
        std::atomic<bool> reading{false};
        auto run = [](std::promise<std::error_code>* out, std::atomic<bool>* r) -> corio::task<void> {
            const std::error_code ec = co_await read_until_cancelled(r);
            out->set_value(ec);
        };
        corio::spawn(rt.get_executor(0), run(&result, &reading), source.get_token());
        while (!reading.load()) {
            std::this_thread::sleep_for(1ms);
        }
        std::this_thread::sleep_for(20ms);
        source.request_stop();
        auto f = result.get_future();
        REQUIRE(f.wait_for(5s) == std::future_status::ready);
        CHECK(f.get() == asio::error::operation_aborted);
    }
}
