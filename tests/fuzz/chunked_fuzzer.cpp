// Fuzz target: chunked request bodies (RFC 9112 §7.1), extensions and trailers included.
//
// The payload follows a fixed, valid request head announcing "Transfer-Encoding: chunked". The stream is
// parsed whole and split (as in parser_fuzzer), and the first message is compared with an independent
// reference decoding of the payload (reference_http.hpp): same verdict (complete, incomplete, 400, 413,
// 431), same decoded body, same trailers, same length; limits honoured.
//
// Flags (see fuzz_support.hpp): 0 body limit 64 bytes, 1 chunk-line limit 16 bytes, 2 byte-at-a-time
// split, 3 at most 2 trailer fields.

#include <cstddef>
#include <cstdint>
#include <string>

#include "corio/http/parser.hpp"
#include "fuzz_support.hpp"
#include "parse_run.hpp"
#include "reference_http.hpp"

namespace {

constexpr std::string_view head = "POST /upload HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace corio::fuzz;
    namespace ref = corio::fuzz::reference;
    const split_plan plan = read_plan(data, size);

    corio::http::parser_options options;
    options.limits.max_header_bytes = std::size_t{1} << 20; // out of reach: trailers are judged by count
    options.limits.max_body_size = plan.flag(0) ? 64 : 1024 * 1024;
    options.limits.max_chunk_line = plan.flag(1) ? 16 : 1024;
    options.limits.max_header_count = plan.flag(3) ? 2 : 100;
    const ref::chunked_limits limits{options.limits.max_body_size, options.limits.max_chunk_line,
                                     options.limits.max_header_count};

    std::string stream(head);
    stream.append(plan.payload);
    const run_record whole = run_parser(stream, {}, options);
    const run_record split =
        run_parser(stream, plan.flag(2) ? bytewise(stream.size()) : plan.pieces, options);
    CORIO_FUZZ_CHECK(whole == split);

    const ref::chunked_result expected = ref::decode_chunked(plan.payload, limits);
    if (!whole.messages.empty()) {
        const message_record& m = whole.messages.front();
        CORIO_FUZZ_CHECK(m.framing == corio::http::body_framing::chunked);
        CORIO_FUZZ_CHECK(m.head_end == head.size());
        CORIO_FUZZ_CHECK(expected.result == ref::verdict::ok);
        CORIO_FUZZ_CHECK(m.body == expected.body);
        CORIO_FUZZ_CHECK(m.trailers == expected.trailers);
        CORIO_FUZZ_CHECK(m.message_end - m.head_end == expected.consumed);
        return 0;
    }
    CORIO_FUZZ_CHECK(whole.head_pending);
    CORIO_FUZZ_CHECK(whole.pending.body == expected.body);
    switch (whole.end) {
    case run_end::need_more:
        CORIO_FUZZ_CHECK(expected.result == ref::verdict::incomplete);
        break;
    case run_end::error:
        CORIO_FUZZ_CHECK(whole.status != 400 || expected.result == ref::verdict::invalid);
        CORIO_FUZZ_CHECK(whole.status != 413 || expected.result == ref::verdict::too_large);
        CORIO_FUZZ_CHECK(whole.status != 431 || expected.result == ref::verdict::too_many_fields);
        CORIO_FUZZ_CHECK(whole.status == 400 || whole.status == 413 || whole.status == 431);
        break;
    case run_end::closed:
        CORIO_FUZZ_CHECK(false); // the head keeps the connection alive
        break;
    }
    return 0;
}
