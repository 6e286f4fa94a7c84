#pragma once

// Test helpers: blocking clients over 127.0.0.1 (run on the test thread, outside the runtime) and a way to
// hand a result from a connection handler back to the test.

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <chrono>
#include <cstdint>
#include <future>
#include <stdexcept>
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
    /// Reads until the server closes (or an error, or `limit` passed: a test cannot hang); returns what
    /// arrived. `why` (when given) gets what ended it: asio::error::eof when the server closed, timed_out;
    /// without it a timeout throws.
    std::string receive_until_closed(std::error_code* why = nullptr,
                                     std::chrono::milliseconds limit = std::chrono::seconds(60)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        std::string out;
        char buf[4096];
        std::error_code ec;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{socket_.native_handle(), POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
                ec = std::make_error_code(std::errc::timed_out);
                break;
            }
            const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
            if (n > 0) {
                out.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            ec = n == 0 ? std::error_code(asio::error::eof) : std::error_code(errno, std::system_category());
            break;
        }
        if (why != nullptr) {
            *why = ec;
        } else if (ec == std::errc::timed_out) {
            throw std::runtime_error("the server did not close the connection in time");
        }
        return out;
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
