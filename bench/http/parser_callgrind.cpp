// A tiny driver for counting instructions per parsed request with callgrind:
//   valgrind --tool=callgrind ./parser_callgrind 1      (baseline)
//   valgrind --tool=callgrind ./parser_callgrind 100001
// (Ir difference) / 100000 = instructions per request. bench/http/callgrind.sh does exactly that.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "corio/http/parser.hpp"
#include "sample_requests.hpp"

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::atol(argv[1]) : 1;
    corio::http::request_parser p;
    const std::string_view input = corio_bench::browser_get;
    long completed = 0;
    std::size_t fields = 0;
    for (long i = 0; i < n; ++i) {
        auto r = p.parse(input);
        fields += p.request().headers.size();
        r = p.parse(input.substr(r.consumed));
        completed += r.event == corio::http::parse_event::message_complete;
    }
    std::printf("%ld requests, %zu fields\n", completed, fields);
    return completed == n ? 0 : 1;
}
