// Timeouts and cancellation: with_timeout, when_any, stop tokens reaching a pending socket read.
// Runs on a corio::runtime; everything stays on 127.0.0.1 and the program exits by itself.

#include <asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>

#include "corio/runtime/runtime.hpp"
#include "corio/runtime/with_timeout.hpp"
#include "corio/when_any.hpp"

namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

corio::task<std::string> slow_answer() {
    co_await corio::sleep_for(200ms);
    co_return "forty-two";
}

// Waits for bytes that never come; the read is cancelled through the task's stop token.
corio::task<std::size_t> read_forever(tcp::socket* socket) {
    std::array<char, 64> buf{};
    const std::size_t n = co_await socket->async_read_some(asio::buffer(buf), corio::use_task);
    co_return n;
}

corio::task<void> run() {
    // 1. A deadline that is met returns the value.
    const std::string quick = co_await corio::with_timeout(1s, slow_answer());
    std::printf("with_timeout in time: %s\n", quick.c_str());

    // 2. A deadline that is missed cancels the task and throws std::errc::timed_out.
    try {
        (void)co_await corio::with_timeout(50ms, slow_answer());
    } catch (const std::system_error& e) {
        std::printf("with_timeout missed: %s\n",
                    e.code() == std::errc::timed_out ? "timed out" : "other error");
    }

    // 3. Cancellation reaches a pending socket read: a client that never writes, a read bounded at 100 ms.
    const corio::executor ex = co_await corio::this_executor;
    tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(ex);
    co_await client.async_connect(acceptor.local_endpoint(), corio::use_task);
    tcp::socket server = co_await acceptor.async_accept(corio::use_task);
    const auto start = std::chrono::steady_clock::now();
    try {
        (void)co_await corio::with_timeout(100ms, read_forever(&server));
    } catch (const std::system_error& e) {
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        std::printf("pending read cancelled after %lld ms: %s\n", static_cast<long long>(waited.count()),
                    e.what());
    }

    // 4. when_any: the first to finish wins, the others are cancelled and awaited.
    auto winner = co_await corio::when_any(slow_answer(), corio::sleep_for(10ms));
    std::printf("when_any winner: task %zu\n", winner.index());
}

} // namespace

int main() {
    corio::runtime rt(1);
    rt.block_on(run());

    // 5. A stop request from another thread cancels a whole task tree.
    std::stop_source stop;
    std::jthread canceller([&stop] {
        std::this_thread::sleep_for(50ms);
        stop.request_stop();
    });
    const std::stop_token token = stop.get_token();
    try {
        rt.block_on(corio::sleep_for(1h), token);
    } catch (const std::system_error& e) {
        std::printf("a one-hour sleep stopped from another thread: %s\n", e.code().message().c_str());
    }
    return 0;
}
