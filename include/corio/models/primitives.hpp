#pragma once

// The primitive costs behind the three concurrency models: creating and finishing a unit of work, switching
// between two of them, and the memory each keeps. Measured in-process; each figure is the median of repeated
// runs.

#include <cstddef>
#include <string>
#include <vector>

namespace corio::models {

struct primitive_figure {
    std::string model;  ///< "coroutine", "thread", "process"
    std::string metric; ///< e.g. "create+run+destroy"
    double value = 0;   ///< in `unit`
    std::string unit;   ///< "ns", "bytes"
    std::string note;
};

struct primitive_options {
    int repeats = 5; ///< runs per figure; the median is kept
    std::size_t coroutine_iterations = 1'000'000;
    std::size_t thread_iterations = 2'000;
    std::size_t process_iterations = 300;
    std::size_t switch_round_trips = 20'000; ///< thread/process ping-pongs per run
    std::size_t memory_sample = 64;          ///< threads/processes kept alive to measure memory
    std::size_t connection_frame_bytes = 0;  ///< the connection handler's frame, when the caller knows it
};

/// Measures every figure. Takes a few seconds with the defaults.
std::vector<primitive_figure> measure_primitives(const primitive_options& options);

/// A Markdown table of the figures with the ratios thread/coroutine and process/coroutine.
std::string format_primitives(const std::vector<primitive_figure>& figures);

} // namespace corio::models
