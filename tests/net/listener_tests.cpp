#include "corio/net/listener.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "corio/net/stream.hpp"
#include "corio/runtime/spawn.hpp"
#include "net_test_support.hpp"

namespace {

using namespace std::chrono_literals;

corio::net::listen_options loopback(std::size_t max_per_thread = 0) {
    corio::net::listen_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.max_connections_per_thread = max_per_thread;
    return o;
}

struct thread_log {
    std::mutex mutex;
    std::set<std::thread::id> threads;
    int without_nodelay = 0; // accepted sockets without TCP_NODELAY
    std::atomic<int> served{0};
};

corio::task<void> record_and_echo_once(asio::ip::tcp::socket s, thread_log* log) {
    {
        std::lock_guard lock(log->mutex);
        log->threads.insert(std::this_thread::get_id());
        asio::ip::tcp::no_delay nodelay;
        std::error_code ec;
        s.get_option(nodelay, ec);
        log->without_nodelay += !nodelay.value() || ec ? 1 : 0;
    }
    corio::net::stream st(std::move(s));
    char buf[64];
    const std::size_t n = co_await st.read_some(buf, 10s);
    co_await st.write_all({buf, n}, 10s);
    log->served.fetch_add(1);
}

corio::task<void> hold_until_closed(asio::ip::tcp::socket s) {
    corio::net::stream st(std::move(s));
    char buf[64];
    for (;;) {
        const std::size_t n = co_await st.read_some(buf, 20s);
        if (n == 0) {
            co_return;
        }
        co_await st.write_all({buf, n}, 10s);
    }
}

corio::task<void> throw_at_once(asio::ip::tcp::socket) {
    throw std::runtime_error("handler failure on purpose");
    co_return;
}

} // namespace

TEST_CASE("port 0 makes the listener pick a free port that accepts connections" *
          doctest::test_suite("concurrent")) {
    corio::runtime rt(2);
    thread_log log;
    {
        corio::net::listener l(rt, loopback());
        CHECK(l.port() != 0);
        l.start([&log](asio::ip::tcp::socket s) { return record_and_echo_once(std::move(s), &log); });
        test::client c(l.port());
        c.send("ping");
        CHECK(c.receive(4) == "ping");
        l.stop_accepting();
        CHECK(l.drain(20s));
    }
    CHECK(log.served.load() == 1);
}

TEST_CASE("the listener accepts on every worker thread, with TCP_NODELAY" *
          doctest::test_suite("concurrent")) {
    corio::runtime rt(2);
    thread_log log;
    corio::net::listener l(rt, loopback());
    l.start([&log](asio::ip::tcp::socket s) { return record_and_echo_once(std::move(s), &log); });
    for (int i = 0; i < 64; ++i) {
        test::client c(l.port());
        c.send("x");
        CHECK(c.receive(1) == "x");
    }
    l.stop_accepting();
    CHECK(l.drain(20s));
    CHECK(log.served.load() == 64);
    CHECK(l.accepted_connections() == 64);
    std::lock_guard lock(log.mutex);
    CHECK(log.threads.size() == 2);  // SO_REUSEPORT spreads 64 connections over both acceptors
    CHECK(log.without_nodelay == 0); // accepted sockets inherit TCP_NODELAY from the acceptor
}

TEST_CASE("max_connections_per_thread closes the extra connections at once" *
          doctest::test_suite("concurrent")) {
    corio::runtime rt(1);
    corio::net::listener l(rt, loopback(1));
    l.start([](asio::ip::tcp::socket s) { return hold_until_closed(std::move(s)); });
    test::client first(l.port());
    first.send("a");
    CHECK(first.receive(1) == "a"); // now being served
    test::client second(l.port());
    CHECK(second.receive_until_closed().empty());
    CHECK(l.refused_connections() == 1);
    first.send("b");
    CHECK(first.receive(1) == "b");
    first.shutdown_send();
    CHECK(first.receive_until_closed().empty());
    l.stop_accepting();
    CHECK(l.drain(20s));
}

TEST_CASE("a handler that throws is logged and the listener keeps serving" *
          doctest::test_suite("concurrent")) {
    corio::runtime rt(1);
    std::atomic<int> calls{0};
    thread_log log;
    corio::net::listener l(rt, loopback());
    l.start([&](asio::ip::tcp::socket s) -> corio::task<void> {
        if (calls.fetch_add(1) < 3) {
            return throw_at_once(std::move(s));
        }
        return record_and_echo_once(std::move(s), &log);
    });
    for (int i = 0; i < 3; ++i) {
        test::client c(l.port());
        CHECK(c.receive_until_closed().empty());
    }
    test::client ok(l.port());
    ok.send("still here");
    CHECK(ok.receive(10) == "still here");
    l.stop_accepting();
    CHECK(l.drain(20s));
    CHECK(l.active_connections() == 0);
}

TEST_CASE("stop_accepting closes the acceptors, stops the shutdown token and drain waits for handlers" *
          doctest::test_suite("concurrent")) {
    corio::runtime rt(2);
    corio::net::listener l(rt, loopback());
    l.start([](asio::ip::tcp::socket s) { return hold_until_closed(std::move(s)); });
    auto c = std::make_unique<test::client>(l.port());
    c->send("x");
    CHECK(c->receive(1) == "x");
    CHECK_FALSE(l.shutdown_token().stop_requested());
    l.stop_accepting();
    CHECK(l.shutdown_token().stop_requested());
    CHECK_FALSE(l.drain(50ms)); // the connection is still open
    CHECK(l.active_connections() == 1);
    c->shutdown_send();
    CHECK(c->receive_until_closed().empty());
    CHECK(l.drain(20s));
    CHECK(l.active_connections() == 0);
    asio::io_context io;
    asio::ip::tcp::socket probe(io);
    std::error_code ec;
    probe.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), l.port()), ec);
    CHECK(ec); // refused: nothing listens any more
}

namespace {

/// Owns its connection and its ticket: a coroutine that is its own root (like the echo server's).
corio::detail::detached_task hold_with_ticket(asio::ip::tcp::socket s, corio::net::connection_ticket ticket,
                                              std::atomic<bool>* saw_shutdown) {
    corio::net::stream st(std::move(s));
    char buf[64];
    for (;;) {
        const corio::net::io_result r = co_await st.async_read_some(buf, 20s);
        if (r.error) {
            break;
        }
        const std::string_view got(buf, r.bytes);
        if (got == "shutdown?") {
            const bool stopped = ticket.shutdown_token().stop_requested();
            saw_shutdown->store(stopped);
            co_await st.write_all(stopped ? std::string_view("yes") : std::string_view("no!"), 10s);
            continue;
        }
        co_await st.write_all(got, 10s);
    }
}

} // namespace

TEST_CASE("start_detached hands over a bare descriptor with a ticket that keeps it counted until destroyed" *
          doctest::test_suite("concurrent")) {
    corio::runtime rt(1);
    std::atomic<bool> saw_shutdown{false};
    static std::atomic<bool> descriptor_ok{false};
    corio::net::listener l(rt, loopback(1));
    l.start_detached(
        [&saw_shutdown](int fd, asio::io_context& context, corio::net::connection_ticket ticket) {
            // A bare descriptor: non-blocking, close-on-exec, TCP_NODELAY, and in no reactor yet.
            const int flags = ::fcntl(fd, F_GETFL);
            const int fd_flags = ::fcntl(fd, F_GETFD);
            int nodelay = 0;
            socklen_t len = sizeof(nodelay);
            ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
            descriptor_ok = (flags & O_NONBLOCK) != 0 && (fd_flags & FD_CLOEXEC) != 0 && nodelay != 0;
            asio::ip::tcp::socket s(context, asio::ip::tcp::v4(), fd);
            hold_with_ticket(std::move(s), std::move(ticket), &saw_shutdown).handle().resume();
        });
    test::client c(l.port());
    c.send("a");
    CHECK(c.receive(1) == "a");
    CHECK(descriptor_ok.load());
    CHECK(l.active_connections() == 1);
    c.send("shutdown?");
    CHECK(c.receive(3) == "no!");
    test::client refused(l.port()); // the ticket counts for max_connections_per_thread
    CHECK(refused.receive_until_closed().empty());
    CHECK(l.refused_connections() == 1);
    l.stop_accepting();
    CHECK_FALSE(l.drain(50ms)); // the ticket is still alive
    c.send("shutdown?");
    CHECK(c.receive(3) == "yes"); // the ticket carries the listener's shutdown token
    CHECK(saw_shutdown.load());
    c.shutdown_send();
    CHECK(c.receive_until_closed().empty());
    CHECK(l.drain(20s)); // the frame ended, and with it the ticket
    CHECK(l.active_connections() == 0);
}

TEST_CASE("an empty connection_ticket counts nothing and its shutdown token never stops") {
    corio::net::connection_ticket empty;
    CHECK_FALSE(empty.shutdown_token().stop_possible());
    corio::net::connection_ticket moved(std::move(empty));
    CHECK_FALSE(moved.shutdown_token().stop_possible());
}
