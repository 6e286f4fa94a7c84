// Fuzz target: the sans-I/O request parser.
//
// The payload is one connection's bytes (pipelined requests). It is parsed whole and again split at the
// fuzzer-chosen piece sizes (or byte by byte); both runs must report the same events, verdict, status,
// parsed fields, bodies and trailers, and every parse() call must keep the contract checked in
// parse_run.hpp (consumed within the input, views inside the buffer, limits honoured, progress).
//
// Flags (see fuzz_support.hpp): 0 small limits, 1 Host not required, 2 byte-at-a-time split,
// 3 the split run uses a parser reset() after parsing the payload once.

#include <cstddef>
#include <cstdint>

#include "corio/http/parser.hpp"
#include "fuzz_support.hpp"
#include "parse_run.hpp"

namespace {

corio::http::parser_options options_for(const corio::fuzz::split_plan& plan) {
    corio::http::parser_options o;
    if (plan.flag(0)) {
        o.limits.max_request_line = 64;
        o.limits.max_header_bytes = 128;
        o.limits.max_header_count = 4;
        o.limits.max_body_size = 32;
        o.limits.max_chunk_line = 16;
    }
    o.require_host = !plan.flag(1);
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace corio::fuzz;
    const split_plan plan = read_plan(data, size);
    const corio::http::parser_options options = options_for(plan);
    const run_record whole = run_parser(plan.payload, {}, options);
    const run_record split =
        run_parser(plan.payload, plan.flag(2) ? bytewise(plan.payload.size()) : plan.pieces, options,
                   plan.flag(3) ? plan.payload : std::string_view{});
    CORIO_FUZZ_CHECK(whole.events == split.events);
    CORIO_FUZZ_CHECK(whole.end == split.end);
    CORIO_FUZZ_CHECK(whole.status == split.status);
    CORIO_FUZZ_CHECK(whole.reason == split.reason);
    CORIO_FUZZ_CHECK(whole.messages == split.messages);
    CORIO_FUZZ_CHECK(whole == split);
    // Everything is consumed unless the parser stopped or holds an incomplete head/line.
    CORIO_FUZZ_CHECK(whole.consumed <= plan.payload.size());
    return 0;
}
