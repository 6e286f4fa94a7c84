// Parser and serializer microbenchmarks: requests/s and bytes/s for a typical browser GET, a pipelined
// batch of 16, and a chunked upload; allocations per request (must be 0 in steady state).
#include <benchmark/benchmark.h>

#include <string>

#include "../counting_new.hpp"
#include "corio/http/date_cache.hpp"
#include "corio/http/parser.hpp"
#include "corio/http/serializer.hpp"
#include "sample_requests.hpp"

namespace {

using namespace corio::http;

// Parses every request in `input` once; returns how many completed.
std::size_t parse_all(request_parser& p, std::string_view input) {
    std::size_t done = 0;
    for (;;) {
        const parse_result r = p.parse(input);
        input.remove_prefix(r.consumed);
        switch (r.event) {
        case parse_event::head:
            benchmark::DoNotOptimize(p.request().headers.data());
            break;
        case parse_event::body:
            benchmark::DoNotOptimize(r.body.data());
            break;
        case parse_event::message_complete:
            ++done;
            break;
        case parse_event::need_more:
            return done;
        case parse_event::error:
        case parse_event::closed:
            return done;
        }
    }
}

void run(benchmark::State& state, const std::string& input, std::size_t requests_per_input) {
    request_parser p;
    parse_all(p, input); // warm up: reserve capacity
    const long allocations_before = corio_bench::global_allocations();
    std::size_t completed = 0;
    for (auto _ : state) {
        completed += parse_all(p, input);
    }
    const long allocations = corio_bench::global_allocations() - allocations_before;
    if (completed != requests_per_input * static_cast<std::size_t>(state.iterations())) {
        state.SkipWithError("parse failed");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(completed));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
    state.counters["allocs/req"] =
        static_cast<double>(allocations) / static_cast<double>(completed ? completed : 1);
    state.counters["req_bytes"] = static_cast<double>(input.size() / requests_per_input);
}

void parse_browser_get(benchmark::State& state) {
    run(state, corio_bench::browser_get, 1);
}
BENCHMARK(parse_browser_get);

void parse_pipelined_16(benchmark::State& state) {
    std::string batch;
    for (int i = 0; i < 16; ++i) {
        batch += corio_bench::browser_get;
    }
    run(state, batch, 16);
}
BENCHMARK(parse_pipelined_16);

void parse_chunked_1k(benchmark::State& state) {
    run(state, corio_bench::chunked_upload(), 1);
}
BENCHMARK(parse_chunked_1k);

// The head arriving in two reads (split in the middle of a field value): the resumable scanner's cost.
void parse_browser_get_in_two_reads(benchmark::State& state) {
    const std::string& input = corio_bench::browser_get;
    const std::size_t half = input.size() / 2;
    request_parser p;
    std::size_t completed = 0;
    for (auto _ : state) {
        parse_result r = p.parse(std::string_view(input).substr(0, half));
        benchmark::DoNotOptimize(r);
        r = p.parse(input);
        r = p.parse(std::string_view(input).substr(r.consumed));
        completed += r.event == parse_event::message_complete;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(completed));
}
BENCHMARK(parse_browser_get_in_two_reads);

// Serializing the TechEmpower plaintext response into a reused buffer.
void write_plaintext_response(benchmark::State& state) {
    std::string out;
    out.reserve(4096);
    const header fields[] = {{"Content-Type", "text/plain"}};
    date_cache& dates = thread_date_cache();
    const long allocations_before = corio_bench::global_allocations();
    for (auto _ : state) {
        out.clear();
        write_response(out, {status::ok, fields}, dates.now(), "Hello, World!");
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["allocs/resp"] =
        static_cast<double>(corio_bench::global_allocations() - allocations_before) /
        static_cast<double>(state.iterations());
    state.counters["resp_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(write_plaintext_response);

} // namespace

BENCHMARK_MAIN();
