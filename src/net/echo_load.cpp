#include "corio/net/echo_load.hpp"

#include <asio/ip/tcp.hpp>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "corio/net/stream.hpp"
#include "corio/runtime/runtime.hpp"
#include "corio/runtime/task_group.hpp"

namespace corio::net {

namespace {

using clock = std::chrono::steady_clock;

/// One worker thread's counters: written by that thread only, read by the progress reporter.
struct alignas(64) thread_stats {
    std::atomic<std::uint64_t> round_trips{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> connected{0};
    latency_histogram latency; // read only after the worker finished

    static void bump(std::atomic<std::uint64_t>& c, std::uint64_t by = 1) noexcept {
        c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
};

struct run_state {
    echo_load_options options;
    asio::ip::tcp::endpoint endpoint;
    std::atomic<bool> stop{false};
    std::mutex error_mutex;
    std::string first_error;

    void report_error(thread_stats& stats, const std::string& what) {
        thread_stats::bump(stats.errors);
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) {
            first_error = what;
        }
    }
};

void fill(std::vector<char>& v, std::size_t connection, std::uint64_t round) {
    // Cheap to produce, different for every connection and round trip.
    auto x = static_cast<std::uint32_t>(connection * 2654435761u + round * 40503u + 1);
    for (char& c : v) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
}

task<void> one_connection(run_state* st, thread_stats* stats, std::size_t index) {
    const executor ex = co_await this_executor;
    asio::ip::tcp::socket socket{asio::any_io_executor(ex)};
    const std::error_code connect_error = co_await socket.async_connect(st->endpoint, use_task_ec);
    if (connect_error) {
        st->report_error(*stats, "connect: " + connect_error.message());
        co_return;
    }
    std::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    thread_stats::bump(stats->connected);
    stream_view s(socket);
    const std::size_t size = st->options.message_size;
    const std::chrono::milliseconds timeout = st->options.io_timeout;
    std::vector<char> out(size);
    // One byte more than expected: the read then never fills the buffer, so Asio does not try a speculative
    // read that would find nothing (and an echo that sends too much shows as a mismatch).
    std::vector<char> in(size + 1);
    for (std::uint64_t round = 0; !st->stop.load(std::memory_order_relaxed); ++round) {
        fill(out, index, round);
        const clock::time_point start = clock::now();
        std::error_code ec;
        const std::size_t sent = s.try_write(out, ec);
        if (sent != size) {
            if (ec && ec != asio::error::would_block) {
                st->report_error(*stats, "send: " + ec.message());
                co_return;
            }
            io_result rest = co_await s.write_all_ec(std::span<const char>(out).subspan(sent), timeout);
            if (rest.error) {
                st->report_error(*stats, "send: " + rest.error.message());
                co_return;
            }
        }
        std::size_t got = 0;
        while (got < size) {
            io_result r = co_await s.async_read_some(std::span<char>(in).subspan(got), timeout);
            if (r.error) {
                st->report_error(*stats, r.error == asio::error::eof
                                             ? std::string("the server closed the connection")
                                             : "receive: " + r.error.message());
                co_return;
            }
            got += r.bytes;
        }
        if (got != size || std::memcmp(in.data(), out.data(), size) != 0) {
            st->report_error(*stats, "the echo differs from what was sent");
            co_return;
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start);
        stats->latency.record(static_cast<std::uint64_t>(elapsed.count()));
        thread_stats::bump(stats->round_trips);
        thread_stats::bump(stats->bytes, size);
    }
    s.close();
}

struct completion_counter {
    std::atomic<std::size_t> finished{0};
    std::mutex mutex;
    std::condition_variable changed;
};

task<void> worker_main(run_state* st, thread_stats* stats, std::size_t first, std::size_t count,
                       completion_counter* completion) {
    task_group group;
    for (std::size_t i = 0; i < count; ++i) {
        group.spawn(one_connection(st, stats, first + i));
    }
    co_await group.join();
    completion->finished.fetch_add(1);
    std::lock_guard lock(completion->mutex);
    completion->changed.notify_all();
}

load_counters sum(const std::vector<std::unique_ptr<thread_stats>>& stats) {
    load_counters c;
    for (const auto& s : stats) {
        c.round_trips += s->round_trips.load(std::memory_order_relaxed);
        c.bytes += s->bytes.load(std::memory_order_relaxed);
        c.errors += s->errors.load(std::memory_order_relaxed);
        c.connected += s->connected.load(std::memory_order_relaxed);
    }
    return c;
}

} // namespace

load_result run_echo_load(const echo_load_options& options,
                          const std::function<void(const load_counters&, double)>& progress) {
    run_state st;
    st.options = options;
    st.options.threads = options.threads == 0 ? 1 : options.threads;
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
    completion_counter completion;
    std::atomic<std::size_t>& finished = completion.finished;
    std::mutex& done_mutex = completion.mutex;
    std::condition_variable& done = completion.changed;

    runtime rt(threads);
    const clock::time_point start = clock::now();
    std::size_t first = 0;
    for (std::size_t i = 0; i < threads; ++i) {
        const std::size_t count = options.connections / threads + (i < options.connections % threads ? 1 : 0);
        spawn(rt.get_executor(i), worker_main(&st, stats[i].get(), first, count, &completion));
        first += count;
    }
    const clock::time_point end = start + options.duration;
    clock::time_point next_report = start + std::chrono::seconds(1);
    {
        std::unique_lock lock(done_mutex);
        while (finished.load() < threads) {
            const clock::time_point now = clock::now();
            if (!st.stop.load() && now >= end) {
                st.stop.store(true);
            }
            if (progress && now >= next_report) {
                progress(sum(stats), std::chrono::duration<double>(now - start).count());
                next_report += std::chrono::seconds(1);
            }
            const clock::time_point wake = st.stop.load() ? next_report : std::min(end, next_report);
            done.wait_until(lock, wake);
        }
    }
    load_result result;
    result.seconds = std::chrono::duration<double>(clock::now() - start).count();
    result.totals = sum(stats);
    for (const auto& s : stats) {
        result.latency.merge(s->latency);
    }
    result.first_error = st.first_error;
    return result;
}

} // namespace corio::net
