#include "corio/net/echo_server.hpp"

#include <doctest/doctest.h>

#include <asio/post.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "corio/net/listener.hpp"
#include "corio/runtime/runtime.hpp"
#include "net_test_support.hpp"

namespace {

using namespace std::chrono_literals;

/// A runtime and a listener on 127.0.0.1 whose connections are echo_connection()s (no idle timeout), stopped
/// by the listener's shutdown token.
struct echo_listener {
    corio::runtime rt;
    corio::net::listener l;
    explicit echo_listener(std::size_t threads) : rt(threads), l(rt, loopback()) {
        const std::stop_token shutdown = l.shutdown_token();
        l.start([shutdown](asio::ip::tcp::socket s) {
            return corio::net::echo_connection(std::move(s), std::chrono::milliseconds(0), shutdown);
        });
    }
    static corio::net::listen_options loopback() {
        corio::net::listen_options o;
        o.host = "127.0.0.1";
        return o;
    }
};

} // namespace

TEST_CASE("an echo connection's coroutine frame is smaller than 1 KiB") {
    const std::size_t size = corio::net::echo_connection_frame_size();
    MESSAGE("echo_connection frame: " << size << " bytes");
    CHECK(size > 0);
    CHECK(size < 1024);
}

TEST_CASE("echo connections write back every byte, also when the client sends more than it reads" *
          doctest::test_suite("concurrent")) {
    echo_listener e(2);
    corio::net::listener& l = e.l;
    {
        test::client c(l.port());
        std::string payload(3 << 20, '\0');
        for (std::size_t i = 0; i < payload.size(); ++i) {
            payload[i] = static_cast<char>(i * 7 + i / 251);
        }
        // Send everything before reading anything: the server must buffer what it cannot write back yet.
        std::thread sender([&] {
            c.send(payload);
            c.shutdown_send();
        });
        const std::string echoed = c.receive_until_closed();
        sender.join();
        CHECK(echoed.size() == payload.size());
        CHECK(echoed == payload);
    }
    l.stop_accepting();
    CHECK(l.drain(20s));
}

TEST_CASE("an echo connection whose data and end of stream arrive together echoes the data, then closes" *
          doctest::test_suite("concurrent")) {
    // The server's one worker is kept busy while each client connects, sends and shuts its side down, so the
    // socket's first input edge carries the data and the end of stream at once: a short read takes the data,
    // and the end of stream raises no edge of its own. The connection must still see it and close.
    echo_listener e(1);
    corio::net::listener& l = e.l;
    for (int i = 0; i < 5; ++i) {
        std::promise<void> busy;
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        asio::post(e.rt.get_executor(0), [&busy, released] {
            busy.set_value();
            released.wait();
        });
        busy.get_future().wait();
        test::client c(l.port());
        const std::string payload(1000 + 997 * i, static_cast<char>('a' + i));
        c.send(payload);
        c.shutdown_send();
        std::this_thread::sleep_for(20ms); // let the data and the FIN reach the server's socket
        release.set_value();
        std::error_code why;
        const std::string echoed = c.receive_until_closed(&why, 5s);
        CHECK(echoed == payload);
        CHECK(why == asio::error::eof);
    }
    l.stop_accepting();
    CHECK(l.drain(20s));
}

TEST_CASE("stopping the listener makes idle echo connections close" * doctest::test_suite("concurrent")) {
    echo_listener e(1);
    corio::net::listener& l = e.l;
    test::client c(l.port());
    c.send("hi");
    CHECK(c.receive(2) == "hi");
    l.stop_accepting();
    CHECK(c.receive_until_closed().empty());
    CHECK(l.drain(20s));
}
