#pragma once

// Test helpers: blocking clients over 127.0.0.1 (run on the test thread, outside the runtime) and a way to
// hand a result from a connection handler back to the test.

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <system_error>

namespace test {

/// A blocking client connected to 127.0.0.1:port.
class client {
public:
    explicit client(std::uint16_t port) : socket_(io_) {
        socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        socket_.set_option(asio::ip::tcp::no_delay(true));
    }
    void send(const std::string& data) { asio::write(socket_, asio::buffer(data)); }
    std::string receive(std::size_t n) {
        std::string out(n, '\0');
        asio::read(socket_, asio::buffer(out));
        return out;
    }
    /// Reads until the server closes; returns what arrived.
    std::string receive_until_closed() {
        std::string out;
        char buf[4096];
        for (;;) {
            std::error_code ec;
            const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
            out.append(buf, n);
            if (ec) {
                return out;
            }
        }
    }
    void shutdown_send() { socket_.shutdown(asio::socket_base::shutdown_send); }
    asio::ip::tcp::socket& socket() { return socket_; }

private:
    asio::io_context io_;
    asio::ip::tcp::socket socket_;
};

template <class T>
T wait_for(std::future<T>& f, std::chrono::seconds limit = std::chrono::seconds(20)) {
    if (f.wait_for(limit) != std::future_status::ready) {
        throw std::runtime_error("the handler did not report in time");
    }
    return f.get();
}

} // namespace test
