#include "corio/net/detail/edge_set.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "corio/runtime/spawn.hpp"

namespace {

using namespace std::chrono_literals;
using corio::net::detail::edge_socket;

/// A connected pair of non-blocking stream sockets; `ours` goes to the edge_socket, `peer` stays here.
struct socket_pair {
    int ours = -1;
    int peer = -1;
    socket_pair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
        ours = fds[0];
        peer = fds[1];
    }
    socket_pair(const socket_pair&) = delete;
    socket_pair& operator=(const socket_pair&) = delete;
    ~socket_pair() { ::close(peer); }
};

struct read_trace {
    std::vector<bool> waits; // each readable() result, in order
    std::vector<long> reads; // each recv() result after a wait
    bool timed_out = false;
};

long read_once(int fd) {
    char buf[64];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? -errno : static_cast<long>(n);
}

corio::task<void> reader(int fd, asio::io_context* io, int peer, read_trace* out) {
    edge_socket s(fd, *io);
    CHECK_FALSE(s.error());
    if (s.error()) {
        co_return;
    }
    // 1. Input that was there before the socket joined the set is reported.
    bool ok = co_await s.readable(2s);
    out->waits.push_back(ok);
    out->reads.push_back(read_once(fd));
    out->reads.push_back(read_once(fd)); // drained: EAGAIN
    // 2. Nothing comes: the wait ends by its timeout.
    ok = co_await s.readable(50ms);
    out->waits.push_back(ok);
    out->timed_out = s.timed_out();
    // 3. Data and the end of stream at once: one edge for both. A read takes the data...
    ::send(peer, "yz", 2, MSG_NOSIGNAL);
    ::shutdown(peer, SHUT_WR);
    ok = co_await s.readable(2s);
    out->waits.push_back(ok);
    out->reads.push_back(read_once(fd));
    // ...and the next wait completes at once (no new edge comes for the end of stream), to read it.
    ok = co_await s.readable(2s);
    out->waits.push_back(ok);
    out->reads.push_back(read_once(fd));
}

struct write_trace {
    std::size_t queued = 0;
    bool full_wait = true;
    bool drained_wait = false;
    bool read_edge_kept = false;
};

corio::task<void> writer(int fd, asio::io_context* io, int peer, write_trace* out) {
    edge_socket s(fd, *io);
    CHECK_FALSE(s.error());
    if (s.error()) {
        co_return;
    }
    const std::string chunk(4096, 'w');
    for (;;) {
        const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            break;
        }
        out->queued += static_cast<std::size_t>(n);
    }
    // The peer does not read: no output edge, the wait times out. Input arriving meanwhile is kept.
    ::send(peer, "i", 1, MSG_NOSIGNAL);
    out->full_wait = co_await s.writable(50ms);
    // The peer reads everything: the socket can take more.
    char buf[4096];
    while (::recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
    out->drained_wait = co_await s.writable(2s);
    // The input edge that came during the writes is still there for the reader.
    out->read_edge_kept = co_await s.readable(10ms);
}

} // namespace

TEST_CASE("edge_socket: a read wait ends on input, on its timeout, and at once after the end of stream") {
    asio::io_context io;
    socket_pair p;
    REQUIRE(::send(p.peer, "x", 1, MSG_NOSIGNAL) == 1);
    read_trace t;
    corio::spawn(io.get_executor(), reader(p.ours, &io, p.peer, &t));
    io.run_for(10s);
    // The io_context ran out of work by itself: the closed socket left nothing pending in the set.
    CHECK(io.stopped());
    REQUIRE(t.waits.size() == 4);
    CHECK(t.waits[0]);
    CHECK_FALSE(t.waits[1]);
    CHECK(t.timed_out);
    CHECK(t.waits[2]);
    CHECK(t.waits[3]);
    REQUIRE(t.reads.size() == 4);
    CHECK(t.reads[0] == 1);
    CHECK(t.reads[1] == -EAGAIN);
    CHECK(t.reads[2] == 2);
    CHECK(t.reads[3] == 0); // the end of stream
}

TEST_CASE("edge_socket: a write wait ends when the peer makes room, and times out while it does not") {
    asio::io_context io;
    socket_pair p;
    write_trace t;
    corio::spawn(io.get_executor(), writer(p.ours, &io, p.peer, &t));
    io.run_for(10s);
    CHECK(io.stopped());
    CHECK(t.queued > 0);
    CHECK_FALSE(t.full_wait);
    CHECK(t.drained_wait);
    CHECK(t.read_edge_kept);
}

TEST_CASE("edge_socket: sockets on one io_context share its set, and each gets its own input") {
    asio::io_context io;
    constexpr int count = 50;
    std::vector<socket_pair> pairs(count);
    std::vector<read_trace> traces(count);
    for (int i = 0; i < count; ++i) {
        REQUIRE(::send(pairs[i].peer, "x", 1, MSG_NOSIGNAL) == 1);
        corio::spawn(io.get_executor(), reader(pairs[i].ours, &io, pairs[i].peer, &traces[i]));
    }
    io.run_for(20s);
    CHECK(io.stopped());
    for (const read_trace& t : traces) {
        REQUIRE(t.reads.size() == 4);
        CHECK(t.reads[0] == 1);
        CHECK(t.reads[2] == 2);
        CHECK(t.reads[3] == 0);
    }
}
