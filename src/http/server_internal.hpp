#pragma once

// Server internals shared by server.cpp and connection.cpp (not installed).

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "corio/http/parser.hpp"
#include "corio/http/request_context.hpp"
#include "corio/http/response.hpp"
#include "corio/http/router.hpp"
#include "corio/http/server.hpp"
#include "corio/net/detail/edge_set.hpp"
#include "corio/net/listener.hpp"
#include "corio/runtime/executor.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/task.hpp"

namespace corio::http::detail {

using clock = std::chrono::steady_clock;

/// How far the work after a read got without waiting (connection::advance()).
enum class input_step : std::uint8_t {
    need_more,    ///< every complete request is answered: read again (after writing the responses)
    close,        ///< close the connection (after writing what is buffered)
    close_linger, ///< close after writing, draining what the client still sends (linger_close())
    wait,         ///< something must wait (exchange::action says what): on_readable() goes on from here
};

/// What on_readable() must do first when advance() stopped at input_step::wait.
enum class input_action : std::uint8_t {
    none,
    respond,             ///< finish answering the request: respond_slow()
    respond_then_linger, ///< answer (without reading the body), then close_linger
    flush,               ///< write out what is buffered (100 Continue, or output above the threshold)
};

/// What an exchange keeps of its buffers between requests: larger ones are freed.
constexpr std::size_t max_kept_output = 1024 * 1024;
constexpr std::size_t max_kept_body = 256 * 1024;

/// Empties `s`, and gives its storage back when it grew past `max_capacity` (one large request or response
/// must not pin its buffer for the rest of the server's life).
inline void clear_bounded(std::string& s, std::size_t max_capacity) noexcept {
    if (s.capacity() > max_capacity) {
        std::string().swap(s);
    } else {
        s.clear();
    }
}

/// The per-request working set a connection borrows from its worker while it has bytes to process: the
/// parser, the input and output buffers and the handler's context. Reused, so requests do not allocate.
struct exchange {
    explicit exchange(const parser_options& options, std::size_t input_capacity)
        : parser(options), in(new char[input_capacity]), capacity(input_capacity) {}

    request_parser parser;
    request_context ctx;
    std::unique_ptr<char[]> in;
    std::size_t capacity;
    std::size_t begin = 0;     // first unconsumed input byte
    std::size_t end = 0;       // end of input
    std::size_t keep = 0;      // bytes [0, keep) hold the current head (body phase): never moved
    std::string out;           // responses not yet written
    std::size_t out_start = 0; // bytes of out already written
    std::string body;          // a request body that arrived in several pieces
    std::string_view body_view;
    bool body_copied = false;
    bool head_seen = false; // between event head and message_complete
    bool discard_body = false;
    bool close_after = false;
    route_match match;
    // Streaming state.
    enum class stream_mode : std::uint8_t { chunked, head_only, buffered } mode = stream_mode::chunked;
    response stream_head;
    std::string stream_buffer;
    // Handed from readable_now() to on_readable() when something has to wait.
    task<response> call;           // the current request's handler, started
    std::exception_ptr call_error; // calling the handler threw
    input_action action = input_action::none;
    input_step pending = input_step::need_more; // where readable_now() stopped
    bool read_full = false;                     // the last read filled the buffer: read again before waiting
    exchange* next_free = nullptr;              // in worker_state::pool
};

struct list_node {
    list_node* prev = this;
    list_node* next = this;
    void unlink() noexcept {
        prev->next = next;
        next->prev = prev;
        prev = next = this;
    }
    void link_before(list_node& pos) noexcept {
        prev = pos.prev;
        next = &pos;
        pos.prev->next = this;
        pos.prev = this;
    }
};

class worker_state;

enum class conn_phase : std::uint8_t { idle, head, body, handler, write, linger };
enum class wake_reason : std::uint8_t { none, timeout, stop };

/// One HTTP connection. Lives in the frame of its serving coroutine, on its worker's thread.
class connection : public list_node, private net::detail::edge_watch {
public:
    connection(int fd, worker_state& w);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Serves the connected socket `fd` (owned from now on) until it closes. Taking the descriptor rather
    /// than a socket object keeps the coroutine frame small: idle connections cost that frame. The coroutine
    /// is its own root (no wrapper frame): resume the returned handle once, at once (`args` must still be
    /// alive: it is read before the first suspension); the coroutine frees itself at the end.
    struct serve_args {
        int fd;
        worker_state* worker;
    };
    static corio::detail::detached_task serve(const serve_args& args);

    // The sweeper's view.
    bool waiting() const noexcept { return waiting_; }
    conn_phase phase() const noexcept { return phase_; }
    clock::time_point deadline() const noexcept { return deadline_; }
    void wake(wake_reason why) noexcept;
    /// The worker's input set reported the socket (readable, closed or failed).
    void on_input_event(std::uint32_t events) noexcept;

    // Streaming (request_context::stream()).
    task<void> stream_begin(const response& head);
    task<void> stream_write(std::string_view data);
    task<void> stream_end();

private:
    int fd() const noexcept { return fd_; }
    static constexpr std::uint32_t input_events = EPOLLIN | EPOLLRDHUP;
    static void on_edge(net::detail::edge_watch& self, std::uint32_t events) noexcept;
    /// Adds the socket to the worker's input set, the first time it has to wait. @return false when it
    /// cannot.
    bool join_input_set() noexcept;
    bool watch_output(bool on) noexcept;
    void acquire();
    void release() noexcept;
    void save_pending();
    void preserve_body();
    bool make_room() noexcept;
    bool prepare_wait();
    bool finish_wait() noexcept;
    friend class input_wait;
    friend class socket_wait;
    friend class readable_step;
    bool readable_now();
    input_step advance();
    input_step after_response(bool keep);
    task<void> on_readable();
    task<input_step> process();
    void on_head();
    void on_body(std::string_view piece);
    int respond_now();
    task<bool> respond_slow();
    /// Appends `r` to the output; `date` empty: read the clock. False if a field of `r` is invalid.
    bool serialize(const response& r, bool head_request, bool server_closes, std::string_view date = {});
    bool try_flush() noexcept;
    task<bool> flush();
    task<bool> wait_writable();
    task<bool> send_file(int file, std::uint64_t offset, std::uint64_t length);
    task<void> linger_close();
    void send_canned(http::status s) noexcept;
    void log_access(const response& r, std::uint64_t bytes);

    int fd_;
    worker_state& w_;
    exchange* ex_ = nullptr;
    std::unique_ptr<std::string> pending_; // a partly received head while no exchange is held
    clock::time_point deadline_{};
    clock::time_point header_deadline_{};
    conn_phase phase_ = conn_phase::idle;
    wake_reason wake_ = wake_reason::none;
    bool waiting_ = false;
    bool yielded_ = false;     // the coroutine went back to the event loop since the last read
    bool wait_failed_ = false; // the last wait ended in an error (a sweep wake: timeout or stop)
    // Where the connection stands with the worker's input set (worker_state::input_set).
    // hangup: the peer closed or the socket failed; sticky, every later wait returns at once (a short read
    // does not drain a socket whose end of stream is pending: no further edge would come). unregistered: not
    // in the set yet (join_input_set()).
    enum class input_state : std::uint8_t { idle, waiting, event_pending, hangup, unregistered };
    input_state input_ = input_state::unregistered;
    bool must_read_ = true; // read before waiting: bytes may have arrived before a wait could see them
    bool closing_ = false;  // on_readable() decided that the connection ends
    // serve() while it waits for input; on_readable() while it runs (see readable_step)
    std::coroutine_handle<> handle_{};

public:
    /// What a coroutine inside on_readable() waits for (socket_wait), if anything.
    enum class wait_kind : std::uint8_t { none, read, write };

private:
    wait_kind wait_kind_ = wait_kind::none;
    std::coroutine_handle<> waiter_{}; // the coroutine in a socket_wait
};

/// One worker's server state; touched only on that worker's thread (except where noted).
class worker_state {
public:
    worker_state(server::impl& srv, const executor& ex);

    server::impl& srv;
    executor ex;
    asio::steady_timer sweep_timer;
    list_node connections; // sentinel
    std::size_t connection_count = 0;
    std::atomic<std::size_t> open_connections{0}; // readable from other threads
    clock::time_point now = clock::now();         // coarse clock, refreshed by the sweeper
    clock::time_point drain_deadline{};
    bool stopping = false;
    bool forced = false;
    bool accepting = false;
    // Exchanges not in use, most recently released first (so the one reused next is warm in cache).
    exchange* pool = nullptr;
    std::size_t pool_size = 0;
    std::unique_ptr<char[]> scratch{new char[16 * 1024]};
    std::string canned;
    std::vector<header> fields; // serialization scratch

    // The io_context's readiness set (net/detail/edge_set.hpp): every connection's socket is in it,
    // edge-triggered, for input and output, and not in Asio's reactor. One wait through Asio per batch of
    // events, where a wait per socket through Asio would re-arm it with epoll_ctl every time.
    net::detail::edge_set& input_set;
    /// Makes sure the set's next events are dispatched. @throws std::system_error when it cannot be watched.
    void arm_input_set();
    ~worker_state();
    worker_state(const worker_state&) = delete;
    worker_state& operator=(const worker_state&) = delete;

    exchange* acquire_exchange();
    void release_exchange(exchange* x) noexcept;
    void begin_stop();
    void connection_closed() noexcept;
};

} // namespace corio::http::detail

namespace corio::http {

/// The server state shared by the workers (immutable after start(), except the atomics).
struct server::impl {
    impl(runtime& rt, router routes, server_options options);

    runtime& rt;
    router routes;
    server_options options;
    parser_options parser_opts;
    std::size_t input_capacity;
    std::chrono::milliseconds sweep_interval{1000};
    std::uint16_t port = 0;
    bool started = false;
    std::vector<std::unique_ptr<detail::worker_state>> workers;
    std::unique_ptr<net::listener> listener;
    asio::ip::tcp protocol = asio::ip::tcp::v4();

    /// The listener's connection handler: serves the socket on the accepting worker.
    void accept(int fd);
    std::atomic<bool> stop_requested{false};
    std::atomic<std::size_t> running_workers{0};
    std::mutex done_mutex;
    std::condition_variable done_cv;
};

} // namespace corio::http
