#include "load_http.hpp"

#include <asio/ip/tcp.hpp>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "corio/net/stream.hpp"
#include "corio/runtime/runtime.hpp"
#include "corio/runtime/sleep.hpp"
#include "corio/runtime/spawn.hpp"
#include "corio/runtime/this_executor.hpp"
#include "corio/runtime/use_task.hpp"
#include "load_http_response.hpp"

namespace corio::cli {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::size_t initial_buffer = 16 * 1024;
/// After the duration, a response still in flight is waited for this long, then dropped (not an error).
constexpr std::chrono::milliseconds end_grace{2000};

/// One worker thread's counters: written by that thread only, read by the progress reporter.
struct alignas(64) thread_stats {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> connected{0};
    std::atomic<std::uint64_t> reconnects{0};
    std::atomic<std::uint64_t> connect_errors{0};
    std::atomic<std::uint64_t> write_errors{0};
    std::atomic<std::uint64_t> read_errors{0};
    std::atomic<std::uint64_t> timeout_errors{0};
    std::atomic<std::uint64_t> status_errors{0};
    std::atomic<std::uint64_t> parse_errors{0};
    net::latency_histogram latency; // read only after the run

    static void bump(std::atomic<std::uint64_t>& c, std::uint64_t by = 1) noexcept {
        c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
};

struct run_state {
    http_load_options options;
    asio::ip::tcp::endpoint endpoint;
    std::string batch; // `pipeline` requests, read-only while the run lasts
    bool head_request = false;
    clock::time_point end{};
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> finished{0};
    std::mutex mutex; // first_error, and the finish notification
    std::condition_variable changed;
    std::string first_error;

    void report(std::atomic<std::uint64_t>& counter, const std::string& what) {
        thread_stats::bump(counter);
        std::lock_guard lock(mutex);
        if (first_error.empty()) {
            first_error = what;
        }
    }
};

/// The read timeout for now: the configured one, shortened at the end of the run.
std::chrono::nanoseconds read_timeout(const run_state& st, clock::time_point now) {
    const clock::time_point give_up = st.end + end_grace;
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(give_up - now);
    const auto configured = std::chrono::nanoseconds(st.options.io_timeout);
    if (left <= std::chrono::nanoseconds::zero()) {
        return std::chrono::nanoseconds(1);
    }
    return left < configured ? left : configured;
}

enum class outcome : std::uint8_t { keep, reconnect, finish };

/// One keep-alive connection's life: rounds of `pipeline` requests until the run ends or the connection
/// breaks.
task<outcome> serve_connection(run_state* st, thread_stats* stats, asio::ip::tcp::socket& socket,
                               std::vector<char>& in, response_parser& parser) {
    net::stream_view s(socket);
    const std::size_t depth = st->options.pipeline;
    const std::string_view batch = st->batch;
    std::size_t begin = 0;
    std::size_t end = 0;
    parser.reset();
    parser.expect_head_response(st->head_request);
    while (!st->stop.load(std::memory_order_relaxed)) {
        const clock::time_point sent_at = clock::now();
        std::error_code ec;
        const std::size_t sent = s.try_write(std::span<const char>(batch.data(), batch.size()), ec);
        if (sent != batch.size()) {
            if (ec && ec != asio::error::would_block) {
                st->report(stats->write_errors, "write: " + ec.message());
                co_return outcome::reconnect;
            }
            const net::io_result rest = co_await s.write_all_ec(
                std::span<const char>(batch.data() + sent, batch.size() - sent), st->options.io_timeout);
            if (rest.error) {
                st->report(stats->write_errors, "write: " + rest.error.message());
                co_return outcome::reconnect;
            }
        }
        std::size_t answered = 0;
        while (answered < depth) {
            const response_parse_result r = parser.parse({in.data() + begin, end - begin});
            begin += r.consumed;
            if (r.event == response_event::complete) {
                ++answered;
                const auto took =
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - sent_at);
                stats->latency.record(static_cast<std::uint64_t>(took.count()));
                thread_stats::bump(stats->requests);
                if (parser.status() < 200 || parser.status() > 299) {
                    st->report(stats->status_errors, "status " + std::to_string(parser.status()));
                }
                if (!parser.keep_alive()) {
                    if (answered < depth || begin != end) {
                        st->report(stats->read_errors,
                                   "the server closed the connection with requests unanswered");
                    }
                    co_return outcome::reconnect;
                }
                continue;
            }
            if (r.event == response_event::error) {
                st->report(stats->parse_errors, "invalid response: " + std::string(parser.error()));
                co_return outcome::reconnect;
            }
            // need_more: make room, then read.
            if (begin == end) {
                begin = end = 0;
            } else if (in.size() - end < 4096 && begin > 0) {
                std::memmove(in.data(), in.data() + begin, end - begin);
                end -= begin;
                begin = 0;
            }
            if (end == in.size()) {
                in.resize(in.size() * 2); // a head larger than the buffer (the parser bounds it)
            }
            const clock::time_point now = clock::now();
            const net::io_result got = co_await s.async_read_some(
                std::span<char>(in.data() + end, in.size() - end), read_timeout(*st, now));
            if (got.error) {
                if (got.error == asio::error::eof) {
                    const response_event last = parser.finish(end - begin);
                    if (last == response_event::complete) {
                        ++answered;
                        thread_stats::bump(stats->requests);
                        if (parser.status() < 200 || parser.status() > 299) {
                            st->report(stats->status_errors, "status " + std::to_string(parser.status()));
                        }
                    } else if (last == response_event::error) {
                        st->report(stats->parse_errors, "invalid response: " + std::string(parser.error()));
                        co_return outcome::reconnect;
                    }
                    if (answered < depth) {
                        st->report(stats->read_errors,
                                   "the server closed the connection with requests unanswered");
                    }
                    co_return outcome::reconnect;
                }
                if (got.error == std::errc::timed_out) {
                    if (st->stop.load(std::memory_order_relaxed) && clock::now() >= st->end) {
                        co_return outcome::finish; // the run is over; what is still in flight is dropped
                    }
                    st->report(stats->timeout_errors, "timeout waiting for a response");
                    co_return outcome::reconnect;
                }
                st->report(stats->read_errors, "read: " + got.error.message());
                co_return outcome::reconnect;
            }
            end += got.bytes;
            thread_stats::bump(stats->bytes, got.bytes);
        }
    }
    co_return outcome::finish;
}

task<void> one_connection(run_state* st, thread_stats* stats) {
    const executor ex = co_await this_executor;
    std::vector<char> in(initial_buffer);
    response_parser parser;
    bool ever_connected = false;
    auto backoff = std::chrono::milliseconds(10);
    while (!st->stop.load(std::memory_order_relaxed)) {
        asio::ip::tcp::socket socket{asio::any_io_executor(ex)};
        const std::error_code connect_error = co_await socket.async_connect(st->endpoint, use_task_ec);
        if (connect_error) {
            st->report(stats->connect_errors, "connect: " + connect_error.message());
            const auto left = st->end - clock::now();
            if (left <= clock::duration::zero()) {
                break;
            }
            co_await sleep_for(std::min<clock::duration>(backoff, left));
            backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
            continue;
        }
        backoff = std::chrono::milliseconds(10);
        std::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        thread_stats::bump(ever_connected ? stats->reconnects : stats->connected);
        ever_connected = true;
        const outcome next = co_await serve_connection(st, stats, socket, in, parser);
        socket.close(ignored);
        if (next == outcome::finish) {
            break;
        }
    }
    st->finished.fetch_add(1);
    std::lock_guard lock(st->mutex);
    st->changed.notify_all();
}

http_load_counters sum(const std::vector<std::unique_ptr<thread_stats>>& stats) {
    http_load_counters c;
    for (const auto& s : stats) {
        c.requests += s->requests.load(std::memory_order_relaxed);
        c.bytes += s->bytes.load(std::memory_order_relaxed);
        c.connected += s->connected.load(std::memory_order_relaxed);
        c.reconnects += s->reconnects.load(std::memory_order_relaxed);
        c.connect_errors += s->connect_errors.load(std::memory_order_relaxed);
        c.write_errors += s->write_errors.load(std::memory_order_relaxed);
        c.read_errors += s->read_errors.load(std::memory_order_relaxed);
        c.timeout_errors += s->timeout_errors.load(std::memory_order_relaxed);
        c.status_errors += s->status_errors.load(std::memory_order_relaxed);
        c.parse_errors += s->parse_errors.load(std::memory_order_relaxed);
    }
    return c;
}

} // namespace

std::string parse_http_url(std::string_view url, http_load_options& o) {
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) {
        return "only http:// URLs are supported";
    }
    url.remove_prefix(scheme.size());
    const std::size_t slash = url.find('/');
    const std::string_view authority = url.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
    if (authority.empty()) {
        return "the URL has no host";
    }
    for (const char c : path) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            return "the URL path holds a space or a non-ASCII byte (percent-encode it)";
        }
    }
    std::string_view host = authority;
    std::uint16_t port = 80;
    if (authority.front() == '[') { // [IPv6]:port
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return "unterminated IPv6 address in the URL";
        }
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return "invalid authority in the URL";
            }
            const std::string digits(after.substr(1));
            const unsigned long p =
                digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos
                    ? 0
                    : std::stoul(digits);
            if (p == 0 || p > 65535) {
                return "invalid port in the URL";
            }
            port = static_cast<std::uint16_t>(p);
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        const std::string digits(authority.substr(colon + 1));
        const unsigned long p =
            digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos
                ? 0
                : std::stoul(digits);
        if (p == 0 || p > 65535) {
            return "invalid port in the URL";
        }
        port = static_cast<std::uint16_t>(p);
    }
    if (host.empty()) {
        return "the URL has no host";
    }
    o.host = std::string(host);
    o.port = port;
    o.path = std::string(path);
    o.host_header = std::string(authority);
    return {};
}

std::string build_request_batch(const http_load_options& o) {
    std::string one = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host_header + "\r\n";
    if (o.body_size > 0) {
        one += "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(o.body_size) +
               "\r\n";
    }
    one += "\r\n";
    one.append(o.body_size, 'x');
    std::string batch;
    const std::size_t depth = o.pipeline == 0 ? 1 : o.pipeline;
    batch.reserve(one.size() * depth);
    for (std::size_t i = 0; i < depth; ++i) {
        batch += one;
    }
    return batch;
}

http_load_result run_http_load(const http_load_options& options,
                               const std::function<void(const http_load_counters&, double)>& progress) {
    run_state st;
    st.options = options;
    st.options.threads = options.threads == 0 ? 1 : options.threads;
    st.options.pipeline = options.pipeline == 0 ? 1 : options.pipeline;
    st.batch = build_request_batch(st.options);
    st.head_request = options.method == "HEAD";
    {
        asio::io_context io;
        asio::ip::tcp::resolver resolver(io);
        st.endpoint = *resolver.resolve(options.host, std::to_string(options.port)).begin();
    }
    const std::size_t threads = st.options.threads;
    std::vector<std::unique_ptr<thread_stats>> stats;
    for (std::size_t i = 0; i < threads; ++i) {
        stats.push_back(std::make_unique<thread_stats>());
    }
    const std::size_t total = options.connections;
    http_load_result result;
    {
        runtime rt(threads);
        const clock::time_point start = clock::now();
        st.end = start + options.duration;
        for (std::size_t i = 0; i < total; ++i) {
            spawn(rt.get_executor(i % threads), one_connection(&st, stats[i % threads].get()));
        }
        clock::time_point next_report = start + std::chrono::seconds(1);
        {
            std::unique_lock lock(st.mutex);
            while (st.finished.load() < total) {
                const clock::time_point now = clock::now();
                if (!st.stop.load() && now >= st.end) {
                    st.stop.store(true);
                }
                if (progress && now >= next_report) {
                    lock.unlock();
                    progress(sum(stats), std::chrono::duration<double>(now - start).count());
                    lock.lock();
                    next_report += std::chrono::seconds(1);
                }
                const clock::time_point wake = st.stop.load() ? next_report : std::min(st.end, next_report);
                st.changed.wait_until(lock, wake);
            }
        }
        result.seconds = std::chrono::duration<double>(clock::now() - start).count();
    }
    result.totals = sum(stats);
    for (const auto& s : stats) {
        result.latency.merge(s->latency);
    }
    result.first_error = st.first_error;
    return result;
}

} // namespace corio::cli
