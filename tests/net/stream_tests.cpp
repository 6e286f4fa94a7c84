#include "corio/net/stream.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <future>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "corio/net/listener.hpp"
#include "corio/runtime/runtime.hpp"
#include "corio/runtime/task_group.hpp"
#include "net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

struct outcome {
    std::error_code error;
    std::size_t bytes = 0;
    std::chrono::milliseconds elapsed{0};
    std::string data;
};

/// Runs `scenario(stream&, promise&)` as the handler of the single connection a client makes.
template <class Scenario>
outcome run_one(Scenario scenario, const std::function<void(test::client&)>& client_side = {}) {
    corio::runtime rt(1);
    std::promise<outcome> done;
    std::future<outcome> result = done.get_future();
    corio::net::listen_options o;
    o.host = "127.0.0.1";
    corio::net::listener l(rt, o);
    l.start([&](asio::ip::tcp::socket s) { return scenario(std::move(s), &done); });
    test::client c(l.port());
    if (client_side) {
        client_side(c);
    }
    outcome out = test::wait_for(result);
    l.stop_accepting();
    REQUIRE(l.drain(20s));
    return out;
}

corio::task<void> read_with_timeout(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    char buf[16];
    outcome out;
    const auto start = steady::now();
    try {
        out.bytes = co_await st.read_some(buf, 50ms);
    } catch (const std::system_error& e) {
        out.error = e.code();
    }
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    done->set_value(out);
}

corio::task<void> wait_readable_with_timeout(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    outcome out;
    const auto start = steady::now();
    corio::net::io_result r = co_await st.async_wait_readable(80ms);
    out.error = r.error;
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    done->set_value(out);
}

corio::task<void> wait_then_try_read(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    outcome out;
    co_await st.wait_readable(10s);
    char buf[64];
    std::error_code ec;
    const std::size_t n = st.try_read(buf, ec);
    out.error = ec;
    out.data.assign(buf, n);
    // Nothing more is pending: a second try_read reports would_block instead of blocking.
    std::error_code again;
    out.bytes = st.try_read(buf, again);
    if (again != asio::error::would_block) {
        out.error = again;
    }
    done->set_value(out);
}

corio::task<void> read_under_stop_token(corio::net::stream* st, std::size_t* n) {
    char buf[16];
    *n = co_await st->read_some(buf, 0ms);
}

corio::task<void> stop_a_pending_read(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    outcome out;
    std::stop_source source;
    corio::task_group group;
    std::size_t n = 0;
    // The child runs under the group's token: stop it from another thread while its read is pending.
    group.spawn(read_under_stop_token(&st, &n));
    std::thread stopper([&group] {
        std::this_thread::sleep_for(30ms);
        group.request_stop();
    });
    const auto start = steady::now();
    try {
        co_await group.join();
    } catch (const std::system_error& e) {
        out.error = e.code();
    }
    stopper.join();
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    done->set_value(out);
}

corio::task<void> timeout_then_read_again(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    outcome out;
    char buf[16];
    corio::net::io_result first = co_await st.async_read_some(buf, 30ms);
    out.error = first.error;
    // The stream stays usable after a timeout: the next read gets the client's data.
    corio::net::io_result second = co_await st.async_read_some(buf, 10s);
    if (!second.error) {
        out.data.assign(buf, second.bytes);
    }
    done->set_value(out);
}

corio::task<void> write_a_lot(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    outcome out;
    std::string big(8 << 20, 'z');
    for (std::size_t i = 0; i < big.size(); i += 4099) {
        big[i] = static_cast<char>('a' + i % 26);
    }
    corio::net::io_result r = co_await st.write_all_ec(big, 10s);
    out.error = r.error;
    out.bytes = r.bytes;
    st.close();
    done->set_value(out);
}

corio::task<void> write_to_a_client_that_never_reads(asio::ip::tcp::socket s, std::promise<outcome>* done) {
    corio::net::stream st(std::move(s));
    outcome out;
    std::string big(64 << 20, 'q');
    const auto start = steady::now();
    corio::net::io_result r = co_await st.write_all_ec(big, 100ms);
    out.error = r.error;
    out.bytes = r.bytes;
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    done->set_value(out);
}

} // namespace

TEST_CASE("a read times out with std::errc::timed_out, no earlier than asked" *
          doctest::test_suite("concurrent")) {
    const outcome out = run_one(read_with_timeout);
    CHECK(out.error == std::errc::timed_out);
    CHECK(out.elapsed >= 50ms);
    CHECK(out.elapsed < 10s); // prompt (generous bound for a loaded machine)
}

TEST_CASE("wait_readable times out with std::errc::timed_out" * doctest::test_suite("concurrent")) {
    const outcome out = run_one(wait_readable_with_timeout);
    CHECK(out.error == std::errc::timed_out);
    CHECK(out.elapsed >= 80ms);
}

TEST_CASE("wait_readable consumes nothing: the data is still there for try_read" *
          doctest::test_suite("concurrent")) {
    const outcome out = run_one(wait_then_try_read, [](test::client& c) { c.send("abc"); });
    CHECK_FALSE(out.error);
    CHECK(out.data == "abc");
    CHECK(out.bytes == 0);
}

TEST_CASE("a stop request cancels a pending stream read promptly with operation_aborted" *
          doctest::test_suite("concurrent")) {
    const outcome out = run_one(stop_a_pending_read);
    CHECK(out.error == asio::error::operation_aborted);
    CHECK(out.elapsed < 10s);
}

TEST_CASE("a stream stays usable after a timed-out read" * doctest::test_suite("concurrent")) {
    const outcome out = run_one(timeout_then_read_again, [](test::client& c) {
        std::this_thread::sleep_for(100ms);
        c.send("late");
    });
    CHECK(out.error == std::errc::timed_out);
    CHECK(out.data == "late");
}

TEST_CASE("write_all delivers every byte when the peer reads slowly" * doctest::test_suite("concurrent")) {
    std::string received;
    const outcome out = run_one(write_a_lot, [&received](test::client& c) {
        std::this_thread::sleep_for(50ms); // let the server fill the socket buffers first
        received = c.receive_until_closed();
    });
    CHECK_FALSE(out.error);
    CHECK(out.bytes == (8u << 20));
    REQUIRE(received.size() == (8u << 20));
    for (std::size_t i = 0; i < received.size(); i += 4099) {
        REQUIRE(received[i] == static_cast<char>('a' + i % 26));
    }
}

TEST_CASE("write_all times out when the peer never reads" * doctest::test_suite("concurrent")) {
    const outcome out = run_one(write_to_a_client_that_never_reads);
    CHECK(out.error == std::errc::timed_out);
    CHECK(out.bytes < (64u << 20));
    CHECK(out.elapsed >= 100ms);
}
