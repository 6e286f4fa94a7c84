// Fuzz target: the response serializer.
//
// The input describes up to four responses (status, mode, Connection, fields, body or chunks, trailers),
// written one after the other into one buffer as a server does for pipelined requests. Each write must
// throw std::invalid_argument exactly when a field name is not a token or a value holds a byte a field
// value may not hold (CR, LF, NUL, other CTLs: response splitting); the caller then drops what was
// appended, as the server does. The buffer is read back by an independent response reader
// (reference_http.hpp): every response must come out with the status, fields, body and trailers that
// went in, and the responses must end exactly where the buffer ends (no injected lines or messages).

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "corio/http/serializer.hpp"
#include "fuzz_support.hpp"
#include "reference_http.hpp"

namespace {

namespace http = corio::http;
namespace ref = corio::fuzz::reference;

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

enum class mode : std::uint8_t { full, head_request, head_only, chunked, interim_continue };

struct expected_response {
    bool no_body = false; // read without a body (HEAD, or head_only)
    unsigned code = 0;
    std::string reason;
    ref::field_list fields;
    std::string body;
    ref::field_list trailers;
};

bool valid_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (const char c : name) {
        if (!ref::is_tchar(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

bool valid_value(std::string_view value) {
    for (const char c : value) {
        if (!ref::is_field_byte(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// The serializer adds these itself; callers must not pass them (a documented precondition).
bool reserved(std::string_view name) {
    for (const std::string_view r : {"content-length", "transfer-encoding", "server", "date", "connection"}) {
        if (ref::iequal(name, r)) {
            return true;
        }
    }
    return false;
}

// Up to `max` fields from the input; `valid` becomes false if any would be rejected.
std::vector<http::header> read_fields(corio::fuzz::byte_reader& in, std::size_t max, bool& valid) {
    std::vector<http::header> fields;
    const std::size_t n = in.u8() % (max + 1);
    for (std::size_t i = 0; i < n; ++i) {
        const std::string_view name = in.string(24);
        const std::string_view value = in.string(48);
        if (reserved(name)) {
            continue;
        }
        valid = valid && valid_name(name) && valid_value(value);
        fields.push_back({name, value});
    }
    return fields;
}

ref::field_list expected_fields(std::span<const http::header> fields) {
    ref::field_list out;
    for (const http::header& h : fields) {
        out.emplace_back(std::string(h.name), std::string(ref::trim(h.value)));
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    corio::fuzz::byte_reader in(data, size);
    std::string out = "prefix kept intact";
    const std::string prefix = out;
    std::vector<expected_response> expected;
    const std::size_t count = 1 + in.u8() % 4;
    for (std::size_t r = 0; r < count && !in.empty(); ++r) {
        const auto code = static_cast<unsigned>(100 + in.u16() % 900);
        const auto status = static_cast<http::status>(code);
        const auto m = static_cast<mode>(in.u8() % 5);
        const auto connection = static_cast<http::connection_header>(in.u8() % 3);
        bool valid = true;
        const std::vector<http::header> fields = read_fields(in, 6, valid);
        const std::string_view body = in.string(64);
        const http::response_head head{status, fields, connection};
        const bool forbids_body = code < 200 || code == 204 || code == 304;

        expected_response e;
        e.code = code;
        e.reason = std::string(http::reason_phrase(status));
        e.fields = {{"Server", "corio"}, {"Date", std::string(date)}};
        for (auto& f : expected_fields(fields)) {
            e.fields.push_back(std::move(f));
        }
        const std::size_t mark = out.size();
        bool threw = false;
        try {
            switch (m) {
            case mode::full:
            case mode::head_request:
                http::write_response(out, head, date, body, m == mode::head_request);
                e.no_body = m == mode::head_request;
                if (!forbids_body) {
                    e.fields.emplace_back("Content-Length", std::to_string(body.size()));
                    e.body = e.no_body ? std::string() : std::string(body);
                }
                break;
            case mode::head_only: {
                const std::uint32_t length = in.u32();
                http::write_head(out, head, date, length);
                e.no_body = true;
                if (!forbids_body) {
                    e.fields.emplace_back("Content-Length", std::to_string(length));
                }
                break;
            }
            case mode::chunked: {
                http::write_chunked_head(out, head, date);
                if (!forbids_body) {
                    e.fields.emplace_back("Transfer-Encoding", "chunked");
                }
                if (connection != http::connection_header::none) {
                    // Connection comes after the framing field; add it here to keep the order.
                    e.fields.emplace_back(
                        "Connection", connection == http::connection_header::close ? "close" : "keep-alive");
                }
                if (forbids_body) {
                    break; // no content: the caller writes no chunks
                }
                const std::size_t chunks = in.u8() % 4;
                for (std::size_t i = 0; i < chunks; ++i) {
                    const std::string_view chunk = in.string(40);
                    http::write_chunk(out, chunk);
                    e.body.append(chunk);
                }
                bool trailers_valid = true;
                const std::vector<http::header> trailers = read_fields(in, 3, trailers_valid);
                e.trailers = expected_fields(trailers);
                try {
                    http::write_last_chunk(out, trailers);
                } catch (const std::invalid_argument&) {
                    CORIO_FUZZ_CHECK(!trailers_valid);
                    // Drop the whole response, as a server would before answering 500.
                    threw = true;
                    out.resize(mark);
                    break;
                }
                CORIO_FUZZ_CHECK(trailers_valid);
                break;
            }
            case mode::interim_continue:
                http::write_continue(out);
                e = {};
                e.code = 100;
                e.reason = "Continue";
                valid = true; // takes no fields
                break;
            }
        } catch (const std::invalid_argument&) {
            CORIO_FUZZ_CHECK(!valid);
            threw = true;
            out.resize(mark);
        }
        if (m != mode::interim_continue) {
            CORIO_FUZZ_CHECK(threw || valid);
        }
        if (threw) {
            continue;
        }
        if (m != mode::chunked && m != mode::interim_continue &&
            connection != http::connection_header::none) {
            e.fields.emplace_back("Connection",
                                  connection == http::connection_header::close ? "close" : "keep-alive");
        }
        expected.push_back(std::move(e));
    }

    CORIO_FUZZ_CHECK(out.substr(0, prefix.size()) == prefix);
    std::string_view rest = std::string_view(out).substr(prefix.size());
    for (const expected_response& e : expected) {
        ref::response got;
        std::size_t consumed = 0;
        CORIO_FUZZ_CHECK(ref::read_response(rest, e.no_body, got, consumed));
        CORIO_FUZZ_CHECK(got.code == e.code);
        CORIO_FUZZ_CHECK(got.reason == e.reason);
        CORIO_FUZZ_CHECK(got.fields == e.fields);
        CORIO_FUZZ_CHECK(got.body == e.body);
        CORIO_FUZZ_CHECK(got.trailers == e.trailers);
        rest.remove_prefix(consumed);
    }
    CORIO_FUZZ_CHECK(rest.empty());
    return 0;
}
