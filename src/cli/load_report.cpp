#include "load_report.hpp"

#include <unistd.h>

#include <cstdio>

namespace corio::cli {

namespace {

double us(std::uint64_t ns) {
    return static_cast<double>(ns) / 1000.0;
}

} // namespace

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

progress_printer::progress_printer() : tty_(::isatty(STDOUT_FILENO) != 0) {}

void progress_printer::update(double elapsed_s, std::uint64_t operations, std::uint64_t bytes,
                              std::uint64_t errors, std::uint64_t connected, const std::string& unit) {
    const double dt = elapsed_s - last_s_;
    const double rate = dt > 0 ? static_cast<double>(operations - last_ops_) / dt : 0.0;
    const double mbps = dt > 0 ? static_cast<double>(bytes - last_bytes_) / dt / 1e6 : 0.0;
    last_s_ = elapsed_s;
    last_ops_ = operations;
    last_bytes_ = bytes;
    std::printf("%s[%5.1fs] %12.0f %s/s  %9.2f MB/s  %llu connected  %llu errors%s", tty_ ? "\r" : "",
                elapsed_s, rate, unit.c_str(), mbps, static_cast<unsigned long long>(connected),
                static_cast<unsigned long long>(errors), tty_ ? "\x1b[K" : "\n");
    std::fflush(stdout);
    printed_ = true;
}

void progress_printer::finish() {
    if (tty_ && printed_) {
        std::printf("\n");
        std::fflush(stdout);
    }
}

void print_report(const load_report& r, bool json) {
    const double secs = r.seconds > 0 ? r.seconds : 1e-9;
    const double rate = static_cast<double>(r.operations) / secs;
    const double mbps = static_cast<double>(r.bytes) / secs / 1e6;
    const net::latency_histogram empty;
    const net::latency_histogram& h = r.latency != nullptr ? *r.latency : empty;
    if (json) {
        std::string out = "{\"mode\":" + json_string(r.mode) + ",\"target\":" + json_string(r.target);
        for (const auto& [key, value] : r.settings) {
            out += ",\"" + key + "\":" + value;
        }
        for (const auto& [key, value] : r.json_extra) {
            out += ",\"" + key + "\":" + value;
        }
        char buf[768];
        std::snprintf(
            buf, sizeof buf,
            ",\"connections\":%llu,\"connected\":%llu,\"threads\":%llu,\"duration_s\":%.3f,"
            "\"operations\":%llu,\"operations_per_s\":%.1f,\"bytes\":%llu,\"mb_per_s\":%.3f,"
            "\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f},"
            "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
            "\"errors\":%llu",
            static_cast<unsigned long long>(r.connections), static_cast<unsigned long long>(r.connected),
            static_cast<unsigned long long>(r.threads), r.seconds,
            static_cast<unsigned long long>(r.operations), rate, static_cast<unsigned long long>(r.bytes),
            mbps, us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.max()),
            h.mean() / 1000.0, us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.max()),
            h.mean() / 1000.0, static_cast<unsigned long long>(r.errors));
        out += buf;
        if (!r.first_error.empty()) {
            out += ",\"first_error\":" + json_string(r.first_error);
        }
        out += "}";
        std::printf("%s\n", out.c_str());
        std::fflush(stdout);
        return;
    }
    std::printf("corio load %s: %s, %llu connections (%llu connected), %llu threads, %.2f s\n",
                r.mode.c_str(), r.target.c_str(), static_cast<unsigned long long>(r.connections),
                static_cast<unsigned long long>(r.connected), static_cast<unsigned long long>(r.threads),
                r.seconds);
    for (const auto& [key, value] : r.settings) {
        std::printf("  %-12s %s\n", key.c_str(), value.c_str());
    }
    std::printf("  %-12s %llu (%.1f/s)\n", r.unit.c_str(), static_cast<unsigned long long>(r.operations),
                rate);
    std::printf("  %-12s %.2f MB/s\n", "throughput", mbps);
    std::printf("  %-12s p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us\n", "latency",
                us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.max()));
    std::printf("  %-12s %llu%s%s\n", "errors", static_cast<unsigned long long>(r.errors),
                r.first_error.empty() ? "" : "  first: ", r.first_error.c_str());
    for (const auto& [label, text] : r.text_extra) {
        std::printf("  %-12s %s\n", label.c_str(), text.c_str());
    }
    std::fflush(stdout);
}

} // namespace corio::cli
