// Runs every request vector in ../shared/http-vectors (llhttp and http-parser test data, see its README)
// through corio's parser: whole, byte at a time and split at every position, and compares verdict and
// parsed fields. The data is read at run time; nothing of it is copied into this repository.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "parse_harness.hpp"

#ifndef CORIO_HTTP_VECTORS_DIR
#error "CORIO_HTTP_VECTORS_DIR must name the http-vectors directory"
#endif

namespace {

using namespace corio::http;
using namespace corio::http::test;

struct vector_message {
    std::string method;
    std::string url;
    int major = 0;
    int minor = 0;
    bool chunked = false;
    std::optional<bool> keep_alive;
    field_list headers; // trailers included, after the headers, as the vectors list them
    std::string body;
};

struct vector_case {
    std::string id;
    std::string title;
    std::string raw;
    std::string verdict;
    std::string reason;
    std::vector<vector_message> messages;
    std::optional<std::string> upgrade;
};

std::string unhex(const std::string& hex) {
    if (hex == "-") {
        return {};
    }
    if (hex.size() % 2 != 0) {
        throw std::runtime_error("odd hex string: " + hex);
    }
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::vector<vector_case> read_vectors(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw std::runtime_error("cannot open " + file.string());
    }
    std::vector<vector_case> cases;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string keyword;
        fields >> keyword;
        if (keyword == "case") {
            cases.emplace_back();
            fields >> cases.back().id;
            std::getline(fields, cases.back().title);
            continue;
        }
        if (cases.empty()) {
            continue;
        }
        vector_case& c = cases.back();
        std::string a, b, v;
        if (keyword == "raw") {
            fields >> a;
            c.raw = unhex(a);
        } else if (keyword == "verdict") {
            fields >> c.verdict;
        } else if (keyword == "reason") {
            std::getline(fields, c.reason);
            if (!c.reason.empty() && c.reason.front() == ' ') {
                c.reason.erase(0, 1);
            }
        } else if (keyword == "message") {
            fields >> a >> b >> v;
            vector_message m;
            m.method = a;
            m.url = unhex(b);
            m.major = std::stoi(v.substr(0, v.find('.')));
            m.minor = std::stoi(v.substr(v.find('.') + 1));
            c.messages.push_back(m);
        } else if (keyword == "chunked" && !c.messages.empty()) {
            c.messages.back().chunked = true;
        } else if (keyword == "keep_alive" && !c.messages.empty()) {
            fields >> a;
            c.messages.back().keep_alive = a == "1";
        } else if (keyword == "header" && !c.messages.empty()) {
            fields >> a >> b;
            c.messages.back().headers.emplace_back(unhex(a), unhex(b));
        } else if (keyword == "body" && !c.messages.empty()) {
            fields >> a;
            c.messages.back().body = unhex(a);
        } else if (keyword == "upgrade") {
            fields >> a;
            c.upgrade = unhex(a);
        }
    }
    return cases;
}

// Where corio deliberately differs from the vector's verdict. Every other case must match exactly.
struct deviation {
    const char* id;
    verdict result;          // what corio does
    unsigned status;         // for result == error
    bool compare_messages;   // the vector's completed messages must still equal corio's
    bool trim_ows;           // compare header values with trailing SP/HTAB removed (RFC 9110 §5.5)
    bool keep_alive_differs; // corio says keep_alive = false (it closes after an upgrade request)
    const char* why;
};

constexpr const char* rfc_close =
    "RFC 9112 §9.6: after a message that closes the connection the server reads no further request; corio "
    "stops parsing and the server answers and closes (llhttp reports the next bytes as an error)";
constexpr const char* rfc_ows =
    "RFC 9110 §5.5: trailing whitespace is not part of a field value; corio trims it";
constexpr const char* rfc_method = "RFC 9110 §9.1: any token is a method; corio parses it and the server "
                                   "answers 501 if it does not implement it";
constexpr const char* rfc_version =
    "RFC 9112 §2.3: HTTP-version is \"HTTP/\" DIGIT \".\" DIGIT; RTSP/ICE are other protocols: 400";
constexpr const char* rfc_obs_fold =
    "RFC 9112 §5.2: a server MUST reject obs-fold with 400 or replace it; corio rejects";
constexpr const char* rfc_bare_lf = "RFC 9112 §2.2: a recipient MAY accept a bare LF; corio does not "
                                    "(line-ending disagreements enable smuggling)";
constexpr const char* rfc_coding = "RFC 9112 §6.1: a server that does not understand a transfer coding "
                                   "SHOULD answer 501; corio decodes only "
                                   "chunked";
constexpr const char* rfc_upgrade = "RFC 9110 §7.8: a server MAY ignore Upgrade; corio answers normally and "
                                    "closes, since the client may already "
                                    "send the other protocol";

const deviation deviations[] = {
    {"test/request/connection.md:81", verdict::closed, 0, true, false, false, rfc_close},
    {"test/request/connection.md:264", verdict::ok, 0, true, true, false, rfc_ows},
    {"test/request/connection.md:292", verdict::closed, 0, true, false, false, rfc_close},
    {"test/request/connection.md:342", verdict::closed, 0, true, true, false, rfc_close},
    {"test/request/invalid.md:66", verdict::ok, 0, false, false, false, rfc_method},
    {"test/request/invalid.md:356", verdict::ok, 0, false, false, false, rfc_method},
    {"test/request/invalid.md:490", verdict::incomplete, 0, true, false, false,
     "corio judges the request line when its CRLF arrives (with it: 505, RFC 9110 §15.6.6); \"GET / "
     "HTTP/5.6\" without CRLF is incomplete"},
    {"test/request/method.md:372", verdict::error, 400, false, false, false, rfc_version},
    {"test/request/method.md:400", verdict::error, 400, false, false, false, rfc_version},
    {"test/request/method.md:430", verdict::error, 400, false, false, false, rfc_version},
    {"test/request/method.md:458", verdict::error, 400, false, false, false,
     "\"PRI * HTTP/1.1\" is an ordinary request with method PRI (the HTTP/2 preface says HTTP/2.0, which "
     "gets "
     "505); the following \"SM\" line is not a request line: 400"},
    {"test/request/sample.md:314", verdict::error, 505, false, false, false,
     "RFC 9112 §2.3/§9.3: HTTP/0.9 requests are not supported: 505"},
    {"test/request/transfer-encoding.md:751", verdict::error, 501, false, false, false, rfc_coding},
    {"test/request/transfer-encoding.md:793", verdict::error, 501, false, false, false, rfc_coding},
    {"test.c:507", verdict::closed, 0, true, false, true, rfc_upgrade},
    {"test.c:590", verdict::error, 505, false, false, false,
     "RFC 9112 §2.3/§9.3: HTTP/0.9 requests are not supported: 505"},
    {"test.c:636", verdict::error, 400, false, false, false, rfc_obs_fold},
    {"test.c:965", verdict::error, 400, false, false, false, rfc_bare_lf},
    {"test.c:1003", verdict::error, 400, false, false, false, rfc_obs_fold},
    {"test.c:1040", verdict::closed, 0, true, false, true, rfc_upgrade},
    {"test.c:1066", verdict::error, 400, false, false, false, rfc_obs_fold},
    {"test.c:1092", verdict::closed, 0, true, false, true, rfc_upgrade},
    {"test.c:1221", verdict::error, 400, false, false, false, rfc_version},
    {"test.c:1242", verdict::error, 501, false, false, false, rfc_coding},
    {"test.c:1270", verdict::error, 400, false, false, false, rfc_obs_fold},
    {"test.c:4424", verdict::error, 400, false, false, false,
     "RFC 9112 §5.2: a whitespace-led line after a field line is obs-fold: 400 (http-parser waits)"},
    {"test.c:4605#1", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#2", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#3", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#4", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#5", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#6", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#7", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#8", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#9", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#10", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4605#11", verdict::ok, 0, false, false, false, rfc_method},
    {"test.c:4650", verdict::error, 400, false, false, false, rfc_obs_fold},
};

const deviation* find_deviation(const std::string& id) {
    for (const deviation& d : deviations) {
        if (id == d.id) {
            return &d;
        }
    }
    return nullptr;
}

std::string trim_trailing_ows(std::string v) {
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.pop_back();
    }
    return v;
}

// The vector's verdict in corio's terms: a completed message followed by a hand-over ("Pause on ...", or
// http-parser's ok + upgrade line) is corio's `closed` after an upgrade request.
verdict expected_verdict(const vector_case& c) {
    if (c.verdict == "ok") {
        return c.upgrade ? verdict::closed : verdict::ok;
    }
    if (c.verdict == "incomplete") {
        return verdict::incomplete;
    }
    if (c.reason.rfind("Pause on", 0) == 0) {
        return verdict::closed;
    }
    return verdict::error;
}

// corio's verdict for comparison: stopping after a non-persistent message with nothing but CRLFs left is
// a clean end ("ok"), as the vectors allow stray CRLFs after a message.
verdict observed_verdict(const outcome& o) {
    if (o.result != verdict::closed || (!o.messages.empty() && o.messages.back().upgrade)) {
        return o.result;
    }
    for (std::size_t i = 0; i < o.leftover.size(); i += 2) {
        if (o.leftover.compare(i, 2, "\r\n") != 0) {
            return verdict::closed;
        }
    }
    return verdict::ok;
}

std::string describe(const outcome& o) {
    std::ostringstream s;
    s << to_string(o.result);
    if (o.result == verdict::error) {
        s << ' ' << o.status << " (" << o.reason << ')';
    }
    s << ", " << o.messages.size() << " message(s)";
    return s.str();
}

void compare_messages(const vector_case& c, const outcome& o, const deviation* d) {
    CHECK_MESSAGE(o.messages.size() == c.messages.size(), "messages: corio " << o.messages.size());
    if (o.messages.size() != c.messages.size()) {
        return;
    }
    for (std::size_t i = 0; i < c.messages.size(); ++i) {
        const vector_message& want = c.messages[i];
        const parsed_message& got = o.messages[i];
        INFO("message " << i);
        CHECK(got.method == want.method);
        CHECK(got.target == want.url);
        CHECK(got.major == want.major);
        CHECK(got.minor == want.minor);
        CHECK(got.chunked == want.chunked);
        CHECK(got.body == want.body);
        if (want.keep_alive) {
            CHECK(got.keep_alive == (d && d->keep_alive_differs ? false : *want.keep_alive));
        }
        field_list fields = got.headers;
        fields.insert(fields.end(), got.trailers.begin(), got.trailers.end());
        field_list expected = want.headers;
        if (d && d->trim_ows) {
            for (auto& f : expected) {
                f.second = trim_trailing_ows(f.second);
            }
        }
        CHECK(fields == expected);
    }
}

std::filesystem::path vectors_dir() {
    const std::filesystem::path dir = CORIO_HTTP_VECTORS_DIR;
    if (!std::filesystem::is_directory(dir)) {
        FAIL("http vector directory missing: " << dir.string()
                                               << " (expected shared/http-vectors beside the source tree)");
    }
    return dir;
}

std::vector<vector_case> all_cases() {
    std::vector<vector_case> cases;
    for (const auto& entry : std::filesystem::directory_iterator(vectors_dir())) {
        if (entry.path().extension() == ".txt") {
            auto more = read_vectors(entry.path());
            cases.insert(cases.end(), more.begin(), more.end());
        }
    }
    return cases;
}

parser_options vector_options() {
    parser_options o;
    o.require_host = false; // neither llhttp nor http-parser checks Host; the strict run below covers it
    return o;
}

} // namespace

TEST_CASE("every http vector case is read and the count is at least 242") {
    const auto cases = all_cases();
    CHECK(cases.size() >= 242);
    for (const auto& c : cases) {
        CHECK_MESSAGE(!c.verdict.empty(), c.id);
    }
}

TEST_CASE("every deviation listed in the table names an existing vector case that really differs") {
    const auto cases = all_cases();
    std::set<std::string> ids;
    for (const auto& c : cases) {
        ids.insert(c.id);
    }
    for (const deviation& d : deviations) {
        CHECK_MESSAGE(ids.count(d.id) == 1, d.id);
    }
    for (const auto& c : cases) {
        const deviation* d = find_deviation(c.id);
        if (d == nullptr) {
            continue;
        }
        const outcome o = run_whole(c.raw, vector_options());
        const bool same_verdict = observed_verdict(o) == expected_verdict(c);
        CHECK_MESSAGE((!same_verdict || d->trim_ows || d->keep_alive_differs),
                      d->id << " is not a deviation");
    }
}

TEST_CASE("the parser agrees with every http vector case except the listed deviations") {
    const auto cases = all_cases();
    REQUIRE(cases.size() >= 242);
    std::size_t matched = 0;
    std::size_t deviating = 0;
    for (const auto& c : cases) {
        INFO(c.id << c.title);
        const deviation* d = find_deviation(c.id);
        const outcome o = run_whole(c.raw, vector_options());
        INFO("corio: " << describe(o));
        if (d == nullptr) {
            CHECK(observed_verdict(o) == expected_verdict(c));
            compare_messages(c, o, nullptr);
            if (c.upgrade) {
                CHECK(o.leftover == *c.upgrade);
            }
            ++matched;
        } else {
            CHECK(observed_verdict(o) == d->result);
            if (d->result == verdict::error) {
                CHECK(o.status == d->status);
            }
            if (d->compare_messages) {
                compare_messages(c, o, d);
            }
            if (c.upgrade && d->result == verdict::closed) {
                CHECK(o.leftover == *c.upgrade);
            }
            ++deviating;
        }
    }
    MESSAGE(matched << " vector cases match exactly, " << deviating << " deviate as listed");
    CHECK(deviating == std::size(deviations));
}

TEST_CASE("every http vector case gives the same result byte at a time and split at any position") {
    for (const auto& c : all_cases()) {
        INFO(c.id << c.title);
        const outcome whole = run_whole(c.raw, vector_options());
        CHECK(run_bytewise(c.raw, vector_options()) == whole);
        for (std::size_t at = 1; at < c.raw.size(); ++at) {
            const outcome split = run_split(c.raw, at, vector_options());
            if (!(split == whole)) {
                FAIL_CHECK("split at " << at << " gives " << describe(split) << " instead of "
                                       << describe(whole));
                break;
            }
        }
    }
}

TEST_CASE("with Host required every HTTP/1.1 vector request without Host is rejected with 400") {
    // Default options: RFC 9112 §3.2 requires a 400 for an HTTP/1.1 request without Host. The expected result
    // is the relaxed result cut at the first HTTP/1.1 head that lacked Host; everything else is unchanged.
    for (const auto& c : all_cases()) {
        INFO(c.id << c.title);
        const outcome relaxed = run_whole(c.raw, vector_options());
        outcome expected = relaxed;
        for (std::size_t i = 0; i < relaxed.heads.size(); ++i) {
            if (relaxed.heads[i].minor >= 1 && !relaxed.heads[i].has_host) {
                expected = {};
                expected.result = verdict::error;
                expected.status = 400;
                expected.reason = "missing Host";
                expected.messages.assign(relaxed.messages.begin(),
                                         relaxed.messages.begin() + static_cast<long>(i));
                expected.heads.assign(relaxed.heads.begin(), relaxed.heads.begin() + static_cast<long>(i));
                break;
            }
        }
        const outcome strict = run_whole(c.raw);
        CHECK(strict == expected);
        CHECK(run_bytewise(c.raw) == strict);
    }
}
