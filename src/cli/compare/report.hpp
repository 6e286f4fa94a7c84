#pragma once

// Writes a comparison's results: results.csv, report.md and, when gnuplot is installed, SVG charts.

#include <string>
#include <vector>

#include "runner.hpp"

namespace corio::cli::compare {

struct report_context {
    std::string machine;
    std::string command;
    std::string date;
    double duration_s = 0;
};

/// The CSV header line (without newline).
std::string csv_header();

/// Writes results.csv, report.md and the charts into `dir` (created if missing). Returns the chart files
/// written (empty when gnuplot is missing). @throws std::runtime_error on I/O failure
std::vector<std::string> write_report(const std::string& dir, const std::vector<measurement>& results,
                                      const report_context& context);

/// Checks the files write_report produced: the CSV has the header and `expected_rows` well-formed rows, the
/// report has one table row per result, and each chart listed exists and is an SVG. Returns the problems
/// found.
std::vector<std::string> validate_report(const std::string& dir, std::size_t expected_rows,
                                         const std::vector<std::string>& charts);

} // namespace corio::cli::compare
