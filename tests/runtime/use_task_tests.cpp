#include "corio/runtime/use_task.hpp"

#include <doctest/doctest.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "corio/runtime/runtime.hpp"
#include "loopback.hpp"

namespace {

using namespace std::chrono_literals;

corio::task<std::string> write_then_read_some() {
    test::socket_pair pair = co_await test::make_socket_pair();
    const std::string message = "hello over loopback";
    const std::size_t written =
        co_await asio::async_write(pair.client, asio::buffer(message), corio::use_task);
    CHECK(written == message.size());
    std::string received;
    std::array<char, 64> buf{};
    while (received.size() < message.size()) {
        const std::size_t n = co_await pair.server.async_read_some(asio::buffer(buf), corio::use_task);
        received.append(buf.data(), n);
    }
    co_return received;
}

corio::task<std::pair<std::error_code, std::size_t>> read_after_peer_closed() {
    test::socket_pair pair = co_await test::make_socket_pair();
    pair.client.close();
    std::array<char, 16> buf{};
    auto result = co_await pair.server.async_read_some(asio::buffer(buf), corio::use_task_ec);
    co_return result;
}

corio::task<std::size_t> read_after_peer_closed_throwing() {
    test::socket_pair pair = co_await test::make_socket_pair();
    pair.client.close();
    std::array<char, 16> buf{};
    const std::size_t n = co_await pair.server.async_read_some(asio::buffer(buf), corio::use_task);
    co_return n;
}

corio::task<std::error_code> wait_on_timer_ec() {
    const corio::executor ex = co_await corio::this_executor;
    asio::steady_timer timer(ex, 1ms);
    const std::error_code ec = co_await timer.async_wait(corio::use_task_ec);
    co_return ec;
}

corio::task<std::size_t> resolve_and_connect() {
    const corio::executor ex = co_await corio::this_executor;
    asio::ip::tcp::acceptor acceptor(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const std::string port = std::to_string(acceptor.local_endpoint().port());
    asio::ip::tcp::resolver resolver(ex);
    auto results = co_await resolver.async_resolve(
        "127.0.0.1", port, asio::ip::tcp::resolver::numeric_host | asio::ip::tcp::resolver::numeric_service,
        corio::use_task);
    asio::ip::tcp::socket client(ex);
    const asio::ip::tcp::endpoint connected = co_await asio::async_connect(client, results, corio::use_task);
    CHECK(connected.port() == acceptor.local_endpoint().port());
    asio::ip::tcp::socket server = co_await acceptor.async_accept(corio::use_task);
    const std::string message(100'000, 'x');
    std::vector<char> in(message.size());
    auto both = co_await corio::when_all(
        [](asio::ip::tcp::socket* s, const std::string* m) -> corio::task<std::size_t> {
            const std::size_t n = co_await asio::async_write(*s, asio::buffer(*m), corio::use_task);
            co_return n;
        }(&client, &message),
        [](asio::ip::tcp::socket* s, std::vector<char>* buf) -> corio::task<std::size_t> {
            const std::size_t n = co_await asio::async_read(*s, asio::buffer(*buf), corio::use_task);
            co_return n;
        }(&server, &in));
    CHECK(std::get<0>(both) == message.size());
    co_return std::get<1>(both);
}

} // namespace

TEST_SUITE("use_task") {

    TEST_CASE("use_task completes an async_read_some over a real loopback socket pair") {
        corio::runtime rt(1);
        CHECK(rt.block_on(write_then_read_some()) == "hello over loopback");
    }

    TEST_CASE("use_task_ec returns the error instead of throwing") {
        corio::runtime rt(1);
        const auto [ec, n] = rt.block_on(read_after_peer_closed());
        CHECK(ec == asio::error::eof);
        CHECK(n == 0);
    }

    TEST_CASE("use_task throws the operation's error as std::system_error") {
        corio::runtime rt(1);
        try {
            (void)rt.block_on(read_after_peer_closed_throwing());
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code() == asio::error::eof);
        }
    }

    TEST_CASE("use_task_ec gives a plain error_code for an operation without values") {
        corio::runtime rt(1);
        CHECK_FALSE(rt.block_on(wait_on_timer_ec()));
    }

    TEST_CASE("use_task works with resolvers, async_connect, async_accept, async_write and async_read") {
        corio::runtime rt(1);
        CHECK(rt.block_on(resolve_and_connect()) == 100'000);
    }
}
