#pragma once

// Reporting for `corio load <mode>`: a live one-line progress display (a plain line per second when stdout is
// not a terminal) and the final report, as text or one JSON object. Shared by every load mode.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "corio/net/latency_histogram.hpp"

namespace corio::cli {

/// What a load mode measured.
struct load_report {
    std::string mode;   ///< "echo", "http", ...
    std::string target; ///< host:port or URL
    std::string unit;   ///< what one operation is: "round trips", "requests"
    std::uint64_t connections = 0;
    std::uint64_t connected = 0;
    std::uint64_t threads = 0;
    std::uint64_t operations = 0;
    std::uint64_t bytes = 0;
    std::uint64_t errors = 0;
    double seconds = 0;
    const net::latency_histogram* latency = nullptr;
    std::string first_error;
    /// Mode-specific settings, printed and put into the JSON as they are (values already JSON-formatted).
    std::vector<std::pair<std::string, std::string>> settings;
    /// Extra JSON fields (values already JSON-formatted), e.g. the operations under their mode's own name.
    std::vector<std::pair<std::string, std::string>> json_extra;
    /// Extra lines of the text report (label, text), printed after the errors.
    std::vector<std::pair<std::string, std::string>> text_extra;
};

/// Prints the live progress line (rate over the last interval). Call about once a second.
class progress_printer {
public:
    progress_printer();
    void update(double elapsed_s, std::uint64_t operations, std::uint64_t bytes, std::uint64_t errors,
                std::uint64_t connected, const std::string& unit);
    /// Ends the live line (on a terminal).
    void finish();

private:
    bool tty_;
    bool printed_ = false;
    double last_s_ = 0;
    std::uint64_t last_ops_ = 0;
    std::uint64_t last_bytes_ = 0;
};

/// Prints the report. The JSON object also carries the latency as flat keys (p50_us, p90_us, p99_us, max_us,
/// mean_us), which is what `corio compare` reads.
void print_report(const load_report& r, bool json);

/// JSON string literal for `s`.
std::string json_string(const std::string& s);

} // namespace corio::cli
