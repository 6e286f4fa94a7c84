#pragma once

// Test helper: a connected TCP socket pair over 127.0.0.1, created inside a task on a corio executor.

#include <asio/ip/tcp.hpp>

#include <utility>

#include "corio/runtime/this_executor.hpp"
#include "corio/runtime/use_task.hpp"
#include "corio/task.hpp"
#include "corio/when_all.hpp"

namespace test {

struct socket_pair {
    asio::ip::tcp::socket client;
    asio::ip::tcp::socket server;
};

inline corio::task<asio::ip::tcp::socket> accept_one(asio::ip::tcp::acceptor* acceptor) {
    asio::ip::tcp::socket s = co_await acceptor->async_accept(corio::use_task);
    co_return std::move(s);
}

inline corio::task<asio::ip::tcp::socket> connect_to(asio::ip::tcp::endpoint ep) {
    const corio::executor ex = co_await corio::this_executor;
    asio::ip::tcp::socket s(ex);
    co_await s.async_connect(ep, corio::use_task);
    co_return std::move(s);
}

/// Connects a client to a fresh listener on 127.0.0.1 (port 0) with use_task on both ends.
inline corio::task<socket_pair> make_socket_pair() {
    const corio::executor ex = co_await corio::this_executor;
    asio::ip::tcp::acceptor acceptor(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const asio::ip::tcp::endpoint ep = acceptor.local_endpoint();
    auto both = co_await corio::when_all(accept_one(&acceptor), connect_to(ep));
    co_return socket_pair{std::move(std::get<1>(both)), std::move(std::get<0>(both))};
}

} // namespace test
